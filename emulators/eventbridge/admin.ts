/**
 * Unsigned admin routes under /__emulator/ for tests and local runs: create buses, read what each bus
 * received, inject faults, read the call log, reset. Loopback callers only (the server checks).
 * Bodies are validated by schemas compiled once at load.
 */
import Ajv from 'ajv';
import { type AdminResponse, fail, parseJsonBody, removeFaultRoute } from '../common/admin.js';
import { INJECTED_FAULT_PROPERTIES } from '../common/faults.js';
import type { FaultInjector, FaultInput } from './faults.js';
import { BUS_NAME_PATTERN, type EventBridgeStore } from './store.js';

export interface CallRecord {
  /** null when no API answers the method and path. */
  operation: string | null;
  /** From the Authorization header, before it is checked; null without one. */
  accessKeyId: string | null;
  status: number;
  /** null on success. */
  code: string | null;
  /** Entries in an accepted batch, and how many of them failed; null when the request was refused whole. */
  entries: number | null;
  failed: number | null;
  /** Arrival on the emulator's clock, ISO-8601 with ms. */
  at: string;
}

export interface AdminDependencies {
  store: EventBridgeStore;
  faults: FaultInjector;
  calls: CallRecord[];
  now: () => Date;
}

const BUS_NAME = { type: 'string', pattern: BUS_NAME_PATTERN } as const;

const schemas = {
  bus: { type: 'object', additionalProperties: false, required: ['name'], properties: { name: BUS_NAME } },
  fault: {
    type: 'object',
    additionalProperties: false,
    properties: {
      bus: BUS_NAME,
      scope: { enum: ['request', 'entry'] },
      ...INJECTED_FAULT_PROPERTIES,
    },
  },
} as const;

const ajv = new Ajv({ allErrors: true, strict: true });
const validators = { bus: ajv.compile(schemas.bus), fault: ajv.compile(schemas.fault) };

export interface BusBody {
  name: string;
}
export type FaultBody = FaultInput;
export type EventsBody = ReturnType<EventBridgeStore['eventsByBus']>;

function addBus(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseJsonBody<BusBody>(raw, validators.bus, 'bus');
  if (!parsed.ok) return parsed.response;
  const { name } = parsed.body;
  if (!deps.store.createBus(name, deps.now())) return fail(409, `event bus ${name} already exists`);
  return { status: 201, body: { name } };
}

function addFault(deps: AdminDependencies, raw: Buffer): AdminResponse {
  const parsed = parseJsonBody<FaultBody>(raw, validators.fault, 'fault');
  if (!parsed.ok) return parsed.response;
  const fault = parsed.body;
  if (fault.scope === 'entry') {
    if (fault.code === undefined) return fail(400, 'invalid fault: an entry fault needs a code');
    if (fault.status !== undefined || fault.latencyMs !== undefined) return fail(400, 'invalid fault: an entry fault has no status or latencyMs (the request itself succeeds)');
  } else {
    if (fault.code === undefined && fault.latencyMs === undefined) return fail(400, 'invalid fault: give a code, a latencyMs, or both');
    if (fault.code === undefined && fault.status !== undefined) return fail(400, 'invalid fault: status needs a code');
  }
  return { status: 201, body: { id: deps.faults.add(fault) } };
}

/** Routes one admin request. Never throws for client mistakes. */
export function handleAdmin(deps: AdminDependencies, method: string, pathname: string, raw: Buffer): AdminResponse {
  const route = `${method} ${pathname}`;
  switch (route) {
    case 'POST /__emulator/buses':
      return addBus(deps, raw);
    case 'GET /__emulator/events':
      return { status: 200, body: deps.store.eventsByBus() };
    case 'GET /__emulator/calls':
      return { status: 200, body: deps.calls };
    case 'POST /__emulator/faults':
      return addFault(deps, raw);
    case 'DELETE /__emulator/faults':
      deps.faults.clear();
      return { status: 204 };
    case 'POST /__emulator/reset':
      deps.store.reset();
      deps.faults.clear();
      deps.calls.length = 0;
      return { status: 204 };
    default:
      break;
  }
  return removeFaultRoute(method, pathname, (id) => deps.faults.remove(id)) ?? fail(404, `no admin route ${route}`);
}
