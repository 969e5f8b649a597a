// The contract every operation file implements; the server decodes the request with
// `requestType`, calls `handle` (synchronously: no await between a row's check and its write)
// and encodes the result with `responseType`.
import type { Store } from './store.js';

export interface OperationContext {
  store: Store;
  nowMs(): number;
}

export interface Operation {
  readonly name: string;
  readonly requestType: string;
  readonly responseType: string;
  /** the table a request addresses, for the call log (first table of a batch) */
  tableOf(request: any): string | undefined;
  handle(request: any, ctx: OperationContext): object;
}
