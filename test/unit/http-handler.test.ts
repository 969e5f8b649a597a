import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GovernorError, StoreError } from '../../shared/domain/errors.js';
import { createHttpHandler } from '../../shared/http/handler.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { apiGatewayEvent, event, eventObject } from '../fixtures/events.js';
import { createHarness, ctx, jsonHeaders, problemHeaders } from '../fixtures/harness.js';
import type { Harness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

const REQUEST = { requestId: 'r1', status: 'pending_approval' };

describe('http handler: routing, FC event parsing and error mapping', () => {
  let idp: TestIdp;
  let h: Harness;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    h = await createHarness([...shareRoutes, ...describeRoutes], { idp });
  });

  it('answers a recorded POST event with the use case result and x-request-id', async () => {
    // Prepare
    h.script.requestShare = async () => ({ outcome: 'pending', request: REQUEST });
    // Act
    const res = await h.handler(event('share-request', { token: h.tokens.requester, headers: { 'Idempotency-Key': null } }), ctx('req-1'));
    // Assess
    expect(res).toEqual({ statusCode: 202, headers: jsonHeaders('req-1'), body: JSON.stringify({ request: REQUEST }), isBase64Encoded: false });
    expect(h.calls).toEqual([
      {
        method: 'requestShare',
        args: [
          { principal: { id: 'requester-1', roles: ['requester'] }, requestId: 'req-1' },
          {
            regionId: 'cn-hangzhou',
            imageId: 'm-bp1testimage0001',
            accountIds: ['2000000000000001', '2000000000000002'],
            reason: 'Staging for team B',
            ticket: 'CHG-1234',
            attestation: { sensitiveDataRemoved: true },
          },
          {},
        ],
      },
    ]);
  });

  it('serves API Gateway\'s event-function event as the HTTP trigger event, with the same response shape', async () => {
    // Prepare
    h.script.requestShare = async () => ({ outcome: 'pending', request: REQUEST });
    // Act
    const viaGateway = await h.handler(apiGatewayEvent('share-request', h.tokens.requester), ctx('req-gw'));
    const viaTrigger = await h.handler(event('share-request', { token: h.tokens.requester, headers: { 'Idempotency-Key': null } }), ctx('req-gw'));
    // Assess: the {statusCode, headers, body, isBase64Encoded} API Gateway expects from an event function
    expect(viaGateway).toEqual({ statusCode: 202, headers: jsonHeaders('req-gw'), body: JSON.stringify({ request: REQUEST }), isBase64Encoded: false });
    expect(viaGateway).toEqual(viaTrigger);
    expect(h.calls[0]).toEqual(h.calls[1]);
  });

  it('reads an API Gateway event\'s query, and its body base64 when isBase64Encoded is the string "true"', async () => {
    h.script.listRequests = async () => ({ items: [] });
    h.script.reject = async () => ({ request: REQUEST });
    expect((await h.handler(apiGatewayEvent('list-requests', h.tokens.auditor), ctx('req-q'))).statusCode).toBe(200);
    expect((await h.handler(apiGatewayEvent('reject-base64', h.tokens.approver), ctx('req-r'))).statusCode).toBe(200);
    expect(h.calls).toEqual([
      { method: 'listRequests', args: [expect.objectContaining({ requestId: 'req-q' }), { limit: 10, status: 'pending_approval' }] },
      { method: 'reject', args: [expect.objectContaining({ requestId: 'req-r' }), 'sr-0001', { comment: 'Not for production accounts' }] },
    ]);
  });

  it('refuses an API Gateway event without a path as a bad event, and answers it as 400', async () => {
    const res = await h.handler(Buffer.from(JSON.stringify({ httpMethod: 'GET', path: 'v1/images' })), ctx('req-bad'));
    expect(res.statusCode).toBe(400);
    expect(h.calls).toEqual([]);
  });

  it('decodes base64 bodies and finds headers whatever their case', async () => {
    const e = eventObject('share-request', { headers: { Authorization: null, 'Idempotency-Key': null } });
    e.headers['AUTHORIZATION'] = `Bearer ${h.tokens.requester}`;
    e.body = Buffer.from(e.body).toString('base64');
    e.isBase64Encoded = true;
    h.script.requestShare = async () => ({ outcome: 'pending', request: REQUEST });

    const res = await h.handler(Buffer.from(JSON.stringify(e)), ctx());

    expect(res.statusCode).toBe(202);
    expect((h.calls[0]!.args[1] as { reason: string }).reason).toBe('Staging for team B');
  });

  it('splits rawPath before decoding, so an encoded slash cannot forge a route', async () => {
    const res = await h.handler(event('get-request', { token: h.tokens.auditor, path: '/v1/share-requests/abc%2Fapprove' }), ctx('req-2'));
    expect(res).toEqual({
      statusCode: 400,
      headers: problemHeaders('req-2'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:ValidationFailed',
        title: 'The request is not valid',
        status: 400,
        code: 'ValidationFailed',
        detail: 'The request is not valid',
        errors: [{ path: '/path/requestId', message: 'must match pattern "^[A-Za-z0-9._:-]{1,128}$"' }],
        requestId: 'req-2',
      }),
      isBase64Encoded: false,
    });
    expect(h.calls).toEqual([]);
  });

  it('answers 404 NotFound for an unknown path, before authentication', async () => {
    const res = await h.handler(event('list-runs', { token: null, path: '/v2/nothing' }), ctx('req-3'));
    expect(res).toEqual({
      statusCode: 404,
      headers: problemHeaders('req-3'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:NotFound',
        title: 'No such resource',
        status: 404,
        code: 'NotFound',
        detail: 'No route for GET /v2/nothing',
        requestId: 'req-3',
      }),
      isBase64Encoded: false,
    });
  });

  it('answers 405 MethodNotAllowed with an Allow header for a known path', async () => {
    const e = eventObject('share-request', { token: h.tokens.admin });
    e.requestContext.http.method = 'PUT';
    const res = await h.handler(Buffer.from(JSON.stringify(e)), ctx('req-4'));
    expect(res).toEqual({
      statusCode: 405,
      headers: problemHeaders('req-4', { allow: 'POST' }),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:MethodNotAllowed',
        title: 'The method is not allowed on this path',
        status: 405,
        code: 'MethodNotAllowed',
        detail: 'PUT is not allowed; use POST',
        allow: 'POST',
        requestId: 'req-4',
      }),
      isBase64Encoded: false,
    });
  });

  it('takes the request id from the event when the context has none', async () => {
    h.script.listRuns = async () => ({ items: [] });
    const res = await h.handler(event('list-runs', { token: h.tokens.auditor }));
    expect(res.headers['x-request-id']).toBe('1-6565a1b2-0c1d2e3f4a5b6c7d8e9f0a1b');
  });

  it.each(['/v1/reconcile-runs/', '/v1//reconcile-runs', '/v1/reconcile-runs/run1/extra', '/v1/share-requests/%E0%A4%A'])('answers 404 for the near miss %s', async (path) => {
    const res = await h.handler(event('list-runs', { token: h.tokens.auditor, path }), ctx('req-nm'));
    expect([res.statusCode, JSON.parse(res.body).code, res.headers['x-request-id']]).toEqual([404, 'NotFound', 'req-nm']);
  });

  it.each(['not json', 'null', '[]', '42', '{}'])('never throws on a broken event (%s), and still answers 400 with a request id', async (text) => {
    const res = await h.handler(Buffer.from(text), {});
    expect(res.statusCode).toBe(400);
    expect(res.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(JSON.parse(res.body).code).toBe('ValidationFailed');
  });

  it('maps a 4xx GovernorError with its details', async () => {
    h.script.requestShare = async () => {
      throw new GovernorError('ShareQuotaExceeded', 'The image has 49 of 50 shares in use; 2 more were requested', {
        details: { limit: 50, used: 49, requested: 2 },
      });
    };
    const res = await h.handler(event('share-request', { token: h.tokens.requester, headers: { 'Idempotency-Key': null } }), ctx('req-5'));
    expect(res).toEqual({
      statusCode: 409,
      headers: problemHeaders('req-5'),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:ShareQuotaExceeded',
        title: 'The image would exceed its share quota',
        status: 409,
        code: 'ShareQuotaExceeded',
        detail: 'The image has 49 of 50 shares in use; 2 more were requested',
        limit: 50,
        used: 49,
        requested: 2,
        requestId: 'req-5',
      }),
      isBase64Encoded: false,
    });
  });

  it('keeps 503 bodies generic, adds Retry-After and logs the cause', async () => {
    h.script.describeImage = async () => {
      throw new GovernorError('UpstreamThrottled', 'Throttling.User on DescribeImages (secret detail)', { retryAfter: 2.2, details: { action: 'x' } });
    };
    const res = await h.handler(event('describe-image', { token: h.tokens.auditor }), ctx('req-6'));
    expect(res).toEqual({
      statusCode: 503,
      headers: problemHeaders('req-6', { 'retry-after': '3' }),
      body: JSON.stringify({
        type: 'urn:image-share-governor:error:UpstreamThrottled',
        title: 'ECS is throttling requests; retry later',
        status: 503,
        code: 'UpstreamThrottled',
        requestId: 'req-6',
      }),
      isBase64Encoded: false,
    });
    expect(h.logs).toHaveLength(1);
    expect(h.logs[0]).toMatchObject({ level: 'error', status: 503, code: 'UpstreamThrottled', cause: [{ name: 'GovernorError', message: 'Throttling.User on DescribeImages (secret detail)' }] });
  });

  it('maps an unknown error to a generic 500', async () => {
    h.script.listRuns = async () => {
      throw new TypeError('cannot read x of undefined');
    };
    const res = await h.handler(event('list-runs', { token: h.tokens.auditor }), ctx('req-7'));
    expect(res).toEqual({
      statusCode: 500,
      headers: problemHeaders('req-7'),
      body: JSON.stringify({ type: 'urn:image-share-governor:error:Internal', title: 'Internal error', status: 500, code: 'Internal', requestId: 'req-7' }),
      isBase64Encoded: false,
    });
  });

  it('maps store errors that escape the domain: ConditionFailed → 409, Busy → 503', async () => {
    h.script.listRuns = async () => {
      throw new StoreError('ConditionFailed');
    };
    const conflict = await h.handler(event('list-runs', { token: h.tokens.auditor }), ctx());
    h.script.listRuns = async () => {
      throw new StoreError('Busy');
    };
    const busy = await h.handler(event('list-runs', { token: h.tokens.auditor }), ctx());
    expect([conflict.statusCode, JSON.parse(conflict.body).code]).toEqual([409, 'ConcurrentModification']);
    expect([busy.statusCode, JSON.parse(busy.body).code, busy.headers['retry-after']]).toEqual([503, 'UpstreamUnavailable', '1']);
  });

  it('writes exactly one log line per request without token, header or body', async () => {
    h.script.requestShare = async () => ({ outcome: 'pending', request: REQUEST });
    const token = h.tokens.requester;
    await h.handler(event('share-request', { token, headers: { 'Idempotency-Key': null } }), ctx('req-8'));
    expect(h.logs).toHaveLength(1);
    const { time, latencyMs, ...rest } = h.logs[0]!;
    expect(typeof time).toBe('string');
    expect(typeof latencyMs).toBe('number');
    expect(rest).toEqual({
      level: 'info',
      msg: 'request',
      requestId: 'req-8',
      method: 'POST',
      route: 'POST /v1/images/{regionId}/{imageId}/share-requests',
      principal: 'requester-1',
      status: 202,
      outcome: 'ok',
    });
    const line = JSON.stringify(h.logs);
    expect(line).not.toContain(token.slice(0, 20));
    expect(line).not.toContain('Staging for team B');
  });

  it('answers 500 (and never throws) when the configuration is broken, logging why without a logger, then recovers', async () => {
    // Prepare
    let attempts = 0;
    const fallback: string[] = [];
    const handler = createHttpHandler(describeRoutes, {
      runtime: () => {
        attempts++;
        if (attempts === 1) throw new Error('REGIONS is required');
        return h.runtime;
      },
      fallbackLog: (line) => fallback.push(line),
    });
    h.script.listRuns = async () => ({ items: [] });
    // Act
    const first = await handler(event('list-runs', { token: h.tokens.auditor }), ctx('req-9'));
    const second = await handler(event('list-runs', { token: h.tokens.auditor }), ctx('req-10'));
    // Assess
    expect([first.statusCode, first.headers['x-request-id']]).toEqual([500, 'req-9']);
    expect(fallback.map((l) => JSON.parse(l))).toEqual([
      expect.objectContaining({ level: 'error', requestId: 'req-9', status: 500, code: 'Internal', cause: [{ name: 'Error', message: 'REGIONS is required' }] }),
    ]);
    expect(second).toEqual({ statusCode: 200, headers: jsonHeaders('req-10'), body: '{"items":[]}', isBase64Encoded: false });
  });
});
