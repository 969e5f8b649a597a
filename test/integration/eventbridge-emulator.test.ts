/**
 * The EventBridge emulator on the wire: the real `@alicloud/eventbridge` SDK and hand-signed requests
 * against it — signature and gateway checks with the documented error shape, the CloudEvents batch
 * rules, per-entry results, faults, the admin routes and the command line.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEventBridgeEmulator, startEventBridgeEmulator } from '../../emulators/eventbridge/index.js';
import { runEmulatorCli } from '../support/cli.js';
import {
  type EventBridgeAdmin,
  EventBridgeAdminError,
  eventbridgeAdmin,
  eventbridgeClient,
  rawPutEvents,
  sdkEvent,
  wireEntry,
} from '../support/eventbridge.js';

// The emulator's clock stands still at the start of the run: the SDK signs with the real time, which stays well within 15 minutes of it.
const NOW = new Date();
const BUS = 'isg-events';
const KEY = { accessKeyId: 'LTAIeventbridge01', accessKeySecret: 'eventbridge-secret-1' };

let emulator: RunningEventBridgeEmulator;
let admin: EventBridgeAdmin;

const entry = (overrides: Record<string, unknown> = {}) => wireEntry(BUS, overrides);

const put = (entries: unknown, options: Partial<Parameters<typeof rawPutEvents>[2]> = {}) =>
  rawPutEvents(emulator.endpoint, entries, { ...KEY, ...options });

beforeEach(async () => {
  emulator = await startEventBridgeEmulator({ key: KEY, accountId: '1200000000000001', buses: [BUS], now: () => NOW });
  admin = eventbridgeAdmin(emulator.endpoint);
});

afterEach(async () => {
  await emulator.close();
});

describe('EventBridge emulator gateway', () => {
  it('accepts what the real SDK sends and stores the entries on their bus, as they arrived', async () => {
    // Prepare
    const client = eventbridgeClient(emulator.endpoint, KEY);
    const first = sdkEvent(BUS, { id: 'a-1' });
    const second = sdkEvent(BUS, { id: 'a-2', subject: undefined });

    // Act
    const response = await client.putEvents([first, second]);
    const events = await admin.events();

    // Assess
    expect(response.failedEntryCount).toBe(0);
    expect(response.resourceOwnerAccountId).toBe('1200000000000001');
    expect(response.requestId).toMatch(/^[0-9A-F-]{36}$/);
    expect(response.entryList?.map((e) => [e.eventId, e.errorCode])).toEqual([
      ['a-1', undefined],
      ['a-2', undefined],
    ]);
    expect(response.entryList?.every((e) => /^[0-9a-f]{32}$/.test(e.traceId ?? ''))).toBe(true);
    expect(events).toEqual({
      [BUS]: [
        {
          id: 'a-1',
          source: 'image-share-governor',
          specversion: '1.0',
          type: 'image-share-governor.share.requested',
          subject: 'images/cn-hangzhou/m-abcdefgh12',
          time: '2026-03-01T10:00:00.000Z',
          datacontenttype: 'application/json',
          data: { hello: 'world' },
          aliyuneventbusname: BUS,
        },
        expect.objectContaining({ id: 'a-2', data: { hello: 'world' } }),
      ],
    });
    expect(events[BUS]?.[1]).not.toHaveProperty('subject');
  });

  it('accepts an STS key only with its own security token', async () => {
    // Prepare
    await emulator.close();
    emulator = await startEventBridgeEmulator({ key: { ...KEY, securityToken: 'sts-token-1' }, buses: [BUS], now: () => NOW });
    admin = eventbridgeAdmin(emulator.endpoint);

    // Act
    const withToken = await eventbridgeClient(emulator.endpoint, { ...KEY, securityToken: 'sts-token-1' }).putEvents([sdkEvent(BUS)]);
    const wrongToken = await eventbridgeClient(emulator.endpoint, { ...KEY, securityToken: 'sts-token-2' }).putEvents([sdkEvent(BUS)]).catch((e: unknown) => e);
    const noToken = await eventbridgeClient(emulator.endpoint, KEY).putEvents([sdkEvent(BUS)]).catch((e: unknown) => e);

    // Assess
    expect(withToken.failedEntryCount).toBe(0);
    expect(wrongToken).toMatchObject({ code: 'SecurityTokenInvalid' });
    expect(noToken).toMatchObject({ code: 'SecurityTokenInvalid' });
    expect((await admin.events())[BUS]).toHaveLength(1);
  });

  it('refuses a wrong signature, an unknown key and a missing Authorization with the documented error body', async () => {
    // Act
    const wrongSecret = await eventbridgeClient(emulator.endpoint, { ...KEY, accessKeySecret: 'not-the-secret' }).putEvents([sdkEvent(BUS)]).catch((e: unknown) => e);
    const unknownKey = await put([entry()], { accessKeyId: 'LTAIunknown' });
    const missing = await put([entry()], { headers: { authorization: null } });
    const malformed = await put([entry()], { headers: { authorization: 'Bearer abc' } });

    // Assess
    expect(wrongSecret).toMatchObject({
      code: 'SignatureDoesNotMatch',
      data: { code: 'SignatureDoesNotMatch', success: false, requestId: expect.any(String) },
    });
    expect(unknownKey).toEqual({
      status: 403,
      body: { requestId: expect.any(String), code: 'InvalidAccessKeyId', message: 'The access Id you provided is not exist.', success: false },
    });
    expect([missing.status, missing.body.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect([malformed.status, malformed.body.code]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await admin.events()).toEqual({ [BUS]: [] });
    expect((await admin.calls()).map((call) => [call.accessKeyId, call.status, call.code, call.entries])).toEqual([
      [KEY.accessKeyId, 403, 'SignatureDoesNotMatch', null],
      ['LTAIunknown', 403, 'InvalidAccessKeyId', null],
      [null, 403, 'SignatureDoesNotMatch', null],
      [null, 403, 'SignatureDoesNotMatch', null],
    ]);
  });

  it('signs method, Content-MD5, Content-Type, Date and every x-acs-* header, so changing one after signing is refused', async () => {
    // Act
    const nonce = await put([entry()], { afterSigning: { 'x-acs-signature-nonce': 'changed' } });
    const addedAcsHeader = await put([entry()], { afterSigning: { 'x-acs-extra': 'smuggled' } });
    const contentType = await put([entry()], { afterSigning: { 'content-type': 'application/cloudevents-batch+json' } });
    // Signed with the current time, which is NOW or later: two minutes before NOW is another Date, still within the tolerance.
    const date = await put([entry()], { afterSigning: { date: new Date(NOW.getTime() - 120_000).toUTCString() } });
    const md5 = await put([entry()], { headers: { 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' } });
    // Neither the body nor x-eventbridge-* headers are signed (as the SDK computes it).
    const version = await put([entry({ id: 'unsigned-version' })], { afterSigning: { 'x-eventbridge-version': '2020-04-01' } });

    // Assess
    for (const refused of [nonce, addedAcsHeader, contentType, date]) expect([refused.status, refused.body.code]).toEqual([403, 'SignatureDoesNotMatch']);
    // A signed Content-MD5 passes the signature check, then must match the body.
    expect([md5.status, md5.body.code, md5.body.message]).toEqual([400, 'InvalidArgument', 'The Content-MD5 header does not match the request body.']);
    expect([version.status, version.body['FailedEntryCount']]).toEqual([200, 0]);
  });

  it('refuses a request dated more than 15 minutes from its clock', async () => {
    // Act
    const stale = await put([entry()], { headers: { date: new Date(NOW.getTime() - 16 * 60_000).toUTCString() } });
    const edge = await put([entry()], { headers: { date: new Date(NOW.getTime() + 14 * 60_000).toUTCString() } });
    const unreadable = await put([entry()], { headers: { date: 'yesterday' } });

    // Assess
    expect([stale.status, stale.body.code]).toEqual([403, 'RequestTimeTooSkewed']);
    expect([edge.status, edge.body['FailedEntryCount']]).toEqual([200, 0]);
    expect([unreadable.status, unreadable.body.code]).toEqual([403, 'RequestTimeTooSkewed']);
  });

  it('answers only PutEvents, with its version header and media type', async () => {
    // Act
    const otherPath = await put([entry()], { path: '/openapi/createEventBus' });
    const noVersion = await put([entry()], { headers: { 'x-eventbridge-version': null } });
    const wrongType = await put([entry()], { headers: { 'content-type': 'application/json' } });
    const notJson = await put(undefined, { body: '[{"id":' });

    // Assess
    expect([otherPath.status, otherPath.body.code]).toEqual([404, 'ApiNotFound']);
    expect([noVersion.status, noVersion.body.code]).toEqual([400, 'InvalidArgument']);
    expect([wrongType.status, wrongType.body.code, wrongType.body.message]).toEqual([
      400,
      'InvalidArgument',
      'The Content-Type must be application/cloudevents-batch+json, got application/json.',
    ]);
    expect([notJson.status, notJson.body.message]).toEqual([400, 'The request body is not valid JSON.']);
  });
});

describe('EventBridge emulator PutEvents batch', () => {
  it('refuses a batch whole when it is empty, not an array, over 16 events or over 256 KB, and stores nothing', async () => {
    // Act
    const empty = await put([]);
    const notArray = await put(entry());
    const seventeen = await put(Array.from({ length: 17 }, (_, i) => entry({ id: `e-${i}` })));
    const sixteen = await put(Array.from({ length: 16 }, (_, i) => entry({ id: `e-${i}` })));
    // Five entries of ~60 KB each: every one within the 64 KB limit, together over 256 KB.
    const big = await put(Array.from({ length: 5 }, (_, i) => entry({ id: `big-${i}`, data: 'x'.repeat(60_000) })));

    // Assess
    expect([empty.status, empty.body.message]).toEqual([400, 'The batch holds no event.']);
    expect([notArray.status, notArray.body.message]).toEqual([400, 'The body must be a JSON array of CloudEvents.']);
    expect([seventeen.status, seventeen.body.message]).toEqual([400, 'The batch holds 17 events; at most 16 are allowed.']);
    expect([sixteen.status, sixteen.body['FailedEntryCount']]).toEqual([200, 0]);
    expect([big.status, big.body.code]).toEqual([400, 'InvalidArgument']);
    expect(big.body.message).toMatch(/^The batch is \d+ bytes; at most 262144 are allowed\.$/);
    expect((await admin.events())[BUS]).toHaveLength(16);
  });

  it('refuses a batch for more than one bus', async () => {
    // Prepare
    await admin.createBus('other-bus');

    // Act
    const mixed = await put([entry({ id: 'm-1' }), entry({ id: 'm-2', aliyuneventbusname: 'other-bus' })]);

    // Assess
    expect(mixed).toEqual({
      status: 409,
      body: {
        requestId: expect.any(String),
        code: 'PutEventsRequestMoreThanOneEventBus',
        message: `The put events request has more than one event bus [${BUS}, other-bus].`,
        success: false,
      },
    });
    expect(await admin.events()).toEqual({ [BUS]: [], 'other-bus': [] });
  });

  it('judges every entry alone: the valid ones are stored, each invalid one gets its own error line', async () => {
    // Prepare
    const entries = [
      entry({ id: 'ok-1' }),
      entry({ id: undefined }),
      entry({ id: 'bad-spec', specversion: '0.3' }),
      entry({ id: 'bad_id!' }),
      entry({ id: 'bad-time', time: '2026-03-01 10:00' }),
      entry({ id: 'no-time', time: undefined }),
      entry({ id: 'bad-type', type: 't'.repeat(65) }),
      entry({ id: 'bad-name', Upper: 'x' }),
      entry({ id: 'base64', data: undefined, data_base64: 'aGk=' }),
      entry({ id: 'xml', datacontenttype: 'application/xml' }),
      entry({ id: 'huge', data: 'y'.repeat(70_000) }),
      'not an object',
      entry({ id: 'ok-2', datacontenttype: 'application/json; charset=utf-8' }),
    ];

    // Act
    const answer = await put(entries);

    // Assess
    expect(answer.status).toBe(200);
    expect(answer.body['FailedEntryCount']).toBe(11);
    const lines = answer.body['EntryList'] as Record<string, string>[];
    expect(lines.map((line) => [line['EventId'], line['ErrorCode'] ?? 'ok'])).toEqual([
      ['ok-1', 'ok'],
      [undefined, 'InvalidArgument'],
      ['bad-spec', 'InvalidArgument'],
      ['bad_id!', 'InvalidArgument'],
      ['bad-time', 'InvalidArgument'],
      ['no-time', 'InvalidArgument'],
      ['bad-type', 'InvalidArgument'],
      ['bad-name', 'InvalidArgument'],
      ['base64', 'InvalidArgument'],
      ['xml', 'InvalidArgument'],
      ['huge', 'InvalidArgument'],
      [undefined, 'InvalidArgument'],
      ['ok-2', 'ok'],
    ]);
    expect(lines.map((line) => line['ErrorMessage']).filter(Boolean)).toEqual([
      'The attribute id is required.',
      'The specversion 0.3 is not supported; use 1.0.',
      'The attribute id must start with a letter or digit and hold letters, digits and hyphens only.',
      'The attribute time is not an RFC 3339 timestamp: 2026-03-01 10:00',
      'The attribute time is required.',
      'The attribute type is longer than 64 characters.',
      'The attribute name Upper is not lower-case letters and digits.',
      'Only JSON data is accepted (datacontenttype application/json); data_base64 is not.',
      'The datacontenttype application/xml is not supported; use application/json.',
      expect.stringMatching(/^The event is \d+ bytes; at most 65536 are allowed\.$/),
      'An event must be a JSON object.',
    ]);
    expect((await admin.events())[BUS]?.map((event) => event['id'])).toEqual(['ok-1', 'ok-2']);
    expect((await admin.calls()).at(-1)).toMatchObject({ operation: 'PutEvents', status: 200, code: null, entries: 13, failed: 11 });
  });

  it('fails every entry for a bus that does not exist, through the real SDK', async () => {
    // Act
    const response = await eventbridgeClient(emulator.endpoint, KEY).putEvents([sdkEvent('no-such-bus', { id: 'n-1' }), sdkEvent('no-such-bus', { id: 'n-2' })]);

    // Assess
    expect(response.failedEntryCount).toBe(2);
    expect(response.entryList?.map((e) => [e.eventId, e.errorCode, e.errorMessage])).toEqual([
      ['n-1', 'EventBusNotExist', 'The event bus [no-such-bus] not existed!'],
      ['n-2', 'EventBusNotExist', 'The event bus [no-such-bus] not existed!'],
    ]);
  });
});

describe('EventBridge emulator faults', () => {
  it('fails whole requests with an injected code and status, counted, for one bus only', async () => {
    // Prepare
    await admin.createBus('quiet-bus');
    await admin.addFault({ bus: BUS, code: 'TooManyRequests', count: 2 });
    const client = eventbridgeClient(emulator.endpoint, KEY);

    // Act
    const first = await put([entry({ id: 'f-1' })]);
    const elsewhere = await client.putEvents([sdkEvent('quiet-bus')]);
    const second = await client.putEvents([sdkEvent(BUS)]).catch((e: unknown) => e);
    const third = await client.putEvents([sdkEvent(BUS, { id: 'f-3' })]);

    // Assess
    expect([first.status, first.body.code, first.body.message]).toEqual([429, 'TooManyRequests', 'Injected fault: TooManyRequests.']);
    expect(elsewhere.failedEntryCount).toBe(0);
    expect(second).toMatchObject({ code: 'TooManyRequests', data: { code: 'TooManyRequests', success: false } });
    expect(third.failedEntryCount).toBe(0);
    expect((await admin.events())[BUS]?.map((event) => event['id'])).toEqual(['f-3']);
  });

  it('fails single entries of an accepted request with an entry fault', async () => {
    // Prepare
    const id = await admin.addFault({ scope: 'entry', code: 'InternalError', message: 'entry lost', count: 1 });

    // Act
    const answer = await put([entry({ id: 'p-1' }), entry({ id: 'p-2' }), entry({ id: 'p-3' })]);

    // Assess
    expect(id).toMatch(/^entry-fault-\d+$/);
    expect(answer.body['FailedEntryCount']).toBe(1);
    expect(answer.body['EntryList']).toEqual([
      { EventId: 'p-1', ErrorCode: 'InternalError', ErrorMessage: 'entry lost' },
      { EventId: 'p-2', TraceId: expect.any(String) },
      { EventId: 'p-3', TraceId: expect.any(String) },
    ]);
    expect((await admin.events())[BUS]?.map((event) => event['id'])).toEqual(['p-2', 'p-3']);
  });

  it('draws probabilistic faults from a seeded source, and removes faults by id or all at once', async () => {
    // Prepare
    await emulator.close();
    emulator = await startEventBridgeEmulator({ key: KEY, buses: [BUS], seed: 7 });
    admin = eventbridgeAdmin(emulator.endpoint);
    const flaky = await admin.addFault({ code: 'InternalError', probability: 0.5 });

    // Act
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) statuses.push((await put([entry({ id: `r-${i}` })])).status);
    await admin.removeFault(flaky);
    const afterRemoval = await put([entry({ id: 'after' })]);
    await admin.addFault({ code: 'ServiceUnavailable' });
    const unavailable = await put([entry({ id: 'unavailable' })]);
    await admin.clearFaults();
    const cleared = await put([entry({ id: 'cleared' })]);

    // Assess: seed 7 gives a fixed mix of both answers.
    expect(new Set(statuses)).toEqual(new Set([200, 500]));
    expect(statuses.filter((s) => s === 500).length).toBeGreaterThan(0);
    expect(afterRemoval.status).toBe(200);
    expect([unavailable.status, unavailable.body.code]).toEqual([503, 'ServiceUnavailable']);
    expect(cleared.status).toBe(200);
    await expect(admin.removeFault(flaky)).rejects.toMatchObject({ status: 404 });
  });

  it('delays a request by an injected latency, which a short SDK read timeout turns into a timeout', async () => {
    // Prepare
    await admin.addFault({ latencyMs: 1500, count: 1 });
    const sdk = (await import('../support/eventbridge.js')).loadEventBridgeSdk();
    const impatient = new sdk.default(new sdk.Config({ ...KEY, endpoint: emulator.endpoint, protocol: 'http', readTimeout: 200 }));

    // Act
    const attempt = impatient.putEvents([sdkEvent(BUS, { id: 'slow' })]);

    // Assess
    await expect(attempt).rejects.toMatchObject({ name: 'RequestTimeoutError' });
  });
});

describe('EventBridge emulator admin routes', () => {
  it('creates buses by the product naming rules and refuses duplicates and bad input, changing nothing', async () => {
    // Act
    await admin.createBus('orders-2');
    const duplicate = admin.createBus('orders-2');
    const reserved = admin.createBus('default');
    const prefixed = admin.createBus('eventbridge-reserved-x');
    const badName = admin.createBus('-starts-with-hyphen');
    const tooLong = admin.createBus('b'.repeat(128));
    const notJson = fetch(`http://${emulator.endpoint}/__emulator/buses`, { method: 'POST', body: '{' });
    const extra = fetch(`http://${emulator.endpoint}/__emulator/buses`, { method: 'POST', body: JSON.stringify({ name: 'x1', owner: 'me' }) });

    // Assess
    await expect(duplicate).rejects.toMatchObject({ status: 409, body: { error: 'event bus orders-2 already exists' } });
    for (const refused of [reserved, prefixed, badName, tooLong]) await expect(refused).rejects.toBeInstanceOf(EventBridgeAdminError);
    await expect(reserved).rejects.toMatchObject({ status: 400 });
    expect((await notJson).status).toBe(400);
    const extraAnswer = await extra;
    expect([extraAnswer.status, await extraAnswer.json()]).toEqual([400, { error: 'invalid bus: (body) must NOT have additional properties: owner' }]);
    expect(Object.keys(await admin.events())).toEqual([BUS, 'orders-2']);
  });

  it('refuses faults it cannot apply', async () => {
    // Act
    const attempts = [
      { scope: 'entry' },
      { scope: 'entry', code: 'InternalError', status: 500 },
      { scope: 'entry', code: 'InternalError', latencyMs: 10 },
      {},
      { status: 503 },
      { code: 'X', probability: 0 },
      { code: 'X', bus: 'default' },
      { code: 'X', target: 'PutEvents' },
    ];
    const answers = await Promise.all(attempts.map((fault) => admin.addFault(fault as never).then(() => 201, (error: EventBridgeAdminError) => error.status)));

    // Assess
    expect(answers).toEqual(attempts.map(() => 400));
    expect(await put([entry()])).toMatchObject({ status: 200 });
  });

  it('lists events oldest first per bus, logs calls, and forgets everything on reset', async () => {
    // Prepare
    await put([entry({ id: 'o-1' })]);
    await put([entry({ id: 'o-2' }), entry({ id: 'o-3' })]);
    await admin.addFault({ code: 'InternalError' });

    // Act
    const before = await admin.events();
    const calls = await admin.calls();
    await admin.reset();
    const after = { events: await admin.events(), calls: await admin.calls() };
    const unknownBus = await put([entry({ id: 'o-4' })]);

    // Assess
    expect(before[BUS]?.map((event) => event['id'])).toEqual(['o-1', 'o-2', 'o-3']);
    expect(calls).toEqual([
      { operation: 'PutEvents', accessKeyId: KEY.accessKeyId, status: 200, code: null, entries: 1, failed: 0, at: NOW.toISOString() },
      { operation: 'PutEvents', accessKeyId: KEY.accessKeyId, status: 200, code: null, entries: 2, failed: 0, at: NOW.toISOString() },
    ]);
    expect(after).toEqual({ events: {}, calls: [] });
    // The fault is gone too: the request is answered, and the bus no longer exists.
    expect((unknownBus.body['EntryList'] as Record<string, string>[])[0]?.['ErrorCode']).toBe('EventBusNotExist');
  });

  it('answers an unknown admin route with 404', async () => {
    // Act
    const response = await fetch(`http://${emulator.endpoint}/__emulator/state`);

    // Assess
    expect([response.status, await response.json()]).toEqual([404, { error: 'no admin route GET /__emulator/state' }]);
  });
});

describe('EventBridge emulator command line', () => {
  const runCli = (args: string[]) => runEmulatorCli('emulators/eventbridge/cli.ts', args);

  it('prints one ready line with endpoint, account, key and buses, serves, and exits cleanly on SIGTERM', async () => {
    // Prepare
    const cli = runCli(['--port', '0', '--bus', 'isg', '--bus', 'audit-copy', '--access-key-id', 'K1', '--access-key-secret', 'S1']);

    // Act
    const line = await cli.firstLine;
    const ready = JSON.parse(line) as { endpoint: string };
    const events = await eventbridgeAdmin(ready.endpoint).events();
    const put = await rawPutEvents(ready.endpoint, [entry({ aliyuneventbusname: 'isg', time: new Date().toISOString() })], { accessKeyId: 'K1', accessKeySecret: 'S1' });
    cli.child.kill('SIGTERM');
    const exitCode = await cli.exited;

    // Assess
    expect(ready).toEqual({
      service: 'eventbridge',
      endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
      accountId: '1000000000000001',
      accessKeyId: 'K1',
      accessKeySecret: 'S1',
      buses: ['isg', 'audit-copy'],
    });
    expect(events).toEqual({ isg: [], 'audit-copy': [] });
    expect(put.body['FailedEntryCount']).toBe(0);
    expect(exitCode).toBe(0);
    expect(cli.output().stdout).toBe(`${line}\n`);
  });

  it('explains invalid arguments on stderr with exit code 2', async () => {
    // Act
    const badBus = runCli(['--bus', 'default']);
    const badPort = runCli(['--port', '70000']);
    const unknown = runCli(['--region', 'cn-hangzhou']);

    // Assess
    expect(await badBus.exited).toBe(2);
    expect(badBus.output().stderr).toContain('--bus "default" is not a valid event bus name');
    expect(await badPort.exited).toBe(2);
    expect(badPort.output().stderr).toContain('--port must be an integer from 0 to 65535');
    expect(await unknown.exited).toBe(2);
    expect(unknown.output().stderr).toContain('usage: emulator:eventbridge');
  });
});
