// How a port contract reads an outcome: the GovernorError code a call was refused with, or 'resolved'.
import { GovernorError } from '../../shared/domain/errors.js';

export async function refusal(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GovernorError) return e.code;
    throw e;
  }
  return 'resolved';
}
