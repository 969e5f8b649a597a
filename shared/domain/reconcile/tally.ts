// Counts of one reconcile run: findings, actions, errors, images scanned. A continuation starts
// from the stored run so the record always shows the run's totals, not one invocation's.
import type { Finding, ReconcileRun } from '../model.js';

/** What a run records per failed image; bounded so a run row stays far below Tablestore's cell limit. */
export interface RunError {
  readonly imageId?: string;
  readonly regionId?: string;
  readonly code: string;
  readonly message: string;
}

export const MAX_RECORDED_ERRORS = 100;

export type ReconcileAction =
  | 'unpublished'
  | 'share_expired'
  | 'share_reapplied'
  | 'share_failed'
  | 'share_revoked'
  | 'intent_applied'
  | 'intent_revoked'
  | 'share_adopted'
  | 'unmanaged_revoked'
  | 'drain_progressed'
  | 'image_deleted'
  | 'image_marked_deleted'
  | 'quota_corrected'
  | 'request_expired'
  | 'request_finished'
  | 'pending_settled'
  | 'audit_recovered'
  | 'fanned_out'
  | 'continued';

export class RunTally {
  readonly findings: Partial<Record<Finding, number>> = {};
  readonly actions: Record<string, number> = {};
  readonly errors: RunError[] = [];
  /** Errors beyond MAX_RECORDED_ERRORS are counted, not stored. */
  droppedErrors = 0;
  imagesScanned = 0;

  static from(run: ReconcileRun | null): RunTally {
    const tally = new RunTally();
    if (!run) return tally;
    Object.assign(tally.findings, run.findings);
    Object.assign(tally.actions, run.actions);
    tally.errors.push(...run.errors);
    tally.imagesScanned = run.imagesScanned;
    return tally;
  }

  finding(kind: Finding, count = 1): void {
    if (count > 0) this.findings[kind] = (this.findings[kind] ?? 0) + count;
  }

  action(name: ReconcileAction, count = 1): void {
    if (count > 0) this.actions[name] = (this.actions[name] ?? 0) + count;
  }

  error(error: RunError): void {
    if (this.errors.length < MAX_RECORDED_ERRORS) this.errors.push(error);
    else this.droppedErrors += 1;
  }

  totalFindings(): number {
    return Object.values(this.findings).reduce((sum, n) => sum + (n ?? 0), 0);
  }
}

/** Adds per-API call counts. */
export function addCounts(a: Readonly<Record<string, number>>, b: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = { ...a };
  for (const [key, n] of Object.entries(b)) out[key] = (out[key] ?? 0) + n;
  return out;
}

/** b − a per key, dropping zeros (the calls made between two snapshots). */
export function diffCounts(before: Readonly<Record<string, number>>, after: Readonly<Record<string, number>>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of Object.entries(after)) {
    const d = n - (before[key] ?? 0);
    if (d > 0) out[key] = d;
  }
  return out;
}
