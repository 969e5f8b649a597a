// The governance use cases behind the HTTP API v1, composed into one Governor. Roles are checked by
// the HTTP route table; the core enforces everything else (separation of duties, policy, quota,
// lifecycle, write-ahead intents). Each use case lives in use-cases/, sharing its checks through
// use-cases/checks.ts; this file wires them and translates store outcomes at the boundary.
import { GovernorError, StoreError } from './errors.js';
import type {
  AuditEvent,
  DeletionStatus,
  DeliveryStatus,
  DeliveryView,
  Finding,
  FindingKind,
  ImageRecord,
  Page,
  ReconcileRun,
  RequestStatus,
  Share,
  ShareRequest,
  SinkName,
} from './model.js';
import type { Ctx, DomainDeps, GovernorDeps } from './context.js';
import { resolveDeps } from './context.js';
import { storeFailure } from './util.js';
import { approve, reject } from './use-cases/approve.js';
import { cancelDeletion, deletionStatus, requestDeletion, type DeletionOutcome } from './use-cases/deletion.js';
import { describeImage, type ImageDescription } from './use-cases/describe.js';
import { getRequestOrThrow } from './use-cases/checks.js';
import { getRun, listDeliveries, listEvents, listImages, listPosture, listRequests, listRunFindings, listRuns } from './use-cases/listings.js';
import { requestShare, type ShareInput, type ShareOutcome } from './use-cases/share.js';
import { unshare, type UnshareInput, type UnshareOutcome } from './use-cases/unshare.js';

export type { Ctx, GovernorDeps } from './context.js';
export type { Drift } from './drift.js';
export type { DeletionOutcome } from './use-cases/deletion.js';
export type { ImageDescription, ImageView } from './use-cases/describe.js';
export { requestIdFor, type ShareInput, type ShareOutcome } from './use-cases/share.js';
export { UNSHARE_WARNING, type UnshareInput, type UnshareOutcome } from './use-cases/unshare.js';

export interface Governor {
  requestShare(ctx: Ctx, input: ShareInput, opts?: { requestKey?: string }): Promise<ShareOutcome>;
  approve(ctx: Ctx, requestId: string, input: { comment?: string }): Promise<{ request: ShareRequest; shares: Share[] }>;
  reject(ctx: Ctx, requestId: string, input: { comment: string }): Promise<{ request: ShareRequest }>;
  unshare(ctx: Ctx, input: UnshareInput): Promise<UnshareOutcome>;
  describeImage(ctx: Ctx, regionId: string, imageId: string, opts: { live: boolean }): Promise<ImageDescription>;
  listImages(ctx: Ctx, q: { regionId?: string; limit: number; cursor?: string }): Promise<Page<ImageRecord>>;
  listRequests(ctx: Ctx, q: { status?: RequestStatus; limit: number; cursor?: string }): Promise<Page<ShareRequest>>;
  /** RequestNotFound */
  getRequest(ctx: Ctx, requestId: string): Promise<ShareRequest>;
  listEvents(ctx: Ctx, regionId: string, imageId: string, q: { limit: number; cursor?: string }): Promise<Page<AuditEvent>>;
  requestDeletion(
    ctx: Ctx,
    regionId: string,
    imageId: string,
    input: { mode: 'guard' | 'drain'; reason: string; force?: boolean },
  ): Promise<DeletionOutcome>;
  deletionStatus(ctx: Ctx, regionId: string, imageId: string): Promise<{ status: DeletionStatus; remaining: number; lastError?: string }>;
  cancelDeletion(ctx: Ctx, regionId: string, imageId: string): Promise<{ status: 'cancelled'; remaining: number }>;
  listRuns(ctx: Ctx, q: { limit: number; cursor?: string }): Promise<Page<ReconcileRun>>;
  /** RunNotFound */
  getRun(ctx: Ctx, runId: string): Promise<ReconcileRun>;
  /** RunNotFound */
  listRunFindings(ctx: Ctx, runId: string, q: { kind?: FindingKind; limit: number; cursor?: string }): Promise<Page<Finding>>;
  /** The open findings of each managed region's latest completed sweep. */
  listFindings(ctx: Ctx, q: { regionId?: string; kind?: FindingKind; limit: number; cursor?: string }): Promise<Page<Finding>>;
  listDeliveries(
    ctx: Ctx,
    q: { status: Exclude<DeliveryStatus, 'delivered'>; sink?: SinkName; limit: number; cursor?: string },
  ): Promise<Page<DeliveryView>>;
}

/** Every use case leaves through here: store outcomes become the one error taxonomy. */
async function boundary<T>(deps: DomainDeps, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (!(e instanceof StoreError)) throw e;
    if (e.kind === 'ConditionFailed') throw new GovernorError('ConcurrentModification', undefined, { cause: e });
    const mapped = storeFailure(e);
    if (mapped !== e) throw mapped;
    deps.logger.error({ msg: 'unexpected store outcome', kind: e.kind, error: e.message });
    throw new GovernorError('Internal', undefined, { cause: e });
  }
}

export function createGovernor(input: GovernorDeps): Governor {
  const deps: DomainDeps = resolveDeps(input);
  const run = <T>(fn: () => Promise<T>): Promise<T> => boundary(deps, fn);
  return {
    requestShare: (ctx, body, opts) => run(() => requestShare(deps, ctx, body, opts)),
    approve: (ctx, requestId, body) => run(() => approve(deps, ctx, requestId, body)),
    reject: (ctx, requestId, body) => run(() => reject(deps, ctx, requestId, body)),
    unshare: (ctx, body) => run(() => unshare(deps, ctx, body)),
    describeImage: (_ctx, regionId, imageId, opts) => run(() => describeImage(deps, regionId, imageId, opts)),
    listImages: (_ctx, q) => run(() => listImages(deps, q)),
    listRequests: (_ctx, q) => run(() => listRequests(deps, q)),
    getRequest: (_ctx, requestId) => run(() => getRequestOrThrow(deps, requestId)),
    listEvents: (_ctx, regionId, imageId, q) => run(() => listEvents(deps, regionId, imageId, q)),
    requestDeletion: (ctx, regionId, imageId, body) => run(() => requestDeletion(deps, ctx, regionId, imageId, body)),
    deletionStatus: (_ctx, regionId, imageId) => run(() => deletionStatus(deps, regionId, imageId)),
    cancelDeletion: (ctx, regionId, imageId) => run(() => cancelDeletion(deps, ctx, regionId, imageId)),
    listRuns: (_ctx, q) => run(() => listRuns(deps, q)),
    getRun: (_ctx, runId) => run(() => getRun(deps, runId)),
    listRunFindings: (_ctx, runId, q) => run(() => listRunFindings(deps, runId, q)),
    listFindings: (_ctx, q) => run(() => listPosture(deps, q)),
    listDeliveries: (_ctx, q) => run(() => listDeliveries(deps, q)),
  };
}
