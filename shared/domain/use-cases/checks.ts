// The checks and small reads several use cases share: path and image checks, policy decisions on a
// share request, and the store reads every use case names the same way.
import { GovernorError } from '../errors.js';
import type { AccountId, EcsImage, Share, ShareRequest } from '../model.js';
import { isTerminal } from '../model.js';
import type { DomainDeps } from '../context.js';
import { PAGE_SIZE } from '../limits.js';
import type { Policy } from '../policy.js';
import { checkManagedRegion, notShareable } from '../policy.js';
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

export function needsApproval(policy: Policy, accountIds: readonly AccountId[]): boolean {
  return policy.approvalRequired && !accountIds.every((id) => policy.approvalExemptAccounts.includes(id));
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

/** Some accounts already hold a live or pending share of the image (none named when not known). */
export function conflictError(imageId: string, accounts: AccountId[]): GovernorError {
  const whom = accounts.length > 0 ? accounts.join(', ') : 'some of these accounts';
  return new GovernorError('ShareAlreadyExists', `Image ${imageId} is already shared, or a share is pending, with ${whom}`, {
    details: { accounts },
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
