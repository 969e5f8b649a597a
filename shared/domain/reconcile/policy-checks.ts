// The policy questions the reconciler asks of ECS truth before re-applying or adopting a share: the
// share path's rules (policy.ts), plus what ECS itself requires.
import type { AccountId, EcsImage } from '../model.js';
import type { Policy } from '../policy.js';
import { disallowedAccounts, notShareable } from '../policy.js';

/** The account may hold a share under the current policy (never the owner; deny wins; allowlist when non-empty). */
export function accountAllowed(policy: Policy, accountId: AccountId): boolean {
  return accountId !== policy.ownerAccountId && disallowedAccounts(policy, [accountId]).length === 0;
}

/** ECS would accept a share of this image and policy lets it be shared (kind, owner, status, tags). */
export function imageShareable(policy: Policy, image: EcsImage): boolean {
  return image.status === 'Available' && notShareable(policy, image) === null;
}

/** Images the owner account itself owns (what DescribeImages ImageOwnerAlias=self lists). */
export const ownedKinds: readonly EcsImage['kind'][] = ['custom', 'marketplace-derived'];
