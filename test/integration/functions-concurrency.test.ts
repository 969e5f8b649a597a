import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventObject } from '../fixtures/events.js';
import { STACK_REGION, ecsAddedAccounts, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const IMAGE = 'm-bp1concurrency01';
const ACCOUNTS = Array.from({ length: 200 }, (_, i) => String(2300000000000000 + i + 1));
const TWIN_IMAGE = 'm-bp1concurrency02';
const TWIN_ACCOUNTS = ['2300000000000901', '2300000000000902'];

describe('share function under concurrency (real adapters, both emulators)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({
      accounts: [...ACCOUNTS, ...TWIN_ACCOUNTS],
      images: [
        { regionId: STACK_REGION, imageId: IMAGE },
        { regionId: STACK_REGION, imageId: TWIN_IMAGE },
      ],
      env: { APPROVAL_REQUIRED: 'false' },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('200 simultaneous requests for 200 accounts: exactly the limit are active in ECS and the store, the rest 409 ShareQuotaExceeded', async () => {
    // Act
    const responses = await Promise.all(
      ACCOUNTS.map((accountId, i) =>
        stack.invoke(
          'share',
          eventObject('share-request', {
            token: stack.tokens.requester,
            path: `/v1/images/${STACK_REGION}/${IMAGE}/share-requests`,
            body: { accountIds: [accountId], reason: `load ${i}`, attestation: { sensitiveDataRemoved: true } },
            headers: { 'Idempotency-Key': `load-${i}` },
          }),
          `load-${i}`,
        ),
      ),
    );

    // Assess: HTTP outcomes
    const byStatus = new Map<number, number>();
    for (const r of responses) byStatus.set(r.statusCode, (byStatus.get(r.statusCode) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 201: 50, 409: 150 });
    const refused = responses.filter((r) => r.statusCode === 409).map((r) => JSON.parse(r.body) as { code: string; limit: number });
    expect(new Set(refused.map((p) => `${p.code}/${p.limit}`))).toEqual(new Set(['ShareQuotaExceeded/50']));
    const granted = responses.flatMap((r, i) => (r.statusCode === 201 ? [ACCOUNTS[i]!] : [])).sort();

    // ECS lists exactly the granted accounts
    const image = (await stack.ecs.admin.state()).images.find((i) => i.imageId === IMAGE)!;
    expect(image.shares.map((s) => s.accountId).sort()).toEqual(granted);

    // The store agrees: quota 50, the same 50 shares active
    const described = await stack.invoke('describe', eventObject('describe-image', { token: stack.tokens.auditor, path: `/v1/images/${STACK_REGION}/${IMAGE}` }));
    const d = JSON.parse(described.body) as { quota: { used: number; limit: number }; shares: { accountId: string; state: string }[]; drift: unknown[] };
    expect(d.quota).toEqual({ limit: 50, used: 50 });
    expect(d.shares.filter((s) => s.state === 'active').map((s) => s.accountId).sort()).toEqual(granted);
    expect(d.shares).toHaveLength(50);
    expect(d.drift).toEqual([]);

    // Every add reached ECS once: no account was added twice
    expect((await ecsAddedAccounts(stack, IMAGE)).sort()).toEqual(granted);
  });

  it('concurrent twins (same key, same body) make one request, hold quota once, and all get the same answer', async () => {
    // Act: five copies of one request at once
    const twin = (n: number) =>
      stack.invoke(
        'share',
        eventObject('share-request', {
          token: stack.tokens.requester,
          path: `/v1/images/${STACK_REGION}/${TWIN_IMAGE}/share-requests`,
          body: { accountIds: TWIN_ACCOUNTS, reason: 'twins', attestation: { sensitiveDataRemoved: true } },
          headers: { 'Idempotency-Key': 'twin-1' },
        }),
        `twin-${n}`,
      );
    const responses = await Promise.all([1, 2, 3, 4, 5].map(twin));

    // Assess: one share request, the shares added to ECS once, every caller answered 201 with it
    const requests = (await stack.runtimes.share.store.listRequests({}, 100)).items.filter((r) => r.imageId === TWIN_IMAGE);
    expect(requests).toHaveLength(1);
    expect(responses.map((r) => r.statusCode)).toEqual([201, 201, 201, 201, 201]);
    expect(new Set(responses.map((r) => (JSON.parse(r.body) as { request: { requestId: string } }).request.requestId))).toEqual(new Set([requests[0]!.requestId]));
    const adds = await ecsAddedAccounts(stack, TWIN_IMAGE);
    // Each twin that resumes the request re-issues the (idempotent) ECS add: no other account, no double quota
    expect([...new Set(adds)].sort()).toEqual(TWIN_ACCOUNTS);
    expect((await stack.ecs.admin.state()).images.find((i) => i.imageId === TWIN_IMAGE)!.shares.map((s) => s.accountId).sort()).toEqual(TWIN_ACCOUNTS);
    expect((await stack.runtimes.share.store.getImage(STACK_REGION, TWIN_IMAGE))?.quotaUsed).toBe(2);
    expect((await stack.runtimes.share.store.listShares(STACK_REGION, TWIN_IMAGE)).map((s) => `${s.accountId}:${s.state}`)).toEqual(TWIN_ACCOUNTS.map((a) => `${a}:active`));
  });
});
