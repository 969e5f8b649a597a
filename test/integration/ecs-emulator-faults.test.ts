/**
 * Runtime faults of the ECS emulator as the real SDK experiences them: injected errors (by count,
 * by probability, before or after the operation applies), latency, and per-API flow control.
 */
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEcsEmulator, startEcsEmulator } from '../../emulators/ecs/index.js';
import { type EcsAdmin, type EcsSdk, ecsAdmin, ecsClient, loadEcsSdk } from '../support/ecs.js';

const REGION = 'cn-hangzhou';
const OWNER = { accountId: '1000000000000011', key: { accessKeyId: 'AK-F-OWNER', accessKeySecret: 'f-owner' } };
const OTHER = { accountId: '1000000000000012', key: { accessKeyId: 'AK-F-OTHER', accessKeySecret: 'f-other' } };

let sdk: EcsSdk;
let emulator: RunningEcsEmulator;
let admin: EcsAdmin;
/** When set, the emulator clock stands still there (near real time), so flow-control windows are exact. */
let frozenMs: number | undefined;
/** Values the emulator draws for probabilistic faults, in order. */
let draws: number[] = [];

beforeAll(() => {
  sdk = loadEcsSdk();
});

beforeEach(async () => {
  frozenMs = undefined;
  draws = [];
  emulator = await startEcsEmulator({
    port: 0,
    now: () => new Date(frozenMs ?? Date.now()),
    random: () => {
      const next = draws.shift();
      if (next === undefined) throw new Error('test ran out of random draws');
      return next;
    },
  });
  admin = ecsAdmin(emulator.endpoint);
  await admin.addAccount(OWNER.accountId, [OWNER.key]);
  await admin.addAccount(OTHER.accountId, [OTHER.key]);
});

afterEach(async () => {
  await emulator.close();
});

interface Outcome {
  ok: boolean;
  name?: string;
  code?: string;
  statusCode?: number;
  retryAfter?: number;
}

async function outcomeOf(promise: Promise<unknown>): Promise<Outcome> {
  try {
    await promise;
    return { ok: true };
  } catch (error) {
    const { name, code, statusCode } = error as { name: string; code: string; statusCode: number };
    return { ok: false, name, code, statusCode };
  }
}

const describeImages = (account = OWNER, regionId = REGION) =>
  ecsClient(emulator.endpoint, account.key).describeImages(new sdk.DescribeImagesRequest({ regionId }));

const share = (imageId: string, accountId: string) =>
  ecsClient(emulator.endpoint, OWNER.key).modifyImageSharePermission(
    new sdk.ModifyImageSharePermissionRequest({ regionId: REGION, imageId, addAccount: [accountId] }),
  );

const sharePermission = (imageId: string) =>
  ecsClient(emulator.endpoint, OWNER.key).describeImageSharePermission(
    new sdk.DescribeImageSharePermissionRequest({ regionId: REGION, imageId }),
  );

describe('ECS emulator injected faults', () => {
  it('fails an action `count` times with the given code and status, leaving other actions alone', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    await admin.addFault({ action: 'ModifyImageSharePermission', code: 'ServiceUnavailable', status: 503, count: 2 });

    // Act
    const outcomes = [];
    for (let attempt = 0; attempt < 3; attempt++) outcomes.push(await outcomeOf(share(imageId, OTHER.accountId)));
    const unaffected = await outcomeOf(describeImages());

    // Assess
    const unavailable = { ok: false, name: 'ServerError', code: 'ServiceUnavailable', statusCode: 503 };
    expect(outcomes).toEqual([unavailable, unavailable, { ok: true }]);
    expect(unaffected).toEqual({ ok: true });
    expect((await admin.state()).images[0]?.shares.map((s) => s.accountId)).toEqual([OTHER.accountId]);
  });

  it('fires a probabilistic fault when the seeded draw falls below the probability', async () => {
    // Prepare
    await admin.addFault({ code: 'InternalError', status: 500, probability: 0.5 });
    draws = [0.1, 0.9, 0.49, 0.5];

    // Act
    const outcomes = [];
    for (let call = 0; call < 4; call++) outcomes.push((await outcomeOf(describeImages())).code ?? 'ok');

    // Assess
    expect(outcomes).toEqual(['InternalError', 'ok', 'InternalError', 'ok']);
  });

  it('repeats the same probabilistic outcomes for the same seed', async () => {
    // Prepare
    const seeded = [await startEcsEmulator({ port: 0, seed: 42 }), await startEcsEmulator({ port: 0, seed: 42 })];
    const sequences: string[][] = [];

    try {
      // Act
      for (const other of seeded) {
        const otherAdmin = ecsAdmin(other.endpoint);
        await otherAdmin.addAccount(OWNER.accountId, [OWNER.key]);
        await otherAdmin.addFault({ action: 'DescribeImages', code: 'InternalError', probability: 0.5 });
        const outcomes = [];
        for (let call = 0; call < 12; call++) {
          const outcome = await outcomeOf(
            ecsClient(other.endpoint, OWNER.key).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION })),
          );
          outcomes.push(outcome.code ?? 'ok');
        }
        sequences.push(outcomes);
      }
    } finally {
      await Promise.all(seeded.map((other) => other.close()));
    }

    // Assess
    expect(sequences[0]).toEqual(sequences[1]);
    expect(new Set(sequences[0])).toEqual(new Set(['ok', 'InternalError']));
  });

  it('applies the operation and then fails it with phase "after" (a lost response)', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    await admin.addFault({ action: 'ModifyImageSharePermission', code: 'InternalError', status: 500, count: 1, phase: 'after' });

    // Act
    const outcome = await outcomeOf(share(imageId, OTHER.accountId));

    // Assess
    expect(outcome).toEqual({ ok: false, name: 'ServerError', code: 'InternalError', statusCode: 500 });
    expect((await admin.state()).images[0]?.shares.map((s) => s.accountId)).toEqual([OTHER.accountId]);
  });

  it('answers with an HTML page for format "html", which the SDK cannot read as an ECS error', async () => {
    // Prepare
    await admin.addFault({ action: 'DescribeImages', code: 'BadGateway', status: 502, format: 'html', count: 1 });

    // Act
    const outcome = await outcomeOf(describeImages());
    const next = await outcomeOf(describeImages());

    // Assess
    expect(outcome).toEqual({ ok: false, name: 'SyntaxError', code: undefined, statusCode: undefined });
    expect(next).toEqual({ ok: true });
    expect((await admin.calls()).map((call) => [call.status, call.code])).toEqual([
      [502, 'BadGateway'],
      [200, null],
    ]);
  });

  it('raises an injected throttling code as the SDK ThrottlingError', async () => {
    // Prepare
    await admin.addFault({ action: 'DescribeImages', code: 'Throttling', count: 1 });

    // Act
    const outcome = await outcomeOf(describeImages());

    // Assess
    expect(outcome).toEqual({ ok: false, name: 'ThrottlingError', code: 'Throttling', statusCode: 400 });
  });

  it('delays answers by latencyMs, enough to trip the SDK read timeout', async () => {
    // Prepare
    const fast = await outcomeOf(
      ecsClient(emulator.endpoint, OWNER.key, { timeoutMs: 300 }).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION })),
    );
    const id = await admin.addFault({ action: 'DescribeImages', latencyMs: 1200 });

    // Act
    const slow = await outcomeOf(
      ecsClient(emulator.endpoint, OWNER.key, { timeoutMs: 300 }).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION })),
    );
    await admin.removeFault(id);

    // Assess
    expect(fast).toEqual({ ok: true });
    expect(slow).toEqual({ ok: false, name: 'RequestTimeoutError' });
  });

  it('stops injecting once faults are cleared', async () => {
    // Prepare
    await admin.addFault({ code: 'ServiceUnavailable', status: 503 });
    const before = await outcomeOf(describeImages());

    // Act
    await admin.clearFaults();
    const after = await outcomeOf(describeImages());

    // Assess
    expect(before.code).toBe('ServiceUnavailable');
    expect(after).toEqual({ ok: true });
  });
});

describe('ECS emulator flow control', () => {
  it('throttles an action past its QPS per account and region with Throttling.User', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    await admin.setThrottle({ action: 'DescribeImages', qps: 3 });
    frozenMs = Date.now();

    // Act
    const burst = [];
    for (let call = 0; call < 4; call++) burst.push(await outcomeOf(describeImages()));
    let retryAfter: number | undefined;
    try {
      await describeImages();
    } catch (error) {
      retryAfter = (error as { retryAfter?: number }).retryAfter;
    }
    const otherAction = await outcomeOf(sharePermission(imageId));
    const otherAccount = await outcomeOf(describeImages(OTHER));
    const otherRegion = await outcomeOf(describeImages(OWNER, 'cn-shanghai'));
    frozenMs += 1000;
    const nextSecond = await outcomeOf(describeImages());

    // Assess
    expect(burst).toEqual([
      { ok: true },
      { ok: true },
      { ok: true },
      { ok: false, name: 'ThrottlingError', code: 'Throttling.User', statusCode: 400 },
    ]);
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(1000);
    expect([otherAction, otherAccount, otherRegion, nextSecond]).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
  });

  it('limits every action separately when no action is named', async () => {
    // Prepare
    const imageId = await admin.addImage({ ownerAccountId: OWNER.accountId, regionId: REGION });
    await admin.setThrottle({ qps: 1 });
    frozenMs = Date.now();

    // Act
    const outcomes = [
      await outcomeOf(describeImages()),
      await outcomeOf(sharePermission(imageId)),
      await outcomeOf(describeImages()),
      await outcomeOf(sharePermission(imageId)),
    ];

    // Assess
    expect(outcomes.map((o) => o.code ?? 'ok')).toEqual(['ok', 'ok', 'Throttling.User', 'Throttling.User']);
  });

  it('never admits more than the QPS within one second, even for a concurrent burst', async () => {
    // Prepare
    await admin.setThrottle({ action: 'DescribeImages', qps: 5 });
    frozenMs = Date.now();

    // Act
    const outcomes = await Promise.all(Array.from({ length: 20 }, () => outcomeOf(describeImages())));
    const calls = await admin.calls();

    // Assess
    expect(outcomes.filter((o) => o.ok)).toHaveLength(5);
    expect(calls.map((c) => c.code).filter((code) => code === 'Throttling.User')).toHaveLength(15);
    expect(calls.filter((c) => c.status === 200)).toHaveLength(5);
  });

  it('throttles everything at qps 0 and lifts limits when cleared', async () => {
    // Prepare
    await admin.setThrottle({ qps: 0 });
    const blocked = await outcomeOf(describeImages());

    // Act
    await admin.clearThrottle();
    const lifted = await outcomeOf(describeImages());

    // Assess
    expect(blocked.code).toBe('Throttling.User');
    expect(lifted).toEqual({ ok: true });
  });
});
