/**
 * Parameter readers of the Resource Sharing operations: the region, 1-based lists capped at five
 * entries (`Targets.1`, `Resources.1.ResourceId`), tags, `ResourceOwner`, and NextToken paging.
 */
import { createHash } from 'node:crypto';
import type { OperationContext } from '../operation.js';
import { readBoolean, readIndexedList } from '../operations/context.js';
import { rsErrors } from './errors.js';
import { IMAGE_RESOURCE_TYPE } from './store.js';

/** The documented cap of Resources, Targets, ResourceShareIds and ResourceIds per call. */
export const MAX_ENTRIES_PER_CALL = 5;
const MAX_TAGS = 20;
const MAX_RESULTS = { min: 1, max: 100, fallback: 20 };
const MAX_NEXT_TOKEN_LENGTH = 256;

/**
 * Resource Sharing is regional: the real service reads the region from its host name
 * (`resourcesharing.<region>.aliyuncs.com`); here every product shares one endpoint, so `RegionId`
 * (which the real API accepts as well) names it, and a host of that form is the fallback.
 */
export function requireShareRegion(context: OperationContext): string {
  const regionId = context.params['RegionId'] || /^resourcesharing\.([a-z0-9-]+)\.aliyuncs\.com(?::\d+)?$/.exec(context.host)?.[1];
  if (!regionId) throw rsErrors.missingParameter('RegionId');
  if (!context.store.isKnownRegion(regionId)) throw rsErrors.invalidParameter('RegionId', `Unknown region ${regionId}.`);
  return regionId;
}

/** `Name.1..Name.N`, at most five, no value twice, none empty. */
export function readList(params: Record<string, string>, name: string): string[] {
  const values = readIndexedList(params, name);
  if (values.length > MAX_ENTRIES_PER_CALL) throw rsErrors.tooLong(name, MAX_ENTRIES_PER_CALL);
  const seen = new Set<string>();
  for (const value of values) {
    if (value === '') throw rsErrors.invalidParameter(name, 'An entry is empty.');
    if (seen.has(value)) throw rsErrors.duplicate(name, value);
    seen.add(value);
  }
  return values;
}

/** The entry numbers N used by `Prefix.N.<field>` parameters, ascending. */
function entryNumbers(params: Record<string, string>, prefix: string): number[] {
  const pattern = new RegExp(`^${prefix}\\.(\\d+)\\.[A-Za-z]+$`);
  const numbers = new Set<number>();
  for (const key of Object.keys(params)) {
    const match = pattern.exec(key);
    if (match) numbers.add(Number(match[1]));
  }
  return [...numbers].sort((a, b) => a - b);
}

/** `Resources.N.ResourceType` + `Resources.N.ResourceId` pairs: image ids, at most five, no duplicates. */
export function readResources(params: Record<string, string>): string[] {
  if (readIndexedList(params, 'ResourceArns').length > 0) {
    throw rsErrors.invalidParameter('ResourceArns', 'Name shared images through Resources; ResourceArns are not emulated.');
  }
  const numbers = entryNumbers(params, 'Resources');
  if (numbers.length > MAX_ENTRIES_PER_CALL) throw rsErrors.tooLong('Resources', MAX_ENTRIES_PER_CALL);
  const ids: string[] = [];
  for (const n of numbers) {
    const type = params[`Resources.${n}.ResourceType`] ?? '';
    const id = params[`Resources.${n}.ResourceId`] ?? '';
    if (type === '' || id === '') throw rsErrors.invalidParameter('Resources', 'ResourceType and ResourceId must be given in pairs.');
    if (type !== IMAGE_RESOURCE_TYPE) throw rsErrors.invalidParameter('ResourceType', `Unsupported resource type ${type}.`);
    if (ids.includes(id)) throw rsErrors.duplicate('Resources', id);
    ids.push(id);
  }
  return ids;
}

/** `Tag.N.Key` / `Tag.N.Value`, at most twenty. */
export function readTags(params: Record<string, string>): Array<{ key: string; value: string }> {
  const numbers = entryNumbers(params, 'Tag');
  if (numbers.length > MAX_TAGS) throw rsErrors.tooLong('Tag', MAX_TAGS);
  return numbers.map((n) => {
    const key = params[`Tag.${n}.Key`] ?? '';
    if (key === '' || key.length > 128) throw rsErrors.invalidParameter('Tag', `Tag.${n}.Key must be 1 to 128 characters.`);
    const value = params[`Tag.${n}.Value`] ?? '';
    if (value.length > 128) throw rsErrors.invalidParameter('Tag', `Tag.${n}.Value must be at most 128 characters.`);
    return { key, value };
  });
}

export const readFlag = (params: Record<string, string>, name: string): boolean | undefined => readBoolean(params, name, rsErrors.invalidParameter);

/** An optional value from a closed set; `required` makes its absence MissingParameter.<name>. */
export function readChoice<T extends string>(params: Record<string, string>, name: string, choices: readonly T[], required: true): T;
export function readChoice<T extends string>(params: Record<string, string>, name: string, choices: readonly T[], required?: false): T | undefined;
export function readChoice<T extends string>(params: Record<string, string>, name: string, choices: readonly T[], required = false): T | undefined {
  const value = params[name];
  if (value === undefined || value === '') {
    if (required) throw rsErrors.missingParameter(name);
    return undefined;
  }
  if (!(choices as readonly string[]).includes(value)) throw rsErrors.invalidParameter(name, `Expected one of ${choices.join(', ')}.`);
  return value as T;
}

export const RESOURCE_OWNERS = ['Self', 'OtherAccounts'] as const;
export type ResourceOwner = (typeof RESOURCE_OWNERS)[number];

/**
 * One page of `items` (ordered by `sequence`) after the entry the NextToken names. The token also
 * fingerprints the query, so a token cannot continue another query; it is returned while more remain.
 */
export function pageOf<T extends { sequence: number }>(
  items: readonly T[],
  context: OperationContext,
  action: string,
): { page: T[]; nextToken?: string } {
  const { params } = context;
  const raw = params['MaxResults'];
  let maxResults = MAX_RESULTS.fallback;
  if (raw !== undefined && raw !== '') {
    if (!/^\d+$/.test(raw) || Number(raw) < MAX_RESULTS.min || Number(raw) > MAX_RESULTS.max) {
      throw rsErrors.invalidParameter('MaxResults', `Expected a value from ${MAX_RESULTS.min} to ${MAX_RESULTS.max}.`);
    }
    maxResults = Number(raw);
  }
  const query = Object.entries(params)
    .filter(([key]) => key !== 'NextToken' && key !== 'MaxResults')
    .sort(([a], [b]) => a.localeCompare(b));
  const fingerprint = createHash('sha256').update(JSON.stringify([action, context.accountId, query])).digest('hex').slice(0, 16);
  let after = 0;
  const token = params['NextToken'];
  if (token !== undefined && token !== '') {
    if (token.length > MAX_NEXT_TOKEN_LENGTH) throw rsErrors.tooLong('NextToken', MAX_NEXT_TOKEN_LENGTH);
    const match = /^(\d{1,15})\.([0-9a-f]{16})$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!match || match[2] !== fingerprint) throw rsErrors.invalidNextToken();
    after = Number(match[1]);
  }
  const rest = items.filter((item) => item.sequence > after);
  const page = rest.slice(0, maxResults);
  const last = page[page.length - 1];
  if (rest.length <= maxResults || !last) return { page };
  return { page, nextToken: Buffer.from(`${last.sequence}.${fingerprint}`, 'utf8').toString('base64url') };
}
