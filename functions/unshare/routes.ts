// unshare: stop sharing an image with accounts and/or directory targets (no approval needed).
import type { Route } from '../../shared/http/routes.js';

export const unshareRoutes: readonly Route[] = [
  {
    operationId: 'unshareImage',
    summary: 'Stop sharing an image with accounts and/or directory targets',
    method: 'POST',
    path: '/v1/images/{regionId}/{imageId}/unshare',
    roles: ['requester', 'admin'],
    body: 'UnshareBody',
    responses: {
      200: { schema: 'UnshareResult', description: 'Revoked; the warning explains the consequence for existing instances' },
    },
    errors: ['ImageNotFound', 'ConcurrentModification', 'IdempotencyKeyReused', 'UpstreamThrottled', 'UpstreamUnavailable'],
    async handle({ ctx, governor, params, body }) {
      const b = body as { accountIds?: string[]; directoryTargets?: string[]; reason: string };
      const out = await governor.unshare(ctx, {
        regionId: params.regionId!,
        imageId: params.imageId!,
        ...(b.accountIds !== undefined ? { accountIds: b.accountIds } : {}),
        ...(b.directoryTargets !== undefined ? { directoryTargets: b.directoryTargets } : {}),
        reason: b.reason,
      });
      const { shares, notShared, revokedOutsideService, directory, warning } = out;
      return { status: 200, body: { shares, notShared, revokedOutsideService, directory, warning } };
    },
  },
];
