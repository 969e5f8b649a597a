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
  /** table operations (create, update, delete) count toward the instance's table-operation rate */
  readonly changesTables?: boolean;
  /** the table a request addresses, for the call log (first table of a batch) */
  tableOf(request: any): string | undefined;
  /** every table a data request addresses (for the table-readiness window) */
  tablesOf?(request: any): string[];
  handle(request: any, ctx: OperationContext): object;
}
