// The governance use cases behind the HTTP API v1. Roles are checked by the HTTP route table; this
// core enforces everything else (separation of duties, policy, quota, lifecycle, write-ahead intents).
import type {
  AccountId,
  AuditEvent,
  DeletionStatus,
  Deletion,
  EcsImageKind,
  EcsImageStatus,
  ImageLifecycle,
  ImageRecord,
  Page,
  ReconcileRun,
  RequestStatus,
  Share,
  ShareRequest,
} from './model.js';
import type { Ctx, GovernorDeps } from './context.js';

export type { Ctx, GovernorDeps } from './context.js';

export interface ShareInput {
  readonly regionId: string;
  readonly imageId: string;
  readonly accountIds: readonly AccountId[];
  readonly reason: string;
  readonly ticket?: string;
  /** ISO-8601 date-time; absent = policy default (or never). */
  readonly expiresAt?: string;
  readonly attestation: { readonly sensitiveDataRemoved: boolean };
}

export interface UnshareInput {
  readonly regionId: string;
  readonly imageId: string;
  readonly accountIds: readonly AccountId[];
  readonly reason: string;
}

export type ShareOutcome =
  | { readonly outcome: 'pending'; readonly request: ShareRequest }
  | { readonly outcome: 'applied'; readonly request: ShareRequest; readonly shares: Share[] };

/** A difference between the stored state and ECS. */
export interface Drift {
  /**
   * unmanaged: ECS lists the account, the store has no active/applying share for it;
   * missing: the store says active, ECS does not list the account;
   * public: the image is a community image while policy forbids public images.
   */
  readonly kind: 'unmanaged' | 'missing' | 'public';
  readonly accountId?: AccountId;
}

/** What describe reports about one image: the stored record (if managed) joined with ECS (if live). */
export interface ImageView {
  readonly regionId: string;
  readonly imageId: string;
  readonly imageName?: string;
  /** False when the store has no record (the image was never shared or deleted through the service). */
  readonly managed: boolean;
  /** 'active' for an unmanaged image. */
  readonly lifecycle: ImageLifecycle;
  readonly deletion: Deletion;
  /** What ECS says now; null when live=false or ECS no longer knows the image. */
  readonly ecs: {
    readonly status: EcsImageStatus;
    readonly kind: EcsImageKind;
    readonly isPublic: boolean;
    readonly tags: Readonly<Record<string, string>>;
  } | null;
  readonly createdAt?: string;
  readonly updatedAt?: string;
}

export interface ImageDescription {
  readonly image: ImageView;
  readonly quota: { readonly limit: number; readonly used: number };
  /** Stored shares that are not terminal (pending, approved, applying, active, revoking), account order. */
  readonly shares: Share[];
  readonly drift: Drift[];
  /** ECS says the image is a community image; null when live=false. */
  readonly public: boolean | null;
  readonly pendingRequests: ShareRequest[];
}

export type DeletionOutcome = { readonly status: 'deleted' } | { readonly status: 'draining'; readonly remaining: number };

export interface Governor {
  requestShare(ctx: Ctx, input: ShareInput, opts?: { requestKey?: string }): Promise<ShareOutcome>;
  approve(ctx: Ctx, requestId: string, input: { comment?: string }): Promise<{ request: ShareRequest; shares: Share[] }>;
  reject(ctx: Ctx, requestId: string, input: { comment: string }): Promise<{ request: ShareRequest }>;
  unshare(ctx: Ctx, input: UnshareInput): Promise<{ shares: Share[]; notShared: AccountId[]; warning: string }>;
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
}

/** The warning every unshare response carries (the seed document's consequence of unsharing). */
export const UNSHARE_WARNING =
  'Instances that these accounts created from the image can no longer re-initialize their system disks.';

export function createGovernor(deps: GovernorDeps): Governor {
  void deps;
  const notImplemented = (): never => {
    throw new Error('not implemented');
  };
  return {
    requestShare: async () => notImplemented(),
    approve: async () => notImplemented(),
    reject: async () => notImplemented(),
    unshare: async () => notImplemented(),
    describeImage: async () => notImplemented(),
    listImages: async () => notImplemented(),
    listRequests: async () => notImplemented(),
    getRequest: async () => notImplemented(),
    listEvents: async () => notImplemented(),
    requestDeletion: async () => notImplemented(),
    deletionStatus: async () => notImplemented(),
    cancelDeletion: async () => notImplemented(),
    listRuns: async () => notImplemented(),
    getRun: async () => notImplemented(),
  };
}
