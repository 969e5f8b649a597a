// Input checks of the use cases. The HTTP layer validates shapes with ajv first; these checks apply
// the same rules (limits.ts) so that every caller (HTTP, reconciler, tests) gets the same answers.
import { directoryTargetKind } from './directory.js';
import { GovernorError } from './errors.js';
import { ACCOUNT_IDS_PER_REQUEST, DIRECTORY_TARGETS_PER_REQUEST, TARGETS_PER_REQUEST, TEXT_LIMITS, textProblem, type TextField } from './limits.js';
import { ACCOUNT_ID_PATTERN, IMAGE_ID_PATTERN, type ShareTarget } from './model.js';

export interface FieldError {
  /** JSON pointer into the request body or path parameters, e.g. `/accountIds/2`. */
  readonly path: string;
  readonly message: string;
}

const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);
const IMAGE_ID = new RegExp(IMAGE_ID_PATTERN);
/** RFC 3339 date-time with an explicit offset (Z or ±hh:mm). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export class FieldErrors {
  readonly errors: FieldError[] = [];
  add(path: string, message: string): void {
    this.errors.push({ path, message });
  }
  /** ValidationFailed with `errors` as a detail field, if anything was added. */
  throwIfAny(): void {
    if (this.errors.length === 0) return;
    const first = this.errors[0] as FieldError;
    throw new GovernorError('ValidationFailed', `${first.path || '/'}: ${first.message}`, { details: { errors: this.errors } });
  }
}

export function checkImageRef(errors: FieldErrors, regionId: unknown, imageId: unknown): void {
  if (typeof regionId !== 'string' || regionId.length === 0) errors.add('/regionId', 'must be a non-empty string');
  if (typeof imageId !== 'string' || !IMAGE_ID.test(imageId)) errors.add('/imageId', `must match ${IMAGE_ID_PATTERN}`);
}

/** One list of targets: an array within its bounds, each item well-formed, none twice. */
function checkTargetList(
  errors: FieldErrors,
  field: string,
  values: unknown,
  rule: { min: number; max: number; what: string; wellFormed: (value: string) => boolean; shape: string },
): string[] {
  if (values === undefined) return [];
  if (!Array.isArray(values)) {
    errors.add(`/${field}`, `must be an array of ${rule.what}s`);
    return [];
  }
  if (values.length < rule.min || values.length > rule.max) errors.add(`/${field}`, `must hold ${rule.min} to ${rule.max} ${rule.what}s`);
  const seen = new Set<string>();
  values.forEach((value: unknown, i) => {
    if (typeof value !== 'string' || !rule.wellFormed(value)) {
      errors.add(`/${field}/${i}`, `must be ${rule.shape}`);
    } else if (seen.has(value)) {
      errors.add(`/${field}/${i}`, `duplicate ${rule.what} ${value}`);
    } else {
      seen.add(value);
    }
  });
  return [...seen];
}

export function checkAccountIds(errors: FieldErrors, accountIds: unknown): string[] {
  return checkTargetList(errors, 'accountIds', accountIds, {
    ...ACCOUNT_IDS_PER_REQUEST,
    what: 'account id',
    wellFormed: (id) => ACCOUNT_ID.test(id),
    shape: 'a 16-digit account id string',
  });
}

export function checkDirectoryTargets(errors: FieldErrors, targets: unknown): string[] {
  return checkTargetList(errors, 'directoryTargets', targets, {
    ...DIRECTORY_TARGETS_PER_REQUEST,
    what: 'directory target',
    wellFormed: (target) => directoryTargetKind(target) !== undefined,
    shape: 'a directory id (rd-…), a folder id (fd-…) or a 16-digit member account id',
  });
}

/**
 * `accountIds` and/or `directoryTargets` of a share or unshare request: each list within its limits,
 * and at least one target in all. Returns the well-formed targets, account channel first.
 */
export function checkTargets(errors: FieldErrors, body: { accountIds?: unknown; directoryTargets?: unknown }): ShareTarget[] {
  const accounts = checkAccountIds(errors, body.accountIds);
  const directory = checkDirectoryTargets(errors, body.directoryTargets);
  const named = (Array.isArray(body.accountIds) ? body.accountIds.length : 0) + (Array.isArray(body.directoryTargets) ? body.directoryTargets.length : 0);
  if (named < TARGETS_PER_REQUEST.min) errors.add('/accountIds', 'name at least one account id here or one target in directoryTargets');
  return [...accounts.map((target) => ({ channel: 'account' as const, target })), ...directory.map((target) => ({ channel: 'directory' as const, target }))];
}

/** A free-text field (`/<field>`): a string within its limit, not blank, well-formed Unicode. */
export function checkText(errors: FieldErrors, field: TextField, value: unknown, opts: { required: boolean }): void {
  if (value === undefined && !opts.required) return;
  const problem = typeof value === 'string' ? textProblem(value, TEXT_LIMITS[field]) : 'must be string';
  if (problem) errors.add(`/${field}`, problem);
}

/** Parses an RFC 3339 date-time; NaN when it is not one (Date.parse alone rolls 02-30 over to March). */
export function parseDateTime(value: string): number {
  if (!DATE_TIME.test(value)) return Number.NaN;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return Number.NaN;
  return Date.parse(value);
}
