// The folder rules of the directory channel: which directory targets the policy allows. A target is
// resolved through the DirectoryPort (its folder path), and so are the denied accounts and denied
// folders, once per invocation (the lookup cache), because a target is refused not only when it lies
// inside a denied folder but also when it reaches a denied account or folder below it: sharing a
// folder shares with everything in it. The share path (requests, approvals) and the reconciler
// (re-apply, adoption) ask the same questions here.
import { type DirectoryLookupCache, type DirectoryTarget, type ResolvedTarget, isInFolder } from './directory.js';
import { GovernorError, isGovernorError } from './errors.js';
import type { Policy } from './policy.js';
import { disallowedAccounts } from './policy.js';
import type { DirectoryPort } from './ports.js';

/** Why a directory target is refused. */
export type DirectoryRefusalReason =
  /** `rd-…` while ALLOW_DIRECTORY_WIDE_SHARES is false. */
  | 'directory_wide'
  /** The target lies in a DENY_FOLDERS folder (or is one). */
  | 'denied_folder'
  /** ALLOW_FOLDERS is set and the target lies in none of them. */
  | 'outside_allowed_folders'
  /** The target contains a DENY_FOLDERS folder: sharing it would reach that folder. */
  | 'contains_denied_folder'
  /** The target contains a DENY_ACCOUNTS member: sharing it would reach that account. */
  | 'contains_denied_account'
  /** A member account target that DENY_ACCOUNTS / ALLOW_ACCOUNTS refuse. */
  | 'account_not_allowed';

export interface DirectoryRefusal {
  readonly target: DirectoryTarget;
  readonly reason: DirectoryRefusalReason;
  /** The folder or account the rule is about, when it is not the target itself. */
  readonly because?: string;
}

const REASON_TEXT: Readonly<Record<DirectoryRefusalReason, string>> = {
  directory_wide: 'directory-wide shares are not allowed',
  denied_folder: 'it lies in a denied folder',
  outside_allowed_folders: 'it lies in no allowed folder',
  contains_denied_folder: 'it contains a denied folder',
  contains_denied_account: 'it contains a denied account',
  account_not_allowed: 'the account is not allowed',
};

/** The resolved denied folders and denied members: what a target must not contain. */
interface Denied {
  readonly folders: readonly ResolvedTarget[];
  readonly members: readonly ResolvedTarget[];
}

/** A lookup that says "not in the directory" (UnknownAccount) resolves to nothing: it cannot be reached by any target. */
async function resolveIfKnown(directory: DirectoryPort, target: string, cache: DirectoryLookupCache): Promise<ResolvedTarget | undefined> {
  try {
    return await directory.resolveTarget(target, cache);
  } catch (error) {
    if (isGovernorError(error, 'UnknownAccount')) return undefined;
    throw error;
  }
}

async function deniedOf(policy: Policy, directory: DirectoryPort, cache: DirectoryLookupCache): Promise<Denied> {
  const resolve = (ids: readonly string[]) => Promise.all(ids.map((id) => resolveIfKnown(directory, id, cache)));
  const [folders, accounts] = await Promise.all([resolve(policy.denyFolders), resolve(policy.denyAccounts)]);
  const known = (list: (ResolvedTarget | undefined)[]): ResolvedTarget[] => list.filter((r): r is ResolvedTarget => r !== undefined);
  return { folders: known(folders), members: known(accounts).filter((r) => r.kind === 'account' && r.member) };
}

/** What reaches `resolved` from below: a denied folder or member inside it (the directory contains every member and folder). */
function containedDenial(resolved: ResolvedTarget, denied: Denied): DirectoryRefusal | undefined {
  const inside = (other: ResolvedTarget): boolean =>
    resolved.kind === 'directory' ? 'directoryId' in other && other.directoryId === resolved.directoryId : isInFolder(other, resolved.target);
  const folder = denied.folders.find((f) => f.target !== resolved.target && inside(f));
  if (folder) return { target: resolved.target, reason: 'contains_denied_folder', because: folder.target };
  const member = denied.members.find(inside);
  if (member) return { target: resolved.target, reason: 'contains_denied_account', because: member.target };
  return undefined;
}

/** The folder rules on a folder or member target's own path. */
function pathDenial(policy: Policy, resolved: ResolvedTarget): DirectoryRefusal | undefined {
  const deniedFolder = policy.denyFolders.find((folder) => isInFolder(resolved, folder));
  if (deniedFolder) return { target: resolved.target, reason: 'denied_folder', because: deniedFolder };
  if (policy.allowFolders.length > 0 && !policy.allowFolders.some((folder) => isInFolder(resolved, folder))) {
    return { target: resolved.target, reason: 'outside_allowed_folders' };
  }
  return undefined;
}

function refusalOf(policy: Policy, resolved: ResolvedTarget, denied: Denied): DirectoryRefusal | undefined {
  if (resolved.kind === 'directory') {
    if (!policy.allowDirectoryWideShares) return { target: resolved.target, reason: 'directory_wide' };
    return containedDenial(resolved, denied);
  }
  if (resolved.kind === 'account' && disallowedAccounts(policy, [resolved.target]).length > 0) {
    return { target: resolved.target, reason: 'account_not_allowed' };
  }
  return pathDenial(policy, resolved) ?? (resolved.kind === 'folder' ? containedDenial(resolved, denied) : undefined);
}

/**
 * Resolves each target and says which the policy refuses, in target order. A target that is not in
 * the directory — an unknown folder, a foreign directory, an account that is no member — is
 * UnknownAccount (422), as Resource Sharing would refuse it. Lookups go through `cache`.
 */
export async function refusedDirectoryTargets(
  policy: Policy,
  directory: DirectoryPort,
  targets: readonly DirectoryTarget[],
  cache: DirectoryLookupCache,
): Promise<DirectoryRefusal[]> {
  if (targets.length === 0) return [];
  // Cheapest first: a directory-wide target needs no lookup to be refused.
  const wide = targets.filter((t) => t.startsWith('rd-'));
  if (!policy.allowDirectoryWideShares && wide.length === targets.length) {
    return wide.map((target) => ({ target, reason: 'directory_wide' as const }));
  }
  const [resolved, denied] = await Promise.all([Promise.all(targets.map((t) => directory.resolveTarget(t, cache))), deniedOf(policy, directory, cache)]);
  const strangers = resolved.filter((r) => r.kind === 'account' && !r.member).map((r) => r.target);
  if (strangers.length > 0) {
    throw new GovernorError('UnknownAccount', `Not members of the resource directory: ${strangers.join(', ')}`, { details: { directoryTargets: strangers } });
  }
  return resolved.map((r) => refusalOf(policy, r, denied)).filter((r): r is DirectoryRefusal => r !== undefined);
}

/** AccountNotAllowed (403) naming each refused target and why, unless the policy allows them all. */
export async function checkDirectoryPolicy(
  policy: Policy,
  directory: DirectoryPort,
  targets: readonly DirectoryTarget[],
  cache: DirectoryLookupCache,
  message: (whom: string) => string,
): Promise<void> {
  const refusals = await refusedDirectoryTargets(policy, directory, targets, cache);
  if (refusals.length === 0) return;
  const why = refusals.map((r) => `${r.target} (${REASON_TEXT[r.reason]}${r.because ? `: ${r.because}` : ''})`).join(', ');
  throw new GovernorError('AccountNotAllowed', message(why), {
    details: { directoryTargets: refusals.map((r) => r.target), refusals },
  });
}

/**
 * The reconciler's question before it re-applies or adopts a directory share: does the policy allow
 * the target today? A target no longer in the directory is not allowed; an upstream failure propagates
 * (the image is retried next run rather than decided on a guess).
 */
export async function directoryTargetAllowed(policy: Policy, directory: DirectoryPort, target: DirectoryTarget, cache: DirectoryLookupCache): Promise<boolean> {
  if (target === policy.ownerAccountId) return false;
  try {
    return (await refusedDirectoryTargets(policy, directory, [target], cache)).length === 0;
  } catch (error) {
    if (isGovernorError(error, 'UnknownAccount')) return false;
    throw error;
  }
}
