import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventObject } from '../fixtures/events.js';
import { STACK_KEYS, STACK_REGION, ecsAddedAccounts, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const IMAGE = 'm-bp1faultimage001';
const A1 = '2400000000000001';
const A2 = '2400000000000002';

describe('share function when ECS fails mid-apply (real adapters, both emulators)', () => {
  let stack: Stack;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    stack = await startStack({ accounts: [A1, A2], images: [{ regionId: STACK_REGION, imageId: IMAGE }], env: { APPROVAL_REQUIRED: 'false' }, logs });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const ask = (requestId: string) =>
    stack.invoke(
      'share',
      eventObject('share-request', {
        token: stack.tokens.requester,
        path: `/v1/images/${STACK_REGION}/${IMAGE}/share-requests`,
        body: { accountIds: [A1, A2], reason: 'release', attestation: { sensitiveDataRemoved: true } },
        headers: { 'Idempotency-Key': 'release-2026-03' },
      }),
      requestId,
    );
  const successfulAdds = async () => (await ecsAddedAccounts(stack)).sort();

  it('answers 503 leaving applying intents, and a retry with the same Idempotency-Key completes without applying twice', async () => {
    // Prepare: every ModifyImageSharePermission fails (more often than the adapter retries)
    await stack.ecs.admin.addFault({ action: 'ModifyImageSharePermission', code: 'ServiceUnavailable', status: 503, count: 50 });

    // Act 1
    const failed = await ask('fault-1');

    // Assess 1: a generic 503 with Retry-After; intents stored, quota held, nothing in ECS
    expect(failed).toEqual({
      statusCode: 503,
      headers: {
        'content-type': 'application/problem+json',
        'x-request-id': 'fault-1',
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
        'retry-after': expect.stringMatching(/^[0-9]+$/),
      },
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:UpstreamUnavailable',
        title: 'A backing service is unavailable; retry later',
        status: 503,
        code: 'UpstreamUnavailable',
        requestId: 'fault-1',
      }),
      isBase64Encoded: false,
    });
    const store = stack.runtimes.share.store;
    expect((await store.listShares(STACK_REGION, IMAGE)).map((s) => `${s.accountId}:${s.state}`)).toEqual([`${A1}:applying`, `${A2}:applying`]);
    expect((await store.getImage(STACK_REGION, IMAGE))?.quotaUsed).toBe(2);
    expect(await successfulAdds()).toEqual([]);
    expect((await stack.ecs.admin.calls()).filter((c) => c.action === 'ModifyImageSharePermission' && c.code === 'ServiceUnavailable').length).toBeGreaterThan(0);

    // Act 2: ECS recovers; the client retries with the same key and body
    await stack.ecs.admin.clearFaults();
    const retried = await ask('fault-2');

    // Assess 2: applied once, the same request resumed, quota still 2
    expect(retried.statusCode).toBe(201);
    const body = JSON.parse(retried.body) as { request: { requestId: string; status: string }; shares: { accountId: string; state: string }[] };
    expect(body.request.status).toBe('applied');
    expect(body.shares.map((s) => `${s.accountId}:${s.state}`)).toEqual([`${A1}:active`, `${A2}:active`]);
    expect(await successfulAdds()).toEqual([A1, A2]);
    expect((await stack.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!.shares.map((s) => s.accountId).sort()).toEqual([A1, A2]);
    expect((await store.getImage(STACK_REGION, IMAGE))?.quotaUsed).toBe(2);
    const requests = await store.listRequests({}, 10);
    expect(requests.items.map((r) => r.requestId)).toEqual([body.request.requestId]);

    // A third try replays the stored response
    const replay = await ask('fault-3');
    expect([replay.statusCode, replay.headers['idempotent-replayed'], replay.body]).toEqual([201, 'true', retried.body]);
    expect(await successfulAdds()).toEqual([A1, A2]);

    // One log line per request; the 503's cause is logged, no secret or token is
    expect(logs.map((l) => [l.requestId, l.status, l.level])).toEqual([
      ['fault-1', 503, 'error'],
      ['fault-2', 201, 'info'],
      ['fault-3', 201, 'info'],
    ]);
    expect(JSON.stringify(logs[0]!.cause)).toContain('ModifyImageSharePermission');
    const text = JSON.stringify(logs);
    expect(text).not.toContain(STACK_KEYS.accessKeySecret);
    expect(text).not.toContain(stack.tokens.requester.split('.')[1]!);
  });
});
