// The rules of every field a caller sends, declared once. The published request schemas
// (shared/http/schemas.ts) and the domain's own checks (validate.ts) both derive from these, so a
// value the contract accepts is never refused later by a stricter copy, nor the other way round.
import { ECS_SHARE_LIMIT } from './model.js';

/** Free-text fields and their longest value, in characters (Unicode code points, as JSON Schema counts). */
export const TEXT_LIMITS = {
  reason: 1024,
  ticket: 128,
  comment: 1024,
} as const;

export type TextField = keyof typeof TEXT_LIMITS;

/**
 * The most directory targets one image may hold (MAX_DIRECTORY_TARGETS_PER_IMAGE may set fewer).
 * Resource Sharing publishes no quota; each target may reach a whole folder of accounts, and a review
 * of who can launch the image must stay possible, so the service sets its own ceiling.
 */
export const DIRECTORY_TARGET_CEILING = 50;

/**
 * What one share or unshare request names: up to what ECS lets one image have of accounts, up to
 * the ceiling of directory targets, and at least one target on either list (TARGETS_PER_REQUEST).
 */
export const ACCOUNT_IDS_PER_REQUEST = { min: 0, max: ECS_SHARE_LIMIT } as const;
export const DIRECTORY_TARGETS_PER_REQUEST = { min: 0, max: DIRECTORY_TARGET_CEILING } as const;
export const TARGETS_PER_REQUEST = { min: 1 } as const;

/** Items per page of every listing. */
export const PAGE_SIZE = { min: 1, max: 100, default: 50 } as const;

/** Rows a CSV listing answers at most when the caller names no limit; a `Link: rel="next"` cursor goes on. */
export const CSV_EXPORT_ROWS = 10_000;

/** A text field holds more than whitespace (JSON Schema `pattern`, matched anywhere in the value). */
export const NOT_BLANK_PATTERN = '\\S';
export const NOT_BLANK_MESSAGE = 'must contain a non-whitespace character';

/**
 * A lone surrogate cannot be stored as sent (Tablestore keeps UTF-8, which replaces it with U+FFFD):
 * such text is refused rather than acknowledged as one value and stored as another.
 */
export const WELL_FORMED_MESSAGE = 'must be well-formed Unicode (no lone surrogates)';

/** The length JSON Schema's maxLength measures: code points, so "😀" counts once, not twice. */
export const textLength = (value: string): number => {
  let n = 0;
  for (const _ of value) n += 1;
  return n;
};

/** The message for a text value that breaks a rule above, or null when it keeps them all. */
export function textProblem(value: string, max: number): string | null {
  if (!value.isWellFormed()) return WELL_FORMED_MESSAGE;
  if (!new RegExp(NOT_BLANK_PATTERN, 'u').test(value)) return NOT_BLANK_MESSAGE;
  if (textLength(value) > max) return `must NOT have more than ${max} characters`;
  return null;
}
