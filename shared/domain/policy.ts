// Governance policy, loaded from config at cold start (see shared/config.ts): the data, and the pure
// eligibility rules the share path and the reconciler both apply.
import { GovernorError } from './errors.js';
import type { AccountId, EcsImage, EcsImageKind, ReconcileMode } from './model.js';

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
  /** At most 50 (the ECS limit). Counts account-channel shares only. */
  readonly maxSharesPerImage: number;
  /** Folders (`fd-…`) a directory-channel target must lie in, at any depth; empty = any folder not denied. */
  readonly allowFolders: readonly string[];
  /** Folders no directory-channel target may lie in, or contain, at any depth. */
  readonly denyFolders: readonly string[];
  /** Whether the whole directory (`rd-…`) may be a target. */
  readonly allowDirectoryWideShares: boolean;
  /** Directory-channel targets one image may hold, at most DIRECTORY_TARGET_CEILING (limits.ts). */
  readonly maxDirectoryTargetsPerImage: number;
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

/** Whether this service manages the region: the one check the HTTP layer, the use cases and the reconciler share. */
export const isManagedRegion = (policy: Pick<Policy, 'regions'>, regionId: string): boolean => policy.regions.includes(regionId);

/** RegionNotManaged (404) unless the region is managed. */
export function checkManagedRegion(policy: Pick<Policy, 'regions'>, regionId: string): void {
  if (!isManagedRegion(policy, regionId)) {
    throw new GovernorError('RegionNotManaged', `Region ${regionId} is not managed by this service`, { details: { regionId } });
  }
}

const NOT_SHAREABLE_KIND: Record<Exclude<EcsImageKind, 'custom'>, string> = {
  'marketplace-derived': 'it is derived from a Marketplace image',
  system: 'it is a public system image',
  'shared-to-us': 'it was shared to this account by another account',
  community: 'it is a community image of another account',
};

/** Why an image may not be shared: what the message says, and a code a client can act on. */
export interface NotShareable {
  /** kind: not a custom image; owner: another account's; denied_tag / required_tag_missing: policy on tags. */
  readonly reason: 'kind' | 'owner' | 'denied_tag' | 'required_tag_missing';
  readonly message: string;
  /** The tags concerned, as key=value: the deny tag it carries, or the required tags it lacks. */
  readonly tags?: readonly string[];
}

const tagText = (t: { key: string; value: string }): string => `${t.key}=${t.value}`;

/** Why the image may not be shared, or null when it may. */
export function notShareable(policy: Policy, image: EcsImage): NotShareable | null {
  const cannot = `Image ${image.imageId} cannot be shared`;
  if (image.kind !== 'custom') return { reason: 'kind', message: `${cannot}: ${NOT_SHAREABLE_KIND[image.kind]}` };
  if (image.ownerAccountId !== undefined && image.ownerAccountId !== policy.ownerAccountId) {
    return { reason: 'owner', message: `${cannot}: it is owned by another account` };
  }
  const denied = policy.denyImageTags.find((t) => image.tags[t.key] === t.value);
  if (denied) {
    const tag = tagText(denied);
    return { reason: 'denied_tag', message: `${cannot}: it carries the tag ${tag}, which the sharing policy denies`, tags: [tag] };
  }
  if (policy.requireImageTags.length > 0 && !policy.requireImageTags.some((t) => image.tags[t.key] === t.value)) {
    const wanted = policy.requireImageTags.map(tagText);
    return { reason: 'required_tag_missing', message: `${cannot}: it carries none of the required tags (${wanted.join(', ')})`, tags: wanted };
  }
  return null;
}

/** Accounts the allow/deny lists refuse. */
export function disallowedAccounts(policy: Policy, accountIds: readonly AccountId[]): AccountId[] {
  return accountIds.filter(
    (id) => policy.denyAccounts.includes(id) || (policy.allowAccounts.length > 0 && !policy.allowAccounts.includes(id)),
  );
}
