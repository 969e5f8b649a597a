import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { describeRoutes } from '../../functions/describe/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import type { Delivery, ReconcileRun } from '../../shared/domain/model.js';
import { event } from '../fixtures/events.js';
import { IMAGE, REGION, T0_ISO, createDomainHarness, jsonHeaders, problem } from '../fixtures/harness.js';
import type { DomainHarness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

const RUN: ReconcileRun = {
  runId: 'run0001',
  trigger: 'timer',
  mode: 'report',
  regions: [REGION],
  status: 'completed',
  startedAt: T0_ISO,
  finishedAt: '2026-03-01T10:00:02.000Z',
  durationMs: 2000,
  imagesScanned: 1,
  findings: { unmanaged: 1 },
  actions: {},
  errors: [],
  apiCalls: { DescribeImages: 1 },
};

describe('describe function', () => {
  let idp: TestIdp;
  let h: DomainHarness;
  let requestId: string;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    // Prepare: one pending request for two accounts, one share made in the console
    h = await createDomainHarness([...shareRoutes, ...describeRoutes], { idp });
    requestId = (JSON.parse((await h.handler(event('share-request', { token: h.tokens.requester }), { requestId: 'setup' })).body) as { request: { requestId: string } }).request.requestId;
    h.images.shareOutOfBand(REGION, IMAGE, '2000000000000030');
  });

  it('GET image (live): stored state, quota, pending requests and drift against ECS', async () => {
    const res = await h.handler(event('describe-image', { token: h.tokens.auditor }), { requestId: 'd1' });
    const body = JSON.parse(res.body) as { shares: unknown[]; pendingRequests: unknown[] };
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual(jsonHeaders('d1'));
    expect(body).toEqual({
      image: {
        regionId: REGION,
        imageId: IMAGE,
        imageName: 'golden-2026',
        managed: true,
        lifecycle: 'active',
        deletion: { status: 'none' },
        ecs: { status: 'Available', kind: 'custom', isPublic: false, tags: {} },
        createdAt: T0_ISO,
        updatedAt: T0_ISO,
      },
      quota: { limit: 50, used: 2 },
      directoryQuota: { limit: 10, used: 0 },
      shares: [
        expect.objectContaining({ accountId: '2000000000000001', state: 'pending_approval', requestId }),
        expect.objectContaining({ accountId: '2000000000000002', state: 'pending_approval', requestId }),
      ],
      drift: [{ kind: 'unmanaged', channel: 'account', target: '2000000000000030', accountId: '2000000000000030' }],
      public: false,
      pendingRequests: [expect.objectContaining({ requestId, status: 'pending_approval' })],
    });
  });

  it('GET image with live=false does not call ECS', async () => {
    const before = h.images.calls.length;
    const res = await h.handler(event('describe-image', { token: h.tokens.requester, query: { live: 'false' } }), { requestId: 'd2' });
    const body = JSON.parse(res.body) as { image: { ecs: unknown }; drift: unknown[]; public: unknown };
    expect([res.statusCode, body.image.ecs, body.drift, body.public]).toEqual([200, null, [], null]);
    expect(h.images.calls.length).toBe(before);
  });

  it('GET /v1/images pages the managed images', async () => {
    const res = await h.handler(event('list-images', { token: h.tokens.approver }), { requestId: 'd3' });
    expect(res).toEqual({
      statusCode: 200,
      headers: jsonHeaders('d3'),
      body: JSON.stringify({ items: [await h.store.getImage(REGION, IMAGE)] }),
      isBase64Encoded: false,
    });
  });

  it('GET /v1/share-requests filters by status; GET one request', async () => {
    const pending = await h.handler(event('list-requests', { token: h.tokens.approver }), { requestId: 'd4' });
    const rejected = await h.handler(event('list-requests', { token: h.tokens.approver, query: { status: 'rejected' } }), { requestId: 'd5' });
    const one = await h.handler(event('get-request', { token: h.tokens.auditor, requestId }), { requestId: 'd6' });
    const stored = await h.store.getRequest(requestId);
    expect(pending).toEqual({ statusCode: 200, headers: jsonHeaders('d4'), body: JSON.stringify({ items: [stored] }), isBase64Encoded: false });
    expect(rejected.body).toBe('{"items":[]}');
    expect(one).toEqual({ statusCode: 200, headers: jsonHeaders('d6'), body: JSON.stringify({ request: stored }), isBase64Encoded: false });
  });

  it('GET one request that does not exist: 404 RequestNotFound', async () => {
    const res = await h.handler(event('get-request', { token: h.tokens.auditor, requestId: 'sr-nope' }), { requestId: 'd7' });
    expect(res).toEqual(problem('d7', 404, 'RequestNotFound', 'No such share request', 'No share request sr-nope'));
  });

  it('GET events: the audit trail, newest first', async () => {
    const res = await h.handler(event('list-events', { token: h.tokens.auditor }), { requestId: 'd8' });
    const { items } = JSON.parse(res.body) as { items: { action: string; principal: string; requestId: string }[] };
    expect(res.statusCode).toBe(200);
    expect(items.length).toBeGreaterThan(0);
    expect(items.every((e) => e.principal === 'requester-1' && e.requestId === 'setup')).toBe(true);
    expect(items.map((e) => e.action)).toContain('share.requested');
  });

  it('GET reconcile runs and one run; an unknown run is 404 RunNotFound', async () => {
    await h.store.putRun(RUN);
    const list = await h.handler(event('list-runs', { token: h.tokens.auditor }), { requestId: 'd9' });
    const one = await h.handler(event('get-run', { token: h.tokens.auditor, runId: 'run0001' }), { requestId: 'd10' });
    const none = await h.handler(event('get-run', { token: h.tokens.auditor, runId: 'run9999' }), { requestId: 'd11' });
    expect(list).toEqual({ statusCode: 200, headers: jsonHeaders('d9'), body: JSON.stringify({ items: [RUN] }), isBase64Encoded: false });
    expect(one).toEqual({ statusCode: 200, headers: jsonHeaders('d10'), body: JSON.stringify(RUN), isBase64Encoded: false });
    expect(none).toEqual(problem('d11', 404, 'RunNotFound', 'No such reconcile run', 'No reconcile run run9999'));
  });

  it('GET deliveries: dead letters by default, or those being retried, of every sink or one, paged; for admins and auditors', async () => {
    // Prepare: a dead letter at each sink and one delivery still being retried
    const delivery = (sink: 'webhook' | 'eventbridge', eventId: string, status: 'failed' | 'retrying'): Delivery => ({
      sink,
      feedKey: `${T0_ISO}#${eventId}`,
      eventId,
      type: 'image-share-governor.share.requested',
      subject: `images/${REGION}/${IMAGE}`,
      status,
      attempts: status === 'failed' ? 8 : 2,
      ...(status === 'retrying' ? { nextAttemptAt: '2026-03-01T10:05:00.000Z' } : {}),
      lastReason: 'HTTP 503',
      updatedAt: T0_ISO,
      version: 1,
    });
    const rows = [delivery('webhook', 'ev1', 'failed'), delivery('eventbridge', 'ev2', 'failed'), delivery('webhook', 'ev3', 'retrying')];
    await h.store.writeDeliveries(rows.map((next) => ({ next, expectedVersion: 0 })));
    const view = ({ feedKey: _k, version: _v, ...rest }: Delivery) => rest;
    const list = (query: Record<string, string>, token = h.tokens.auditor) => h.handler(event('list-deliveries', { token, query }), { requestId: 'd12' });

    // Act
    const failed = await list({});
    const first = JSON.parse((await list({ status: 'failed', limit: '1' })).body) as { items: unknown[]; nextCursor: string };
    const second = JSON.parse((await list({ status: 'failed', limit: '1', cursor: first.nextCursor })).body) as { items: unknown[]; nextCursor?: string };
    const retrying = await list({ status: 'retrying', sink: 'webhook' }, h.tokens.admin);
    const badStatus = await list({ status: 'delivered' });
    const asRequester = await list({}, h.tokens.requester);

    // Assess
    expect(failed).toEqual({ statusCode: 200, headers: jsonHeaders('d12'), body: JSON.stringify({ items: [view(rows[1]!), view(rows[0]!)] }), isBase64Encoded: false });
    expect([first.items, second.items, second.nextCursor]).toEqual([[view(rows[1]!)], [view(rows[0]!)], undefined]);
    expect(JSON.parse(retrying.body)).toEqual({ items: [view(rows[2]!)] });
    expect([badStatus.statusCode, JSON.parse(badStatus.body).errors]).toEqual([400, [{ path: '/query/status', message: 'must be one of "failed", "retrying"' }]]);
    expect(asRequester.statusCode).toBe(403);
  });
});
