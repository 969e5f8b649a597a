// Deciding on a share request: separation of duties, the re-check of what may have changed while it
// waited, and the apply the approval asks for.
import { DirectoryLookupCache } from '../directory.js';
import { GovernorError } from '../errors.js';
import type { Share, ShareRequest } from '../model.js';
import { requestTargets } from '../model.js';
import type { Ctx, DomainDeps } from '../context.js';
import { checkManagedRegion } from '../policy.js';
import { cancelRequest, expireRequest, rejectRequest, resumeApprovedRequest } from '../transitions.js';
import { compact, updateRequestRecord } from '../util.js';
import { FieldErrors, checkText } from '../validate.js';
import { checkDirectoryTargetsAllowed, checkEcsImage, checkTargetsAllowed, getRequestOrThrow, requestWithShares } from './checks.js';

async function decidable(deps: DomainDeps, ctx: Ctx, requestId: string): Promise<ShareRequest> {
  const request = await getRequestOrThrow(deps, requestId);
  if (request.requester === ctx.principal.id) {
    throw new GovernorError('SelfApprovalForbidden', 'The requester of a share request cannot decide on it');
  }
  if (request.status === 'pending_approval' && Date.parse(request.pendingUntil) <= deps.clock.now().getTime()) {
    await expireRequest(deps, ctx, request);
    throw new GovernorError('RequestNotPending', `Share request ${requestId} expired at ${request.pendingUntil}`, {
      details: { requestStatus: 'expired' },
    });
  }
  return request;
}

const notPending = (request: ShareRequest): GovernorError =>
  new GovernorError('RequestNotPending', `Share request ${request.requestId} is ${request.status}`, { details: { requestStatus: request.status } });

export async function approve(
  deps: DomainDeps,
  ctx: Ctx,
  requestId: string,
  body: { comment?: string },
): Promise<{ request: ShareRequest; shares: Share[] }> {
  const { store } = deps;
  const errors = new FieldErrors();
  checkText(errors, 'comment', body.comment, { required: false });
  errors.throwIfAny();
  const request = await decidable(deps, ctx, requestId);

  // A retried approval of a request whose apply was interrupted finishes the apply.
  if (request.status === 'approved') {
    await resumeApprovedRequest(deps, ctx, request, { event: 'approve' });
    return requestWithShares(deps, requestId);
  }
  if (request.status !== 'pending_approval') throw notPending(request);

  const image = await store.getImage(request.regionId, request.imageId);
  if (!image || image.lifecycle !== 'active') {
    await cancelRequest(deps, ctx, request, 'image is being deleted');
    throw new GovernorError('ImageDeletionPending', `Image ${request.imageId} is being deleted; the request was cancelled`);
  }
  await recheckBeforeApproval(deps, request);

  const decidedAt = deps.clock.now().toISOString();
  const approved = await updateRequestRecord(deps, request, (fresh) =>
    fresh.status !== 'pending_approval'
      ? null
      : compact({ ...fresh, status: 'approved' as const, decidedBy: ctx.principal.id, decidedAt, comment: body.comment }),
  );
  if (!approved) throw notPending((await store.getRequest(requestId)) ?? request);

  await resumeApprovedRequest(deps, ctx, approved, compact({ event: 'approve' as const, comment: body.comment }));
  return requestWithShares(deps, requestId);
}

/**
 * Policy and the image may have changed while the request waited. Refuse the approval (the request
 * stays pending for a reject or its expiry) rather than apply what would be refused today.
 */
async function recheckBeforeApproval(deps: DomainDeps, request: ShareRequest): Promise<void> {
  const { images, policy } = deps;
  checkManagedRegion(policy, request.regionId);
  const targets = requestTargets(request);
  checkTargetsAllowed(policy, targets, { approving: true });
  await checkDirectoryTargetsAllowed(deps, targets, new DirectoryLookupCache(), { approving: true });
  checkEcsImage(policy, request.imageId, request.regionId, await images.getImage(request.regionId, request.imageId));
}

export async function reject(deps: DomainDeps, ctx: Ctx, requestId: string, body: { comment: string }): Promise<{ request: ShareRequest }> {
  const { store } = deps;
  const errors = new FieldErrors();
  checkText(errors, 'comment', body.comment, { required: true });
  errors.throwIfAny();
  const request = await decidable(deps, ctx, requestId);
  if (request.status !== 'pending_approval') throw notPending(request);
  const rejected = await rejectRequest(deps, ctx, request, body.comment);
  if (!rejected) throw notPending((await store.getRequest(requestId)) ?? request);
  return { request: rejected };
}
