// One rule per field, whichever layer applies it: the published request schemas and the domain's own
// checks derive from shared/domain/limits.ts, so through HTTP a value is accepted or refused the same
// way, with the same JSON pointer, whether the schema or the use case refuses it. Ill-formed Unicode is
// refused everywhere before anything is stored.
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import { NOT_BLANK_MESSAGE, TEXT_LIMITS, WELL_FORMED_MESSAGE } from '../../shared/domain/limits.js';
import { REQUEST_BODIES } from '../../shared/http/schemas.js';
import { event, eventObject } from '../fixtures/events.js';
import { IMAGE, REGION, createDomainHarness } from '../fixtures/harness.js';
import type { DomainHarness } from '../fixtures/harness.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';
import { failure } from '../support/domain.js';

const A1 = '2000000000000001';
const shareBody = (over: Record<string, unknown> = {}) => ({
  accountIds: [A1],
  reason: 'rollout',
  attestation: { sensitiveDataRemoved: true },
  ...over,
});
const errorsOf = (res: { statusCode: number; body: string }) => ({
  status: res.statusCode,
  errors: (JSON.parse(res.body) as { errors?: unknown }).errors,
});

/** A governor over in-memory fakes behind every HTTP route, fresh for each test. */
function withHarness(): () => DomainHarness {
  let idp: TestIdp;
  let h: DomainHarness;
  beforeAll(async () => {
    idp = await createTestIdp();
  });
  beforeEach(async () => {
    h = await createDomainHarness([...shareRoutes, ...unshareRoutes, ...describeRoutes, ...deleteGuardRoutes], { idp });
  });
  return () => h;
}

describe('field rules: the published schema and the domain check are one rule', () => {
  const harness = withHarness();
  const ask = (body: unknown) =>
    harness().handler(event('share-request', { token: harness().tokens.requester, body, headers: { 'Idempotency-Key': null } }), {
      requestId: 'req-f',
      credentials: {},
    });
  const ctx = { principal: { id: 'requester-1', roles: ['requester' as const] }, requestId: 'direct' };
  const direct = (over: Record<string, unknown>) =>
    failure(harness().runtime.governor.requestShare(ctx, { regionId: REGION, imageId: IMAGE, ...shareBody(over) } as never));

  it('publishes the limits the domain enforces (reason 1024, ticket 128, comment 1024)', () => {
    const share = REQUEST_BODIES.ShareRequestBody.properties;
    expect([share.reason.maxLength, share.ticket.maxLength, REQUEST_BODIES.ApproveBody.properties.comment.maxLength]).toEqual([1024, 128, 1024]);
    expect(TEXT_LIMITS).toEqual({ reason: 1024, ticket: 128, comment: 1024 });
  });

  it('accepts a reason of 1010 and of exactly 1024 characters through HTTP (the schema and the use case agree)', async () => {
    expect((await ask(shareBody({ reason: 'r'.repeat(1010) }))).statusCode).toBe(202);
    expect((await ask(shareBody({ accountIds: ['2000000000000002'], reason: 'r'.repeat(1024), ticket: 't'.repeat(128) }))).statusCode).toBe(202);
  });

  it('counts characters as the schema does: 1024 emoji (2048 UTF-16 units) are 1024 characters', async () => {
    const res = await ask(shareBody({ reason: '😀'.repeat(1024) }));
    expect(res.statusCode).toBe(202);
    expect((await direct({ reason: '😀'.repeat(1025) })).details.errors).toEqual([
      { path: '/reason', message: 'must NOT have more than 1024 characters' },
    ]);
  });

  it.each([
    ['a reason one character too long', { reason: 'r'.repeat(1025) }, 'reason', 'must NOT have more than 1024 characters'],
    ['a ticket one character too long', { ticket: 't'.repeat(129) }, 'ticket', 'must NOT have more than 128 characters'],
    ['a blank reason', { reason: ' \t ' }, 'reason', NOT_BLANK_MESSAGE],
    ['a reason with a lone surrogate', { reason: 'a\ud800b' }, 'reason', WELL_FORMED_MESSAGE],
  ])('refuses %s with the same message through HTTP (/body/<field>) and in the domain (/<field>)', async (_name, over, field, message) => {
    const http = await ask(shareBody(over));
    const domain = await direct(over);
    expect(errorsOf(http)).toEqual({ status: 400, errors: [{ path: `/body/${field}`, message }] });
    expect(domain.details.errors).toEqual([{ path: `/${field}`, message }]);
    expect(harness().store.allRequests()).toEqual([]);
  });

  it('roots what the use case refuses at the request part that carried it', async () => {
    // Past expiry: only the use case knows the time. A forged cursor: only the store can tell.
    const past = await ask(shareBody({ expiresAt: '2020-01-01T00:00:00Z' }));
    const cursor = await harness().handler(event('list-requests', { token: harness().tokens.auditor, query: { cursor: 'bm90LWEtY3Vyc29y' } }), {
      requestId: 'req-c',
    });
    expect(JSON.parse(past.body)).toMatchObject({
      status: 400,
      detail: '/body/expiresAt: must be in the future',
      errors: [{ path: '/body/expiresAt', message: 'must be in the future' }],
    });
    expect(errorsOf(cursor)).toEqual({ status: 400, errors: [{ path: '/query/cursor', message: 'is not a cursor returned by this listing' }] });
  });
});

describe('ill-formed Unicode is refused before anything happens', () => {
  const harness = withHarness();
  const invoke = (e: object) => harness().handler(Buffer.from(JSON.stringify(e)), { requestId: 'req-u', credentials: {} });
  // The escape is what a client sends: JSON text that decodes to a lone surrogate.
  const rawBody = (template: string) => template.replace('LONE', '\\ud800');

  it.each([
    [
      'a string value',
      rawBody('{"accountIds":["2000000000000001"],"reason":"LONE","attestation":{"sensitiveDataRemoved":true}}'),
      '/body/reason',
      WELL_FORMED_MESSAGE,
    ],
    [
      'an array item',
      rawBody('{"accountIds":["2000000000000001","LONE"],"reason":"r","attestation":{"sensitiveDataRemoved":true}}'),
      '/body/accountIds/1',
      WELL_FORMED_MESSAGE,
    ],
    ['a property name', rawBody('{"accountIds":["2000000000000001"],"reason":"r","LONE":1}'), '/body/\ufffd', `property name ${WELL_FORMED_MESSAGE}`],
  ])('refuses a lone surrogate in %s of a body (400, nothing stored, the use case never called)', async (_name, body, path, message) => {
    const res = await invoke(eventObject('share-request', { token: harness().tokens.requester, body, headers: { 'Idempotency-Key': null } }));
    expect(errorsOf(res)).toEqual({ status: 400, errors: [{ path, message }] });
    expect(harness().store.calls).toEqual([]);
    expect(harness().images.calls).toEqual([]);
  });

  it('refuses a lone surrogate in a query value', async () => {
    const res = await invoke(eventObject('list-requests', { token: harness().tokens.auditor, query: { cursor: 'abc\udfff' } }));
    expect(errorsOf(res)).toEqual({ status: 400, errors: [{ path: '/query/cursor', message: WELL_FORMED_MESSAGE }] });
    expect(harness().store.calls).toEqual([]);
  });

  it('refuses a body that is not UTF-8 rather than storing U+FFFD in its place', async () => {
    const bytes = Buffer.concat([
      Buffer.from('{"accountIds":["2000000000000001"],"reason":"'),
      Buffer.from([0xed, 0xa0, 0x80]),
      Buffer.from('","attestation":{"sensitiveDataRemoved":true}}'),
    ]);
    const e = eventObject('share-request', { token: harness().tokens.requester, headers: { 'Idempotency-Key': null } });
    const res = await invoke({ ...e, body: bytes.toString('base64'), isBase64Encoded: true });
    expect(errorsOf(res)).toEqual({ status: 400, errors: [{ path: '/body', message: 'must be UTF-8' }] });
    expect(harness().store.calls).toEqual([]);
  });

  it('refuses an event whose text body already holds a lone surrogate (it could not become UTF-8 bytes unchanged)', async () => {
    const e = eventObject('share-request', { token: harness().tokens.requester, headers: { 'Idempotency-Key': null } });
    const res = await invoke({ ...e, body: '{"accountIds":["2000000000000001"],"reason":"\ud800","attestation":{"sensitiveDataRemoved":true}}' });
    expect(JSON.parse(res.body)).toMatchObject({ status: 400, code: 'ValidationFailed', detail: 'The event is not an HTTP request' });
    expect(harness().store.calls).toEqual([]);
  });

  it('refuses the comment of an approval and the reason of an unshare or a deletion the same way', async () => {
    const approve = await invoke(
      eventObject('approve', {
        token: harness().tokens.approver,
        requestId: 'sr-1',
        body: rawBody('{"comment":"ok LONE"}'),
        headers: { 'Idempotency-Key': null },
      }),
    );
    const unshare = await invoke(
      eventObject('unshare', {
        token: harness().tokens.requester,
        body: rawBody('{"accountIds":["2000000000000001"],"reason":"LONE"}'),
        headers: { 'Idempotency-Key': null },
      }),
    );
    const deletion = await invoke(
      eventObject('deletion-request', {
        token: harness().tokens.admin,
        body: rawBody('{"mode":"guard","reason":"LONE"}'),
        headers: { 'Idempotency-Key': null },
      }),
    );
    expect([errorsOf(approve), errorsOf(unshare), errorsOf(deletion)]).toEqual([
      { status: 400, errors: [{ path: '/body/comment', message: WELL_FORMED_MESSAGE }] },
      { status: 400, errors: [{ path: '/body/reason', message: WELL_FORMED_MESSAGE }] },
      { status: 400, errors: [{ path: '/body/reason', message: WELL_FORMED_MESSAGE }] },
    ]);
    expect(harness().store.calls).toEqual([]);
  });
});
