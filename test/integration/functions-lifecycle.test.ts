import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventObject } from '../fixtures/events.js';
import { STACK_OWNER, STACK_REGION, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const IMAGE = 'm-bp1testimage0001';
const A1 = '2200000000000001';
const A2 = '2200000000000002';

const json = (res: { body: string }) => JSON.parse(res.body) as Record<string, any>;

describe('functions over the real adapters and both emulators: request → approve → describe → unshare → drain delete', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: [A1, A2], images: [{ regionId: STACK_REGION, imageId: IMAGE, imageName: 'golden' }] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('keeps the store and ECS in agreement at every step', async () => {
    // Request (requester): 202 pending, nothing in ECS yet
    const storeCallsBefore = (await stack.tablestore.admin.calls()).length;
    const asked = await stack.invoke(
      'share',
      eventObject('share-request', {
        token: stack.tokens.requester,
        body: { accountIds: [A1, A2], reason: 'staging', attestation: { sensitiveDataRemoved: true } },
      }),
      'it-1',
    );
    expect([asked.statusCode, asked.headers['x-request-id'], json(asked).request.status]).toEqual([202, 'it-1', 'pending_approval']);
    const requestId = json(asked).request.requestId as string;
    expect((await stack.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!.shares).toEqual([]);
    // The store calls of a request on an image never seen before: the image record is written once and
    // not read back; one row per target; the second request read is the idempotent retry's check.
    expect((await stack.tablestore.admin.calls()).slice(storeCallsBefore).map((c) => `${c.operation} ${c.table ?? ''}`)).toEqual([
      'GetRow isg_idempotency',
      'GetRow isg_requests',
      'GetRow isg_images',
      'GetRange isg_shares',
      'PutRow isg_images',
      'UpdateRow isg_images',
      'BatchWriteRow isg_requests_by_time',
      'PutRow isg_requests',
      'PutRow isg_shares',
      'PutRow isg_shares',
      'GetRow isg_requests',
      'BatchWriteRow isg_audit',
      'PutRow isg_idempotency',
    ]);

    // Approve (approver): 200 with both shares active, ECS lists both
    const callsBefore = (await stack.ecs.admin.calls()).length;
    const approved = await stack.invoke('share', eventObject('approve', { token: stack.tokens.approver, requestId }), 'it-2');
    expect(approved.statusCode).toBe(200);
    // The image is described once per request: the re-check before approving and the apply's own check share one read.
    expect((await stack.ecs.admin.calls()).slice(callsBefore).map((c) => c.action)).toEqual(['DescribeImages', 'ModifyImageSharePermission', 'DescribeImageSharePermission']);
    expect(json(approved).request.status).toBe('applied');
    expect(json(approved).shares.map((s: { accountId: string; state: string }) => [s.accountId, s.state])).toEqual([
      [A1, 'active'],
      [A2, 'active'],
    ]);
    const ecsAfterApprove = (await stack.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!;
    expect(ecsAfterApprove.shares.map((s) => s.accountId).sort()).toEqual([A1, A2]);
    expect(ecsAfterApprove.ownerAccountId).toBe(STACK_OWNER);

    // Describe (auditor, live): store and ECS agree, no drift, quota 2
    const described = await stack.invoke('describe', eventObject('describe-image', { token: stack.tokens.auditor }), 'it-3');
    expect(described.statusCode).toBe(200);
    const d = json(described);
    expect({ quota: d.quota, drift: d.drift, public: d.public, shares: d.shares.map((s: { accountId: string; state: string }) => `${s.accountId}:${s.state}`) }).toEqual({
      quota: { limit: 50, used: 2 },
      drift: [],
      public: false,
      shares: [`${A1}:active`, `${A2}:active`],
    });

    // Unshare A1 (requester)
    const unshared = await stack.invoke(
      'unshare',
      eventObject('unshare', { token: stack.tokens.requester, body: { accountIds: [A1], reason: 'done' } }),
      'it-4',
    );
    expect([unshared.statusCode, json(unshared).shares.map((s: { state: string }) => s.state), json(unshared).notShared]).toEqual([200, ['revoked'], []]);
    expect((await stack.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!.shares.map((s) => s.accountId)).toEqual([A2]);

    // Guard delete refuses while A2 remains
    const guarded = await stack.invoke(
      'delete-guard',
      eventObject('deletion-request', { token: stack.tokens.admin, body: { mode: 'guard', reason: 'retire' }, headers: { 'Idempotency-Key': 'guard-1' } }),
      'it-5',
    );
    expect([guarded.statusCode, json(guarded).code, json(guarded).shares]).toEqual([409, 'ImageStillShared', [A2]]);

    // Drain delete until the image is gone from ECS
    let status = 0;
    for (let attempt = 0; attempt < 5 && status !== 200; attempt++) {
      const drained = await stack.invoke(
        'delete-guard',
        eventObject('deletion-request', { token: stack.tokens.admin, body: { mode: 'drain', reason: 'retire' }, headers: { 'Idempotency-Key': `drain-${attempt}` } }),
      );
      status = drained.statusCode;
      expect([200, 202]).toContain(status);
    }
    expect(status).toBe(200);
    const gone = (await stack.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!;
    expect([gone.deleted, gone.shares]).toEqual([true, []]);
    const deletion = await stack.invoke('delete-guard', eventObject('deletion-status', { token: stack.tokens.auditor }), 'it-6');
    expect(json(deletion)).toEqual({ status: 'deleted', remaining: 0, lastError: null });

    // The audit trail tells the story, newest first
    const events = await stack.invoke('describe', eventObject('list-events', { token: stack.tokens.auditor, query: { limit: '100' } }), 'it-7');
    const actions = (json(events).items as { action: string }[]).map((e) => e.action);
    expect(actions[0]).toBe('image.deleted');
    expect(actions).toEqual(expect.arrayContaining(['share.requested', 'share.approved', 'share.applied', 'share.revoked', 'image.drain_started', 'image.deleted']));
  });
});
