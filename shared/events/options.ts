// What both sinks check in their options the same way.
import { ConfigError } from '../config.js';

/** Every sink timeout, in milliseconds: long enough for a slow TLS handshake, short enough to bound a dispatcher pass. */
export const TIMEOUT_LIMITS = { min: 100, max: 120_000 } as const;

/** `value` (or `fallback` when unset) as a timeout within TIMEOUT_LIMITS; a ConfigError naming `variable` otherwise. */
export function checkedTimeout(variable: string, value: number | undefined, fallback: number): number {
  const ms = value ?? fallback;
  if (!Number.isInteger(ms) || ms < TIMEOUT_LIMITS.min || ms > TIMEOUT_LIMITS.max) {
    throw new ConfigError(variable, `must be an integer from ${TIMEOUT_LIMITS.min} to ${TIMEOUT_LIMITS.max} milliseconds`);
  }
  return ms;
}
