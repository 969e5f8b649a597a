/** What the emulated operation receives, and the shape of what it answers. */
import type { FaultInjector } from '../faults.js';
import type { EventBridgeStore } from '../store.js';

export interface OperationContext {
  /** The account the AccessKey belongs to: the owner of every bus. */
  accountId: string;
  /** The request body, parsed as JSON, not yet checked. */
  body: unknown;
  /** Its size as received. */
  bodyBytes: number;
  store: EventBridgeStore;
  faults: FaultInjector;
  now: () => Date;
}

/** The answer without RequestId (the server adds it), plus what the call log records. */
export interface OperationResult {
  body: Record<string, unknown>;
  entries: number;
  failed: number;
}

export interface Operation {
  readonly name: string;
  /** The media type the request body must have (parameters such as charset aside). */
  readonly contentType: string;
  run(context: OperationContext): Promise<OperationResult>;
}
