// Input checks of the use cases. The HTTP layer validates shapes with ajv first; these checks apply
// the same rules (limits.ts) so that every caller (HTTP, reconciler, tests) gets the same answers.
import { GovernorError } from './errors.js';
import { ACCOUNT_IDS_PER_REQUEST, TEXT_LIMITS, textProblem, type TextField } from './limits.js';
import { ACCOUNT_ID_PATTERN, IMAGE_ID_PATTERN } from './model.js';

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

export function checkAccountIds(errors: FieldErrors, accountIds: unknown): void {
  if (!Array.isArray(accountIds)) {
    errors.add('/accountIds', 'must be an array of account ids');
    return;
  }
  const { min, max } = ACCOUNT_IDS_PER_REQUEST;
  if (accountIds.length < min || accountIds.length > max) errors.add('/accountIds', `must hold ${min} to ${max} account ids`);
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
