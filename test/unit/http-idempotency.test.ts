import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GovernorError } from '../../shared/domain/errors.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { event } from '../fixtures/events.js';
import { FIXED_NOW, createHarness, ctx, jsonHeaders, problemHeaders } from '../fixtures/harness.js';
import type { Harness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

const BODY = { accountIds: ['2000000000000001'], reason: 'why', attestation: { sensitiveDataRemoved: true } };

describe('http idempotency: Idempotency-Key on POST', () => {
  let idp: TestIdp;
  let h: Harness;
  let applied: number;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    h = await createHarness(shareRoutes, { idp });
    applied = 0;
    h.script.requestShare = async () => ({ outcome: 'applied', request: { requestId: `r${++applied}` }, shares: [] });
  });
  const post = (body: unknown, key: string, requestId: string, token = h.tokens.requester) =>
    h.handler(event('share-request', { token, body, headers: { 'Idempotency-Key': key } }), ctx(requestId));

  it('replays the first response for the same principal, key and body', async () => {
    // Prepare
    const first = await post(BODY, 'k-1', 'req-1');
    // Act: the same body with keys in another order
    const again = await post({ reason: 'why', attestation: { sensitiveDataRemoved: true }, accountIds: ['2000000000000001'] }, 'k-1', 'req-2');
    // Assess
    expect(first).toEqual({ statusCode: 201, headers: jsonHeaders('req-1'), body: '{"request":{"requestId":"r1"},"shares":[]}', isBase64Encoded: false });
    expect(again).toEqual({
      statusCode: 201,
      headers: jsonHeaders('req-2', { 'idempotent-replayed': 'true' }),
      body: '{"request":{"requestId":"r1"},"shares":[]}',
      isBase64Encoded: false,
    });
    expect(applied).toBe(1);
    expect([...h.store.records.values()]).toEqual([
      {
        principal: 'requester-1',
        key: 'k-1',
        fingerprint: expect.stringMatching(/^[0-9a-f]{64}$/),
        statusCode: 201,
        body: '{"request":{"requestId":"r1"},"shares":[]}',
        createdAt: FIXED_NOW.toISOString(),
        expiresAt: '2026-11-29T03:00:00.000Z',
      },
    ]);
  });

  it('answers 422 IdempotencyKeyReused for the same key with another body', async () => {
    await post(BODY, 'k-2', 'req-1');
    const res = await post({ ...BODY, reason: 'another' }, 'k-2', 'req-3');
    expect(res).toEqual({
      statusCode: 422,
      headers: problemHeaders('req-3'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:IdempotencyKeyReused',
        title: 'The Idempotency-Key was used with another request',
        status: 422,
        code: 'IdempotencyKeyReused',
        detail: 'This Idempotency-Key was already used with a different request',
        requestId: 'req-3',
      }),
      isBase64Encoded: false,
    });
    expect(applied).toBe(1);
  });

  it('answers 422 for the same key and body on another path', async () => {
    await post(BODY, 'k-8', 'req-1');
    const res = await h.handler(
      event('share-request', { token: h.tokens.requester, body: BODY, path: '/v1/images/cn-shanghai/m-bp1otherimage01/share-requests', headers: { 'Idempotency-Key': 'k-8' } }),
      ctx('req-9'),
    );
    expect([res.statusCode, JSON.parse(res.body).code]).toEqual([422, 'IdempotencyKeyReused']);
    expect(applied).toBe(1);
  });

  it('answers a concurrent twin with the outcome stored first', async () => {
    // Prepare: neither use case call returns before both have started
    let arrived = 0;
    let release!: () => void;
    const bothIn = new Promise<void>((r) => (release = r));
    h.script.requestShare = async () => {
      const n = ++applied;
      if (++arrived === 2) release();
      await bothIn;
      return { outcome: 'applied', request: { requestId: `r${n}` }, shares: [] };
    };
    const [a, b] = await Promise.all([post(BODY, 'k-9', 'req-a'), post(BODY, 'k-9', 'req-b')]);
    expect(applied).toBe(2); // both ran (the share use case dedupes by requestKey itself)
    expect([a.body, b.body].sort()).toEqual([a.body, a.body]);
    expect([a.headers['idempotent-replayed'], b.headers['idempotent-replayed']].filter(Boolean)).toEqual(['true']);
  });

  it('keeps keys apart per principal', async () => {
    await post(BODY, 'k-3', 'req-1');
    const admin = await post(BODY, 'k-3', 'req-2', h.tokens.admin);
    expect(admin.headers['idempotent-replayed']).toBeUndefined();
    expect(applied).toBe(2);
  });

  it('stores final 4xx outcomes and replays them', async () => {
    h.script.requestShare = async () => {
      applied++;
      throw new GovernorError('AccountNotAllowed', 'Account 2000000000000001 is on the deny list');
    };
    const first = await post(BODY, 'k-4', 'req-1');
    const again = await post(BODY, 'k-4', 'req-2');
    expect(first.statusCode).toBe(403);
    expect(again).toEqual({ ...first, headers: problemHeaders('req-2', { 'idempotent-replayed': 'true' }) });
    expect(applied).toBe(1);
    expect(h.logs.map((l) => [l.requestId, l.status, l.code, l.idempotentReplay])).toEqual([
      ['req-1', 403, 'AccountNotAllowed', undefined],
      ['req-2', 403, 'AccountNotAllowed', true],
    ]);
  });

  it('does not store a 5xx, and passes the same requestKey to the retry so the use case can resume', async () => {
    let attempt = 0;
    h.script.requestShare = async () => {
      attempt++;
      if (attempt === 1) throw new GovernorError('UpstreamUnavailable', 'ECS timed out', { retryAfter: 1 });
      return { outcome: 'applied', request: { requestId: 'r1' }, shares: [] };
    };
    const failed = await post(BODY, 'k-5', 'req-1');
    const retried = await post(BODY, 'k-5', 'req-2');
    expect(failed.statusCode).toBe(503);
    expect(retried.statusCode).toBe(201);
    const keys = h.calls.map((c) => c.args[2] as { requestKey: string });
    expect(keys[0]!.requestKey).toMatch(/^[0-9a-f]{40}$/);
    expect(keys[1]).toEqual(keys[0]);
    expect(h.store.records.size).toBe(1);
  });

  it('does not store a ConcurrentModification: it asks for a retry, which then runs', async () => {
    let attempt = 0;
    h.script.requestShare = async () => {
      attempt++;
      if (attempt === 1) throw new GovernorError('ConcurrentModification');
      return { outcome: 'applied', request: { requestId: 'r1' }, shares: [] };
    };
    const conflict = await post(BODY, 'k-10', 'req-1');
    const retried = await post(BODY, 'k-10', 'req-2');
    expect([conflict.statusCode, JSON.parse(conflict.body).code]).toEqual([409, 'ConcurrentModification']);
    expect(retried).toEqual({ statusCode: 201, headers: jsonHeaders('req-2'), body: '{"request":{"requestId":"r1"},"shares":[]}', isBase64Encoded: false });
    expect([...h.store.records.values()].map((r) => r.statusCode)).toEqual([201]);
  });

  it('derives a different requestKey for another principal using the same key', async () => {
    await post(BODY, 'k-6', 'req-1');
    await post(BODY, 'k-6', 'req-2', h.tokens.admin);
    const [a, b] = h.calls.map((c) => (c.args[2] as { requestKey: string }).requestKey);
    expect(a).not.toEqual(b);
  });

  it('still answers when the record cannot be stored', async () => {
    h.store.failPut = true;
    const res = await post(BODY, 'k-7', 'req-1');
    expect(res.statusCode).toBe(201);
    expect(h.logs[0]).toMatchObject({ idempotencyRecord: 'not-stored', status: 201 });
  });
});
