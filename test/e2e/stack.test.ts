// The system as `npm start` runs it (built bundles, local FC runtime, ECS and Tablestore emulators),
// driven over HTTP with real tokens.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_EVENT_BUS, StartError, parseStartOptions, shellSession, startStack, type Stack } from '../../scripts/start.js';
import { DEMO_DIRECTORY, DEMO_OUT_OF_BAND_RESOURCE_SHARE, DEMO_OUT_OF_BAND_SHARE, DEMO_TARGETS } from '../../scripts/demo-seed.js';
import { csvRecords } from '../support/csv.js';
import { startReceiver } from '../support/events.js';

const ROOT = resolve(import.meta.dirname, '../..');
const HZ = 'cn-hangzhou';

interface EcsState {
  images: { imageId: string; regionId: string; deleted: boolean; shares: { accountId: string }[] }[];
}

describe('stack (npm start) end to end', () => {
  let stack: Stack;
  let dataDir: string;

  const call = async (method: string, path: string, token: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: any }> => {
    const res = await fetch(`${stack.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };
  const ecsState = async (): Promise<EcsState> => (await (await fetch(`http://${stack.ecs.endpoint}/__emulator/state`)).json()) as EcsState;
  const ecsShares = async (imageId: string): Promise<string[]> =>
    (await ecsState()).images.find((i) => i.imageId === imageId)!.shares.map((s) => s.accountId).sort();

  const requestAndApprove = async (imageId: string, accountIds: string[]): Promise<any> => {
    const asked = await call('POST', `/v1/images/${HZ}/${imageId}/share-requests`, stack.tokens.requester, {
      accountIds,
      reason: 'partner rollout',
      attestation: { sensitiveDataRemoved: true },
    }, { 'idempotency-key': `e2e-${imageId}-${accountIds.join('-')}` });
    expect(asked.status).toBe(202);
    expect(asked.body.request).toMatchObject({ status: 'pending_approval', imageId, accountIds });
    const approved = await call('POST', `/v1/share-requests/${asked.body.request.requestId}/approve`, stack.tokens.approver, { comment: 'looks fine' });
    expect(approved.status).toBe(200);
    return approved.body;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'isg-e2e-'));
    stack = await startStack({ port: 0, dataDir, timers: 'off', log: () => undefined });
  }, 120_000);

  afterAll(async () => {
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('requests, approves, describes and revokes a share, with ECS following each step', async () => {
    // Act: request → approve
    const approved = await requestAndApprove('m-hzdemobase0001', [DEMO_TARGETS.partner]);
    // Assess
    expect(approved.request).toMatchObject({ status: 'applied', decidedBy: 'demo-approver' });
    expect(approved.shares).toEqual([expect.objectContaining({ accountId: DEMO_TARGETS.partner, state: 'active' })]);
    expect(await ecsShares('m-hzdemobase0001')).toEqual([DEMO_TARGETS.partner]);

    // Act: describe, as the auditor
    const described = await call('GET', `/v1/images/${HZ}/m-hzdemobase0001`, stack.tokens.auditor);
    expect(described.status).toBe(200);
    expect(described.body).toMatchObject({ quota: { limit: 50, used: 1 }, drift: [], public: false, pendingRequests: [] });
    expect(described.body.shares.map((s: { accountId: string; state: string }) => [s.accountId, s.state])).toEqual([[DEMO_TARGETS.partner, 'active']]);

    // Act: unshare
    const unshared = await call('POST', `/v1/images/${HZ}/m-hzdemobase0001/unshare`, stack.tokens.requester, { accountIds: [DEMO_TARGETS.partner], reason: 'rollout done' });
    expect(unshared.status).toBe(200);
    expect(unshared.body.shares).toEqual([expect.objectContaining({ accountId: DEMO_TARGETS.partner, state: 'revoked' })]);
    expect(typeof unshared.body.warning).toBe('string');
    expect(await ecsShares('m-hzdemobase0001')).toEqual([]);
  });

  it('publishes every audit event as a CloudEvent on the local EventBridge bus, and shows what it received', async () => {
    // Act
    const approved = await requestAndApprove('m-hzdemobase0001', [DEMO_TARGETS.contractor]);
    await stack.runtime.drain();
    const requestId = approved.request.requestId as string;

    // Assess: the request's audit trail, event for event, on the bus (after-request delivery: no timer ran)
    const trail = (await call('GET', `/v1/images/${HZ}/m-hzdemobase0001/events?limit=100`, stack.tokens.auditor)).body.items.filter(
      (e: { shareRequestId?: string }) => e.shareRequestId === requestId,
    );
    const received = (await (await fetch(`http://${stack.eventbridge!.endpoint}/__emulator/events`)).json()) as Record<string, { id: string; type: string; data: unknown }[]>;
    const published = received[LOCAL_EVENT_BUS]!.filter((e) => trail.some((t: { eventId: string }) => t.eventId === e.id));
    expect(published.map((e) => e.type).sort()).toEqual(trail.map((t: { action: string }) => `image-share-governor.${t.action}`).sort());
    expect(published.map((e) => e.data)).toEqual(published.map((e) => trail.find((t: { eventId: string }) => t.eventId === e.id)));
    expect(trail.map((t: { action: string }) => t.action)).toEqual(expect.arrayContaining(['share.requested', 'share.approved', 'share.applied']));
    expect((await call('GET', '/v1/deliveries?status=failed', stack.tokens.auditor)).body).toEqual({ items: [] });
    // Leave the image as the later tests expect it.
    const unshared = await call('POST', `/v1/images/${HZ}/m-hzdemobase0001/unshare`, stack.tokens.requester, { accountIds: [DEMO_TARGETS.contractor], reason: 'done' });
    expect(unshared.status).toBe(200);
  });

  it('refuses the wrong role and an unauthenticated caller', async () => {
    const asAuditor = await call('POST', `/v1/images/${HZ}/m-hzdemobase0001/share-requests`, stack.tokens.auditor, {
      accountIds: [DEMO_TARGETS.partner],
      reason: 'x',
      attestation: { sensitiveDataRemoved: true },
    });
    expect(asAuditor.status).toBe(403);
    expect(asAuditor.body).toMatchObject({ code: 'Forbidden', status: 403 });
    const anonymous = await fetch(`${stack.url}/v1/images/${HZ}/m-hzdemobase0001`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toContain('application/problem+json');
    expect(await anonymous.json()).toMatchObject({ code: 'Unauthenticated', status: 401 });
  });

  it('GET /healthz answers 200 without a token while the emulators and tables are up, 503 naming what is down', async () => {
    // Act
    const up = await fetch(`${stack.url}/healthz`);
    // Assess
    expect(up.status).toBe(200);
    expect(up.headers.get('cache-control')).toBe('no-store');
    expect(await up.json()).toEqual({
      status: 'ok',
      checks: { functions: { ok: true, detail: '5 functions loaded' }, ecs: { ok: true }, tablestore: { ok: true } },
    });
    // Prepare: Tablestore stops answering
    await fetch(`${stack.tablestore.endpoint}/__emulator/faults`, { method: 'POST', body: JSON.stringify({ operation: 'ListTable', code: 'OTSServerUnavailable', status: 503 }) });
    try {
      // Act
      const down = await fetch(`${stack.url}/healthz`);
      // Assess
      expect(down.status).toBe(503);
      expect(await down.json()).toMatchObject({
        status: 'unavailable',
        checks: { ecs: { ok: true }, tablestore: { ok: false, detail: expect.stringContaining('does not list its tables') } },
      });
    } finally {
      await fetch(`${stack.tablestore.endpoint}/__emulator/faults`, { method: 'DELETE' });
    }
    expect((await fetch(`${stack.url}/healthz`)).status).toBe(200);
  });

  it('drains a shared image and deletes it once ECS shows no share', async () => {
    // Prepare
    await requestAndApprove('m-hzdemoapp00001', [DEMO_TARGETS.partner, DEMO_TARGETS.analytics]);
    expect(await ecsShares('m-hzdemoapp00001')).toEqual([DEMO_TARGETS.partner, DEMO_TARGETS.analytics].sort());
    // Act
    const drained = await call('POST', `/v1/images/${HZ}/m-hzdemoapp00001/deletion`, stack.tokens.admin, { mode: 'drain', reason: 'retired' });
    // Assess: deleted at once, or draining until the reconciler finishes it
    expect([200, 202]).toContain(drained.status);
    if (drained.status === 202) {
      await stack.runtime.fireTimer('image-share-reconcile', 'every-10m');
      await stack.runtime.drain();
    }
    const status = await call('GET', `/v1/images/${HZ}/m-hzdemoapp00001/deletion`, stack.tokens.auditor);
    expect(status.body).toMatchObject({ status: 'deleted', remaining: 0 });
    const image = (await ecsState()).images.find((i) => i.imageId === 'm-hzdemoapp00001');
    expect(image === undefined || image.deleted).toBe(true);
  });

  it('finds the out-of-band shares, per account and through a resource share, on a timer-fired reconcile, fanned out per region through fc2', async () => {
    // Act
    const timer = await stack.runtime.fireTimer('image-share-reconcile', 'every-10m');
    await stack.runtime.drain();
    // Assess: the timer run fanned out one async invocation per region, each signed by fc2
    expect(timer.status).toBe('succeeded');
    const fanOut = stack.runtime.invocations().filter((r) => r.functionName === 'image-share-reconcile' && r.trigger === 'async' && r.payload?.includes(timer.requestId));
    expect(fanOut.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const runs = await call('GET', '/v1/reconcile-runs?limit=20', stack.tokens.auditor);
    expect(runs.status).toBe(200);
    const hangzhou = runs.body.items.find((r: { parentRunId?: string; regions: string[] }) => r.parentRunId === timer.requestId && r.regions[0] === HZ);
    expect(hangzhou).toMatchObject({ status: 'completed', trigger: 'timer', mode: 'report', findings: expect.objectContaining({ unmanaged: 2 }) });
    // Report mode leaves the out-of-band shares in place.
    expect(await ecsShares(DEMO_OUT_OF_BAND_SHARE.imageId)).toEqual([DEMO_OUT_OF_BAND_SHARE.accountId]);
    const legacy = (await ecsState()).images.find((i) => i.imageId === DEMO_OUT_OF_BAND_RESOURCE_SHARE.imageId) as unknown as { directoryShares: { target: string }[] };
    expect(legacy.directoryShares.map((d) => d.target)).toEqual([DEMO_OUT_OF_BAND_RESOURCE_SHARE.target]);
    // ... and names them: in the run's findings, and in the posture, as CSV too.
    const oob = { kind: 'unmanaged', regionId: HZ, imageId: DEMO_OUT_OF_BAND_SHARE.imageId, channel: 'account', target: DEMO_OUT_OF_BAND_SHARE.accountId, action: 'none' };
    const oobDirectory = { kind: 'unmanaged', regionId: HZ, imageId: DEMO_OUT_OF_BAND_RESOURCE_SHARE.imageId, channel: 'directory', target: DEMO_OUT_OF_BAND_RESOURCE_SHARE.target, action: 'none' };
    const findings = await call('GET', `/v1/reconcile-runs/${hangzhou.runId}/findings?kind=unmanaged`, stack.tokens.auditor);
    expect(findings.body.items).toContainEqual(expect.objectContaining(oob));
    expect(findings.body.items).toContainEqual(expect.objectContaining(oobDirectory));
    const csv = await fetch(`${stack.url}/v1/findings?regionId=${HZ}&kind=unmanaged`, { headers: { authorization: `Bearer ${stack.tokens.auditor}`, accept: 'text/csv' } });
    expect(csv.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    const { records } = csvRecords(await csv.text());
    expect(records).toContainEqual(expect.objectContaining({ ...oob, accountId: DEMO_OUT_OF_BAND_SHARE.accountId }));
  });

  it('reconciles one image when an ActionTrail event arrives through the EventBridge trigger', async () => {
    // Prepare: the event ActionTrail publishes for a console share of the legacy image
    const event = {
      id: 'evt-1',
      source: 'acs.actiontrail',
      specversion: '1.0',
      type: 'actiontrail:ActionTrail:ApiCall',
      time: new Date().toISOString(),
      subject: `acs:ecs:${HZ}:${stack.ownerAccountId}:image/${DEMO_OUT_OF_BAND_SHARE.imageId}`,
      aliyunaccountid: stack.ownerAccountId,
      aliyunregionid: HZ,
      data: {
        eventId: 'ev-1',
        eventVersion: 1,
        eventType: 'ApiCall',
        eventRW: 'Write',
        eventName: 'ModifyImageSharePermission',
        serviceName: 'Ecs',
        acsRegion: HZ,
        eventTime: new Date().toISOString(),
        requestId: 'R-1',
        userIdentity: { type: 'ram-user', principalId: '1', accountId: stack.ownerAccountId, userName: 'alice' },
        requestParameters: { RegionId: HZ, ImageId: DEMO_OUT_OF_BAND_SHARE.imageId, 'AddAccount.1': DEMO_OUT_OF_BAND_SHARE.accountId },
      },
    };
    // Act
    const res = await fetch(`${stack.url}/__emulator/events/image-share-reconcile/image-sharing-changes`, { method: 'POST', body: JSON.stringify(event) });
    const record = (await res.json()) as { requestId: string; status: string; trigger: string };
    // Assess: one run for that image, which sees its out-of-band shares on both channels
    expect(record).toMatchObject({ status: 'succeeded', trigger: 'eventbridge' });
    const run = await call('GET', `/v1/reconcile-runs/${record.requestId}`, stack.tokens.auditor);
    expect(run.status).toBe(200);
    expect(run.body).toMatchObject({ status: 'completed', mode: 'report', regions: [HZ], imagesScanned: 1, findings: { unmanaged: 2 } });
  });

  it('keeps requests, shares, deletions and tokens across a restart on the same data dir', async () => {
    // Prepare: an active share on each channel, a pending request, a deleted image (previous test); then a full stop
    await requestAndApprove('m-hzdemobase0001', [DEMO_TARGETS.analytics]);
    const folder = await call('POST', `/v1/images/${HZ}/m-hzdemobase0001/share-requests`, stack.tokens.requester, {
      directoryTargets: [DEMO_DIRECTORY.folders.web],
      reason: 'web team rollout',
      attestation: { sensitiveDataRemoved: true },
    });
    expect((await call('POST', `/v1/share-requests/${folder.body.request.requestId}/approve`, stack.tokens.approver, {})).status).toBe(200);
    const asked = await call('POST', '/v1/images/cn-shanghai/m-shdemobase0001/share-requests', stack.tokens.requester, {
      accountIds: [DEMO_TARGETS.analytics],
      reason: 'kept across restarts',
      attestation: { sensitiveDataRemoved: true },
    });
    expect(asked.status).toBe(202);
    // ...and the image that was shared out of band, drained and deleted through the service
    const drained = await call('POST', `/v1/images/${HZ}/${DEMO_OUT_OF_BAND_SHARE.imageId}/deletion`, stack.tokens.admin, { mode: 'drain', reason: 'retired' });
    if (drained.status === 202) {
      await stack.runtime.fireTimer('image-share-reconcile', 'every-10m');
      await stack.runtime.drain();
    }
    expect((await call('GET', `/v1/images/${HZ}/${DEMO_OUT_OF_BAND_SHARE.imageId}/deletion`, stack.tokens.auditor)).body).toMatchObject({ status: 'deleted' });
    const oldTokens = stack.tokens;
    await stack.close();
    // Act
    stack = await startStack({ port: 0, dataDir, timers: 'off', build: false, log: () => undefined });
    // Assess: the old token still verifies, the request is still pending, ECS agrees with the store
    const again = await call('GET', `/v1/share-requests/${asked.body.request.requestId}`, oldTokens.approver);
    expect(again.status).toBe(200);
    expect(again.body.request).toMatchObject({ requestId: asked.body.request.requestId, status: 'pending_approval' });
    expect(await ecsShares('m-hzdemobase0001')).toEqual([DEMO_TARGETS.analytics]);
    // The directory share came back in the service's resource share: no drift on either channel.
    const base = (await ecsState()).images.find((i) => i.imageId === 'm-hzdemobase0001') as unknown as { directoryShares: { target: string }[] };
    expect(base.directoryShares.map((d) => d.target)).toEqual([DEMO_DIRECTORY.folders.web]);
    const live = await call('GET', `/v1/images/${HZ}/m-hzdemobase0001`, oldTokens.auditor);
    expect(live.body.drift).toEqual([]);
    expect((await ecsState()).images.find((i) => i.imageId === 'm-hzdemoapp00001' && !i.deleted)).toBeUndefined();
    expect((await ecsState()).images.find((i) => i.imageId === DEMO_OUT_OF_BAND_SHARE.imageId && !i.deleted)).toBeUndefined();
  }, 60_000);
});

describe('stack (npm start) with WEBHOOK_URL and WEBHOOK_SECRET', () => {
  it('posts the audit events to the webhook, signed with the secret, and starts no EventBridge emulator', async () => {
    // Prepare: a receiver, and npm start pointed at it
    const secret = 'whsec-e2e-4a1c9e7b2d5f8a3c6e0b';
    const receiver = await startReceiver();
    const dataDir = mkdtempSync(join(tmpdir(), 'isg-e2e-hook-'));
    const hooked = await startStack({ port: 0, dataDir, timers: 'off', build: false, webhook: { url: receiver.url, secret }, log: () => undefined });
    try {
      // Act
      const res = await fetch(`${hooked.url}/v1/images/${HZ}/m-shdemobase0001/share-requests`.replace(HZ, 'cn-shanghai'), {
        method: 'POST',
        headers: { authorization: `Bearer ${hooked.tokens.requester}`, 'content-type': 'application/json' },
        body: JSON.stringify({ accountIds: [DEMO_TARGETS.partner], reason: 'webhook demo', attestation: { sensitiveDataRemoved: true } }),
      });
      await receiver.received(1);

      // Assess
      expect(res.status).toBe(202);
      expect(hooked.eventbridge).toBeUndefined();
      expect(hooked.webhookTarget).toBe(new URL(receiver.url).origin);
      const [delivery] = receiver.requests;
      const t = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(String(delivery!.headers['x-isg-signature']))!;
      expect(t[2]).toBe(createHmac('sha256', secret).update(`${t[1]}.${delivery!.body}`).digest('hex'));
      expect(JSON.parse(delivery!.body)).toMatchObject({ type: 'image-share-governor.share.requested', subject: 'images/cn-shanghai/m-shdemobase0001' });
    } finally {
      await hooked.close();
      await receiver.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** Runs a shell script the way a user pastes it into bash; resolves with its output (never blocks the stack in this process). */
function bash(script: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun) => {
    const child = spawn('bash', ['-c', script], { cwd: ROOT, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString('utf8')));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString('utf8')));
    child.once('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}

/** The README's first `sh` block after a heading. */
function readmeBlock(heading: string): string {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf(`\n${heading}\n`));
  const m = /```sh\n([\s\S]*?)```/.exec(section);
  if (!m) throw new Error(`README.md has no sh block under ${heading}`);
  return m[1]!;
}

describe('the first hour: what npm start and the README tell a new user to paste', () => {
  const PROBLEM = 'urn:image-share-governor:error:';
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'isg-first-hour-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it("the banner's lines work pasted as they are: share, approve, describe, revoke, reconcile, drain", async () => {
    // Prepare
    const stack = await startStack({ port: 0, dataDir: join(dataDir, 'banner'), timers: 'off', log: () => undefined });
    try {
      // Act
      const run = await bash(shellSession(stack).join('\n'));
      // Assess: every call answered without a problem document, and each step did what it says
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      expect(run.stdout).not.toContain(PROBLEM);
      const requestId = run.stdout.split('\n')[0]!;
      expect(requestId).toMatch(/^sr-/);
      expect(run.stdout).toContain(`{"request":{"requestId":"${requestId}"`);
      expect(run.stdout).toMatch(/"status":"applied"/);
      expect(run.stdout).toMatch(/"state":"revoked"/);
      // The folder share: asked, approved, described on the directory channel.
      // Each echoed request id ends its line (the curl before it prints no newline).
      const echoed = [...run.stdout.matchAll(/(sr-[0-9a-f]+)\n/g)].map((m) => m[1]);
      expect(echoed).toHaveLength(2);
      expect(echoed[1]).not.toBe(requestId);
      expect(run.stdout).toContain(`"directoryTargets":["${DEMO_DIRECTORY.folders.prod}"]`);
      expect(run.stdout).toContain(`"channel":"directory","target":"${DEMO_DIRECTORY.folders.prod}","state":"active"`);
      const holding = (await (await fetch(`http://${stack.ecs.endpoint}/__emulator/state`)).json()) as { images: { imageId: string; directoryShares: { target: string }[] }[] };
      expect(holding.images.find((i) => i.imageId === 'm-hzdemobase0001')!.directoryShares.map((d) => d.target)).toEqual([DEMO_DIRECTORY.folders.prod]);
      expect(run.stdout).toMatch(/"status":"(deleted|draining)"/);
      const runs = stack.runtime.invocations().filter((r) => r.functionName === 'image-share-reconcile' && r.trigger === 'timer');
      expect(runs.map((r) => r.status)).toEqual(['succeeded']);
    } finally {
      await stack.close();
    }
  }, 120_000);

  it("the README's API examples work as written, with the banner's exports, on both channels", async () => {
    // Prepare
    const stack = await startStack({ port: 0, dataDir: join(dataDir, 'readme'), timers: 'off', build: false, log: () => undefined });
    try {
      const exports = shellSession(stack).filter((line) => line.startsWith('export ')).join('\n');
      // Act
      const run = await bash(`${exports}\n${readmeBlock('## API')}`);
      const folder = await bash(`${exports}\n${readmeBlock('### The directory channel')}`);
      // Assess: the request waited, was approved and applied; the guard refused the still-shared image
      expect(run.code).toBe(0);
      expect(run.stderr).toBe('');
      const [requestId, ...rest] = run.stdout.split('\n');
      const answers = rest.join('\n').replace(/}{/g, '}\n{').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
      expect(answers).toEqual([
        expect.objectContaining({ request: expect.objectContaining({ requestId, status: 'applied', ticket: 'CHG-42', comment: 'approved for the Q1 rollout' }) }),
        expect.objectContaining({ quota: { limit: 50, used: 1 }, directoryQuota: { limit: 10, used: 0 }, drift: [], public: false, pendingRequests: [] }),
        expect.objectContaining({ code: 'ImageStillShared', shares: [DEMO_TARGETS.partner] }),
      ]);
      // ... and the folder share was approved, applied through the service's resource share, and unshared.
      expect([folder.code, folder.stderr]).toEqual([0, '']);
      const folderAnswers = folder.stdout.replace(/}{/g, '}\n{').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, any>);
      expect(folderAnswers).toEqual([
        expect.objectContaining({
          request: expect.objectContaining({ directoryTargets: [DEMO_DIRECTORY.folders.prod], status: 'applied' }),
          shares: [expect.objectContaining({ channel: 'directory', target: DEMO_DIRECTORY.folders.prod, state: 'active', resourceShareId: expect.stringMatching(/^rs-/) })],
        }),
        expect.objectContaining({
          shares: [expect.objectContaining({ channel: 'directory', target: DEMO_DIRECTORY.folders.prod, state: 'revoked' })],
          directory: { notShared: [], revokedOutsideService: [], removedFromShares: [] },
        }),
      ]);
    } finally {
      await stack.close();
    }
  }, 120_000);
});

describe('parseStartOptions', () => {
  it('reads every option of npm start', () => {
    expect(
      parseStartOptions([
        '--port', '9100', '--json', '--timers', 'every:30s', '--data-dir', 'd', '--ecs-port', '0', '--tablestore-port', '0', '--eventbridge-port', '8103',
        '--event-format', 'apigateway', '--no-build',
      ]),
    ).toEqual({
      json: true,
      stack: { port: 9100, ecsPort: 0, tablestorePort: 0, eventbridgePort: 8103, dataDir: 'd', timers: { everyMs: 30_000 }, eventFormat: 'apigateway', build: false },
    });
    expect(parseStartOptions([])).toEqual({ json: false, stack: { build: true } });
  });

  it('refuses a stray word, an unknown option and a bad value, as StartError', () => {
    expect(() => parseStartOptions(['9100'])).toThrow(new StartError('unknown argument 9100; known: --port, --timers, --data-dir, --ecs-port, --tablestore-port, --eventbridge-port, --event-format, --json, --no-build'));
    expect(() => parseStartOptions(['--prot', '9100'])).toThrow(/^unknown option --prot;/);
    expect(() => parseStartOptions(['--port', '--json'])).toThrow(new StartError('--port needs a value'));
    expect(() => parseStartOptions(['--timers', 'hourly'])).toThrow(StartError);
    expect(() => parseStartOptions(['--event-format', 'lambda'])).toThrow(new StartError('--event-format must be http-trigger or apigateway, got "lambda"'));
  });
});

describe('npm start failures', () => {
  it('names a taken port, a corrupt data dir and a data dir that is a file', async () => {
    // Prepare: hold a port; write a broken snapshot
    const holder = createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    const port = (holder.address() as AddressInfo).port;
    const dataDir = mkdtempSync(join(tmpdir(), 'isg-bad-'));
    try {
      // Act + Assess
      await expect(startStack({ port, dataDir, timers: 'off', build: false, log: () => undefined })).rejects.toThrow(
        new StartError(`port ${port} for the FC runtime is already in use; pick another (--port P, 0 = any free port)`),
      );
      // A taken port is found before the build: the bundles are left as they were.
      const bundle = join(ROOT, 'dist/share/index.js');
      const builtAt = statSync(bundle, { throwIfNoEntry: false })?.mtimeMs;
      await expect(startStack({ port: 0, ecsPort: port, dataDir, timers: 'off', log: () => undefined })).rejects.toThrow(
        new StartError(`port ${port} for the ECS emulator is already in use; pick another (--ecs-port P, 0 = any free port)`),
      );
      expect(statSync(bundle, { throwIfNoEntry: false })?.mtimeMs).toBe(builtAt);
      mkdirSync(join(dataDir, 'tablestore'), { recursive: true });
      writeFileSync(join(dataDir, 'tablestore', 'snapshot.otsdb'), 'not a snapshot');
      await expect(startStack({ port: 0, dataDir, timers: 'off', build: false, log: () => undefined })).rejects.toThrow(/Tablestore data in .* is corrupt .* move that folder away/);
      await expect(startStack({ port: 0, dataDir, timers: 'off', webhook: { url: 'http://hooks.example.com/isg', secret: 'whsec-0123456789abcdef' }, log: () => undefined })).rejects.toThrow(
        new StartError('WEBHOOK_URL must use https (plain http only to a loopback host), got http://hooks.example.com'),
      );
      await expect(startStack({ port: 0, dataDir, timers: 'off', webhook: { url: 'https://hooks.example.com/isg', secret: '' }, log: () => undefined })).rejects.toThrow(
        new StartError('WEBHOOK_SECRET is required with WEBHOOK_URL'),
      );
      const aFile = join(dataDir, 'tablestore', 'snapshot.otsdb');
      await expect(startStack({ port: 0, dataDir: aFile, timers: 'off', build: false, log: () => undefined })).rejects.toThrow(
        new StartError(`cannot use ${aFile} as the data folder (EEXIST: file already exists, mkdir '${aFile}'); pick another with --data-dir`),
      );
    } finally {
      await new Promise<void>((r) => holder.close(() => r()));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** `npm start --silent -- --json …` in its own process group, as a terminal would run it; resolves at its ready line. */
async function npmStart(
  dataDir: string,
): Promise<{ child: ChildProcess; ready: Record<string, any>; stdoutLines: string[]; exited: Promise<number | null>; closed: Promise<number | null> }> {
  const child = spawn('npm', ['start', '--silent', '--', '--json', '--port', '0', '--data-dir', dataDir, '--timers', 'off'], {
    cwd: ROOT,
    // A deployer's shell may export TABLE_PREFIX or an EventBridge endpoint; the local stack keeps its own.
    env: { ...process.env, TABLE_PREFIX: 'deployed_', EVENTBRIDGE_ENDPOINT: 'deployed.eventbridge.cn-hangzhou.aliyuncs.com', WEBHOOK_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  child.stderr!.resume();
  const exited = new Promise<number | null>((r) => child.once('exit', r));
  const closed = new Promise<number | null>((r) => child.once('close', r)); // also after stdout is drained
  const stdoutLines: string[] = [];
  const line = await new Promise<string>((resolveLine, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.on('line', (l) => stdoutLines.push(l));
    rl.once('line', resolveLine);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
  });
  return { child, ready: JSON.parse(line) as Record<string, any>, stdoutLines, exited, closed };
}

/** Whatever is left of the process group (nothing, when the stop worked). */
const killGroup = (child: ChildProcess): void => {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    // already gone
  }
};

const refusesConnections = (url: string): Promise<boolean> =>
  fetch(url).then(
    () => false,
    (err: { cause?: { code?: string } }) => err.cause?.code === 'ECONNREFUSED',
  );

describe('npm start (the command)', () => {
  let dataDir: string;
  beforeAll(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'isg-start-'));
  });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('--json prints exactly the one ready line; Ctrl-C (SIGINT to its process group) stops everything', async () => {
    // Prepare: the real command line, building as npm start does, on a fresh data dir.
    const { child, ready, stdoutLines, closed } = await npmStart(dataDir);
    try {
      // Assess
      expect(Object.keys(ready)).toEqual(['url', 'tokens', 'console', 'ecs', 'tablestore', 'eventbridge', 'ownerAccountId', 'regions']);
      expect(ready.eventbridge).toEqual({
        service: 'eventbridge',
        endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/),
        accountId: expect.stringMatching(/^[0-9]{16}$/),
        accessKeyId: expect.any(String),
        accessKeySecret: expect.any(String),
        buses: [LOCAL_EVENT_BUS],
      });
      expect(ready.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(Object.keys(ready.tokens)).toEqual(['requester', 'approver', 'admin', 'auditor']);
      expect(ready.console).toEqual(Object.fromEntries(['requester', 'approver', 'admin', 'auditor'].map((r) => [r, `${ready.url}/console?login_hint=${r}`])));
      expect(ready.ecs).toEqual({ service: 'ecs', endpoint: expect.stringMatching(/^127\.0\.0\.1:\d+$/) });
      expect(ready.tablestore).toEqual({ service: 'tablestore', endpoint: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), instance: 'local', accessKeyId: expect.any(String), accessKeySecret: expect.any(String) });
      expect(ready.ownerAccountId).toMatch(/^[0-9]{16}$/);
      expect(ready.regions).toEqual(['cn-hangzhou', 'cn-shanghai']);
      const res = await fetch(`${ready.url}/v1/share-requests?status=pending_approval`, { headers: { authorization: `Bearer ${ready.tokens.approver}` } });
      expect(res.status).toBe(200);
      // Act: the terminal sends SIGINT to every process of the group (npm forwards its copy too)
      process.kill(-child.pid!, 'SIGINT');
      // Assess
      expect(await closed).toBe(0);
      expect(stdoutLines).toEqual([stdoutLines[0]]); // nothing but the ready line ever reached stdout
      expect(await refusesConnections(ready.url)).toBe(true);
      expect(existsSync(join(dataDir, 'tablestore', 'LOCK'))).toBe(false);
    } finally {
      killGroup(child);
    }
  }, 120_000);

  it.each(['SIGTERM', 'SIGINT'] as const)('%s sent to the npm process alone stops everything, and the next start takes the data dir', async (signal) => {
    // Prepare
    const { child, ready, exited } = await npmStart(dataDir);
    try {
      // Act
      child.kill(signal);
      // Assess: npm and the stack under it are gone; ports and the data lock released
      expect(await exited).toBe(0);
      expect(await refusesConnections(ready.url)).toBe(true);
      expect(await refusesConnections(ready.tablestore.endpoint)).toBe(true);
      expect(existsSync(join(dataDir, 'tablestore', 'LOCK'))).toBe(false);
    } finally {
      killGroup(child);
    }
    const again = await startStack({ port: 0, dataDir, timers: 'off', build: false, log: () => undefined });
    await again.close();
  }, 120_000);
});
