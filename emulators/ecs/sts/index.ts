/** The allow-list of emulated STS actions (version 2015-04-01). */
import type { Operation } from '../operation.js';
import { assumeRole } from './assume-role.js';

export const STS_API_VERSION = '2015-04-01';

export const STS_OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([['AssumeRole', assumeRole]]);
