// The paged listings and single reads of describe: managed images, requests, an image's audit trail,
// reconcile runs and their findings, the compliance posture, event deliveries that failed or are being
// retried (one request: checks.ts getRequestOrThrow).
import { GovernorError } from '../errors.js';
import type {
  AuditEvent,
  DeliveryStatus,
  DeliveryView,
  Finding,
  FindingKind,
  ImageRecord,
  Page,
  ReconcileRun,
  RequestStatus,
  ShareRequest,
  SinkName,
  StoredFinding,
} from '../model.js';
import { findingCount } from '../model.js';
import type { DomainDeps } from '../context.js';
import { checkManagedRegion } from '../policy.js';
import { compact } from '../util.js';
import { checkImagePath, clampLimit } from './checks.js';

export interface PageQuery {
  readonly limit: number;
  readonly cursor?: string;
}

export async function listImages(deps: DomainDeps, q: PageQuery & { regionId?: string }): Promise<Page<ImageRecord>> {
  if (q.regionId !== undefined) checkManagedRegion(deps.policy, q.regionId);
  return deps.store.listImages(compact({ regionId: q.regionId }), clampLimit(q.limit), q.cursor);
}

export async function listRequests(deps: DomainDeps, q: PageQuery & { status?: RequestStatus }): Promise<Page<ShareRequest>> {
  return deps.store.listRequests(compact({ status: q.status }), clampLimit(q.limit), q.cursor);
}

export async function listEvents(deps: DomainDeps, regionId: string, imageId: string, q: PageQuery): Promise<Page<AuditEvent>> {
  checkImagePath(deps.policy, regionId, imageId);
  return deps.store.listAudit(regionId, imageId, clampLimit(q.limit), q.cursor);
}

export async function listRuns(deps: DomainDeps, q: PageQuery): Promise<Page<ReconcileRun>> {
  return deps.store.listRuns(clampLimit(q.limit), q.cursor);
}

/** The run, or RunNotFound. */
export async function getRun(deps: DomainDeps, runId: string): Promise<ReconcileRun> {
  const run = typeof runId === 'string' && runId.length > 0 ? await deps.store.getRun(runId) : null;
  if (!run) throw new GovernorError('RunNotFound', `No reconcile run ${runId}`);
  return run;
}

/** Dead letters (`failed`) or deliveries still being retried, by sink and then outbox order. */
export async function listDeliveries(
  deps: DomainDeps,
  q: PageQuery & { status: Exclude<DeliveryStatus, 'delivered'>; sink?: SinkName },
): Promise<Page<DeliveryView>> {
  const page = await deps.store.listDeliveries(compact({ status: q.status, sink: q.sink }), clampLimit(q.limit), q.cursor);
  return { ...page, items: page.items.map(({ feedKey: _feedKey, version: _version, ...view }) => view) };
}

/** A run's findings (those its record counts), kind first; RunNotFound for an unknown run. */
export async function listRunFindings(deps: DomainDeps, runId: string, q: PageQuery & { kind?: FindingKind }): Promise<Page<Finding>> {
  const run = await getRun(deps, runId);
  const page = await deps.store.listFindings(runId, compact({ committed: findingCount(run), kind: q.kind }), clampLimit(q.limit), q.cursor);
  return withoutSeq(page);
}

/**
 * The compliance posture now: the open findings of each managed region's latest completed sweep
 * (its posture), region by region in the policy's order; `regionId` narrows to one region.
 */
export async function listPosture(deps: DomainDeps, q: PageQuery & { regionId?: string; kind?: FindingKind }): Promise<Page<Finding>> {
  if (q.regionId !== undefined) checkManagedRegion(deps.policy, q.regionId);
  const regionIds = q.regionId === undefined ? deps.policy.regions : [q.regionId];
  return withoutSeq(await deps.store.listPosture(compact({ regionIds, kind: q.kind }), clampLimit(q.limit), q.cursor));
}

/** `seq` is the store's bookkeeping (which findings a record counts), not part of a finding. */
function withoutSeq(page: Page<StoredFinding>): Page<Finding> {
  return { ...page, items: page.items.map(({ seq: _seq, ...finding }) => finding) };
}
