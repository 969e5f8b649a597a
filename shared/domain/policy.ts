// Governance policy, loaded from config at cold start (see shared/config.ts). Pure data.
import type { AccountId, ReconcileMode } from './model.js';

export interface Policy {
  /** Regions this service manages; any other region is 404 RegionNotManaged. */
  readonly regions: readonly string[];
  /** The account that owns the images (never a share target). */
  readonly ownerAccountId: AccountId;
  readonly approvalRequired: boolean;
  /** Target accounts whose shares never need approval. */
  readonly approvalExemptAccounts: readonly AccountId[];
  /** Empty = every account not denied is allowed. */
  readonly allowAccounts: readonly AccountId[];
  readonly denyAccounts: readonly AccountId[];
  /** At most 50 (the ECS limit). */
  readonly maxSharesPerImage: number;
  /** Longest share lifetime a request may ask for; absent = unlimited. */
  readonly maxShareDurationDays?: number;
  /** Applied when a request gives no expiresAt; absent = shares do not expire. */
  readonly defaultShareDurationDays?: number;
  /** How long a request may wait for approval before it expires and releases its quota. */
  readonly pendingRequestTtlHours: number;
  /** Images carrying any of these tags (key=value) cannot be shared. */
  readonly denyImageTags: readonly { readonly key: string; readonly value: string }[];
  /** When non-empty, an image must carry one of these tags to be shareable. */
  readonly requireImageTags: readonly { readonly key: string; readonly value: string }[];
  /** Whether community (public) images are tolerated; if not, the reconciler reports/unpublishes. */
  readonly allowPublicImages: boolean;
  readonly reconcileMode: ReconcileMode;
  /** What the reconciler does with shares found in ECS but not in the store. */
  readonly unmanagedShares: 'report' | 'adopt' | 'revoke';
  /** Intents (`applying`/`revoking`) older than this are resolved from ECS truth. */
  readonly intentGraceSeconds: number;
}
