// The governance vocabulary. Plain data only: no SDK types, no behaviour beyond tiny predicates.

/** Alibaba Cloud account id (UID): 16 digits, may start with 0, always a string. */
export type AccountId = string;

export const ACCOUNT_ID_PATTERN = '^[0-9]{16}$';
export const IMAGE_ID_PATTERN = '^m-[a-z0-9]{8,40}$';

/** Hard ceiling set by ECS: one image can be shared with at most 50 accounts. */
export const ECS_SHARE_LIMIT = 50;

export type Role = 'requester' | 'approver' | 'admin' | 'auditor';
export const ROLES: readonly Role[] = ['requester', 'approver', 'admin', 'auditor'];

/** Who is acting: a verified token subject, or a system actor such as `system:reconcile`. */
export interface Principal {
  readonly id: string;
  readonly roles: readonly Role[];
}

/**
 * Share lifecycle. `applying` and `revoking` are write-ahead intents stored before the ECS call,
 * so a crash between the call and the state update can be resolved from ECS truth.
 */
export type ShareState =
  | 'pending_approval'
  | 'approved'
  | 'applying'
  | 'active'
  | 'revoking'
  | 'revoked'
  | 'rejected'
  | 'expired'
  | 'failed';

/** States that hold one unit of the image's share quota. */
export const QUOTA_STATES: readonly ShareState[] = ['pending_approval', 'approved', 'applying', 'active'];
/** States after which a new share of the same (image, account) may start over. */
export const TERMINAL_STATES: readonly ShareState[] = ['revoked', 'rejected', 'expired', 'failed'];

export const holdsQuota = (s: ShareState): boolean => QUOTA_STATES.includes(s);
export const isTerminal = (s: ShareState): boolean => TERMINAL_STATES.includes(s);

/**
 * The two ways ECS shares an image: per account (ModifyImageSharePermission) and through Resource
 * Directory resource sharing (a resource share holding the image, see directory.ts).
 */
export type ShareChannel = 'account' | 'directory';
export const SHARE_CHANNELS: readonly ShareChannel[] = ['account', 'directory'];

/**
 * Whom a share reaches, and through which channel: an account id on the account channel; the
 * directory (`rd-…`), a folder (`fd-…`) or a member account id on the directory channel. A share's
 * identity is (region, image, channel, target): a member account may hold a share on both channels.
 */
export interface ShareTarget {
  readonly channel: ShareChannel;
  readonly target: string;
}

/** Directory-channel row keys carry this prefix; account ids are 16 digits, so the two never collide. */
const DIRECTORY_KEY_PREFIX = 'dir:';

/**
 * The one codec between a share's target and the key of its stored row: the account id itself (as
 * every row written before the directory channel existed), or `dir:<target>`.
 */
export const shareTargetKey = (t: ShareTarget): string => (t.channel === 'account' ? t.target : `${DIRECTORY_KEY_PREFIX}${t.target}`);

/** The inverse of shareTargetKey: a key without the prefix is an account (so older rows read as the account channel). */
export const shareTargetOfKey = (key: string): ShareTarget =>
  key.startsWith(DIRECTORY_KEY_PREFIX) ? { channel: 'directory', target: key.slice(DIRECTORY_KEY_PREFIX.length) } : { channel: 'account', target: key };

/** The identity fields of a share or an API object: `accountId` stays on the account channel, for clients written before it. */
export const targetFields = (t: ShareTarget): { channel: ShareChannel; target: string; accountId?: AccountId } =>
  t.channel === 'account' ? { channel: 'account', target: t.target, accountId: t.target } : { channel: 'directory', target: t.target };

export const sameTarget = (a: ShareTarget, b: ShareTarget): boolean => a.channel === b.channel && a.target === b.target;

export interface Share extends ShareTarget {
  readonly regionId: string;
  readonly imageId: string;
  /** Account channel only: the same as `target`. */
  readonly accountId?: AccountId;
  readonly state: ShareState;
  /** The share request this share came from; absent for shares adopted from ECS. */
  readonly requestId?: string;
  readonly origin: 'request' | 'adopted';
  /** ISO-8601 UTC; absent = never expires. */
  readonly expiresAt?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  /** Last ECS (or Resource Sharing) error seen while applying or revoking. */
  readonly lastError?: string;
  /**
   * Directory channel: the resource share through which the target holds the image — the service's
   * own share of the image, or, for an adopted share, the one it was found in.
   */
  readonly resourceShareId?: string;
  /** Optimistic-concurrency version, incremented by every write. */
  readonly version: number;
}

export type ImageLifecycle = 'active' | 'draining' | 'deleted';
export type DeletionStatus = 'none' | 'draining' | 'deleted' | 'cancelled' | 'failed';

export interface Deletion {
  readonly status: DeletionStatus;
  readonly mode?: 'guard' | 'drain';
  readonly reason?: string;
  readonly requestedBy?: string;
  readonly requestedAt?: string;
  readonly force?: boolean;
  readonly remaining?: number;
  readonly lastError?: string;
  readonly completedAt?: string;
}

/** The stored record of a managed image: lifecycle and quota in use. */
export interface ImageRecord {
  readonly regionId: string;
  readonly imageId: string;
  readonly imageName?: string;
  readonly lifecycle: ImageLifecycle;
  /** Account-channel shares in QUOTA_STATES. Changed only by conditional writes. */
  readonly quotaUsed: number;
  /** Directory-channel shares in QUOTA_STATES: a counter of its own, with the same discipline (0 on records written before it). */
  readonly directoryQuotaUsed: number;
  /** When quotaUsed last moved (absent until the first reservation): the recount waits for quiet. */
  readonly quotaChangedAt?: string;
  readonly deletion: Deletion;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

export type RequestStatus =
  | 'pending_approval'
  | 'approved'
  | 'applied'
  | 'partially_applied'
  | 'rejected'
  | 'expired'
  | 'cancelled'
  | 'failed';

/**
 * A request is open until it reaches a final status: waiting for an approver, or approved with its
 * shares still being applied. A finished request never opens again.
 */
export const OPEN_REQUEST_STATUSES: readonly RequestStatus[] = ['pending_approval', 'approved'];
export const isOpenRequest = (status: RequestStatus): boolean => OPEN_REQUEST_STATUSES.includes(status);

/** What `listRequests` narrows to: a status, or `open` (either open status). */
export interface RequestFilter {
  readonly status?: RequestStatus | 'open';
  readonly regionId?: string;
  readonly imageId?: string;
}

export interface ShareRequest {
  readonly requestId: string;
  readonly regionId: string;
  readonly imageId: string;
  /** Account-channel targets (may be empty when the request names directory targets only). */
  readonly accountIds: readonly AccountId[];
  /** Directory-channel targets: `rd-…`, `fd-…` or member account ids (empty on requests stored before the channel existed). */
  readonly directoryTargets: readonly string[];
  readonly status: RequestStatus;
  readonly requester: string;
  readonly reason: string;
  readonly ticket?: string;
  /** When the resulting shares expire (ISO-8601); absent = never. */
  readonly shareExpiresAt?: string;
  readonly attestation: { readonly sensitiveDataRemoved: boolean };
  /** Pending requests expire at this time and release their quota. */
  readonly pendingUntil: string;
  readonly decidedBy?: string;
  readonly decidedAt?: string;
  readonly comment?: string;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly version: number;
}

/**
 * The audit action a region run records when it finishes (completed or failed): it names the run (the
 * event's requestId), not an image, so its imageId is empty and its detail is the run's counts.
 */
export const RECONCILE_COMPLETED = 'reconcile.completed';

export interface AuditEvent {
  readonly eventId: string;
  readonly regionId: string;
  readonly imageId: string;
  readonly at: string;
  readonly principal: string;
  /** e.g. share.requested, share.approved, share.applied, share.revoked, image.deleted, reconcile.adopted */
  readonly action: string;
  /** The share the event is about, if any: channel and target (and accountId on the account channel). */
  readonly channel?: ShareChannel;
  readonly target?: string;
  readonly accountId?: AccountId;
  readonly before?: string;
  readonly after?: string;
  /** The HTTP request id (or reconcile run id) that caused the event. */
  readonly requestId: string;
  readonly shareRequestId?: string;
  readonly reason?: string;
  readonly ticket?: string;
  readonly detail?: string;
}

/** Every target of a request, account channel first, in the order the request names them. */
export const requestTargets = (request: Pick<ShareRequest, 'accountIds' | 'directoryTargets'>): ShareTarget[] => [
  ...request.accountIds.map((target) => ({ channel: 'account' as const, target })),
  ...request.directoryTargets.map((target) => ({ channel: 'directory' as const, target })),
];

/**
 * Where an event sits in the outbox, the audit in the order events became visible: `<time>#<eventId>`,
 * the time being the event's own for an append and the move's for an event recovered from pending audit.
 */
export const feedKey = (time: string, eventId: string): string => `${new Date(time).toISOString()}#${eventId}`;

/** One audit event in the outbox. */
export interface FeedEntry {
  readonly feedKey: string;
  readonly event: AuditEvent;
}

/** The sinks audit events are published to, each at most once: the key of a sink's cursor and deliveries. */
export const SINK_NAMES = ['webhook', 'eventbridge'] as const;
export type SinkName = (typeof SINK_NAMES)[number];

/** `retrying` until the sink takes the event, or `failed` (dead letter) once it never will or the attempts are spent. */
export type DeliveryStatus = 'retrying' | 'delivered' | 'failed';

/** What became of one event at one sink (webhook, EventBridge), written after each attempt. */
export interface Delivery {
  readonly sink: SinkName;
  readonly feedKey: string;
  readonly eventId: string;
  /** The published event's type and subject (`image-share-governor.share.applied`, `images/<region>/<image>`). */
  readonly type: string;
  readonly subject: string;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  /** When a `retrying` delivery is tried again. */
  readonly nextAttemptAt?: string;
  /** Why the last attempt did not deliver: status and error codes, never a body or a secret. */
  readonly lastReason?: string;
  readonly updatedAt: string;
  readonly version: number;
}

/** A delivery as the API lists it. */
export type DeliveryView = Omit<Delivery, 'feedKey' | 'version'>;

/** How far a sink's catch-up has settled the outbox: every event before `feedKey` is delivered or dead-lettered. */
export interface DeliveryCursor {
  readonly sink: SinkName;
  readonly feedKey: string;
  readonly updatedAt: string;
  readonly version: number;
}

export interface IdempotencyRecord {
  readonly principal: string;
  readonly key: string;
  /** Hash of method + path + body: the same key with another body is refused. */
  readonly fingerprint: string;
  readonly statusCode: number;
  readonly body: string;
  readonly createdAt: string;
  readonly expiresAt: string;
}

export type ReconcileMode = 'report' | 'enforce';

/**
 * What a reconcile run can find (functions/reconcile/README.md says what each one is). The one list:
 * the run's counts, the findings API's `kind` filter and the findings table's keys derive from it.
 */
export const FINDING_KINDS = [
  'unmanaged',
  'missing',
  'public',
  'stale_intent',
  'expired_share',
  'expired_request',
  /** An approved request whose rows are all settled, still waiting for its final status. */
  'unfinished_request',
  'draining',
  'deleted_outside',
  'quota_mismatch',
] as const;
export type FindingKind = (typeof FINDING_KINDS)[number];

/** What each kind of finding is about, and so what its `target` names: an account's share, the image, or a share request. */
export const FINDING_SUBJECTS: Readonly<Record<FindingKind, 'share' | 'image' | 'request'>> = {
  unmanaged: 'share',
  missing: 'share',
  public: 'image',
  stale_intent: 'share',
  expired_share: 'share',
  expired_request: 'request',
  unfinished_request: 'request',
  draining: 'image',
  deleted_outside: 'image',
  quota_mismatch: 'image',
};

/** What the reconciler did about a finding: `none` in report mode, under a policy that only reports, or when the repair failed. */
export const FINDING_ACTIONS = [
  'none',
  'unpublished',
  'share_expired',
  'share_reapplied',
  'share_failed',
  'share_revoked',
  'intent_applied',
  'intent_revoked',
  'share_adopted',
  'unmanaged_revoked',
  'drain_progressed',
  'image_deleted',
  'image_marked_deleted',
  'quota_corrected',
  'request_expired',
  'request_finished',
  'pending_settled',
] as const;
export type FindingAction = (typeof FINDING_ACTIONS)[number];

/** After these the difference still holds when the run ends (a drain takes several runs): the posture keeps the finding open. */
export const OPEN_FINDING_ACTIONS: readonly FindingAction[] = ['none', 'drain_progressed'];

/**
 * One difference a reconcile run found, named: what (kind), where (region, image), with whom (channel,
 * target), what enforce mode did (action) and when (at). `target` is the account id for a share's
 * finding (account channel; `rd-…`, `fd-…` or a member id on the directory channel), the image id for
 * an image's own finding (`public`, `draining`, `deleted_outside`, `quota_mismatch`), and the share
 * request id for a request's (`expired_request`, `unfinished_request`).
 */
export interface Finding {
  readonly kind: FindingKind;
  readonly regionId: string;
  readonly imageId: string;
  readonly channel: ShareChannel;
  readonly target: string;
  /** The account of an account-channel share finding (= target); absent on image and request findings. */
  readonly accountId?: AccountId;
  /** Short, human, service-made text: never text a caller sent (reasons, tickets, comments). */
  readonly detail: string;
  readonly action: FindingAction;
  /** When the run found it (ISO-8601); a finding carried over from the posture keeps the time it was found. */
  readonly at: string;
}

/** What a finding is about: a run holds one finding per subject, and recording it again replaces it. */
export type FindingSubject = Pick<Finding, 'kind' | 'regionId' | 'imageId' | 'channel' | 'target'>;

export const findingKey = (f: FindingSubject): string => `${findingKeyPrefix(f.kind, f)}${f.channel}#${f.target}`;

/** Every key of one kind starts with this, and of one kind and image with the longer form: ranges of a findings table. */
export const findingKeyPrefix = (kind: FindingKind, image?: { readonly regionId: string; readonly imageId: string }): string =>
  image ? `${kind}#${image.regionId}/${image.imageId}#` : `${kind}#`;

export const isOpenFinding = (f: Pick<Finding, 'action'>): boolean => OPEN_FINDING_ACTIONS.includes(f.action);

/** How many findings a run's record counts: its stored findings are those with a seq below this. */
export const findingCount = (run: Pick<ReconcileRun, 'findings'>): number => Object.values(run.findings).reduce((sum: number, n) => sum + (n ?? 0), 0);

/**
 * A finding as its run stores it. `seq` is the order the run recorded it in: a run's findings are
 * those with `seq` below the sum of its record's counts, so a record always counts exactly the
 * findings listed for it, even when a crash fell between storing findings and saving the record.
 */
export interface StoredFinding extends Finding {
  readonly seq: number;
}

/**
 * A region's compliance posture: the run whose open findings it is, the latest completed sweep of
 * the region, except that a sweep with nothing open after one with nothing open leaves it (the
 * posture is the same: empty).
 */
export interface PosturePointer {
  readonly regionId: string;
  readonly runId: string;
  readonly startedAt: string;
  readonly completedAt: string;
  /** The run's finding count (what `seq` must stay below). */
  readonly findings: number;
  /** How many of them are open (isOpenFinding). */
  readonly open: number;
}

export interface ReconcileRun {
  readonly runId: string;
  readonly trigger: 'timer' | 'eventbridge' | 'async' | 'manual';
  readonly mode: ReconcileMode;
  readonly regions: readonly string[];
  readonly status: 'running' | 'completed' | 'continued' | 'failed' | 'skipped';
  readonly startedAt: string;
  readonly finishedAt?: string;
  readonly durationMs?: number;
  readonly imagesScanned: number;
  readonly findings: Readonly<Partial<Record<FindingKind, number>>>;
  readonly actions: Readonly<Record<string, number>>;
  readonly errors: readonly { readonly imageId?: string; readonly regionId?: string; readonly code: string; readonly message: string }[];
  readonly apiCalls: Readonly<Record<string, number>>;
  /** Where a continuation resumes (opaque to the store). */
  readonly cursor?: string;
  readonly parentRunId?: string;
}

export interface Page<T> {
  readonly items: readonly T[];
  /** Opaque; absent on the last page. */
  readonly nextCursor?: string;
}

// ---- ECS view (what the image port reports; no SDK shapes) ----

export type EcsImageStatus = 'Creating' | 'Waiting' | 'Available' | 'UnAvailable' | 'CreateFailed' | 'Deprecated';

/**
 * How an image relates to the calling account. Only `custom` (created by this account, not derived
 * from a Marketplace image) can be shared.
 */
export type EcsImageKind = 'custom' | 'marketplace-derived' | 'system' | 'shared-to-us' | 'community';

export interface EcsImage {
  readonly regionId: string;
  readonly imageId: string;
  readonly imageName: string;
  readonly kind: EcsImageKind;
  readonly ownerAccountId?: AccountId;
  readonly status: EcsImageStatus;
  readonly isPublic: boolean;
  readonly tags: Readonly<Record<string, string>>;
  readonly creationTime?: string;
  readonly inUse?: boolean;
}

export interface EcsShare {
  readonly accountId: AccountId;
  readonly sharedTime?: string;
}

export interface EcsSharePermissions {
  readonly accounts: readonly EcsShare[];
  /** The image is published as a community image (ShareGroup `all`). */
  readonly isPublic: boolean;
}
