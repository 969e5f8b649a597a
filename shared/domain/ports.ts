// The ports the domain talks to. Adapters implement them with the real SDKs (shared/ecs,
// shared/tablestore); tests also have in-memory fakes (test/support). Nothing here knows an SDK.
import type {
  AccountId,
  AuditEvent,
  Delivery,
  DeliveryCursor,
  DeliveryStatus,
  EcsImage,
  EcsSharePermissions,
  FeedEntry,
  FindingKind,
  FindingSubject,
  IdempotencyRecord,
  ImageRecord,
  Page,
  PosturePointer,
  ReconcileRun,
  RequestFilter,
  Share,
  ShareChannel,
  ShareRequest,
  ShareTarget,
  SinkName,
  StoredFinding,
} from './model.js';

/**
 * ECS, as seen by the owner account. Every method throws GovernorError only:
 * ImageNotFound, ImageNotShareable, ImageNotAvailable, ShareQuotaExceeded, UnknownAccount,
 * CannotShareWithOwner, ImageStillShared, ImageInUse, UpstreamThrottled, UpstreamUnavailable.
 */
export interface ImagePort {
  /** One image visible to the owner account (own, system, shared to us, community); null if none. */
  getImage(regionId: string, imageId: string): Promise<EcsImage | null>;
  /** One page of the account's own images in every status (page numbers start at 1). */
  listOwnImages(
    regionId: string,
    page: { pageNumber: number; pageSize: number },
  ): Promise<{ images: EcsImage[]; totalCount: number; nextPageNumber?: number }>;
  /** Every account the image is shared with (all pages) and whether it is a community image. */
  getSharePermissions(regionId: string, imageId: string): Promise<EcsSharePermissions>;
  /** Adds the accounts (in calls of at most 10) and confirms them by reading back. */
  addShares(regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<void>;
  /** Removes the accounts (in calls of at most 10) and confirms them by reading back. */
  removeShares(regionId: string, imageId: string, accountIds: readonly AccountId[]): Promise<void>;
  /** Withdraws a community (public) image. */
  unpublish(regionId: string, imageId: string): Promise<void>;
  /** Deletes the image; `force` only overrides the in-use-by-instances check. */
  deleteImage(regionId: string, imageId: string, opts: { force: boolean }): Promise<void>;
}

/**
 * Tablestore, in domain words. Every method throws StoreError only (ConditionFailed, NotFound,
 * AlreadyExists, Busy, Unavailable) — except that a cursor the store did not issue is a client mistake:
 * GovernorError ValidationFailed. `update*(next, expectedVersion)` stores `next` with
 * `version = expectedVersion + 1` only if the stored version is still `expectedVersion`, and
 * returns what was stored.
 */
export interface StorePort {
  // ---- images: lifecycle (versioned) and quota (one atomic counter per channel, never written by updateImage) ----
  getImage(regionId: string, imageId: string): Promise<ImageRecord | null>;
  /** AlreadyExists if the image has a record. */
  createImage(record: ImageRecord): Promise<void>;
  /** Versioned write of everything except the quota counters. */
  updateImage(next: ImageRecord, expectedVersion: number): Promise<ImageRecord>;
  /**
   * Atomically adds `delta` to the channel's counter (`quotaUsed` for the account channel,
   * `directoryQuotaUsed` for the directory channel) and returns the new value. For delta > 0 the
   * write is conditional on `counter + delta <= limit` and `lifecycle = 'active'`; for delta < 0 on
   * `counter >= -delta`. ConditionFailed otherwise (then read the image to tell why). Records `now`
   * as quotaChangedAt in the same write.
   */
  adjustQuota(regionId: string, imageId: string, delta: number, limit: number, now: Date, channel: ShareChannel): Promise<number>;
  /** Sets the channel's counter from `expected` to `actual` (the reconciler's recount); ConditionFailed if it moved. */
  correctQuota(regionId: string, imageId: string, expected: number, actual: number, channel: ShareChannel): Promise<void>;
  /** Managed images, ordered by (regionId, imageId); regionId narrows to one region. */
  listImages(filter: { regionId?: string }, limit: number, cursor?: string): Promise<Page<ImageRecord>>;

  // ---- shares, one row per (region, image, channel, target); the row key is shareTargetKey (model.ts) ----
  getShare(regionId: string, imageId: string, target: ShareTarget): Promise<Share | null>;
  /** Every share row of one image, in row-key order: account channel (by account), then directory channel (by target). */
  listShares(regionId: string, imageId: string): Promise<Share[]>;
  /** Creates the row if absent or if the stored share is terminal; ConditionFailed otherwise. */
  createShare(share: Share): Promise<Share>;
  updateShare(next: Share, expectedVersion: number): Promise<Share>;

  // ---- share requests ----
  /** AlreadyExists if the id is taken. */
  createRequest(request: ShareRequest): Promise<void>;
  getRequest(requestId: string): Promise<ShareRequest | null>;
  updateRequest(next: ShareRequest, expectedVersion: number): Promise<ShareRequest>;
  /**
   * Newest first. Listings of open requests (status `pending_approval`, `approved` or `open`) read
   * only open requests: their cost does not grow with finished history. A cursor belongs to the
   * listing that issued it (open requests of one image, open requests, or every request).
   */
  listRequests(filter: RequestFilter, limit: number, cursor?: string): Promise<Page<ShareRequest>>;

  // ---- audit trail (append-only) ----
  /**
   * Appending an event again (same event id and time) rewrites it in place: retries never double it.
   * Each event also enters the outbox under `feedKey(event.at, eventId)`, in the same write.
   */
  appendAudit(events: readonly AuditEvent[]): Promise<void>;
  /** Newest first. */
  listAudit(regionId: string, imageId: string, limit: number, cursor?: string): Promise<Page<AuditEvent>>;
  /**
   * Keeps events an append could not write, durably and out of every listing, until
   * flushPendingAudit moves them. Holding an event again keeps one copy.
   */
  holdPendingAudit(events: readonly AuditEvent[]): Promise<void>;
  /**
   * Moves up to `limit` held events into the trail — each where its first append put (or would have
   * put) it, so an event whose append partly landed is not doubled — then forgets them. Each enters
   * the outbox as visible from `now` (`feedKey(now, eventId)`), so a catch-up that has passed its
   * original time still finds it. Returns how many moved; 0 when none are held. Safe to repeat and to
   * run concurrently.
   */
  flushPendingAudit(limit: number, now: Date): Promise<number>;

  // ---- outbox: the audit in time order (the feed), each event's delivery per sink, a cursor per sink ----
  /** Up to `limit` feed entries from `from` (inclusive; the start when absent), in key order. */
  readFeed(from: string | undefined, limit: number): Promise<FeedEntry[]>;
  /** The sink's deliveries with `from <= feedKey < to`, in key order (the first `limit` of them, when given). */
  readDeliveries(sink: SinkName, from: string, to: string, limit?: number): Promise<Delivery[]>;
  /**
   * Stores each delivery (one write per sink and feed key in a call) if the stored one still has
   * `expectedVersion` (0: none is stored), as version + 1. Returns the feed keys whose condition
   * failed (another writer got there first).
   */
  writeDeliveries(writes: readonly { readonly next: Delivery; readonly expectedVersion: number }[]): Promise<string[]>;
  /** Removes these deliveries unless they changed since read (a changed one stays). */
  forgetDeliveries(deliveries: readonly Delivery[]): Promise<void>;
  /** Failed or retrying deliveries, by sink and then feed order; `sink` narrows to one. */
  listDeliveries(filter: { status: Exclude<DeliveryStatus, 'delivered'>; sink?: SinkName }, limit: number, cursor?: string): Promise<Page<Delivery>>;
  /** null before the sink's first catch-up. */
  getDeliveryCursor(sink: SinkName): Promise<DeliveryCursor | null>;
  /** Stores the cursor as version + 1 if the stored one still has `expectedVersion` (0: none); ConditionFailed otherwise. */
  putDeliveryCursor(cursor: DeliveryCursor, expectedVersion: number): Promise<void>;

  // ---- idempotency ----
  /** null when absent or expired at `now`. */
  getIdempotency(principal: string, key: string, now: Date): Promise<IdempotencyRecord | null>;
  /** AlreadyExists if a live record holds the key. */
  putIdempotency(record: IdempotencyRecord): Promise<void>;

  // ---- reconcile runs and leases ----
  /** Upsert. */
  putRun(run: ReconcileRun): Promise<void>;
  getRun(runId: string): Promise<ReconcileRun | null>;
  /** Newest first. */
  listRuns(limit: number, cursor?: string): Promise<Page<ReconcileRun>>;
  /**
   * Takes or renews a named lease; false while another holder's lease is unexpired at `now`.
   * Renewing keeps a follow-up asked of the lease meanwhile.
   */
  acquireLease(name: string, holder: string, ttlMs: number, now: Date): Promise<boolean>;
  /**
   * Asks whoever holds the unexpired lease to run once more when done: releaseLease gives `note` back
   * to the holder. The last ask wins. False when no unexpired lease is held at `now`.
   */
  requestFollowUp(name: string, note: string, now: Date): Promise<boolean>;
  /** Releases a lease its holder holds, with the follow-up asked of it meanwhile, if any. */
  releaseLease(name: string, holder: string): Promise<LeaseRelease>;

  // ---- reconcile findings (one row per run and findingKey) and the per-region posture ----
  /** Stores findings of a run in batches; storing one again (same findingKey) rewrites it. */
  putFindings(runId: string, findings: readonly StoredFinding[]): Promise<void>;
  /** Those of the given findings (by findingKey) the run has stored, as stored; in no particular order. */
  getFindings(runId: string, subjects: readonly FindingSubject[]): Promise<StoredFinding[]>;
  /** Every finding the run has stored about one image, whatever its seq. */
  imageFindings(runId: string, regionId: string, imageId: string): Promise<StoredFinding[]>;
  /** The run's findings with seq below `committed`, in findingKey order (kind first); `kind` narrows. */
  listFindings(runId: string, filter: { committed: number; kind?: FindingKind }, limit: number, cursor?: string): Promise<Page<StoredFinding>>;
  getPosture(regionId: string): Promise<PosturePointer | null>;
  /**
   * Points the region's posture at a run unless a run that started later holds it already (then
   * false). Pointing at the same run again is a success, so a retry is safe.
   */
  putPosture(pointer: PosturePointer): Promise<boolean>;
  /**
   * The open findings (isOpenFinding) of the runs the regions' postures point at, region by region in
   * the order given, each in findingKey order; `kind` narrows. A cursor stays with the run it started
   * in, so paging through one region is a consistent snapshot even when a newer run lands meanwhile.
   */
  listPosture(filter: { regionIds: readonly string[]; kind?: FindingKind }, limit: number, cursor?: string): Promise<Page<StoredFinding>>;
}

export interface LeaseRelease {
  /** A follow-up asked of the lease (requestFollowUp) while it was held: its note and when it was asked. */
  readonly followUp?: { readonly note: string; readonly requestedAt: string };
}

export interface Clock {
  now(): Date;
}

/** Fires an asynchronous invocation of a function (the reconciler's fan-out and continuation). */
export interface Invoker {
  invokeAsync(functionName: string, payload: unknown): Promise<void>;
}

export interface Logger {
  info(record: Record<string, unknown>): void;
  warn(record: Record<string, unknown>): void;
  error(record: Record<string, unknown>): void;
}

// ---- Resource Directory sharing: the port and the vocabulary it speaks, kept together ----
import type { DirectoryHolding, DirectoryLookupCache, DirectoryTarget, ResolvedTarget } from './directory.js';

/**
 * Resource Directory sharing (the second share channel), as seen by the image owner account; see
 * shared/domain/directory.ts for the vocabulary and shared/directory/README.md for the calls. Every
 * method throws GovernorError only: ImageNotFound, ImageNotShareable, UnknownAccount (a target that is
 * not in the directory), CannotShareWithOwner, ShareQuotaExceeded, ShareAlreadyExists,
 * ConcurrentModification, NotFound, ValidationFailed (a malformed target id), UpstreamThrottled,
 * UpstreamUnavailable (also: an association that did not settle in time).
 */
export interface DirectoryPort {
  /** Every resource share of the owner that holds the image, with its targets. A few calls, whatever the region holds. */
  imageShares(regionId: string, imageId: string): Promise<DirectoryHolding[]>;
  /**
   * The same for every image of the region at once, keyed by image id (images in no share are absent).
   * Built from a bounded number of paged calls that grows with the region's resource shares and their
   * associations, never with its images: the region sweep's read.
   */
  regionShares(regionId: string): Promise<ReadonlyMap<string, DirectoryHolding[]>>;
  /**
   * Shares the image with the targets through the service's own resource share of the image (created
   * on first use, then reused), and waits until every association is Associated. A Failed association
   * throws with `details.failed` (`[{target, reason}]`) and `details.associated` (what did get through).
   */
  addTargets(regionId: string, imageId: string, targets: readonly DirectoryTarget[]): Promise<{ resourceShareId: string; created: boolean }>;
  /**
   * Withdraws the targets from the service's share of the image and waits until they are
   * Disassociated; targets it does not hold are done already. When no target is left the share is
   * deleted, so it no longer holds the image either.
   */
  removeTargets(regionId: string, imageId: string, targets: readonly DirectoryTarget[]): Promise<void>;
  /**
   * Takes only the image out of a resource share (typically one the service does not own), never
   * its other resources or targets, and waits until it is Disassociated. Done already when the share
   * no longer holds the image, is deleted, or is gone.
   */
  removeImageFromShare(regionId: string, resourceShareId: string, imageId: string): Promise<void>;
  /** What a target is in the directory (its folder path, membership); lookups are remembered in `cache`. */
  resolveTarget(target: DirectoryTarget, cache: DirectoryLookupCache): Promise<ResolvedTarget>;
}
