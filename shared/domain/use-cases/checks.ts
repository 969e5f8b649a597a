// The checks and small reads several use cases share: path and image checks, policy decisions on a
// share request, and the store reads every use case names the same way.
import type { DirectoryLookupCache } from '../directory.js';
import { checkDirectoryPolicy } from '../directory-policy.js';
import { GovernorError } from '../errors.js';
import type { AccountId, EcsImage, Share, ShareRequest, ShareTarget } from '../model.js';
import { isTerminal } from '../model.js';
import type { DomainDeps } from '../context.js';
import { PAGE_SIZE } from '../limits.js';
import type { Policy } from '../policy.js';
import { checkManagedRegion, disallowedAccounts, notShareable } from '../policy.js';
import { sharesOfRequest } from '../transitions.js';
import { FieldErrors, checkImageRef, parseDateTime } from '../validate.js';

const DAY_MS = 86_400_000;

/** The `{regionId}/{imageId}` of a path: a well-formed image id in a managed region. */
export function checkImagePath(policy: Policy, regionId: string, imageId: string): void {
  const errors = new FieldErrors();
  checkImageRef(errors, regionId, imageId);
  errors.throwIfAny();
  checkManagedRegion(policy, regionId);
}

/** ECS must know the image, policy must let it be shared, and it must be Available. */
export function checkEcsImage(policy: Policy, imageId: string, regionId: string, ecsImage: EcsImage | null): EcsImage {
  if (!ecsImage) throw new GovernorError('ImageNotFound', `Image ${imageId} does not exist in ${regionId}`);
  const refused = notShareable(policy, ecsImage);
  if (refused) {
    const { message, ...why } = refused;
    throw new GovernorError('ImageNotShareable', message, { details: { kind: ecsImage.kind, ...why } });
  }
  if (ecsImage.status !== 'Available') {
    throw new GovernorError('ImageNotAvailable', `Image ${imageId} is ${ecsImage.status}; only Available images can be shared`, {
      details: { imageStatus: ecsImage.status },
    });
  }
  return ecsImage;
}

/** The targets of a list as problem details: `accounts` (account channel, always), `directoryTargets` (when any). */
export function targetDetails(targets: readonly ShareTarget[]): { accounts: AccountId[]; directoryTargets?: string[] } {
  const directoryTargets = targets.filter((t) => t.channel === 'directory').map((t) => t.target);
  return { accounts: targets.filter((t) => t.channel === 'account').map((t) => t.target), ...(directoryTargets.length > 0 ? { directoryTargets } : {}) };
}

/** The AccountNotAllowed message: at approval time the policy changed while the request waited, and the approver can still reject it. */
const policyRefusal = (whom: string, opts: { approving?: boolean }): string =>
  opts.approving ? `Policy no longer allows sharing with ${whom}; reject the request` : `Policy does not allow sharing with ${whom}`;

/**
 * The checks on targets that need no lookup: never the owner (on either channel: a member target
 * that is the owner account), and the account lists for the account channel.
 */
export function checkTargetsAllowed(policy: Policy, targets: readonly ShareTarget[], opts: { approving?: boolean } = {}): void {
  const owner = targets.filter((t) => t.target === policy.ownerAccountId);
  if (owner.length > 0) {
    throw new GovernorError('CannotShareWithOwner', 'An image cannot be shared with the account that owns it', { details: targetDetails(owner) });
  }
  const refused = disallowedAccounts(
    policy,
    targets.filter((t) => t.channel === 'account').map((t) => t.target),
  );
  if (refused.length > 0) {
    throw new GovernorError('AccountNotAllowed', policyRefusal(refused.join(', '), opts), { details: { accounts: refused } });
  }
}

/** The folder rules on the directory-channel targets, each resolved once through `lookups` (directory-policy.ts). */
export async function checkDirectoryTargetsAllowed(
  deps: DomainDeps,
  targets: readonly ShareTarget[],
  lookups: DirectoryLookupCache,
  opts: { approving?: boolean } = {},
): Promise<void> {
  const directoryTargets = targets.filter((t) => t.channel === 'directory').map((t) => t.target);
  await checkDirectoryPolicy(deps.policy, deps.directory, directoryTargets, lookups, (whom) => policyRefusal(whom, opts));
}

/**
 * Approval is needed unless policy says otherwise, or every target is an account (on either channel)
 * that never needs approval: a folder or the directory always needs an approver.
 */
export function needsApproval(policy: Policy, targets: readonly ShareTarget[]): boolean {
  return policy.approvalRequired && !targets.every((t) => policy.approvalExemptAccounts.includes(t.target));
}

/** The share expiry to store (ISO), or undefined for never. Throws ExpiryTooLong. */
export function resolveExpiry(policy: Policy, now: Date, expiresAt: string | undefined): string | undefined {
  if (expiresAt !== undefined) {
    const at = parseDateTime(expiresAt);
    if (policy.maxShareDurationDays !== undefined) {
      const latest = now.getTime() + policy.maxShareDurationDays * DAY_MS;
      if (at > latest) {
        throw new GovernorError('ExpiryTooLong', `Shares may last at most ${policy.maxShareDurationDays} days`, {
          details: { maxShareDurationDays: policy.maxShareDurationDays, latest: new Date(latest).toISOString() },
        });
      }
    }
    return new Date(at).toISOString();
  }
  if (policy.defaultShareDurationDays === undefined) return undefined;
  return new Date(now.getTime() + policy.defaultShareDurationDays * DAY_MS).toISOString();
}

/** Some targets already hold a live or pending share of the image (none named when not known). */
export function conflictError(imageId: string, targets: readonly ShareTarget[]): GovernorError {
  const whom = targets.length > 0 ? targets.map((t) => t.target).join(', ') : 'some of these targets';
  return new GovernorError('ShareAlreadyExists', `Image ${imageId} is already shared, or a share is pending, with ${whom}`, {
    details: targetDetails(targets),
  });
}

/** A page size the listings accept, from whatever the caller asked. */
export const clampLimit = (limit: number): number => Math.max(PAGE_SIZE.min, Math.min(PAGE_SIZE.max, Math.floor(limit) || PAGE_SIZE.min));

/** The request, or RequestNotFound. */
export async function getRequestOrThrow(deps: DomainDeps, requestId: string): Promise<ShareRequest> {
  const request = typeof requestId === 'string' && requestId.length > 0 ? await deps.store.getRequest(requestId) : null;
  if (!request) throw new GovernorError('RequestNotFound', `No share request ${requestId}`);
  return request;
}

/** A request with its share rows, as approve and share answer. */
export async function requestWithShares(deps: DomainDeps, requestId: string): Promise<{ request: ShareRequest; shares: Share[] }> {
  const request = await getRequestOrThrow(deps, requestId);
  return { request, shares: await sharesOfRequest(deps, request) };
}

/** The image's rows that are not terminal: pending, approved, applying, active, revoking. */
export async function liveOrPendingShares(deps: DomainDeps, regionId: string, imageId: string): Promise<Share[]> {
  return (await deps.store.listShares(regionId, imageId)).filter((s) => !isTerminal(s.state));
}
