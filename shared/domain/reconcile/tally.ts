// What one reconcile run has found and done. The findings are the record: the run's `findings` and
// `actions` counts are derived from them (plus the few run-level actions below), so a report can
// never count a finding it does not name. A continuation starts from the stored run, whose counts
// are those of the findings saved so far.
import type { Finding, FindingKind, ReconcileRun, StoredFinding } from '../model.js';
import { findingKey } from '../model.js';

/** What a run records per failed image; bounded so a run row stays far below Tablestore's cell limit. */
export interface RunError {
  readonly imageId?: string;
  readonly regionId?: string;
  readonly code: string;
  readonly message: string;
}

export const MAX_RECORDED_ERRORS = 100;

/** What a run does besides acting on findings: counted in `actions` beside the findings' actions. */
export const RUN_ACTIONS = ['audit_recovered', 'fanned_out', 'continued', 'follow_up_requested'] as const;
export type RunAction = (typeof RUN_ACTIONS)[number];

/** A finding recorded since the last save; a carried one (`carried`) never replaces one found afresh. */
export interface PendingFinding {
  readonly finding: Finding;
  readonly carried: boolean;
}

type Counts = Record<string, number>;

const add = (counts: Counts, key: string, n: number): void => {
  const next = (counts[key] ?? 0) + n;
  if (next > 0) counts[key] = next;
  else delete counts[key];
};

export class RunTally {
  /** Counts of the findings saved with the run so far, by kind and by action (`none` not counted). */
  private readonly savedKinds: Counts = {};
  private readonly savedActions: Counts = {};
  private readonly runActions: Counts = {};
  /** Findings recorded since the last save, by findingKey: a later record of one subject replaces the earlier. */
  private readonly pending = new Map<string, PendingFinding>();
  readonly errors: RunError[] = [];
  /** Errors beyond MAX_RECORDED_ERRORS are counted, not stored. */
  droppedErrors = 0;
  imagesScanned = 0;

  static from(run: ReconcileRun | null): RunTally {
    const tally = new RunTally();
    if (!run) return tally;
    for (const [kind, n] of Object.entries(run.findings)) add(tally.savedKinds, kind, n ?? 0);
    for (const [name, n] of Object.entries(run.actions)) add((RUN_ACTIONS as readonly string[]).includes(name) ? tally.runActions : tally.savedActions, name, n);
    tally.errors.push(...run.errors);
    tally.imagesScanned = run.imagesScanned;
    return tally;
  }

  /** Records a finding (reconcile code calls noteFinding in findings.ts, which fills in the action and time). */
  record(finding: Finding, opts: { carried?: boolean } = {}): void {
    const key = findingKey(finding);
    if (opts.carried && this.pending.has(key)) return;
    this.pending.set(key, { finding, carried: opts.carried ?? false });
  }

  /** Whether this invocation has recorded a finding with that key. */
  has(key: string): boolean {
    return this.pending.has(key);
  }

  runAction(name: RunAction, count = 1): void {
    add(this.runActions, name, count);
  }

  error(error: RunError): void {
    if (this.errors.length < MAX_RECORDED_ERRORS) this.errors.push(error);
    else this.droppedErrors += 1;
  }

  /** Findings recorded since the last save, in the order they were first recorded. */
  unsaved(): readonly PendingFinding[] {
    return [...this.pending.values()];
  }

  /** How many findings the run has saved: the next one stored gets this seq. */
  get committed(): number {
    return Object.values(this.savedKinds).reduce((sum, n) => sum + n, 0);
  }

  /**
   * Folds findings just stored into the saved counts. `replaced` are the stored findings some of
   * them rewrote (same findingKey, saved by an earlier invocation of this run): their kind is the
   * same, their action gives way to the new one.
   */
  saved(stored: readonly StoredFinding[], replaced: readonly StoredFinding[]): void {
    for (const old of replaced) {
      add(this.savedKinds, old.kind, -1);
      if (old.action !== 'none') add(this.savedActions, old.action, -1);
    }
    for (const f of stored) {
      add(this.savedKinds, f.kind, 1);
      if (f.action !== 'none') add(this.savedActions, f.action, 1);
    }
    this.pending.clear();
  }

  /** Counts by kind: the saved findings and those recorded since. */
  get findings(): Partial<Record<FindingKind, number>> {
    const counts: Counts = { ...this.savedKinds };
    for (const { finding } of this.pending.values()) add(counts, finding.kind, 1);
    return counts;
  }

  /** Counts by action: the findings' (saved and since) and the run's own. */
  get actions(): Record<string, number> {
    const counts: Counts = { ...this.savedActions };
    for (const { finding } of this.pending.values()) if (finding.action !== 'none') add(counts, finding.action, 1);
    for (const [name, n] of Object.entries(this.runActions)) add(counts, name, n);
    return counts;
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
