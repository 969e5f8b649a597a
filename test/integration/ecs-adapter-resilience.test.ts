// The ECS adapter's retries, hooks and credentials against the ECS emulator's faults and flow
// control, over a real socket with the real SDK packages.
import { createServer } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startEcsEmulator } from '../../emulators/ecs/index.js';
import { createEcsImagePort, type EcsImagePortOptions } from '../../shared/ecs/index.js';
import { GovernorError } from '../../shared/domain/errors.js';
import type { Credentials } from '../../shared/credentials.js';
import type { ImagePort } from '../../shared/domain/ports.js';
import { caught, ecsAdmin, type EcsAdmin } from '../support/ecs.js';

const REGION = 'cn-hangzhou';
const OWNER = '1000000000000001';
const TARGET = '0000000000010001';
const OWNER_KEY: Credentials = { accessKeyId: 'owner-ak', accessKeySecret: 'owner-secret' };
const RETRY = { attempts: 3, baseDelayMs: 10, maxDelayMs: 2_000 };

let emulator: { endpoint: string; close(): Promise<void> };
let admin: EcsAdmin;
let sleeps: number[];
let hookLog: string[];

function portFor(overrides: Partial<EcsImagePortOptions> = {}): ImagePort {
  return createEcsImagePort({
    ecs: { endpoint: emulator.endpoint, protocol: 'http', connectTimeoutMs: 2_000, readTimeoutMs: 2_000, ratePerApi: {} },
    credentials: () => OWNER_KEY,
    retry: RETRY,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    beforeCall: async (action, regionId) => {
      hookLog.push(`before ${action} ${regionId}`);
    },
    onCall: (action, _regionId, outcome) => {
      hookLog.push(`after ${action} ${outcome}`);
    },
    ...overrides,
  });
}

async function sharedImage(): Promise<string> {
  const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
  await admin.shareOutOfBand(REGION, imageId, TARGET);
  return imageId;
}

beforeAll(async () => {
  emulator = await startEcsEmulator({ port: 0 });
  admin = ecsAdmin(emulator.endpoint);
});

afterAll(async () => {
  await emulator?.close();
});

beforeEach(async () => {
  sleeps = [];
  hookLog = [];
  await admin.reset();
  await admin.addAccount(OWNER, [OWNER_KEY]);
  await admin.addAccount(TARGET);
});

describe('createEcsImagePort retries', () => {
  it.each([
    ['503 ServiceUnavailable', { code: 'ServiceUnavailable', status: 503 }],
    ['500 InternalError', { code: 'InternalError', status: 500 }],
    ['Throttling.User', { code: 'Throttling.User', status: 400 }],
  ])('retries %s with backoff and then succeeds', async (_name, fault) => {
    // Prepare
    const imageId = await sharedImage();
    await admin.addFault({ action: 'DescribeImageSharePermission', ...fault, count: 2 });

    // Act
    const permissions = await portFor().getSharePermissions(REGION, imageId);

    // Assess
    expect(permissions.accounts.map((a) => a.accountId)).toEqual([TARGET]);
    const calls = (await admin.calls()).filter((call) => call.action === 'DescribeImageSharePermission');
    expect(calls.map((call) => call.code)).toEqual([fault.code, fault.code, null]);
    expect(sleeps).toHaveLength(2);
    // full jitter: within [0, base·2^retry]
    expect(sleeps[0]).toBeGreaterThanOrEqual(0);
    expect(sleeps[0]).toBeLessThanOrEqual(10);
    expect(sleeps[1]).toBeLessThanOrEqual(20);
    expect(hookLog).toEqual([
      `before DescribeImageSharePermission ${REGION}`,
      `after DescribeImageSharePermission ${fault.code}`,
      `before DescribeImageSharePermission ${REGION}`,
      `after DescribeImageSharePermission ${fault.code}`,
      `before DescribeImageSharePermission ${REGION}`,
      'after DescribeImageSharePermission ok',
    ]);
  });

  it('retries a gateway answer that is not JSON (an HTML 502 page), then gives up as UpstreamUnavailable', async () => {
    // Prepare
    const imageId = await sharedImage();
    await admin.addFault({ action: 'DescribeImageSharePermission', code: 'BadGateway', status: 502, format: 'html', count: 1 });
    await admin.addFault({ action: 'DeleteImage', code: 'BadGateway', status: 502, format: 'html' });

    // Act
    const permissions = await portFor().getSharePermissions(REGION, imageId);
    const error = await caught(portFor().deleteImage(REGION, imageId, { force: false }));

    // Assess
    expect(permissions.accounts.map((a) => a.accountId)).toEqual([TARGET]);
    expect(hookLog.filter((line) => line.startsWith('after'))).toEqual([
      'after DescribeImageSharePermission SyntaxError',
      'after DescribeImageSharePermission ok',
      'after DeleteImage SyntaxError',
      'after DeleteImage SyntaxError',
      'after DeleteImage SyntaxError',
    ]);
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toMatchObject({ action: 'DeleteImage', transportError: 'SyntaxError', attempts: 3 });
    expect(sleeps).toHaveLength(3);
  });

  it('gives up on persistent throttling with UpstreamThrottled and a retry-after', async () => {
    // Prepare
    const imageId = await sharedImage();
    await admin.addFault({ action: 'DescribeImageSharePermission', code: 'Throttling.User', status: 400 });

    // Act
    const error = await caught(portFor().getSharePermissions(REGION, imageId));

    // Assess
    expect(error.code).toBe('UpstreamThrottled');
    expect(error.status).toBe(503);
    expect(error.retryAfter).toBeGreaterThanOrEqual(1);
    expect(error.details).toMatchObject({ ecsCode: 'Throttling.User', attempts: 3, action: 'DescribeImageSharePermission' });
    expect((await admin.calls()).filter((call) => call.action === 'DescribeImageSharePermission')).toHaveLength(3);
  });

  it('gives up on persistent 503 with UpstreamUnavailable', async () => {
    // Prepare
    const imageId = await sharedImage();
    await admin.addFault({ action: 'DeleteImage', code: 'ServiceUnavailable', status: 503 });

    // Act
    const error = await caught(portFor().deleteImage(REGION, imageId, { force: false }));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toMatchObject({ ecsCode: 'ServiceUnavailable', ecsStatus: 503, attempts: 3 });
    expect((await admin.calls()).filter((call) => call.action === 'DeleteImage')).toHaveLength(3);
  });

  it('waits as long as the emulator flow control asks (x-acs-retry-after) and then succeeds', async () => {
    // Prepare: one DescribeImageSharePermission per second; the second call is throttled
    const imageId = await sharedImage();
    await admin.setThrottle({ action: 'DescribeImageSharePermission', qps: 1 });
    const port = portFor({
      sleep: async (ms) => {
        sleeps.push(ms);
        await new Promise((resolve) => setTimeout(resolve, ms));
      },
    });
    await port.getSharePermissions(REGION, imageId);

    // Act
    const permissions = await port.getSharePermissions(REGION, imageId);

    // Assess
    expect(permissions.accounts).toHaveLength(1);
    const calls = (await admin.calls()).filter((call) => call.action === 'DescribeImageSharePermission');
    expect(calls.map((call) => call.code)).toEqual([null, 'Throttling.User', null]);
    expect(sleeps).toHaveLength(1);
    // full jitter alone would wait at most 10 ms: the wait came from x-acs-retry-after
    expect(sleeps[0]).toBeGreaterThan(10);
  });

  it('does not sleep inside the call when the server asks for longer than maxDelayMs', async () => {
    // Prepare
    const imageId = await sharedImage();
    await admin.setThrottle({ action: 'DescribeImageSharePermission', qps: 1 });
    const port = portFor({ retry: { attempts: 5, baseDelayMs: 1, maxDelayMs: 5 } });
    await port.getSharePermissions(REGION, imageId);

    // Act
    const error = await caught(port.getSharePermissions(REGION, imageId));

    // Assess
    expect(error.code).toBe('UpstreamThrottled');
    expect(error.retryAfter).toBe(1);
    expect(sleeps).toEqual([]);
  });

  it('never retries a client error such as InvalidAccount.NotFound', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });

    // Act
    const error = await caught(portFor().addShares(REGION, imageId, ['9999999999999999']));

    // Assess
    expect(error.code).toBe('UnknownAccount');
    const calls = (await admin.calls()).filter((call) => call.action === 'ModifyImageSharePermission');
    expect(calls).toHaveLength(1);
    expect(sleeps).toEqual([]);
  });

  it('retries a read timeout, then succeeds', async () => {
    // Prepare
    const imageId = await sharedImage();
    await admin.addFault({ action: 'DescribeImageSharePermission', latencyMs: 1_000, count: 1 });
    const port = portFor({
      ecs: { endpoint: emulator.endpoint, protocol: 'http', connectTimeoutMs: 2_000, readTimeoutMs: 300, ratePerApi: {} },
    });

    // Act
    const permissions = await port.getSharePermissions(REGION, imageId);

    // Assess
    expect(permissions.accounts).toHaveLength(1);
    expect(sleeps).toHaveLength(1);
    expect(hookLog.filter((line) => line.startsWith('after'))).toEqual(['after DescribeImageSharePermission RequestTimeoutError', 'after DescribeImageSharePermission ok']);
  });

  it('reports an unreachable endpoint as UpstreamUnavailable after bounded attempts', async () => {
    // Prepare: a port that was free a moment ago and has nobody listening
    const closedPort = await new Promise<number>((resolve) => {
      const probe = createServer();
      probe.listen(0, '127.0.0.1', () => {
        const { port } = probe.address() as { port: number };
        probe.close(() => resolve(port));
      });
    });
    const port = portFor({
      ecs: { endpoint: `127.0.0.1:${closedPort}`, protocol: 'http', connectTimeoutMs: 500, readTimeoutMs: 500, ratePerApi: {} },
    });

    // Act
    const error = await caught(port.getImage(REGION, 'm-doesnotexist0001'));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toMatchObject({ action: 'DescribeImages', attempts: 3, transportError: 'ECONNREFUSED' });
    expect(error.details).not.toHaveProperty('ecsCode');
    expect(sleeps).toHaveLength(2);
  });

  it('treats a retried delete that finds the image gone as done', async () => {
    // Prepare: the first DeleteImage deletes, then answers 503 (the response was lost)
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    await admin.addFault({ action: 'DeleteImage', code: 'ServiceUnavailable', status: 503, count: 1, phase: 'after' });

    // Act
    await portFor().deleteImage(REGION, imageId, { force: false });

    // Assess
    const calls = (await admin.calls()).filter((call) => call.action === 'DeleteImage');
    expect(calls.map((call) => call.code)).toEqual(['ServiceUnavailable', 'InvalidImageId.NotFound']);
    const state = await admin.state();
    expect(state.images.find((image) => image.imageId === imageId)?.deleted).toBe(true);
  });

  it('retries a share whose response was lost and confirms it once', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    await admin.addFault({ action: 'ModifyImageSharePermission', code: 'InternalError', status: 500, count: 1, phase: 'after' });

    // Act
    await portFor().addShares(REGION, imageId, [TARGET]);

    // Assess
    const calls = (await admin.calls()).filter((call) => call.action === 'ModifyImageSharePermission');
    expect(calls.map((call) => call.code)).toEqual(['InternalError', null]);
    expect((await portFor().getSharePermissions(REGION, imageId)).accounts.map((a) => a.accountId)).toEqual([TARGET]);
  });
});

describe('createEcsImagePort beforeCall', () => {
  it('calls the function the hook returns once per attempt, when that attempt has been answered, refused ones too', async () => {
    // Prepare: the first attempt is refused as throttled, the retry succeeds
    const imageId = await sharedImage();
    await admin.addFault({ action: 'DescribeImageSharePermission', code: 'Throttling.User', status: 400, count: 1 });
    const port = portFor({
      beforeCall: async (action) => {
        hookLog.push(`before ${action}`);
        return () => hookLog.push(`answered ${action}`);
      },
    });

    // Act
    await port.getSharePermissions(REGION, imageId);

    // Assess
    expect(hookLog).toEqual([
      'before DescribeImageSharePermission',
      'answered DescribeImageSharePermission',
      'after DescribeImageSharePermission Throttling.User',
      'before DescribeImageSharePermission',
      'answered DescribeImageSharePermission',
      'after DescribeImageSharePermission ok',
    ]);
  });

  it('lets a GovernorError from the rate limiter through without calling ECS', async () => {
    // Prepare
    const port = portFor({
      beforeCall: async () => {
        throw new GovernorError('UpstreamThrottled', 'local budget spent', { retryAfter: 7 });
      },
    });

    // Act
    const error = await caught(port.getImage(REGION, 'm-doesnotexist0001'));

    // Assess
    expect([error.code, error.retryAfter, error.message]).toEqual(['UpstreamThrottled', 7, 'local budget spent']);
    expect(await admin.calls()).toEqual([]);
  });

  it('wraps any other failure of the hook as Internal', async () => {
    // Prepare
    const port = portFor({
      beforeCall: async () => {
        throw new TypeError('limiter bug');
      },
    });

    // Act
    const error = await caught(port.getImage(REGION, 'm-doesnotexist0001'));

    // Assess
    expect(error.code).toBe('Internal');
    expect(error.details).toEqual({ action: 'DescribeImages', regionId: REGION });
    expect(await admin.calls()).toEqual([]);
  });
});

describe('createEcsImagePort credentials', () => {
  it('signs with STS credentials (security token) and picks up rotated keys at once', async () => {
    // Prepare
    const first: Credentials = { accessKeyId: 'STS.first', accessKeySecret: 'sts-secret-1', securityToken: 'token-1' };
    const second: Credentials = { accessKeyId: 'STS.second', accessKeySecret: 'sts-secret-2', securityToken: 'token-2' };
    // Registered as STS keys: a request without (or with another) token is refused.
    await admin.addAccount(OWNER, [first, second]);
    const imageId = await sharedImage();
    let current = first;
    const port = portFor({ credentials: () => current });

    // Act
    const before = await port.getSharePermissions(REGION, imageId);
    current = second;
    const after = await port.getSharePermissions(REGION, imageId);

    // Assess
    expect(before.accounts.map((a) => a.accountId)).toEqual([TARGET]);
    expect(after).toEqual(before);
    const calls = await admin.calls();
    expect(calls.map((call) => [call.accountId, call.code])).toEqual([
      [OWNER, null],
      [OWNER, null],
    ]);
  });

  it('rebuilds the client when the credentials change to another key', async () => {
    // Prepare: the second key is unknown, so a stale client would still succeed
    const imageId = await sharedImage();
    let current: Credentials = OWNER_KEY;
    const port = portFor({ credentials: () => current });
    await port.getSharePermissions(REGION, imageId);
    current = { accessKeyId: 'revoked-ak', accessKeySecret: 'whatever' };

    // Act
    const error = await caught(port.getSharePermissions(REGION, imageId));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toMatchObject({ ecsCode: 'InvalidAccessKeyId.NotFound', ecsStatus: 404 });
    expect(error.details).not.toHaveProperty('attempts');
  });

  it('reports a wrong secret as UpstreamUnavailable with the ECS code, without retrying', async () => {
    // Prepare
    const imageId = await sharedImage();
    const port = portFor({ credentials: () => ({ accessKeyId: OWNER_KEY.accessKeyId, accessKeySecret: 'wrong' }) });

    // Act
    const error = await caught(port.getSharePermissions(REGION, imageId));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(error.details).toMatchObject({ ecsCode: 'SignatureDoesNotMatch', ecsStatus: 400 });
    expect(sleeps).toEqual([]);
  });

  it('sends nothing when no credentials are available', async () => {
    // Prepare
    const port = portFor({
      credentials: () => {
        throw new Error('No credentials: the function has no role');
      },
    });

    // Act
    const error = await caught(port.getImage(REGION, 'm-doesnotexist0001'));

    // Assess
    expect(error.code).toBe('UpstreamUnavailable');
    expect(await admin.calls()).toEqual([]);
  });
});
