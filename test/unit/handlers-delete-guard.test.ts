import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GovernorError } from '../../shared/domain/errors.js';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { event } from '../fixtures/events.js';
import { IMAGE, REGION, createDomainHarness, jsonHeaders, problem } from '../fixtures/harness.js';
import type { DomainHarness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

describe('delete-guard function', () => {
  let idp: TestIdp;
  let h: DomainHarness;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    h = await createDomainHarness([...shareRoutes, ...deleteGuardRoutes], { idp, env: { APPROVAL_REQUIRED: 'false' } });
  });
  const shareWithTwo = async () => expect((await h.handler(event('share-request', { token: h.tokens.requester }), { requestId: 'setup' })).statusCode).toBe(201);
  const del = (body: unknown, requestId: string) =>
    h.handler(event('deletion-request', { token: h.tokens.admin, body, headers: { 'Idempotency-Key': null } }), { requestId });

  it('guard: 409 ImageStillShared with the shares while any remain; the image stays', async () => {
    await shareWithTwo();
    const res = await del({ mode: 'guard', reason: 'cleanup' }, 'g1');
    expect(res).toEqual(
      problem(
        'g1',
        409,
        'ImageStillShared',
        'The image is still shared',
        `Image ${IMAGE} is still shared (account 2000000000000001, account 2000000000000002); unshare it or use mode drain`,
        {
          shares: ['2000000000000001', '2000000000000002'],
          targets: ['2000000000000001', '2000000000000002'].map((target) => ({ channel: 'account', target, accountId: target })),
        },
      ),
    );
    expect(h.images.isDeleted(REGION, IMAGE)).toBe(false);
  });

  it('guard: 200 deleted when nothing is shared', async () => {
    const res = await del({ mode: 'guard', reason: 'cleanup' }, 'g2');
    expect(res).toEqual({ statusCode: 200, headers: jsonHeaders('g2'), body: '{"status":"deleted"}', isBase64Encoded: false });
    expect(h.images.isDeleted(REGION, IMAGE)).toBe(true);
  });

  it('drain: revokes every share and deletes once ECS shows none; GET reports it', async () => {
    await shareWithTwo();
    const res = await del({ mode: 'drain', reason: 'superseded' }, 'g3');
    const status = await h.handler(event('deletion-status', { token: h.tokens.auditor }), { requestId: 'g4' });
    expect(res).toEqual({ statusCode: 200, headers: jsonHeaders('g3'), body: '{"status":"deleted"}', isBase64Encoded: false });
    expect(status).toEqual({ statusCode: 200, headers: jsonHeaders('g4'), body: '{"status":"deleted","remaining":0,"lastError":null}', isBase64Encoded: false });
    expect(h.images.isDeleted(REGION, IMAGE)).toBe(true);
    expect(h.images.sharedWith(REGION, IMAGE)).toEqual([]);
  });

  it('drain: 202 while ECS refuses to delete; a share request is then 409 ImageDeletionPending; DELETE cancels it', async () => {
    await shareWithTwo();
    h.images.failNext('deleteImage', new GovernorError('UpstreamUnavailable', 'ECS down'), 5);
    const res = await del({ mode: 'drain', reason: 'superseded' }, 'g5');
    expect(res).toEqual({ statusCode: 202, headers: jsonHeaders('g5'), body: '{"status":"draining","remaining":0}', isBase64Encoded: false });

    const share = await h.handler(
      event('share-request', { token: h.tokens.requester, body: { accountIds: ['2000000000000005'], reason: 'r', attestation: { sensitiveDataRemoved: true } }, headers: { 'Idempotency-Key': null } }),
      { requestId: 'g6' },
    );
    expect([share.statusCode, JSON.parse(share.body).code]).toEqual([409, 'ImageDeletionPending']);

    const cancel = await h.handler(event('deletion-cancel', { token: h.tokens.admin }), { requestId: 'g7' });
    expect(cancel).toEqual({ statusCode: 200, headers: jsonHeaders('g7'), body: '{"status":"cancelled","remaining":0}', isBase64Encoded: false });
    const status = await h.handler(event('deletion-status', { token: h.tokens.requester }), { requestId: 'g8' });
    expect(JSON.parse(status.body)).toEqual({ status: 'cancelled', remaining: 0, lastError: null });
    expect(h.images.isDeleted(REGION, IMAGE)).toBe(false);
  });

  it('guard: 409 ImageInUse while instances use the image, unless forced', async () => {
    h.images.addImage({ regionId: REGION, imageId: 'm-inuse0000001', inUse: true });
    const path = `/v1/images/${REGION}/m-inuse0000001/deletion`;
    const refused = await h.handler(event('deletion-request', { token: h.tokens.admin, path, body: { mode: 'guard', reason: 'r' }, headers: { 'Idempotency-Key': null } }), {
      requestId: 'g13',
    });
    const forced = await h.handler(
      event('deletion-request', { token: h.tokens.admin, path, body: { mode: 'guard', reason: 'r', force: true }, headers: { 'Idempotency-Key': null } }),
      { requestId: 'g14' },
    );
    expect([refused.statusCode, JSON.parse(refused.body).code]).toEqual([409, 'ImageInUse']);
    expect(forced.body).toBe('{"status":"deleted"}');
    expect(h.images.isDeleted(REGION, 'm-inuse0000001')).toBe(true);
  });

  it('DELETE without a drain in progress: 409 DeletionNotInProgress', async () => {
    const res = await h.handler(event('deletion-cancel', { token: h.tokens.admin }), { requestId: 'g9' });
    expect(res).toEqual(problem('g9', 409, 'DeletionNotInProgress', 'No drain is in progress for this image', `No drain is in progress for image ${IMAGE}`, { deletionStatus: 'none' }));
  });

  it('GET status of an image never deleted: none', async () => {
    const res = await h.handler(event('deletion-status', { token: h.tokens.auditor }), { requestId: 'g10' });
    expect(res).toEqual({ statusCode: 200, headers: jsonHeaders('g10'), body: '{"status":"none","remaining":0,"lastError":null}', isBase64Encoded: false });
  });

  it('only admins may delete or cancel', async () => {
    const asRequester = await h.handler(event('deletion-request', { token: h.tokens.requester }), { requestId: 'g11' });
    const asApprover = await h.handler(event('deletion-cancel', { token: h.tokens.approver }), { requestId: 'g12' });
    expect([asRequester.statusCode, asApprover.statusCode]).toEqual([403, 403]);
    expect(h.images.isDeleted(REGION, IMAGE)).toBe(false);
  });
});
