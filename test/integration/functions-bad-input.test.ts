// Client mistakes that reach past the schemas, through the HTTP functions on the real adapters and
// both emulators: each is a 400 ValidationFailed naming the field, and none changes any state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeCursor } from '../../shared/tablestore/keys.js';
import { eventObject } from '../fixtures/events.js';
import { STACK_REGION, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const IMAGE = 'm-bp1badinput0001';

describe('HTTP functions refuse forged cursors and ill-formed text (real adapters, both emulators)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ images: [{ regionId: STACK_REGION, imageId: IMAGE }] });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const problemOf = (res: { statusCode: number; body: string }) => ({ status: res.statusCode, ...(JSON.parse(res.body) as Record<string, unknown>) });

  it("answers 400 for a cursor whose key is short in UTF-16 but over Tablestore's 1 KB of UTF-8, on every paged listing", async () => {
    // 400 × "€": 400 UTF-16 units (what the old check counted), 1,200 UTF-8 bytes (what Tablestore counts).
    const wide = '€'.repeat(400);
    const token = stack.tokens.auditor;
    const listings = [
      eventObject('list-requests', { token, query: { limit: '1', cursor: encodeCursor('requests', [wide]) } }),
      eventObject('list-images', { token, query: { limit: '1', cursor: encodeCursor('images', [STACK_REGION, wide]) } }),
      eventObject('list-images', {
        token,
        query: { regionId: STACK_REGION, limit: '1', cursor: encodeCursor(`images:${STACK_REGION}`, [STACK_REGION, wide]) },
      }),
      eventObject('list-events', {
        token,
        path: `/v1/images/${STACK_REGION}/${IMAGE}/events`,
        query: { limit: '1', cursor: encodeCursor(`audit:${STACK_REGION}/${IMAGE}`, [wide]) },
      }),
      eventObject('list-runs', { token, query: { limit: '1', cursor: encodeCursor('runs', [wide]) } }),
    ];
    for (const listing of listings) {
      const res = await stack.invoke('describe', listing, 'forged-cursor');
      expect(problemOf(res), listing.rawPath).toMatchObject({
        status: 400,
        code: 'ValidationFailed',
        errors: [{ path: '/query/cursor', message: 'is not a cursor returned by this listing' }],
      });
    }
    const tablestoreCalls = await stack.tablestore.admin.calls();
    expect(tablestoreCalls.filter((c) => c.code !== null)).toEqual([]);
  });

  it('answers 400 for a lone surrogate in a body, and stores nothing: no request, share, audit event or ECS call', async () => {
    // What the adversarial client sent: JSON text whose escape decodes to a lone surrogate.
    const body = '{"accountIds":["2000000000000001"],"reason":"needs \\ud800 review","ticket":"CHG-1","attestation":{"sensitiveDataRemoved":true}}';
    const ecsCallsBefore = (await stack.ecs.admin.calls()).length;
    const res = await stack.invoke(
      'share',
      eventObject('share-request', {
        token: stack.tokens.requester,
        path: `/v1/images/${STACK_REGION}/${IMAGE}/share-requests`,
        body,
        headers: { 'Idempotency-Key': 'lone-1' },
      }),
      'lone-surrogate',
    );
    expect(problemOf(res)).toMatchObject({
      status: 400,
      code: 'ValidationFailed',
      errors: [{ path: '/body/reason', message: 'must be well-formed Unicode (no lone surrogates)' }],
    });
    const rows = Object.fromEntries((await stack.tablestore.admin.state()).tables.map((t) => [t.name, t.rows]));
    expect(rows).toMatchObject({ isg_images: 0, isg_shares: 0, isg_requests: 0, isg_requests_by_time: 0, isg_audit: 0, isg_idempotency: 0 });
    expect((await stack.ecs.admin.calls()).length).toBe(ecsCallsBefore);
  });
});
