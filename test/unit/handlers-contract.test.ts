// The published contract against what the functions really answer: every response of every route,
// driven through the real governor, must match the schema openapi.yaml declares for its status, with
// no member the schema does not name (response schemas are closed here, for this check only).
import Ajv from 'ajv';
import type { ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { beforeAll, describe, expect, it } from 'vitest';
import { HTTP_FUNCTIONS } from '../../functions/registry.js';
import { GovernorError } from '../../shared/domain/errors.js';
import type { Route } from '../../shared/http/routes.js';
import { buildOpenApi } from '../../scripts/openapi.js';
import { RESPONSE_SCHEMAS } from '../../shared/http/schemas.js';
import type { HttpResponse } from '../../shared/http/types.js';
import { event } from '../fixtures/events.js';
import type { EventChanges, FixtureName } from '../fixtures/events.js';
import { IMAGE, REGION, createDomainHarness } from '../fixtures/harness.js';
import type { DomainHarness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';

const ROUTES: readonly Route[] = HTTP_FUNCTIONS.flatMap((f) => f.routes);
const A1 = '2000000000000001';
const A2 = '2000000000000002';
const A3 = '2000000000000003';
const EXEMPT = '2000000000000005';

/** Every object schema that names its properties and says nothing about others gets additionalProperties: false. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (!schema || typeof schema !== 'object') return schema;
  const out = Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, k === 'properties' ? Object.fromEntries(Object.entries(v as object).map(([p, s]) => [p, closed(s)])) : closed(v)]));
  if ('properties' in out && !('additionalProperties' in out)) out.additionalProperties = false;
  return out;
}

const ajv = new Ajv({ allErrors: true, strict: false, allowUnionTypes: true });
addFormats(ajv, ['date-time']);
ajv.addSchema({ $id: 'openapi', components: { schemas: closed(RESPONSE_SCHEMAS) } });
const validatorOf = (name: string): ValidateFunction => ajv.getSchema(`openapi#/components/schemas/${name}`)!;
const DOC = buildOpenApi() as { paths: Record<string, Record<string, { responses: Record<string, { description: string }> }>> };

describe('HTTP API v1 responses match openapi.yaml', () => {
  let h: DomainHarness;
  /** operationId → statuses seen */
  const seen = new Map<string, Set<number>>();
  const mismatches: string[] = [];
  /** Problem codes answered, in order. */
  const codes: string[] = [];
  /** Bodies of every GET deletion, in order. */
  const deletionStates: Record<string, unknown>[] = [];

  async function call(operationId: string, fixture: FixtureName, changes: EventChanges, token: string): Promise<HttpResponse> {
    const route = ROUTES.find((r) => r.operationId === operationId)!;
    const res = await h.handler(event(fixture, { token, ...changes }), { requestId: `${operationId}-${seen.get(operationId)?.size ?? 0}` });
    const body = JSON.parse(res.body) as unknown;
    const schema = res.statusCode >= 400 ? 'Problem' : route.responses[res.statusCode]?.schema;
    if (res.statusCode >= 400) {
      const { code } = body as { code: string };
      codes.push(code);
      const documented = (DOC.paths[route.path]![route.method.toLowerCase()]!.responses[String(res.statusCode)]?.description ?? '').split(', ');
      if (!documented.includes(code)) mismatches.push(`${operationId}: ${res.statusCode} ${code} is not among the documented codes`);
    }
    if (!schema) mismatches.push(`${operationId}: status ${res.statusCode} is not declared (${res.body})`);
    else if (!validatorOf(schema)(body)) mismatches.push(`${operationId} ${res.statusCode} ${schema}: ${ajv.errorsText(validatorOf(schema).errors)} in ${res.body}`);
    if (operationId === 'getImageDeletion') deletionStates.push(body as Record<string, unknown>);
    if (!seen.has(operationId)) seen.set(operationId, new Set());
    seen.get(operationId)!.add(res.statusCode);
    return res;
  }

  beforeAll(async () => {
    // Prepare and act: one story through every route and every declared success status
    const idp = await createTestIdp();
    h = await createDomainHarness(ROUTES, { idp, env: { APPROVAL_EXEMPT_ACCOUNTS: EXEMPT } });
    const t = h.tokens;
    const noKey = { 'Idempotency-Key': null };
    const share = (accountIds: string[], key: string) =>
      call('requestShare', 'share-request', { body: { accountIds, reason: 'r', ticket: 'T-1', expiresAt: '2027-01-01T00:00:00Z', attestation: { sensitiveDataRemoved: true } }, headers: { 'Idempotency-Key': key } }, t.requester);

    const pending = JSON.parse((await share([A1, A2], 'k1')).body) as { request: { requestId: string } };
    await call('approveShareRequest', 'approve', { requestId: pending.request.requestId }, t.approver);
    const toReject = JSON.parse((await share([A3], 'k2')).body) as { request: { requestId: string } };
    await call('rejectShareRequest', 'reject', { requestId: toReject.request.requestId }, t.approver);
    await call('approveShareRequest', 'approve', { requestId: toReject.request.requestId, headers: noKey }, t.approver);
    await share([EXEMPT], 'k3');
    await call('unshareImage', 'unshare', { body: { accountIds: [A2, '2000000000000009'], reason: 'done' } }, t.requester);
    const unknown = JSON.parse((await share(['1999999999999999'], 'k4')).body) as { request: { requestId: string } };
    await call('approveShareRequest', 'approve', { requestId: unknown.request.requestId, headers: noKey }, t.approver);
    h.images.shareOutOfBand(REGION, IMAGE, '2000000000000030');
    await share(['2000000000000006'], 'k5');
    await share([A1], 'k6');
    await call('unshareImage', 'unshare', { path: `/v1/images/${REGION}/m-nothing00001/unshare`, headers: noKey }, t.requester);

    await call('describeImage', 'describe-image', {}, t.auditor);
    await call('describeImage', 'describe-image', { query: { live: 'false' } }, t.auditor);
    await call('describeImage', 'describe-image', { path: `/v1/images/${REGION}/m-nothing00001` }, t.auditor);
    await call('listImages', 'list-images', { query: { regionId: REGION, limit: '1' } }, t.auditor);
    await call('listShareRequests', 'list-requests', { query: { limit: '1' } }, t.auditor);
    await call('getShareRequest', 'get-request', { requestId: pending.request.requestId }, t.auditor);
    await call('getShareRequest', 'get-request', { requestId: 'sr-none' }, t.auditor);
    await call('listImageEvents', 'list-events', { query: { limit: '3' } }, t.auditor);
    await h.store.putRun({
      runId: 'run0001', trigger: 'timer', mode: 'report', regions: [REGION], status: 'completed', startedAt: '2026-03-01T10:00:00.000Z',
      finishedAt: '2026-03-01T10:00:01.000Z', durationMs: 1000, imagesScanned: 1, findings: { unmanaged: 1 }, actions: {},
      errors: [{ regionId: REGION, imageId: IMAGE, code: 'UpstreamThrottled', message: 'm' }], apiCalls: { DescribeImages: 1 },
    });
    await call('listReconcileRuns', 'list-runs', {}, t.auditor);
    await h.store.writeDeliveries([
      {
        next: {
          sink: 'webhook', feedKey: '2026-03-01T10:00:00.000Z#ev1', eventId: 'ev1', type: 'image-share-governor.share.requested',
          subject: `images/${REGION}/${IMAGE}`, status: 'failed', attempts: 8, lastReason: 'HTTP 503 (gave up after 8 attempts)', updatedAt: '2026-03-01T12:00:00.000Z', version: 8,
        },
        expectedVersion: 0,
      },
    ]);
    await call('listDeliveries', 'list-deliveries', {}, t.auditor);
    await call('getReconcileRun', 'get-run', { runId: 'run0001' }, t.auditor);
    await call('getReconcileRun', 'get-run', { runId: 'run9999' }, t.auditor);
    const unmanaged = {
      kind: 'unmanaged', regionId: REGION, imageId: IMAGE, channel: 'account', target: '2000000000000030', accountId: '2000000000000030',
      detail: 'shared in ECS; no share of the service claims it', action: 'none', at: '2026-03-01T10:00:00.500Z', seq: 0,
    } as const;
    await h.store.putFindings('run0001', [unmanaged]);
    await h.store.putPosture({ regionId: REGION, runId: 'run0001', startedAt: '2026-03-01T10:00:00.000Z', completedAt: '2026-03-01T10:00:01.000Z', findings: 1, open: 1 });
    await call('listReconcileRunFindings', 'list-run-findings', { runId: 'run0001' }, t.auditor);
    await call('listReconcileRunFindings', 'list-run-findings', { runId: 'run9999' }, t.auditor);
    await call('listFindings', 'list-findings', {}, t.auditor);
    await call('listFindings', 'list-findings', { query: { kind: 'public' } }, t.auditor);
    await call('listImages', 'list-images', { query: { regionId: 'eu-central-1' } }, t.auditor);

    await call('getImageDeletion', 'deletion-status', {}, t.auditor);
    await call('requestImageDeletion', 'deletion-request', { body: { mode: 'guard', reason: 'r' }, headers: noKey }, t.admin);
    h.images.addImage({ regionId: REGION, imageId: 'm-spare0000001' });
    await call('requestImageDeletion', 'deletion-request', { path: `/v1/images/${REGION}/m-spare0000001/deletion`, body: { mode: 'guard', reason: 'r' }, headers: noKey }, t.admin);
    await call('getImageDeletion', 'deletion-status', { path: `/v1/images/${REGION}/m-spare0000001/deletion` }, t.auditor);
    h.images.failNext('deleteImage', new GovernorError('UpstreamUnavailable', 'ECS down'), 5);
    await call('requestImageDeletion', 'deletion-request', { headers: noKey }, t.admin);
    await call('getImageDeletion', 'deletion-status', {}, t.auditor);
    await call('cancelImageDeletion', 'deletion-cancel', {}, t.admin);
    await call('cancelImageDeletion', 'deletion-cancel', {}, t.admin);
    await call('requestImageDeletion', 'deletion-request', { headers: noKey }, t.admin);
    await call('getImageDeletion', 'deletion-status', {}, t.auditor);
  });

  it('every response matches the schema declared for its status', () => {
    expect(mismatches).toEqual([]);
  });

  it('the story reached every route with every declared success status', () => {
    for (const route of ROUTES) {
      const statuses = [...(seen.get(route.operationId) ?? [])];
      expect(statuses.filter((s) => s < 400).sort(), route.operationId).toEqual(Object.keys(route.responses).map(Number).sort());
    }
  });

  it('the story met the errors it sets up', () => {
    expect([...new Set(codes)].sort()).toEqual([
      'DeletionNotInProgress', 'ImageNotFound', 'ImageStillShared', 'RegionNotManaged', 'RequestNotFound', 'RequestNotPending', 'RunNotFound', 'ShareAlreadyExists', 'UnknownAccount',
    ]);
  });

  it('GET deletion always names status, remaining and lastError (null when there is none)', () => {
    expect(deletionStates.map((b) => Object.keys(b).sort())).toEqual(deletionStates.map(() => ['lastError', 'remaining', 'status']));
    expect(deletionStates.map((b) => [b.status, b.lastError === null])).toEqual([
      ['none', true],
      ['deleted', true],
      ['draining', false],
      ['draining', false],
    ]);
  });
});
