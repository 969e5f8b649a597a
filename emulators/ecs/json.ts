/**
 * JSON writing with one twist: ECS sends some 64-bit ids (e.g. ImageOwnerId) as bare JSON numbers.
 * JavaScript numbers cannot hold every 16-digit id, so such values are carried as digit strings and
 * written verbatim as numbers, exactly as the service does; the client decides how to parse them.
 */
import { randomBytes } from 'node:crypto';

// A per-process marker, so that no string value (a tag, a name) can pass for an integer.
const MARKER = `int-${randomBytes(8).toString('hex')}`;
const MARKED = new RegExp(`"${MARKER}:(\\d+)"`, 'g');

export class JsonInteger {
  readonly digits: string;
  constructor(digits: string) {
    // JSON forbids leading zeros; ECS ids written as numbers lose them too.
    this.digits = digits.replace(/^0+(?=\d)/, '');
  }
  toJSON(): string {
    return `${MARKER}:${this.digits}`;
  }
}

export function writeJson(value: unknown): string {
  return JSON.stringify(value).replace(MARKED, '$1');
}
