// The policy questions the reconciler asks of ECS truth before re-applying or adopting a share.
import type { AccountId, EcsImage } from '../model.js';
import type { Policy } from '../policy.js';

/** The account may hold a share under the current policy (deny wins; allowlist when non-empty). */
export function accountAllowed(policy: Policy, accountId: AccountId): boolean {
  if (accountId === policy.ownerAccountId) return false;
  if (policy.denyAccounts.includes(accountId)) return false;
  return policy.allowAccounts.length === 0 || policy.allowAccounts.includes(accountId);
}

/** ECS would accept a share of this image and policy lets it be shared (kind, status, tags). */
export function imageShareable(policy: Policy, image: EcsImage): boolean {
  if (image.kind !== 'custom' || image.status !== 'Available') return false;
  const has = (t: { key: string; value: string }): boolean => image.tags[t.key] === t.value;
  if (policy.denyImageTags.some(has)) return false;
  return policy.requireImageTags.length === 0 || policy.requireImageTags.some(has);
}

/** Images the owner account itself owns (what DescribeImages ImageOwnerAlias=self lists). */
export const ownedKinds: readonly EcsImage['kind'][] = ['custom', 'marketplace-derived'];
