// Findings end to end over the real parts: the reconcile function (ECS and Tablestore SDKs against
// both emulators, fc2 for its continuations) records what it finds; the describe function, with real
// tokens, lists, filters, pages and exports it, and answers the posture.
import { afterEach, describe, expect, it } from 'vitest';
import { describeRoutes } from '../../functions/describe/routes.js';
import type { Finding, FindingKind } from '../../shared/domain/model.js';
import { FINDING_KINDS, ROLES, findingKey } from '../../shared/domain/model.js';
import { createHttpFunction } from '../../shared/http/function.js';
import type { HttpResponse } from '../../shared/http/types.js';
import { createRuntime } from '../../shared/runtime.js';
import { actionTrailEvent, OWNER } from '../fixtures/reconcile/env.js';
import { event, type EventChanges, type FixtureName } from '../fixtures/events.js';
import { EXPECTED_FINDINGS, seedFleet } from '../fixtures/reconcile/fleet.js';
import { REGION, startReconcileStack, TARGETS, timer, type ReconcileStack } from '../fixtures/reconcile/stack.js';
import { csvRecords } from '../support/csv.js';
import { createTestIdp, idpEnv, roleTokens } from '../support/jwt.js';

const [T1, T2] = TARGETS as [string, string];

interface FindingsStack {
  readonly stack: ReconcileStack;
  readonly tokens: Awaited<ReturnType<typeof roleTokens>>;
  get(fixture: FixtureName, changes: EventChanges): Promise<HttpResponse>;
  /** Every item of a listing, following nextCursor page by page. */
  all(fixture: FixtureName, changes: EventChanges & { query?: Record<string, string> }): Promise<Finding[]>;
  sweep(mode: 'report' | 'enforce'): Promise<string>;
}

let current: ReconcileStack | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

/** The reconcile stack, and the describe function over the same Tablestore as FC would run it. */
async function startFindingsStack(opts: Parameters<typeof startReconcileStack>[0] = {}): Promise<FindingsStack> {
  const stack = (current = await startReconcileStack(opts));
  const idp = await createTestIdp();
  const tokens = await roleTokens(idp);
  const runtime = createRuntime({ ...stack.env, ...idpEnv(idp), LOG_LEVEL: 'warn' });
  const { handler } = createHttpFunction(describeRoutes, { runtime: () => runtime });
  let n = 0;
  const get = (fixture: FixtureName, changes: EventChanges) =>
    handler(event(fixture, { token: tokens.auditor, ...changes }), { requestId: `api-${++n}`, credentials: { ...stack.credentials, securityToken: '' } });
  return {
    stack,
    tokens,
    get,
    async all(fixture, changes) {
      const items: Finding[] = [];
      let cursor: string | undefined;
      for (let page = 0; page < 100; page += 1) {
        const res = await get(fixture, { ...changes, query: { ...changes.query, ...(cursor ? { cursor } : {}) } });
        expect(res.statusCode, res.body).toBe(200);
        const body = JSON.parse(res.body) as { items: Finding[]; nextCursor?: string };
        items.push(...body.items);
        if (!body.nextCursor) return items;
        cursor = body.nextCursor;
      }
      throw new Error('more than 100 pages');
    },
    async sweep(mode) {
      const result = await stack.invoke(timer({ mode, regions: [REGION] }));
      await stack.fc.idle();
      expect(result.status === 'completed' || result.status === 'continued').toBe(true);
      return result.runIds[0]!;
    },
  };
}

const countByKind = (items: readonly Finding[]): Partial<Record<FindingKind, number>> => {
  const out: Partial<Record<FindingKind, number>> = {};
  for (const f of items) out[f.kind] = (out[f.kind] ?? 0) + 1;
  return out;
};
const subjects = (items: readonly Finding[]) => items.map((f) => [f.kind, f.imageId, f.channel, f.target, f.accountId ?? null]).sort();
/** What a CSV row says of a finding: every column a string, an absent one empty. */
const asCsvRow = (f: Finding): Record<string, string> => ({ ...f, accountId: f.accountId ?? '' });

describe('findings of a reconcile run, through the API', () => {
  it('a report run names every finding it counts, of every kind; the API pages them, filters by kind, and exports them as CSV', async () => {
    const s = await startFindingsStack({ env: { UNMANAGED_SHARES: 'adopt' } });
    const ids = await seedFleet(s.stack);
    const runId = await s.sweep('report');
    const run = await s.stack.store.getRun(runId);
    expect(run).toMatchObject({ status: 'completed', findings: EXPECTED_FINDINGS });

    const items = await s.all('list-run-findings', { runId, query: { limit: '4' } });

    // Counts equal the findings stored; every kind is there, each named by its subject.
    expect(countByKind(items)).toEqual(run!.findings);
    expect(Object.keys(countByKind(items)).sort()).toEqual([...FINDING_KINDS].sort());
    expect(new Set(items.map(findingKey)).size).toBe(items.length);
    const share = (kind: FindingKind, imageId: string, accountId: string) => [kind, imageId, 'account', accountId, accountId];
    const itself = (kind: FindingKind, imageId: string) => [kind, imageId, 'account', imageId, null];
    const request = (kind: FindingKind, imageId: string) => [kind, imageId, 'account', `req-${imageId}`, null];
    expect(subjects(items)).toEqual(
      [
        share('unmanaged', ids.unmanaged, T2),
        share('missing', ids.missing, T1),
        itself('public', ids.public),
        share('stale_intent', ids.applyingDone, T1),
        share('stale_intent', ids.applyingLost, T1),
        share('stale_intent', ids.revokingDone, T1),
        share('stale_intent', ids.revokingLost, T1),
        share('expired_share', ids.expired, T1),
        request('expired_request', ids.pending),
        request('unfinished_request', ids.unfinished),
        itself('draining', ids.draining),
        itself('deleted_outside', ids.deletedOutside),
        itself('quota_mismatch', ids.quota),
      ].sort(),
    );
    // Report mode acts on nothing; each finding says what and when in a few words.
    expect(new Set(items.map((f) => f.action))).toEqual(new Set(['none']));
    for (const f of items) {
      expect(f.regionId).toBe(REGION);
      expect(f.detail.length).toBeGreaterThan(10);
      expect(Date.parse(f.at)).toBeGreaterThanOrEqual(Date.parse(run!.startedAt));
      expect(Date.parse(f.at)).toBeLessThanOrEqual(Date.parse(run!.finishedAt!));
    }
    expect(items.find((f) => f.kind === 'quota_mismatch')?.detail).toBe('quota counter 5, 1 share(s) hold quota');
    // Listed kind first.
    expect(items.map((f) => f.kind)).toEqual([...items.map((f) => f.kind)].sort());

    for (const kind of FINDING_KINDS) {
      const ofKind = await s.all('list-run-findings', { runId, query: { kind, limit: '2' } });
      expect(ofKind, kind).toEqual(items.filter((f) => f.kind === kind));
    }

    const csv = await s.get('list-run-findings', { runId, query: {}, headers: { Accept: 'text/csv' } });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers.link).toBeUndefined();
    const { header, records } = csvRecords(csv.body);
    expect(header).toEqual(['kind', 'regionId', 'imageId', 'channel', 'target', 'accountId', 'detail', 'action', 'at']);
    expect(records).toEqual(items.map(asCsvRow));
    const unmanagedCsv = await s.get('list-run-findings', { runId, query: { kind: 'unmanaged' }, headers: { Accept: 'text/csv' } });
    expect(csvRecords(unmanagedCsv.body).records).toEqual(items.filter((f) => f.kind === 'unmanaged').map(asCsvRow));
  });

  it('answers every read role, refuses a caller without a token, an unknown run and a cursor it did not issue', async () => {
    const s = await startFindingsStack();
    await s.stack.ecs.shareOutOfBand(REGION, await s.stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION }), T1);
    await s.stack.ecs.shareOutOfBand(REGION, await s.stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION }), T2);
    const runId = await s.sweep('report');

    for (const role of ROLES) {
      expect((await s.get('list-run-findings', { runId, token: s.tokens[role], query: {} })).statusCode, role).toBe(200);
      expect((await s.get('list-findings', { token: s.tokens[role], query: {} })).statusCode, role).toBe(200);
    }
    for (const fixture of ['list-run-findings', 'list-findings'] as const) {
      const res = await s.get(fixture, { runId, token: null, query: {} });
      expect(res.statusCode).toBe(401);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'Unauthenticated' });
    }
    expect(JSON.parse((await s.get('list-run-findings', { runId: 'run-none', query: {} })).body)).toMatchObject({ status: 404, code: 'RunNotFound' });
    expect(JSON.parse((await s.get('list-findings', { query: { regionId: 'eu-central-1' } })).body)).toMatchObject({ status: 404, code: 'RegionNotManaged' });
    expect(JSON.parse((await s.get('list-findings', { query: { kind: 'everything' } })).body)).toMatchObject({ status: 400, code: 'ValidationFailed' });

    const runPage = JSON.parse((await s.get('list-run-findings', { runId, query: { limit: '1' } })).body) as { nextCursor: string };
    const posturePage = JSON.parse((await s.get('list-findings', { query: { limit: '1' } })).body) as { nextCursor: string };
    const forged = Buffer.from(JSON.stringify({ l: `findings:${runId}`, k: ['€'.repeat(400)] })).toString('base64url');
    const misuses: [FixtureName, string][] = [
      ['list-run-findings', posturePage.nextCursor],
      ['list-findings', runPage.nextCursor],
      ['list-run-findings', forged],
      ['list-findings', 'not-a-cursor'],
    ];
    for (const [fixture, cursor] of misuses) {
      for (const accept of ['application/json', 'text/csv']) {
        const res = await s.get(fixture, { runId, query: { cursor }, headers: { Accept: accept } });
        expect(res.statusCode, `${fixture} ${accept}`).toBe(400);
        expect(JSON.parse(res.body)).toMatchObject({ code: 'ValidationFailed', errors: [{ path: '/query/cursor' }] });
      }
    }
  });

  it('counts equal the findings stored across continuations, each finding once', async () => {
    // A 1 s function timeout with a 1 s reserve leaves no time: every invocation reconciles one image
    // (each makes progress) and hands the rest to a continuation, whatever the machine's speed.
    const s = await startFindingsStack({ functionTimeoutS: 1 });
    const shared = new Map<string, string[]>();
    for (let i = 0; i < 8; i += 1) {
      const id = await s.stack.ecs.addImage({ ownerAccountId: OWNER, regionId: REGION, imageId: `m-fcont${String(i).padStart(8, '0')}` });
      const accounts = TARGETS.slice(i, i + 1 + (i % 3));
      for (const accountId of accounts) await s.stack.ecs.shareOutOfBand(REGION, id, accountId);
      shared.set(id, [...accounts]);
    }
    const runId = await s.sweep('report');

    const run = await s.stack.store.getRun(runId);
    const expected = [...shared].flatMap(([imageId, accounts]) => accounts.map((a) => ['unmanaged', imageId, 'account', a, a]));
    expect(run).toMatchObject({ status: 'completed', findings: { unmanaged: expected.length }, errors: [] });
    expect(run!.actions.continued).toBeGreaterThanOrEqual(8);
    const items = await s.all('list-run-findings', { runId, query: { limit: '5' } });
    expect(subjects(items)).toEqual(expected.sort());
    expect(await s.all('list-findings', { query: {} })).toEqual(items);
  });
});

describe('the compliance posture (GET /v1/findings)', () => {
  it("names the open findings of the latest completed sweep, an image the service never managed included, and closes them after later runs", async () => {
    // RECONCILE_MODE is what an EventBridge run uses; the sweeps below name their mode.
    const s = await startFindingsStack({ env: { UNMANAGED_SHARES: 'adopt', REGIONS: `${REGION},cn-shanghai`, RECONCILE_MODE: 'report' } });
    const ids = await seedFleet(s.stack);
    const first = await s.sweep('report');
    const firstFindings = await s.all('list-run-findings', { runId: first, query: {} });

    // The posture is that run's findings: all open in report mode.
    expect(await s.all('list-findings', { query: { limit: '5' } })).toEqual(firstFindings);
    expect(await s.all('list-findings', { query: { regionId: REGION } })).toEqual(firstFindings);
    expect(await s.all('list-findings', { query: { regionId: 'cn-shanghai' } })).toEqual([]);
    const unmanaged = await s.all('list-findings', { query: { kind: 'unmanaged' } });
    expect(unmanaged).toEqual([expect.objectContaining({ imageId: ids.unmanaged, target: T2, accountId: T2, action: 'none' })]);
    // ... on an image the service has never managed: no listing of managed images knows it.
    const managed = JSON.parse((await s.get('list-images', { query: { regionId: REGION, limit: '100' } })).body) as { items: { imageId: string }[] };
    expect(managed.items.map((i) => i.imageId)).not.toContain(ids.unmanaged);

    const csv = await s.get('list-findings', { query: { kind: 'unmanaged' }, headers: { Accept: 'text/csv' } });
    expect(csvRecords(csv.body).records).toEqual(unmanaged.map(asCsvRow));

    // An EventBridge run of one image records its own findings and leaves the posture alone.
    await s.stack.ecs.shareOutOfBand(REGION, ids.clean, TARGETS[5]!);
    const eventRun = await s.stack.invoke(actionTrailEvent('ModifyImageSharePermission', REGION, ids.clean));
    expect(subjects(await s.all('list-run-findings', { runId: eventRun.runIds[0]!, query: {} }))).toEqual([['unmanaged', ids.clean, 'account', TARGETS[5], TARGETS[5]]]);
    expect(await s.all('list-findings', { query: {} })).toEqual(firstFindings);

    // The unmanaged share is removed in the console; the next sweep no longer finds it: closed.
    await s.stack.images.removeShares(REGION, ids.unmanaged, [T2]);
    const second = await s.sweep('report');
    const secondFindings = await s.all('list-run-findings', { runId: second, query: {} });
    expect(await s.all('list-findings', { query: {} })).toEqual(secondFindings);
    expect(await s.all('list-findings', { query: { kind: 'unmanaged' } })).toEqual([expect.objectContaining({ imageId: ids.clean, target: TARGETS[5] })]);
    expect(secondFindings.some((f) => f.imageId === ids.unmanaged)).toBe(false);

    // Enforce mode repairs the rest: what it repaired is closed, what it could not stays open.
    const third = await s.sweep('enforce');
    const thirdFindings = await s.all('list-run-findings', { runId: third, query: {} });
    expect(thirdFindings.filter((f) => f.action === 'none')).toEqual([]);
    expect(await s.all('list-findings', { query: {} })).toEqual([]);

    // A clean sweep finds nothing, and the posture stays empty.
    const fourth = await s.sweep('report');
    expect(await s.stack.store.getRun(fourth)).toMatchObject({ status: 'completed', findings: {} });
    expect(await s.all('list-findings', { query: {} })).toEqual([]);
    // Every run's own findings stay listed.
    expect(await s.all('list-run-findings', { runId: first, query: {} })).toEqual(firstFindings);
  });
});
