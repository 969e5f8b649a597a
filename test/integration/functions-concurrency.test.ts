import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventObject } from '../fixtures/events.js';
import { STACK_REGION, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const IMAGE = 'm-bp1concurrency01';
const ACCOUNTS = Array.from({ length: 200 }, (_, i) => String(2300000000000000 + i + 1));

describe('share function under concurrency (real adapters, both emulators)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ accounts: ACCOUNTS, images: [{ regionId: STACK_REGION, imageId: IMAGE }], env: { APPROVAL_REQUIRED: 'false' } });
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
    const adds = (await stack.ecs.admin.calls())
      .filter((c) => c.action === 'ModifyImageSharePermission' && c.status === 200)
      .flatMap((c) => Object.entries(c.params).filter(([k]) => k.startsWith('AddAccount')).map(([, v]) => v));
    expect(adds.sort()).toEqual(granted);
  });
});
