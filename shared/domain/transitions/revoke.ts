// Revoke: active → revoking (write-ahead intent, quota released) → ECS remove → revoked or expired.
import { isGovernorError } from '../errors.js';
import type { Share, ShareState } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { audit, shareEvent } from './audit.js';
import { releaseQuota } from './quota.js';
import { groupByImage, recordIntentError, shareKey, transitionAll } from './state-machine.js';

/**
 * active → revoking (intent, quota released) → ECS remove → revoked (or `finalState`, e.g. expired).
 * Accepts shares in `active` or `revoking` (resume). Upstream errors leave them `revoking` and rethrow.
 * Returns the shares in their final state.
 */
export async function revokeShares(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  const out: Share[] = [];
  for (const group of groupByImage(shares)) out.push(...(await revokeImageShares(deps, ctx, group, opts)));
  return out;
}

async function revokeImageShares(
  deps: DomainDeps,
  ctx: Ctx,
  group: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  const first = group[0];
  if (!first) return [];
  const resumed = group.filter((s) => s.state === 'revoking');
  const { moved } = await transitionAll(
    deps,
    ctx,
    group.filter((s) => s.state === 'active'),
    'start_revoke',
  );
  // `revoking` is outside QUOTA_STATES: the unit is released with the intent (revoking only moves forward).
  await releaseQuota(deps, first.regionId, first.imageId, moved.length);
  const intents = [...resumed, ...moved];
  if (intents.length === 0) return [];
  const before = new Map<string, ShareState>(intents.map((s) => [shareKey(s), moved.includes(s) ? 'active' : 'revoking']));

  try {
    await deps.images.removeShares(
      first.regionId,
      first.imageId,
      intents.map((s) => s.accountId),
    );
  } catch (e) {
    // An image ECS no longer has is shared with nobody: the removal is complete.
    if (!isGovernorError(e, 'ImageNotFound')) {
      await recordIntentError(deps, ctx, intents, e);
      throw e;
    }
  }
  return finishRevoke(deps, ctx, intents, before, opts);
}

async function finishRevoke(
  deps: DomainDeps,
  ctx: Ctx,
  intents: readonly Share[],
  before: ReadonlyMap<string, ShareState>,
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  const finalState = opts.finalState ?? 'revoked';
  const { moved } = await transitionAll(deps, ctx, intents, finalState === 'expired' ? 'confirm_expired' : 'confirm_revoked', {
    lastError: undefined,
  });
  const action = finalState === 'expired' ? 'share.expired' : 'share.revoked';
  await audit(
    deps,
    ctx,
    moved.map((s) => shareEvent(s, { action, before: before.get(shareKey(s)) ?? 'revoking', after: finalState, reason: opts.reason })),
  );
  return moved;
}

/** Reconciler: ECS no longer lists these `revoking` shares → revoked (or expired). */
export async function markRevoked(
  deps: DomainDeps,
  ctx: Ctx,
  shares: readonly Share[],
  opts: { reason: string; finalState?: 'revoked' | 'expired' },
): Promise<Share[]> {
  return finishRevoke(deps, ctx, shares, new Map(), opts);
}

/** Active shares past expiresAt → revoked in ECS, final state expired. */
export async function expireShares(deps: DomainDeps, ctx: Ctx, shares: readonly Share[]): Promise<Share[]> {
  return revokeShares(deps, ctx, shares, { reason: 'share expired', finalState: 'expired' });
}
