// One image as the service and both channels see it now: record, quotas, shares, pending requests and drift.
import type { DirectoryHolding } from '../directory.js';
import { GovernorError, isGovernorError } from '../errors.js';
import type { Deletion, EcsImage, EcsImageKind, EcsImageStatus, EcsSharePermissions, ImageLifecycle, Share, ShareRequest } from '../model.js';
import { isTerminal } from '../model.js';
import type { DomainDeps } from '../context.js';
import { channelLimit } from '../context.js';
import { driftEntries, driftOf, type Drift } from '../drift.js';
import { pendingRequestsOf } from '../transitions.js';
import { compact } from '../util.js';
import { checkImagePath } from './checks.js';

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
  /** The account channel's quota (ECS's 50-account limit, or lower by policy). */
  readonly quota: { readonly limit: number; readonly used: number };
  /** The directory channel's quota of targets (MAX_DIRECTORY_TARGETS_PER_IMAGE). */
  readonly directoryQuota: { readonly limit: number; readonly used: number };
  /** Stored shares that are not terminal (pending, approved, applying, active, revoking): account channel by account, then directory channel by target. */
  readonly shares: Share[];
  readonly drift: Drift[];
  /** ECS says the image is a community image; null when live=false. */
  readonly public: boolean | null;
  readonly pendingRequests: ShareRequest[];
}

export async function describeImage(deps: DomainDeps, regionId: string, imageId: string, opts: { live: boolean }): Promise<ImageDescription> {
  const { store, images, directory, policy } = deps;
  checkImagePath(policy, regionId, imageId);

  const [record, rows, pendingRequests] = await Promise.all([
    store.getImage(regionId, imageId),
    store.listShares(regionId, imageId),
    pendingRequestsOf(deps, regionId, imageId),
  ]);
  let ecsImage: EcsImage | null = null;
  let perms: EcsSharePermissions | null = null;
  let holdings: DirectoryHolding[] = [];
  if (opts.live) {
    ecsImage = await images.getImage(regionId, imageId);
    if (ecsImage) {
      try {
        [perms, holdings] = await Promise.all([images.getSharePermissions(regionId, imageId), directory.imageShares(regionId, imageId)]);
      } catch (e) {
        if (!isGovernorError(e, 'ImageNotFound')) throw e;
        ecsImage = null;
      }
    }
  }
  if (!record && !ecsImage) throw new GovernorError('ImageNotFound', `Image ${imageId} is not known in ${regionId}`);

  const shares = rows.filter((s) => !isTerminal(s.state));
  const drift = perms ? driftEntries(driftOf(rows, { permissions: perms, holdings }, policy, ecsImage?.isPublic)) : [];
  const image: ImageView = compact({
    regionId,
    imageId,
    imageName: ecsImage?.imageName ?? record?.imageName,
    managed: record !== null,
    lifecycle: record?.lifecycle ?? 'active',
    deletion: record?.deletion ?? { status: 'none' },
    ecs: ecsImage ? { status: ecsImage.status, kind: ecsImage.kind, isPublic: perms?.isPublic ?? ecsImage.isPublic, tags: ecsImage.tags } : null,
    createdAt: record?.createdAt,
    updatedAt: record?.updatedAt,
  });
  return {
    image,
    quota: { limit: channelLimit(policy, 'account'), used: record?.quotaUsed ?? 0 },
    directoryQuota: { limit: channelLimit(policy, 'directory'), used: record?.directoryQuotaUsed ?? 0 },
    shares,
    drift,
    public: perms ? perms.isPublic : opts.live && ecsImage ? ecsImage.isPublic : null,
    pendingRequests,
  };
}
