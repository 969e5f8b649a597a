// Validation of the mutable table settings shared by CreateTable and UpdateTable.
import { errors } from './errors.js';
import { has, LIMITS } from './rows.js';
import type { TableMeta } from './store.js';

type Options = Pick<TableMeta, 'timeToLive' | 'maxVersions' | 'deviationCellVersionInSec' | 'allowUpdate'>;

const DEFAULTS: Options = { timeToLive: -1, maxVersions: 1, deviationCellVersionInSec: 86400, allowUpdate: true };

export function parseTableOptions(input: Record<string, unknown> | null | undefined, current: Options | undefined): Options {
  const out: Options = { ...(current ?? DEFAULTS) };
  if (!input) return out;
  if (has(input, 'timeToLive') && input.timeToLive !== null) {
    const ttl = Number(input.timeToLive);
    if (ttl === 0 || ttl < -1) throw errors.parameterInvalid('TimeToLive cannot be 0 or less than -1.');
    if (ttl !== -1 && ttl < LIMITS.minTimeToLive) {
      throw errors.parameterInvalid(`TimeToLive must be -1 or at least ${LIMITS.minTimeToLive} seconds, got ${ttl}.`);
    }
    out.timeToLive = ttl;
  }
  if (has(input, 'maxVersions') && input.maxVersions !== null) {
    const mv = Number(input.maxVersions);
    if (!(mv >= 1)) throw errors.parameterInvalid('The maximum versions cannot be less than or equal to 0.');
    out.maxVersions = mv;
  }
  if (has(input, 'deviationCellVersionInSec') && input.deviationCellVersionInSec !== null) {
    const d = Number(input.deviationCellVersionInSec);
    if (!(d >= 1)) throw errors.parameterInvalid('The maximum deviation must be in range [0, INT64_MAX/1000000].');
    out.deviationCellVersionInSec = d;
  }
  if (has(input, 'allowUpdate') && input.allowUpdate !== null) out.allowUpdate = Boolean(input.allowUpdate);
  return out;
}

export function parseThroughput(
  input: { capacityUnit?: { read?: number; write?: number } } | null | undefined,
  required: boolean,
): { read?: number; write?: number } {
  if (!input) {
    if (required) throw errors.parameterInvalid('reserved_throughput is required.');
    return {};
  }
  const cu = input.capacityUnit ?? {};
  const out: { read?: number; write?: number } = {};
  for (const key of ['read', 'write'] as const) {
    if (has(cu, key) && cu[key] !== null && cu[key] !== undefined) {
      const v = Number(cu[key]);
      if (!(v >= 0)) throw errors.parameterInvalid(`Invalid Capacity Unit:${v}. Capacity Unit must be nonnegative.`);
      out[key] = v;
    }
  }
  return out;
}

export function describeOptions(meta: TableMeta): object {
  return {
    timeToLive: meta.timeToLive,
    maxVersions: meta.maxVersions,
    deviationCellVersionInSec: meta.deviationCellVersionInSec,
    allowUpdate: meta.allowUpdate,
  };
}

export function describeThroughput(meta: TableMeta): object {
  const details: Record<string, unknown> = {
    capacityUnit: { read: meta.reservedRead, write: meta.reservedWrite },
    lastIncreaseTime: meta.lastIncreaseTime,
  };
  if (meta.lastDecreaseTime !== undefined) details.lastDecreaseTime = meta.lastDecreaseTime;
  return details;
}
