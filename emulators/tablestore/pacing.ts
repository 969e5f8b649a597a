// Opt-in service pacing the real instance imposes and tests sometimes need to see: a cap on table
// operations per second (OTSQuotaExhausted "Too frequent table operations.") and a short window
// after CreateTable in which the new table answers OTSTableNotReady. Both are off by default.
import { OtsError } from './errors.js';
import type { Operation } from './operation.js';

export interface PacingOptions {
  /** table operations (CreateTable, UpdateTable, DeleteTable) allowed per second; unlimited when absent */
  tableOperationsPerSecond?: number;
  /** a created table refuses data operations for this long; 0 when absent */
  tableReadyAfterMs?: number;
}

export class Pacing {
  private recentTableOps: number[] = [];
  private readyAt = new Map<string, number>();

  constructor(
    private readonly opts: PacingOptions,
    private readonly nowMs: () => number,
  ) {}

  /** Throws when the service would refuse the request for pacing reasons. */
  admit(op: Operation, request: unknown, table: string | null): void {
    const now = this.nowMs();
    const limit = this.opts.tableOperationsPerSecond;
    if (op.changesTables && limit !== undefined) {
      this.recentTableOps = this.recentTableOps.filter((t) => t > now - 1000);
      if (this.recentTableOps.length >= limit) {
        throw new OtsError('OTSQuotaExhausted', 'Too frequent table operations.', 403);
      }
      this.recentTableOps.push(now);
    }
    if (!op.changesTables && this.readyAt.size > 0) {
      const names = op.tablesOf ? op.tablesOf(request) : table ? [table] : [];
      for (const name of names) {
        const at = this.readyAt.get(name);
        if (at !== undefined && now < at) throw new OtsError('OTSTableNotReady', 'The table is not ready.', 404);
      }
    }
  }

  /** Called after a successful operation. */
  settled(op: Operation, table: string | null): void {
    const delay = this.opts.tableReadyAfterMs ?? 0;
    if (op.name === 'CreateTable' && table && delay > 0) this.readyAt.set(table, this.nowMs() + delay);
    if (op.name === 'DeleteTable' && table) this.readyAt.delete(table);
  }

  reset(): void {
    this.recentTableOps = [];
    this.readyAt.clear();
  }
}
