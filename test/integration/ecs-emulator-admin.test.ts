/**
 * The ECS emulator's admin routes over HTTP: validation (400 with a message, never a crash),
 * state and call-log shapes, out-of-band shares, reset, and the command-line entry point.
 */
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type RunningEcsEmulator, startEcsEmulator } from '../../emulators/ecs/index.js';
import { runEmulatorCli } from '../support/cli.js';
import { EcsAdminError, type EcsAdmin, ecsAdmin, ecsClient, loadEcsSdk } from '../support/ecs.js';

const REGION = 'cn-hangzhou';
const OWNER = '1000000000000021';
const TARGET = '1000000000000022';

let emulator: RunningEcsEmulator;
let admin: EcsAdmin;

beforeEach(async () => {
  emulator = await startEcsEmulator({ port: 0, now: () => new Date('2026-03-01T10:00:00.000Z') });
  admin = ecsAdmin(emulator.endpoint);
});

afterEach(async () => {
  await emulator.close();
});

async function raw(method: string, path: string, body?: string): Promise<{ status: number; body: unknown }> {
  const response = await fetch(`http://${emulator.endpoint}/__emulator${path}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body,
  });
  const text = await response.text();
  return { status: response.status, body: text ? (JSON.parse(text) as unknown) : undefined };
}

const json = (value: unknown) => JSON.stringify(value);

describe('ECS emulator admin validation', () => {
  it('answers malformed bodies with 400 and a message, and applies nothing', async () => {
    // Prepare
    await admin.addAccount(OWNER, [{ accessKeyId: 'AK-A', accessKeySecret: 's' }]);
    const cases: Array<[string, string, string | undefined]> = [
      ['POST', '/accounts', json({ accountId: '12345' })],
      ['POST', '/accounts', json({ accountId: '1000000000000099', extra: true })],
      ['POST', '/accounts', '{not json'],
      ['POST', '/accounts', undefined],
      ['POST', '/images', json({ ownerAccountId: '1000000000000098', regionId: REGION })],
      ['POST', '/images', json({ regionId: REGION })],
      ['POST', '/images', json({ kind: 'system', ownerAccountId: OWNER, regionId: REGION })],
      ['POST', '/images', json({ ownerAccountId: OWNER, regionId: REGION, status: 'Sleeping' })],
      ['POST', '/images', json({ ownerAccountId: OWNER, regionId: REGION, imageId: 'ami-123' })],
      ['POST', '/images', json({ ownerAccountId: OWNER, regionId: 'Hangzhou' })],
      ['POST', '/shares', json({ regionId: REGION, imageId: 'm-abcdefgh1' })],
      ['POST', '/faults', json({ action: 'DescribeImages' })],
      ['POST', '/faults', json({ code: 'InternalError', probability: 0 })],
      ['POST', '/faults', json({ code: 'InternalError', status: 200 })],
      ['POST', '/faults', json({ latencyMs: 10, format: 'html' })],
      ['POST', '/faults', json({ code: 'BadGateway', format: 'xml' })],
      ['PUT', '/throttle', json({ qps: -1 })],
      ['PUT', '/throttle', json({ action: 'DescribeImages' })],
      // Valid RFC 3339, yet no Date can hold a leap second.
      ['POST', '/images', json({ ownerAccountId: OWNER, regionId: REGION, creationTime: '2026-06-30T23:59:60Z' })],
      ['PATCH', '/images/%E0%A4%A/m-abcdefgh1', json({ status: 'Available' })],
      ['DELETE', '/faults/%ZZ', undefined],
    ];

    // Act
    const answers = [];
    for (const [method, path, body] of cases) answers.push(await raw(method, path, body));

    // Assess
    for (const answer of answers) {
      expect(answer.status).toBe(400);
      expect(answer.body).toEqual({ error: expect.any(String) });
    }
    expect(await admin.state()).toEqual({ accounts: [{ accountId: OWNER }], images: [] });
  });

  it('answers unknown routes with 404, unknown targets with 404 and conflicts with 409', async () => {
    // Prepare
    await admin.addAccount(OWNER, [{ accessKeyId: 'AK-A', accessKeySecret: 's' }]);
    await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: 'm-taken00001' });

    // Act
    const unknownRoute = await raw('GET', '/nothing');
    const unknownImage = await raw('POST', '/shares', json({ regionId: REGION, imageId: 'm-absent0001', accountId: OWNER }));
    const unknownAccount = await raw('POST', '/shares', json({ regionId: REGION, imageId: 'm-taken00001', accountId: TARGET }));
    const withOwner = await raw('POST', '/shares', json({ regionId: REGION, imageId: 'm-taken00001', accountId: OWNER }));
    const duplicateImage = await raw('POST', '/images', json({ ownerAccountId: OWNER, regionId: REGION, imageId: 'm-taken00001' }));
    const stolenKey = await raw('POST', '/accounts', json({ accountId: TARGET, accessKeys: [{ accessKeyId: 'AK-A', accessKeySecret: 'x' }] }));

    // Assess
    expect([unknownRoute.status, unknownImage.status, unknownAccount.status, withOwner.status, duplicateImage.status, stolenKey.status]).toEqual([
      404, 404, 404, 409, 409, 409,
    ]);
  });

  it('raises EcsAdminError from the helper with the status and body', async () => {
    // Act
    const error = await admin.addImage({ regionId: REGION }).catch((caught: unknown) => caught);

    // Assess
    expect(error).toBeInstanceOf(EcsAdminError);
    expect((error as EcsAdminError).status).toBe(400);
  });
});

describe('ECS emulator admin state', () => {
  it('reports accounts and images in the documented shape, secrets excluded', async () => {
    // Prepare
    await admin.addAccount(OWNER, [{ accessKeyId: 'AK-A', accessKeySecret: 'top-secret' }]);
    await admin.addAccount(TARGET);
    const custom = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, tags: { a: 'b' } });
    const derived = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, kind: 'marketplace-derived', status: 'Waiting' });
    const system = await admin.addImage({ kind: 'system', regionId: 'cn-beijing' });
    await admin.shareOutOfBand(REGION, custom, TARGET);
    await admin.shareOutOfBand(REGION, custom, TARGET);

    // Act
    const state = await admin.state();

    // Assess
    expect(state).toEqual({
      accounts: [{ accountId: OWNER }, { accountId: TARGET }],
      images: [
        { imageId: custom, regionId: REGION, ownerAccountId: OWNER, kind: 'custom', status: 'Available', isPublic: false, deleted: false, shares: [{ accountId: TARGET, sharedTime: '2026-03-01T10:00:00Z' }], directoryShares: [] },
        { imageId: derived, regionId: REGION, ownerAccountId: OWNER, kind: 'marketplace-derived', status: 'Waiting', isPublic: false, deleted: false, shares: [], directoryShares: [] },
        { imageId: system, regionId: 'cn-beijing', ownerAccountId: null, kind: 'system', status: 'Available', isPublic: true, deleted: false, shares: [], directoryShares: [] },
      ],
    });
    expect(JSON.stringify(state)).not.toContain('top-secret');
    expect(custom).toMatch(/^m-[a-z0-9]{20}$/);
  });

  it('patches an image and removes an out-of-band share', async () => {
    // Prepare
    await admin.addAccount(OWNER);
    await admin.addAccount(TARGET);
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, status: 'Creating' });
    await admin.shareOutOfBand(REGION, imageId, TARGET);

    // Act
    await admin.patchImage(REGION, imageId, { status: 'Available', isPublic: true });
    await admin.unshareOutOfBand(REGION, imageId, TARGET);

    // Assess
    expect((await admin.state()).images).toEqual([
      { imageId, regionId: REGION, ownerAccountId: OWNER, kind: 'custom', status: 'Available', isPublic: true, deleted: false, shares: [], directoryShares: [] },
    ]);
  });

  it('forgets accounts, images, faults, limits and calls on reset', async () => {
    // Prepare
    const key = { accessKeyId: 'AK-R', accessKeySecret: 'r' };
    await admin.addAccount(OWNER, [key]);
    await admin.addImage({ ownerAccountId: OWNER, regionId: REGION });
    await admin.addFault({ code: 'InternalError' });
    await admin.setThrottle({ qps: 0 });
    const sdk = loadEcsSdk();
    const live = new Date();
    const liveEmulator = await startEcsEmulator({ port: 0, now: () => live });
    const liveAdmin = ecsAdmin(liveEmulator.endpoint);
    await liveAdmin.addAccount(OWNER, [key]);
    await liveAdmin.addFault({ code: 'InternalError' });
    await ecsClient(liveEmulator.endpoint, key).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION })).catch(() => undefined);

    try {
      // Act
      await admin.reset();
      await liveAdmin.reset();
      await liveAdmin.addAccount(OWNER, [key]);
      const afterReset = await ecsClient(liveEmulator.endpoint, key).describeImages(new sdk.DescribeImagesRequest({ regionId: REGION }));

      // Assess
      expect(await admin.state()).toEqual({ accounts: [], images: [] });
      expect(await admin.calls()).toEqual([]);
      expect(afterReset.statusCode).toBe(200);
      expect((await liveAdmin.calls()).map((call) => call.code)).toEqual([null]);
    } finally {
      await liveEmulator.close();
    }
  });
});

describe('ECS emulator command line', () => {
  const runCli = (args: string[]) => runEmulatorCli('emulators/ecs/cli.ts', args);

  it('prints one ready line with the endpoint, serves, and exits cleanly on SIGTERM', async () => {
    // Prepare
    const cli = runCli(['--port', '0']);

    // Act
    const line = await cli.firstLine;
    const { endpoint } = JSON.parse(line) as { service: string; endpoint: string };
    const state = await ecsAdmin(endpoint).state();
    cli.child.kill('SIGTERM');
    const exitCode = await cli.exited;

    // Assess
    expect(JSON.parse(line)).toEqual({ service: 'ecs', endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
    expect(state).toEqual({ accounts: [], images: [] });
    expect(exitCode).toBe(0);
    expect(cli.output().stdout).toBe(`${line}\n`);
  });

  it('explains a taken port and invalid arguments on stderr with exit code 2', async () => {
    // Prepare
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const takenPort = (blocker.address() as AddressInfo).port;

    try {
      // Act
      const taken = runCli(['--port', String(takenPort)]);
      const takenExit = await taken.exited;
      const invalid = runCli(['--port', 'eighty']);
      const invalidExit = await invalid.exited;

      // Assess
      expect(takenExit).toBe(2);
      expect(taken.output().stderr).toContain(`port ${takenPort} on 127.0.0.1 is already in use`);
      expect(invalidExit).toBe(2);
      expect(invalid.output().stderr).toContain('--port must be an integer');
    } finally {
      await new Promise<void>((resolve) => blocker.close(() => resolve()));
    }
  });
});
