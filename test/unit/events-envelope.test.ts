/**
 * The CloudEvents envelope of an audit event: every attribute as the design fixes it, the audit event
 * (and nothing else) as its data, reconcile.completed naming the run, malformed events refused.
 */
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import type { AuditEvent } from '../../shared/domain/model.js';
import { EnvelopeError, RECONCILE_COMPLETED, toCloudEvent } from '../../shared/events/envelope.js';
import { RESPONSE_SCHEMAS } from '../../shared/http/schemas.js';
import { auditEvent } from '../support/events.js';

// The audit event as GET …/events documents it, closed: data may carry nothing the API does not show.
const ajv = new Ajv({ strict: false });
addFormats(ajv);
const validateAuditEvent = ajv.compile({ ...RESPONSE_SCHEMAS.AuditEvent, additionalProperties: false });

describe('toCloudEvent', () => {
  it('wraps an audit event in a CloudEvents 1.0 envelope, every attribute as the contract says', () => {
    // Prepare
    const event = auditEvent();

    // Act
    const cloudEvent = toCloudEvent(event);

    // Assess
    expect(cloudEvent).toEqual({
      specversion: '1.0',
      id: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
      type: 'image-share-governor.share.requested',
      source: 'image-share-governor',
      subject: 'images/cn-hangzhou/m-bp1eventsimage01',
      time: '2026-03-01T10:00:00.000Z',
      datacontenttype: 'application/json',
      data: {
        eventId: '0f1e2d3c4b5a69788796a5b4c3d2e1f0',
        regionId: 'cn-hangzhou',
        imageId: 'm-bp1eventsimage01',
        at: '2026-03-01T10:00:00.000Z',
        principal: 'alice',
        action: 'share.requested',
        accountId: '2000000000000001',
        after: 'pending_approval',
        requestId: 'req-1',
        shareRequestId: 'sr-1',
        reason: 'partner rollout',
        ticket: 'CHG-42',
      },
    });
    expect(validateAuditEvent(cloudEvent.data), JSON.stringify(validateAuditEvent.errors)).toBe(true);
  });

  it('names a directory share by its channel and target, with no accountId', () => {
    // Prepare: a folder share applied through the service's resource share, as the audit records it.
    const event = auditEvent({ action: 'share.applied', channel: 'directory', target: 'fd-prod0001', accountId: undefined, before: 'applying', after: 'active' });

    // Act
    const cloudEvent = toCloudEvent(event);

    // Assess
    expect(cloudEvent.subject).toBe('images/cn-hangzhou/m-bp1eventsimage01');
    expect(cloudEvent.data).toMatchObject({ channel: 'directory', target: 'fd-prod0001', before: 'applying', after: 'active' });
    expect(cloudEvent.data).not.toHaveProperty('accountId');
    expect(validateAuditEvent(cloudEvent.data), JSON.stringify(validateAuditEvent.errors)).toBe(true);
  });

  it.each([
    ['share.approved', 'image-share-governor.share.approved'],
    ['share.applied', 'image-share-governor.share.applied'],
    ['share.revoked', 'image-share-governor.share.revoked'],
    ['image.deleted', 'image-share-governor.image.deleted'],
    ['reconcile.unmanaged_revoked', 'image-share-governor.reconcile.unmanaged_revoked'],
  ])('types %s as %s', (action, type) => {
    expect(toCloudEvent(auditEvent({ action })).type).toBe(type);
  });

  it('carries only the audit event\'s own fields: no token or anything else an object may hold', () => {
    // Prepare: an event object that picked up extra properties on its way (a bearer token, a header map).
    const token = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJl';
    const polluted = { ...auditEvent(), token, authorization: `Bearer ${token}`, headers: { authorization: `Bearer ${token}` } } as AuditEvent;

    // Act
    const cloudEvent = toCloudEvent(polluted);

    // Assess
    expect(Object.keys(cloudEvent.data)).toEqual(Object.keys(auditEvent()));
    expect(JSON.stringify(cloudEvent)).not.toContain(token);
    expect(validateAuditEvent(cloudEvent.data)).toBe(true);
  });

  it('leaves absent optional fields out and copies, so later changes to the audit event do not reach the envelope', () => {
    // Prepare
    const event = { eventId: 'e-min', regionId: 'cn-shanghai', imageId: 'm-minimal0001', at: '2026-03-01T10:00:00Z', principal: 'system:reconcile', action: 'share.revoked', requestId: 'run-1' };

    // Act
    const cloudEvent = toCloudEvent(event);
    event.principal = 'changed';

    // Assess
    expect(cloudEvent.data).toEqual({ ...event, principal: 'system:reconcile' });
    expect(cloudEvent.time).toBe('2026-03-01T10:00:00.000Z');
  });

  it('names the run, not an image, for reconcile.completed', () => {
    // Prepare: a region run's summary, recorded as the reconciler's audit event with no image.
    const completed = auditEvent({
      eventId: 'e-run',
      action: RECONCILE_COMPLETED,
      imageId: '',
      principal: 'system:reconcile',
      requestId: 'run-20260301T100000Z-cn-hangzhou',
      accountId: undefined,
      after: 'completed',
      detail: '{"imagesScanned":12,"findings":{"unmanaged":1},"actions":{}}',
    });

    // Act
    const cloudEvent = toCloudEvent(completed);

    // Assess
    expect(cloudEvent).toMatchObject({
      type: 'image-share-governor.reconcile.completed',
      subject: 'reconcile-runs/run-20260301T100000Z-cn-hangzhou',
      data: { action: 'reconcile.completed', after: 'completed', requestId: 'run-20260301T100000Z-cn-hangzhou' },
    });
  });

  it.each([
    ['no id', { eventId: '' }, 'has no eventId'],
    ['no action', { action: '' }, 'has no action'],
    ['an action that is no dotted name', { action: 'Share Requested' }, 'has an action that is no dotted name: Share Requested'],
    ['a time that is not a time', { at: 'yesterday' }, 'has a time that is not RFC 3339: yesterday'],
    ['no request id', { requestId: '' }, 'has no requestId'],
    ['no image on an image event', { imageId: '' }, '(share.requested) names no image'],
  ])('refuses an audit event with %s', (_what, overrides, message) => {
    expect(() => toCloudEvent(auditEvent(overrides as Partial<AuditEvent>))).toThrow(EnvelopeError);
    expect(() => toCloudEvent(auditEvent(overrides as Partial<AuditEvent>))).toThrow(message);
  });
});
