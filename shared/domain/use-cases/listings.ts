// The paged listings and single reads of describe: managed images, requests, an image's audit trail,
// reconcile runs, event deliveries that failed or are being retried (one request: checks.ts getRequestOrThrow).
import { GovernorError } from '../errors.js';
import type { AuditEvent, DeliveryStatus, DeliveryView, ImageRecord, Page, ReconcileRun, RequestStatus, ShareRequest, SinkName } from '../model.js';
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
