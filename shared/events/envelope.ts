// The CloudEvents 1.0 envelope every audit event is published in (design: "Events for people and
// workflows"). Pure and SDK-free: the sinks and the dispatcher build on it, and importing it costs
// nothing at cold start.
import { type AuditEvent, RECONCILE_COMPLETED } from '../domain/model.js';
import { RESPONSE_SCHEMAS } from '../http/schemas.js';

export { RECONCILE_COMPLETED } from '../domain/model.js';
export const EVENT_SOURCE = 'image-share-governor';
/** `share.requested`, `reconcile.unmanaged_revoked`, …: dotted lower-case words, as the audit trail writes them. */
const ACTION_PATTERN = /^[a-z]+(?:_[a-z]+)*(?:\.[a-z]+(?:_[a-z]+)*)+$/;

/** A structured-mode CloudEvent whose data is one audit event. */
export interface CloudEvent {
  readonly specversion: '1.0';
  /** The audit event id: receivers de-duplicate on it (delivery is at-least-once). */
  readonly id: string;
  /** `image-share-governor.<action>`. */
  readonly type: string;
  readonly source: typeof EVENT_SOURCE;
  /** `images/<regionId>/<imageId>`, or `reconcile-runs/<runId>` for reconcile.completed. */
  readonly subject: string;
  /** When the audit event was recorded (RFC 3339, UTC). */
  readonly time: string;
  readonly datacontenttype: 'application/json';
  readonly data: AuditEvent;
}

// The audit event as the API shows it (GET …/events), field for field: whatever else an object may
// carry at run time never leaves the service. The schema is the one list of those fields.
const AUDIT_FIELDS = Object.keys((RESPONSE_SCHEMAS.AuditEvent as { properties: Record<string, unknown> }).properties) as (keyof AuditEvent)[];

/** Thrown for an audit event that cannot make a valid CloudEvent: a bug upstream, not a delivery failure. */
export class EnvelopeError extends Error {
  override readonly name = 'EnvelopeError';
}

export const eventType = (action: string): string => `${EVENT_SOURCE}.${action}`;

/** What the event is about: the image, or for a finished reconcile run (which names no image) the run. */
export function eventSubject(event: Pick<AuditEvent, 'action' | 'regionId' | 'imageId' | 'requestId'>): string {
  return event.action === RECONCILE_COMPLETED ? `reconcile-runs/${event.requestId}` : `images/${event.regionId}/${event.imageId}`;
}

/** The audit event's own fields only, in schema order, absent ones left out. */
function auditData(event: AuditEvent): AuditEvent {
  const data: Record<string, unknown> = {};
  for (const field of AUDIT_FIELDS) if (event[field] !== undefined) data[field] = event[field];
  return data as unknown as AuditEvent;
}

function check(event: AuditEvent): void {
  const missing = (['eventId', 'action', 'at', 'requestId'] as const).find((field) => typeof event[field] !== 'string' || event[field] === '');
  if (missing) throw new EnvelopeError(`audit event ${String(event.eventId)} has no ${missing}`);
  if (!ACTION_PATTERN.test(event.action)) throw new EnvelopeError(`audit event ${event.eventId} has an action that is no dotted name: ${event.action}`);
  if (Number.isNaN(Date.parse(event.at))) throw new EnvelopeError(`audit event ${event.eventId} has a time that is not RFC 3339: ${event.at}`);
  if (event.action !== RECONCILE_COMPLETED && (!event.regionId || !event.imageId)) {
    throw new EnvelopeError(`audit event ${event.eventId} (${event.action}) names no image`);
  }
}

/** The CloudEvent for one audit event. Throws EnvelopeError when the event cannot make a valid one. */
export function toCloudEvent(event: AuditEvent): CloudEvent {
  check(event);
  return {
    specversion: '1.0',
    id: event.eventId,
    type: eventType(event.action),
    source: EVENT_SOURCE,
    subject: eventSubject(event),
    time: new Date(event.at).toISOString(),
    datacontenttype: 'application/json',
    data: auditData(event),
  };
}
