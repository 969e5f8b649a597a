/** The allow-list of emulated EventBridge APIs, by method and path: anything else is ApiNotFound. */
import type { Operation } from './context.js';
import { putEvents } from './put-events.js';

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([['POST /openapi/putEvents', putEvents]]);
