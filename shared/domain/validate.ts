// Input checks of the use cases. The HTTP layer validates shapes with ajv first; these checks repeat
// what the domain relies on so that every caller (HTTP, reconciler, tests) gets the same answers.
import { GovernorError } from './errors.js';
import { ACCOUNT_ID_PATTERN, ECS_SHARE_LIMIT, IMAGE_ID_PATTERN } from './model.js';

export interface FieldError {
  /** JSON pointer into the request body or path parameters, e.g. `/accountIds/2`. */
  readonly path: string;
  readonly message: string;
}

const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);
const IMAGE_ID = new RegExp(IMAGE_ID_PATTERN);
/** RFC 3339 date-time with an explicit offset (Z or ±hh:mm). */
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

export const MAX_REASON_LENGTH = 1000;
export const MAX_TICKET_LENGTH = 200;
export const MAX_COMMENT_LENGTH = 2000;

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

export function checkAccountIds(errors: FieldErrors, accountIds: unknown): void {
  if (!Array.isArray(accountIds)) {
    errors.add('/accountIds', 'must be an array of account ids');
    return;
  }
  if (accountIds.length < 1 || accountIds.length > ECS_SHARE_LIMIT) {
    errors.add('/accountIds', `must hold 1 to ${ECS_SHARE_LIMIT} account ids`);
  }
  const seen = new Set<string>();
  accountIds.forEach((id: unknown, i) => {
    if (typeof id !== 'string' || !ACCOUNT_ID.test(id)) {
      errors.add(`/accountIds/${i}`, 'must be a 16-digit account id string');
    } else if (seen.has(id)) {
      errors.add(`/accountIds/${i}`, `duplicate account id ${id}`);
    } else {
      seen.add(id);
    }
  });
}

export function checkText(errors: FieldErrors, path: string, value: unknown, opts: { required: boolean; max: number }): void {
  if (value === undefined && !opts.required) return;
  if (typeof value !== 'string' || value.trim().length === 0) {
    errors.add(path, 'must be a non-empty string');
  } else if (value.length > opts.max) {
    errors.add(path, `must be at most ${opts.max} characters`);
  }
}

/** Parses an RFC 3339 date-time; NaN when it is not one (Date.parse alone rolls 02-30 over to March). */
export function parseDateTime(value: string): number {
  if (!DATE_TIME.test(value)) return Number.NaN;
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const daysInMonth = new Date(Date.UTC(year, month, 0)).getUTCDate();
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth) return Number.NaN;
  return Date.parse(value);
}
