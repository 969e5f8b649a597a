// delete-guard: guarded or draining deletion of an image, its status, and cancelling a drain.
import { ALL_ROLES } from '../../shared/http/routes.js';
import type { Route } from '../../shared/http/routes.js';

export const deleteGuardRoutes: readonly Route[] = [
  {
    operationId: 'requestImageDeletion',
    summary: 'Delete an image: guard (refuse while shared) or drain (revoke every share, then delete)',
    method: 'POST',
    path: '/v1/images/{regionId}/{imageId}/deletion',
    roles: ['admin'],
    body: 'DeletionBody',
    responses: {
      200: { schema: 'DeletionOutcome', description: 'The image is deleted' },
      202: { schema: 'DeletionOutcome', description: 'Draining: shares are being revoked; the reconciler deletes once none remain' },
    },
    errors: ['ImageNotFound', 'ImageNotShareable', 'ImageStillShared', 'ImageInUse', 'DeletionNotInProgress', 'ConcurrentModification', 'IdempotencyKeyReused', 'UpstreamThrottled', 'UpstreamUnavailable'],
    async handle({ ctx, governor, params, body }) {
      const b = body as { mode: 'guard' | 'drain'; reason: string; force?: boolean };
      const out = await governor.requestDeletion(ctx, params.regionId!, params.imageId!, {
        mode: b.mode,
        reason: b.reason,
        ...(b.force !== undefined ? { force: b.force } : {}),
      });
      return out.status === 'deleted' ? { status: 200, body: out } : { status: 202, body: out };
    },
  },
  {
    operationId: 'getImageDeletion',
    summary: 'Deletion status of an image',
    method: 'GET',
    path: '/v1/images/{regionId}/{imageId}/deletion',
    roles: ALL_ROLES,
    responses: { 200: { schema: 'DeletionState', description: 'none, draining, deleted, cancelled or failed' } },
    errors: [],
    async handle({ ctx, governor, params }) {
      const { status, remaining, lastError } = await governor.deletionStatus(ctx, params.regionId!, params.imageId!);
      // The contract names all three members; lastError is null rather than absent.
      return { status: 200, body: { status, remaining, lastError: lastError ?? null } };
    },
  },
  {
    operationId: 'cancelImageDeletion',
    summary: 'Cancel a drain that has not deleted the image yet (revoked shares stay revoked)',
    method: 'DELETE',
    path: '/v1/images/{regionId}/{imageId}/deletion',
    roles: ['admin'],
    responses: { 200: { schema: 'DeletionOutcome', description: 'Cancelled' } },
    errors: ['DeletionNotInProgress', 'ConcurrentModification'],
    async handle({ ctx, governor, params }) {
      return { status: 200, body: await governor.cancelDeletion(ctx, params.regionId!, params.imageId!) };
    },
  },
];
