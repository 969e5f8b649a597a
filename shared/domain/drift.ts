// What differs between the stored shares and what the two channels list, defined once: describe
// reports it, the reconciler finds and repairs it. Pure: the stored rows and the channels' listings
// in, the differences out.
import { type DirectoryHolding, type DirectoryShare, directorySharesOf, grantsAccess } from './directory.js';
import type { AccountId, EcsSharePermissions, Share, ShareState, ShareTarget } from './model.js';
import type { Policy } from './policy.js';

/**
 * Row states in which the service has put a target in its channel's listing, is putting it there, is
 * keeping it there, or is taking it out: the channel listing it is expected. A `pending_approval` row
 * claims nothing (a listing for it exists without an approval), nor does a terminal row.
 */
export const CLAIMING_STATES: readonly ShareState[] = ['approved', 'applying', 'active', 'revoking'];

/** What both channels list for one image now. */
export interface ChannelListing {
  /** The account channel: ECS's share permissions. */
  readonly permissions: EcsSharePermissions;
  /** The directory channel: every resource share holding the image. */
  readonly holdings: readonly DirectoryHolding[];
}

/**
 * Whether a directory row accounts for one (resource share, target) pair: the same target, in the
 * service's own share of the image when the service applied it (that share may have been re-created
 * since, so its id is not compared), or in the very share it was adopted from.
 */
export const claimsEntry = (row: Share, entry: DirectoryShare): boolean =>
  row.channel === 'directory' &&
  entry.target === row.target &&
  ((row.origin === 'request' && entry.owner === 'service') || (row.resourceShareId !== undefined && entry.resourceShareId === row.resourceShareId));

/** Whether the row's channel lists its target now (a Failed association grants nothing). */
export function isListed(row: Share, listing: ChannelListing): boolean {
  if (row.channel === 'account') return listing.permissions.accounts.some((a) => a.accountId === row.target);
  return directorySharesOf(listing.holdings).some((entry) => grantsAccess(entry.status) && claimsEntry(row, entry));
}

/** The targets the service's own resource share of the image holds (not Failed), and that share's id. */
export function serviceShareOf(holdings: readonly DirectoryHolding[]): { resourceShareId?: string; targets: Set<string> } {
  const own = holdings.find((h) => h.owner === 'service' && grantsAccess(h.status));
  return {
    ...(own ? { resourceShareId: own.resourceShareId } : {}),
    targets: new Set((own?.targets ?? []).filter((t) => grantsAccess(t.status)).map((t) => t.target)),
  };
}

/** A target one channel lists that no row claims. */
export type UnmanagedShare =
  | { readonly channel: 'account'; readonly target: AccountId }
  | (DirectoryShare & { readonly channel: 'directory' });

/** One difference, as describe reports it. */
export interface Drift {
  /**
   * unmanaged: a channel lists the target, no row claims it (CLAIMING_STATES);
   * missing: the row is active, its channel does not list the target;
   * public: the image is a community image while policy forbids public images (account channel,
   * target `all`: ECS's share group of everyone).
   */
  readonly kind: 'unmanaged' | 'missing' | 'public';
  readonly channel: ShareTarget['channel'];
  readonly target: string;
  readonly accountId?: AccountId;
  /** Directory channel: the resource share that holds the target (unmanaged), or that the row recorded (missing). */
  readonly resourceShareId?: string;
}

/** The target ECS uses for a community publication (ModifyImageSharePermission's share group `all`). */
export const PUBLIC_TARGET = 'all';

export interface DriftReport {
  /** Targets a channel lists that no row claims: accounts in account order, then directory entries in share, target order. */
  readonly unmanaged: readonly UnmanagedShare[];
  /** Active rows whose channel does not list their target, in row order. */
  readonly missing: readonly Share[];
  /** ECS shows the image as a community image and policy does not allow that. */
  readonly public: boolean;
}

/**
 * `rows`: the image's stored share rows (any state); `listing`: what the channels list now;
 * `imageIsPublic`: what DescribeImages says, which may show a publication the share listing does not yet.
 */
export function driftOf(
  rows: readonly Share[],
  listing: ChannelListing,
  policy: Pick<Policy, 'allowPublicImages'>,
  imageIsPublic = false,
): DriftReport {
  const claiming = rows.filter((s) => CLAIMING_STATES.includes(s.state));
  const claimedAccounts = new Set(claiming.filter((s) => s.channel === 'account').map((s) => s.target));
  const accounts = [...new Set(listing.permissions.accounts.map((a) => a.accountId))]
    .filter((id) => !claimedAccounts.has(id))
    .sort()
    .map((target) => ({ channel: 'account' as const, target }));
  const entries = directorySharesOf(listing.holdings)
    .filter((entry) => grantsAccess(entry.status) && !claiming.some((row) => claimsEntry(row, entry)))
    .map((entry) => ({ ...entry, channel: 'directory' as const }));
  return {
    unmanaged: [...accounts, ...entries],
    missing: rows.filter((s) => s.state === 'active' && !isListed(s, listing)),
    public: (listing.permissions.isPublic || imageIsPublic) && !policy.allowPublicImages,
  };
}

const driftTarget = (t: ShareTarget): Pick<Drift, 'channel' | 'target' | 'accountId'> =>
  t.channel === 'account' ? { channel: 'account', target: t.target, accountId: t.target } : { channel: 'directory', target: t.target };

/** The report as describe lists it: unmanaged targets, then missing ones, then `public`. */
export function driftEntries(report: DriftReport): Drift[] {
  return [
    ...report.unmanaged.map((u) => ({ kind: 'unmanaged' as const, ...driftTarget(u), ...(u.channel === 'directory' ? { resourceShareId: u.resourceShareId } : {}) })),
    ...report.missing.map((s) => ({ kind: 'missing' as const, ...driftTarget(s), ...(s.resourceShareId ? { resourceShareId: s.resourceShareId } : {}) })),
    ...(report.public ? [{ kind: 'public' as const, channel: 'account' as const, target: PUBLIC_TARGET }] : []),
  ];
}

/** The rows that claim a listing (CLAIMING_STATES): who the service has put, or is putting, there. */
export const claimingRows = (rows: readonly Share[]): Share[] => rows.filter((s) => CLAIMING_STATES.includes(s.state));
