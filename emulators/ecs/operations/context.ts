/** The parameter readers and lookups the ECS operations share. */
import { type ApiError, ecsErrors } from '../errors.js';
import type { OperationContext } from '../operation.js';
import type { Image } from '../store.js';

export function requireParam(params: Record<string, string>, name: string): string {
  const value = params[name];
  if (value === undefined || value === '') throw ecsErrors.missingParameter(name);
  return value;
}

/** `true` / `false`, absent or empty = undefined; anything else is `invalid` (ECS's InvalidParameter unless given). */
export function readBoolean(
  params: Record<string, string>,
  name: string,
  invalid: (name: string, detail: string) => ApiError = ecsErrors.invalidParameter,
): boolean | undefined {
  const value = params[name];
  if (value === undefined || value === '') return undefined;
  if (value === 'true') return true;
  if (value === 'false') return false;
  throw invalid(name, 'Expected true or false.');
}

export function readInteger(
  params: Record<string, string>,
  name: string,
  range: { min: number; max: number; fallback: number },
): number {
  const value = params[name];
  if (value === undefined || value === '') return range.fallback;
  if (!/^\d+$/.test(value)) throw ecsErrors.invalidParameter(name, 'Expected an integer.');
  const number = Number(value);
  if (number < range.min || number > range.max) {
    throw ecsErrors.invalidParameter(name, `Expected a value from ${range.min} to ${range.max}.`);
  }
  return number;
}

/** Values of `Prefix.N` parameters, ordered by N. */
export function readIndexedList(params: Record<string, string>, prefix: string): string[] {
  const pattern = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)$`);
  const entries: Array<[number, string]> = [];
  for (const [key, value] of Object.entries(params)) {
    const match = pattern.exec(key);
    if (match) entries.push([Number(match[1]), value]);
  }
  return entries.sort((a, b) => a[0] - b[0]).map(([, value]) => value);
}

export function requireRegion(context: OperationContext): string {
  const regionId = requireParam(context.params, 'RegionId');
  if (!context.store.isKnownRegion(regionId)) throw ecsErrors.regionNotFound(regionId);
  return regionId;
}

/**
 * The caller's own custom image (custom or Marketplace-derived) in the region. Anything else —
 * absent, deleted, another account's, shared to the caller, system — is InvalidImageId.NotFound,
 * which is what ECS answers for an image that does not exist in the caller's account.
 */
export function requireOwnImage(context: OperationContext, regionId: string): Image {
  const imageId = requireParam(context.params, 'ImageId');
  const image = context.store.findImage(regionId, imageId);
  if (!image || image.kind === 'system' || image.ownerAccountId !== context.accountId) {
    throw ecsErrors.imageNotFound(imageId);
  }
  return image;
}

/** One page of a list, pages numbered from 1. */
export function page<T>(items: T[], pageNumber: number, pageSize: number): T[] {
  const start = (pageNumber - 1) * pageSize;
  return items.slice(start, start + pageSize);
}
