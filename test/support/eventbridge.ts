/**
 * Typed client for the EventBridge emulator's admin routes (see emulators/eventbridge/README.md), and
 * a raw signed PutEvents for wire tests that must send what the SDK never would.
 */
import { createHmac } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as EventBridgeSdkModule from '@alicloud/eventbridge';
import type { CallRecord, EventsBody } from '../../emulators/eventbridge/admin.js';
import type { FaultInput } from '../../emulators/eventbridge/faults.js';
import { AdminCallError, adminCaller, faultMethods } from './admin.js';

export class EventBridgeAdminError extends AdminCallError {}

export interface EventBridgeAdmin {
  createBus(name: string): Promise<void>;
  /** Every bus with the entries it accepted, oldest first, exactly as they arrived. */
  events(): Promise<EventsBody>;
  calls(): Promise<CallRecord[]>;
  /** Returns the fault id. */
  addFault(fault: FaultInput): Promise<string>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
  reset(): Promise<void>;
}

export function eventbridgeAdmin(endpoint: string): EventBridgeAdmin {
  const call = adminCaller(`http://${endpoint}/__emulator`, EventBridgeAdminError);
  return {
    async createBus(name) {
      await call('POST', '/buses', { name });
    },
    async events() {
      return (await call('GET', '/events')) as EventsBody;
    },
    async calls() {
      return (await call('GET', '/calls')) as CallRecord[];
    },
    ...faultMethods<FaultInput>(call),
    async reset() {
      await call('POST', '/reset');
    },
  };
}

export interface RawPutOptions {
  accessKeyId: string;
  accessKeySecret: string;
  /** Headers to send (lower-case names) in place of, or besides, the SDK's; `null` leaves one out. */
  headers?: Record<string, string | null>;
  /** Header values changed after the signature was computed (a tampered request). */
  afterSigning?: Record<string, string>;
  /** The body text; default the JSON of `entries`. */
  body?: string;
  path?: string;
}

/**
 * A PutEvents signed as `@alicloud/eventbridge` signs it, computed here from the documented scheme
 * (not with the emulator's code), with every part overridable.
 */
export async function rawPutEvents(endpoint: string, entries: unknown, options: RawPutOptions): Promise<{ status: number; body: Record<string, unknown> }> {
  const path = options.path ?? '/openapi/putEvents';
  const headers: Record<string, string> = {
    date: new Date().toUTCString(),
    'content-type': 'application/cloudevents-batch+json; charset=utf-8',
    'x-eventbridge-version': '2015-06-06',
    'x-acs-signature-method': 'HMAC-SHA1',
    'x-acs-signature-version': '1.0',
    'x-acs-signature-nonce': Math.random().toString(16).slice(2),
  };
  for (const [name, value] of Object.entries(options.headers ?? {})) {
    if (value === null) delete headers[name];
    else headers[name] = value;
  }
  const acs = Object.keys(headers)
    .filter((name) => name.startsWith('x-acs-'))
    .sort()
    .map((name) => `${name}:${headers[name]}\n`)
    .join('');
  const toSign = `POST\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers['date'] ?? ''}\n${acs}${path}`;
  const signature = createHmac('sha1', options.accessKeySecret).update(toSign).digest('base64');
  if (!('authorization' in (options.headers ?? {}))) headers['authorization'] = `acs:${options.accessKeyId}:${signature}`;
  Object.assign(headers, options.afterSigning);
  const response = await fetch(`http://${endpoint}${path}`, { method: 'POST', headers, body: options.body ?? JSON.stringify(entries) });
  return { status: response.status, body: (await response.json()) as Record<string, unknown> };
}

// ---------------------------------------------------------------------------------------------
// The real SDK pointed at the emulator.

type EventBridgeSdk = typeof EventBridgeSdkModule;
export type EventBridgeClient = InstanceType<EventBridgeSdk['default']>;

const requireCjs = createRequire(import.meta.url);

/** `@alicloud/eventbridge`, loaded as CommonJS so `.default` is the client class under every loader. */
export function loadEventBridgeSdk(): EventBridgeSdk {
  return requireCjs('@alicloud/eventbridge') as EventBridgeSdk;
}

export function eventbridgeClient(endpoint: string, key: { accessKeyId: string; accessKeySecret: string; securityToken?: string }): EventBridgeClient {
  const sdk = loadEventBridgeSdk();
  return new sdk.default(new sdk.Config({ ...key, endpoint, protocol: 'http', connectTimeout: 2000, readTimeout: 5000 }));
}

/** The context attributes of a valid event (a share.requested), shared by the wire entries and SDK events below. */
const VALID_ATTRIBUTES = {
  source: 'image-share-governor',
  specversion: '1.0',
  type: 'image-share-governor.share.requested',
  subject: 'images/cn-hangzhou/m-abcdefgh12',
  time: '2026-03-01T10:00:00.000Z',
  datacontenttype: 'application/json',
} as const;

/** A valid entry for `bus` as it travels on the wire, with overrides; an override of `undefined` removes the attribute. */
export function wireEntry(bus: string, overrides: Record<string, unknown> = {}): Record<string, unknown> {
  const entry: Record<string, unknown> = { id: 'evt-0001', ...VALID_ATTRIBUTES, data: { eventId: 'evt-0001' }, aliyuneventbusname: bus };
  for (const [name, value] of Object.entries(overrides)) {
    if (value === undefined) delete entry[name];
    else entry[name] = value;
  }
  return entry;
}

/** An SDK CloudEvent for `bus`, valid unless `overrides` make it otherwise. */
export function sdkEvent(bus: string, overrides: Record<string, unknown> = {}): InstanceType<EventBridgeSdk['CloudEvent']> {
  const sdk = loadEventBridgeSdk();
  return new sdk.CloudEvent({
    id: `ev-${Math.random().toString(16).slice(2)}`,
    ...VALID_ATTRIBUTES,
    data: Buffer.from(JSON.stringify({ hello: 'world' })),
    extensions: { aliyuneventbusname: bus },
    ...overrides,
  });
}
