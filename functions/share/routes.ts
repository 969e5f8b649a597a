// share: ask for a share, approve it, reject it.
import type { ShareInput } from '../../shared/domain/governor.js';
import type { Route } from '../../shared/http/routes.js';

export const shareRoutes: readonly Route[] = [
  {
    operationId: 'requestShare',
    summary: 'Ask to share an image with accounts and/or directory targets (202 pending approval, or 201 applied at once)',
    method: 'POST',
    path: '/v1/images/{regionId}/{imageId}/share-requests',
    roles: ['requester', 'admin'],
    body: 'ShareRequestBody',
    responses: {
      201: { schema: 'RequestWithShares', description: 'Approval not required: the shares are active' },
      202: { schema: 'RequestEnvelope', description: 'The request waits for approval; quota is reserved' },
    },
    errors: [
      'ImageNotFound',
      'ImageNotShareable',
      'ImageNotAvailable',
      'ImageDeletionPending',
      'AccountNotAllowed',
      'CannotShareWithOwner',
      'UnknownAccount',
      'AttestationRequired',
      'ExpiryTooLong',
      'ShareQuotaExceeded',
      'ShareAlreadyExists',
      'ConcurrentModification',
      'IdempotencyKeyReused',
      'UpstreamThrottled',
      'UpstreamUnavailable',
    ],
    async handle({ ctx, governor, params, body, requestKey }) {
      const b = body as {
        accountIds?: string[];
        directoryTargets?: string[];
        reason: string;
        ticket?: string;
        expiresAt?: string;
        attestation?: { sensitiveDataRemoved: boolean };
      };
      const input: ShareInput = {
        regionId: params.regionId!,
        imageId: params.imageId!,
        ...(b.accountIds !== undefined ? { accountIds: b.accountIds } : {}),
        ...(b.directoryTargets !== undefined ? { directoryTargets: b.directoryTargets } : {}),
        reason: b.reason,
        ...(b.ticket !== undefined ? { ticket: b.ticket } : {}),
        ...(b.expiresAt !== undefined ? { expiresAt: b.expiresAt } : {}),
        attestation: { sensitiveDataRemoved: b.attestation?.sensitiveDataRemoved === true },
      };
      const out = await governor.requestShare(ctx, input, requestKey ? { requestKey } : {});
      return out.outcome === 'pending'
        ? { status: 202, body: { request: out.request } }
        : { status: 201, body: { request: out.request, shares: out.shares } };
    },
  },
  {
    operationId: 'approveShareRequest',
    summary: 'Approve a pending request and apply its shares',
    method: 'POST',
    path: '/v1/share-requests/{requestId}/approve',
    roles: ['approver', 'admin'],
    body: 'ApproveBody',
    responses: { 200: { schema: 'RequestWithShares', description: 'Approved and applied' } },
    errors: [
      'RequestNotFound',
      'RequestNotPending',
      'SelfApprovalForbidden',
      'ImageNotFound',
      'ImageNotShareable',
      'ImageNotAvailable',
      'ImageDeletionPending',
      'AccountNotAllowed',
      'UnknownAccount',
      'ShareAlreadyExists',
      'ShareQuotaExceeded',
      'ConcurrentModification',
      'IdempotencyKeyReused',
      'UpstreamThrottled',
      'UpstreamUnavailable',
    ],
    async handle({ ctx, governor, params, body }) {
      const comment = typeof body.comment === 'string' ? body.comment : undefined;
      const out = await governor.approve(ctx, params.requestId!, comment !== undefined ? { comment } : {});
      return { status: 200, body: { request: out.request, shares: out.shares } };
    },
  },
  {
    operationId: 'rejectShareRequest',
    summary: 'Reject a pending request and release its reserved quota',
    method: 'POST',
    path: '/v1/share-requests/{requestId}/reject',
    roles: ['approver', 'admin'],
    body: 'RejectBody',
    responses: { 200: { schema: 'RequestEnvelope', description: 'Rejected' } },
    errors: ['RequestNotFound', 'RequestNotPending', 'SelfApprovalForbidden', 'ConcurrentModification', 'IdempotencyKeyReused', 'UpstreamUnavailable'],
    async handle({ ctx, governor, params, body }) {
      const out = await governor.reject(ctx, params.requestId!, { comment: String(body.comment) });
      return { status: 200, body: { request: out.request } };
    },
  },
];
