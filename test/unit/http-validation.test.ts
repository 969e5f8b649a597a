import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import { event } from '../fixtures/events.js';
import { createHarness, ctx, problemHeaders } from '../fixtures/harness.js';
import type { Harness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

const VALID_SHARE = { accountIds: ['2000000000000001'], reason: 'why', attestation: { sensitiveDataRemoved: true } };

const validationFailed = (requestId: string, errors: { path: string; message: string }[], detail = 'The request is not valid') => ({
  statusCode: 400,
  headers: problemHeaders(requestId),
  body: JSON.stringify({
    type: 'urn:image-share-governor:error:ValidationFailed',
    title: 'The request is not valid',
    status: 400,
    code: 'ValidationFailed',
    detail,
    errors,
    requestId,
  }),
  isBase64Encoded: false,
});

describe('http validation: bodies, path parameters and queries', () => {
  let idp: TestIdp;
  let h: Harness;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    h = await createHarness([...shareRoutes, ...unshareRoutes, ...describeRoutes, ...deleteGuardRoutes], { idp });
  });
  const share = (body: unknown, changes: Parameters<typeof event>[1] = {}) =>
    h.handler(event('share-request', { token: h.tokens.requester, body, headers: { 'Idempotency-Key': null }, ...changes }), ctx('req-v'));

  it('refuses properties the schema does not declare, at any depth', async () => {
    const res = await share({ ...VALID_SHARE, admin: true, attestation: { sensitiveDataRemoved: true, by: 'me' } });
    expect(res).toEqual(
      validationFailed('req-v', [
        { path: '/body/admin', message: 'is not allowed' },
        { path: '/body/attestation/by', message: 'is not allowed' },
      ]),
    );
    expect(h.calls).toEqual([]);
  });

  it('lists every problem of a body at once', async () => {
    const res = await share({ accountIds: ['123', '2000000000000001', '2000000000000001'], expiresAt: 'tomorrow' });
    expect(res).toEqual(
      validationFailed('req-v', [
        { path: '/body/reason', message: 'is required' },
        { path: '/body/accountIds/0', message: 'must match pattern "^[0-9]{16}$"' },
        { path: '/body/accountIds', message: 'must NOT have duplicate items (items ## 2 and 1 are identical)' },
        { path: '/body/expiresAt', message: 'must match format "date-time"' },
      ]),
    );
  });

  it('refuses more than 50 accounts or directory targets, and a directory target of no known shape', async () => {
    const many = Array.from({ length: 51 }, (_, i) => String(3000000000000000 + i));
    const tooMany = await share({ ...VALID_SHARE, accountIds: many });
    const tooManyTargets = await share({ ...VALID_SHARE, directoryTargets: many.map((id, i) => (i % 2 ? id : `fd-${i}`)) });
    const malformed = await share({ ...VALID_SHARE, directoryTargets: ['fd-prod0001', 'r-root0001', 'fd-prod0001'] });
    expect(JSON.parse(tooMany.body).errors).toEqual([{ path: '/body/accountIds', message: 'must NOT have more than 50 items' }]);
    expect(JSON.parse(tooManyTargets.body).errors).toEqual([{ path: '/body/directoryTargets', message: 'must NOT have more than 50 items' }]);
    expect(JSON.parse(malformed.body).errors).toEqual([
      { path: '/body/directoryTargets/1', message: 'must match pattern "^(rd-[A-Za-z0-9]{1,32}|fd-[A-Za-z0-9]{1,32}|[0-9]{16})$"' },
      { path: '/body/directoryTargets', message: 'must NOT have duplicate items (items ## 2 and 0 are identical)' },
    ]);
    expect(h.calls).toEqual([]);
  });

  it('refuses a body that is not JSON', async () => {
    expect(await share('{"accountIds": [')).toEqual(validationFailed('req-v', [{ path: '/body', message: 'must be valid JSON' }], 'The body is not valid JSON'));
  });

  it('refuses a JSON body that is not an object', async () => {
    expect(await share('[1,2]')).toEqual(validationFailed('req-v', [{ path: '/body', message: 'must be object' }]));
  });

  it('answers 415 for a body sent as another media type', async () => {
    const res = await share(VALID_SHARE, { headers: { 'Content-Type': 'text/plain', 'Idempotency-Key': null } });
    expect(res).toEqual({
      statusCode: 415,
      headers: problemHeaders('req-v'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:UnsupportedMediaType',
        title: 'The request body must be JSON',
        status: 415,
        code: 'UnsupportedMediaType',
        detail: 'Content-Type text/plain is not accepted; send application/json',
        requestId: 'req-v',
      }),
      isBase64Encoded: false,
    });
  });

  it('answers 413 for a body over 64 KB', async () => {
    const res = await share({ ...VALID_SHARE, reason: 'x'.repeat(65 * 1024) });
    expect(res).toEqual({
      statusCode: 413,
      headers: problemHeaders('req-v'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:PayloadTooLarge',
        title: 'The request body is too large',
        status: 413,
        code: 'PayloadTooLarge',
        detail: `The body is ${JSON.stringify({ ...VALID_SHARE, reason: 'x'.repeat(65 * 1024) }).length} bytes; at most 65536 are accepted`,
        limit: 65536,
        requestId: 'req-v',
      }),
      isBase64Encoded: false,
    });
  });

  it('refuses a malformed image id with 400', async () => {
    const res = await share(VALID_SHARE, { path: '/v1/images/cn-hangzhou/m-UPPER/share-requests' });
    expect(res).toEqual(validationFailed('req-v', [{ path: '/path/imageId', message: 'must match pattern "^m-[a-z0-9]{8,40}$"' }]));
  });

  it('answers 404 RegionNotManaged for a well-formed region this service does not manage', async () => {
    const res = await share(VALID_SHARE, { path: '/v1/images/us-west-1/m-bp1testimage0001/share-requests' });
    expect(res).toEqual({
      statusCode: 404,
      headers: problemHeaders('req-v'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:RegionNotManaged',
        title: 'The region is not managed by this service',
        status: 404,
        code: 'RegionNotManaged',
        detail: 'Region us-west-1 is not managed by this service',
        regionId: 'us-west-1',
        requestId: 'req-v',
      }),
      isBase64Encoded: false,
    });
  });

  it('checks a regionId query filter the same way', async () => {
    const res = await h.handler(event('list-images', { token: h.tokens.auditor, query: { regionId: 'eu-central-1' } }), ctx());
    expect([res.statusCode, JSON.parse(res.body).code]).toEqual([404, 'RegionNotManaged']);
  });

  it('validates and coerces query values', async () => {
    h.script.listRequests = async () => ({ items: [] });
    const ok = await h.handler(event('list-requests', { token: h.tokens.auditor, query: { status: 'approved', limit: '7', cursor: 'abc' } }), ctx());
    const bad = await h.handler(event('list-requests', { token: h.tokens.auditor, query: { status: 'done', limit: '500', extra: '1' } }), ctx('req-q'));
    expect(ok.statusCode).toBe(200);
    expect(h.calls[0]!.args[1]).toEqual({ status: 'approved', limit: 7, cursor: 'abc' });
    expect(bad).toEqual(
      validationFailed('req-q', [
        { path: '/query/extra', message: 'is not allowed' },
        { path: '/query/status', message: 'must be one of "pending_approval", "approved", "applied", "partially_applied", "rejected", "expired", "cancelled", "failed"' },
        { path: '/query/limit', message: 'must be <= 100' },
      ]),
    );
  });

  it('defaults live=true and the page limit in code', async () => {
    h.script.describeImage = async () => ({});
    h.script.listRuns = async () => ({ items: [] });
    await h.handler(event('describe-image', { token: h.tokens.auditor, query: {} }), ctx());
    await h.handler(event('describe-image', { token: h.tokens.auditor, query: { live: 'false' } }), ctx());
    await h.handler(event('list-runs', { token: h.tokens.auditor, query: {} }), ctx());
    expect(h.calls.map((c) => c.args.slice(1))).toEqual([
      ['cn-hangzhou', 'm-bp1testimage0001', { live: true }],
      ['cn-hangzhou', 'm-bp1testimage0001', { live: false }],
      [{ limit: 50 }],
    ]);
  });

  it('refuses query parameters on routes that take none', async () => {
    const res = await h.handler(event('get-run', { token: h.tokens.auditor, runId: 'run1', query: { verbose: '1' } }), ctx('req-n'));
    expect(res).toEqual(validationFailed('req-n', [{ path: '/query/verbose', message: 'is not allowed' }]));
  });

  it('validates the deletion body', async () => {
    const res = await h.handler(
      event('deletion-request', { token: h.tokens.admin, body: { mode: 'nuke', reason: '' }, headers: { 'Idempotency-Key': null } }),
      ctx('req-d'),
    );
    expect(res).toEqual(
      validationFailed('req-d', [
        { path: '/body/mode', message: 'must be one of "guard", "drain"' },
        { path: '/body/reason', message: 'must contain a non-whitespace character' },
      ]),
    );
  });

  it('accepts an empty approve body and refuses a reject without a comment', async () => {
    h.script.approve = async () => ({ request: { requestId: 'r1' }, shares: [] });
    const approve = await h.handler(event('approve', { token: h.tokens.approver, requestId: 'r1', body: '', headers: { 'Idempotency-Key': null } }), ctx());
    const reject = await h.handler(event('reject', { token: h.tokens.approver, requestId: 'r1', body: {} }), ctx('req-r'));
    expect(approve.statusCode).toBe(200);
    expect(h.calls[0]!.args.slice(1)).toEqual(['r1', {}]);
    expect(reject).toEqual(validationFailed('req-r', [{ path: '/body/comment', message: 'is required' }]));
  });

  it('refuses a malformed Idempotency-Key', async () => {
    const res = await share(VALID_SHARE, { headers: { 'Idempotency-Key': 'has spaces in it' } });
    expect(res).toEqual(validationFailed('req-v', [{ path: '/header/idempotency-key', message: 'must match pattern "^[A-Za-z0-9._:-]{1,128}$"' }]));
  });
});
