// How a reconcile run records what it finds, and what becomes of it:
//   noteFinding / noteFindings  the one call reconcile code makes for every difference it finds,
//                               with the repair enforce mode makes (the action is what it did)
//   saveFindings                stores what the run recorded since its last save, before its record
//   carryOver                   an image the run could not check keeps its open findings
//   advancePosture              a completed region sweep becomes the region's posture
import { errorCode } from '../errors.js';
import type { DomainDeps } from '../context.js';
import type { AccountId, Finding, FindingAction, PosturePointer, ReconcileRun, ShareChannel, ShareRequest, StoredFinding } from '../model.js';
import { FINDING_ACTIONS, FINDING_SUBJECTS, OPEN_FINDING_ACTIONS, findingCount, findingKey, isOpenFinding } from '../model.js';
import type { StorePort } from '../ports.js';
import type { ReconcileEnv } from './image.js';
import type { RunTally } from './tally.js';

/** A finding as reconcile code names it: the action and the time are filled in when it is recorded. */
export type FindingInput = Omit<Finding, 'action' | 'at'>;

type Subject = Pick<Finding, 'regionId' | 'imageId' | 'channel' | 'target'> & { readonly accountId?: AccountId };

/** A finding about one target's share; on the account channel the target is the account, named as `accountId` too. */
export const shareSubject = (regionId: string, imageId: string, target: string, channel: ShareChannel = 'account'): Subject => ({
  regionId,
  imageId,
  channel,
  target,
  ...(channel === 'account' ? { accountId: target } : {}),
});

/** A finding about the image itself: its target is the image. */
export const imageSubject = (regionId: string, imageId: string): Subject => ({ regionId, imageId, channel: 'account', target: imageId });

/** A finding about a share request: its target is the request. */
export const requestSubject = (request: ShareRequest): Subject => ({
  regionId: request.regionId,
  imageId: request.imageId,
  channel: 'account',
  target: request.requestId,
});

/** Field order as the API and the CSV show it. */
function finding(input: FindingInput, action: FindingAction, at: string, detail = input.detail): Finding {
  return {
    kind: input.kind,
    regionId: input.regionId,
    imageId: input.imageId,
    channel: input.channel,
    target: input.target,
    ...(input.accountId !== undefined ? { accountId: input.accountId } : {}),
    detail,
    action,
    at,
  };
}

/**
 * Records one finding of the run. `act` repairs it and says what it did; it runs in enforce mode
 * only (pass none when the policy only reports). A repair that throws leaves the finding recorded
 * with action `none` and the error code in its detail; the error goes on to the caller, which
 * records it in the run's errors.
 */
export async function noteFinding(env: ReconcileEnv, input: FindingInput, act?: () => Promise<FindingAction>): Promise<void> {
  await noteFindings(env, [input], act && (async (acted) => acted(input.target, await act())));
}

/**
 * Records findings repaired together (several accounts of one image in one ECS call): `act` names
 * each target's action through `acted` as it goes, so a repair that throws halfway keeps the actions
 * it did take; the others are recorded as for noteFinding.
 */
export async function noteFindings(
  env: ReconcileEnv,
  inputs: readonly FindingInput[],
  act?: (acted: (target: string, action: FindingAction) => void) => Promise<void>,
): Promise<void> {
  const at = env.deps.clock.now().toISOString();
  const actions = new Map<string, FindingAction>();
  const record = (failure?: string): void => {
    for (const input of inputs) {
      const action = actions.get(input.target);
      env.tally.record(finding(input, action ?? 'none', at, action === undefined && failure ? `${input.detail} (repair failed: ${failure})` : input.detail));
    }
  };
  if (act && env.mode === 'enforce') {
    try {
      await act((target, action) => actions.set(target, action));
    } catch (error) {
      record(errorCode(error));
      throw error;
    }
  }
  record();
}

/**
 * Stores the findings recorded since the run's last save and folds them into its counts. Called
 * right before the run's record is written, so a record never counts a finding that is not stored
 * (and `seq` keeps those of a save the record never confirmed out of every listing). Each new finding
 * gets the next seq. One whose subject an earlier invocation of this run saved (an ECS page that
 * shifted between two invocations shows an image twice) rewrites it in its place; one carried over
 * from the posture never replaces one found afresh.
 */
export async function saveFindings(store: StorePort, runId: string, tally: RunTally): Promise<void> {
  const pending = tally.unsaved();
  if (pending.length === 0) return;
  const committed = tally.committed;
  const earlier = committed > 0 ? await store.getFindings(runId, pending.map((p) => p.finding)) : [];
  const saved = new Map(earlier.filter((f) => f.seq < committed).map((f) => [findingKey(f), f]));
  const rows: StoredFinding[] = [];
  const replaced: StoredFinding[] = [];
  let seq = committed;
  for (const { finding: f, carried } of pending) {
    const old = saved.get(findingKey(f));
    if (old && carried) continue;
    if (old) replaced.push(old);
    rows.push({ ...f, seq: old ? old.seq : seq++ });
  }
  await store.putFindings(runId, rows);
  tally.saved(rows, replaced);
}

const NOT_RECHECKED = / \(not re-checked: [^)]*\)$/;

/**
 * An image (or, with `target`, one share request) this run could not check keeps the open findings
 * the region's posture holds for it, marked as not re-checked: a failed read must not pass for a clean
 * image. A finding this run made afresh wins. An image's carried findings leave out request findings
 * (the requests phase checks those); a request's are its own only.
 */
export async function carryOver(env: ReconcileEnv, on: { regionId: string; imageId: string; target?: string }, reason: string): Promise<void> {
  const { store } = env.deps;
  const posture = await store.getPosture(on.regionId);
  if (!posture) return;
  for (const { seq, ...previous } of await store.imageFindings(posture.runId, on.regionId, on.imageId)) {
    if (seq >= posture.findings || !isOpenFinding(previous)) continue;
    const mine = on.target === undefined ? FINDING_SUBJECTS[previous.kind] !== 'request' : previous.target === on.target;
    if (!mine) continue;
    const detail = `${previous.detail.replace(NOT_RECHECKED, '')} (not re-checked: ${reason})`;
    env.tally.record({ ...previous, detail, action: 'none' }, { carried: true });
  }
}

/** Actions that leave nothing behind: the finding is closed once the run took one. */
const CLOSING_ACTIONS: ReadonlySet<string> = new Set(FINDING_ACTIONS.filter((a) => !OPEN_FINDING_ACTIONS.includes(a)));

/** How many of a run's findings are open: all but those its actions closed. */
export const openFindingCount = (run: Pick<ReconcileRun, 'findings' | 'actions'>): number =>
  findingCount(run) - Object.entries(run.actions).reduce((sum, [name, n]) => sum + (CLOSING_ACTIONS.has(name) ? n : 0), 0);

/**
 * A completed region sweep becomes its region's posture. One with nothing open after a posture with
 * nothing open (or none yet) leaves the pointer: the posture is the same, so an idle sweep writes
 * nothing for it. A run that started before the one the pointer names never takes it back.
 */
export async function advancePosture(deps: DomainDeps, run: ReconcileRun): Promise<void> {
  const regionId = run.regions[0];
  if (regionId === undefined || run.status !== 'completed' || run.finishedAt === undefined) return;
  const open = openFindingCount(run);
  const current = await deps.store.getPosture(regionId);
  if (open === 0 && (current === null || current.open === 0)) return;
  const pointer: PosturePointer = {
    regionId,
    runId: run.runId,
    startedAt: run.startedAt,
    completedAt: run.finishedAt,
    findings: findingCount(run),
    open,
  };
  if (!(await deps.store.putPosture(pointer))) {
    deps.logger.warn({ msg: 'reconcile.posture_kept', regionId, runId: run.runId, reason: 'a run that started later holds the posture' });
  }
}
