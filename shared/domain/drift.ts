// What differs between the stored shares and ECS, defined once: describe reports it, the reconciler
// finds and repairs it. Pure: the stored rows and ECS's share list in, the differences out.
import type { AccountId, EcsSharePermissions, Share, ShareState } from './model.js';
import type { Policy } from './policy.js';

/**
 * Row states in which the service has put an account in ECS's list, is putting it there, is keeping
 * it there, or is taking it out: ECS listing the account is expected. A `pending_approval` row claims
 * nothing (a share ECS lists for it exists without an approval), nor does a terminal row.
 */
export const CLAIMING_STATES: readonly ShareState[] = ['approved', 'applying', 'active', 'revoking'];

/** The accounts whose rows claim an ECS listing. */
export const claimedAccounts = (rows: readonly Share[]): Set<AccountId> =>
  new Set(rows.filter((s) => CLAIMING_STATES.includes(s.state)).map((s) => s.accountId));

/** One difference, as describe reports it. */
export interface Drift {
  /**
   * unmanaged: ECS lists the account, no row claims it (CLAIMING_STATES);
   * missing: the row is active, ECS does not list the account;
   * public: the image is a community image while policy forbids public images.
   */
  readonly kind: 'unmanaged' | 'missing' | 'public';
  readonly accountId?: AccountId;
}

export interface DriftReport {
  /** Accounts ECS lists that no row claims, in account order. */
  readonly unmanaged: readonly AccountId[];
  /** Active rows whose account ECS does not list, in row order. */
  readonly missing: readonly Share[];
  /** ECS shows the image as a community image and policy does not allow that. */
  readonly public: boolean;
}

/**
 * `rows`: the image's stored share rows (any state); `permissions`: what ECS lists now; `imageIsPublic`:
 * what DescribeImages says, which may show a publication the share listing does not yet.
 */
export function driftOf(
  rows: readonly Share[],
  permissions: EcsSharePermissions,
  policy: Pick<Policy, 'allowPublicImages'>,
  imageIsPublic = false,
): DriftReport {
  const listed = new Set(permissions.accounts.map((a) => a.accountId));
  const claimed = claimedAccounts(rows);
  return {
    unmanaged: [...listed].filter((id) => !claimed.has(id)).sort(),
    missing: rows.filter((s) => s.state === 'active' && !listed.has(s.accountId)),
    public: (permissions.isPublic || imageIsPublic) && !policy.allowPublicImages,
  };
}

/** The report as describe lists it: unmanaged accounts, then missing ones, then `public`. */
export function driftEntries(report: DriftReport): Drift[] {
  return [
    ...report.unmanaged.map((accountId) => ({ kind: 'unmanaged' as const, accountId })),
    ...report.missing.map((s) => ({ kind: 'missing' as const, accountId: s.accountId })),
    ...(report.public ? [{ kind: 'public' as const }] : []),
  ];
}
