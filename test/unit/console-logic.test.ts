// The console's logic that needs no browser: PKCE, reading the session from the token, wording,
// grouping per channel, and the findings chart's numbers.
import { describe, expect, it } from 'vitest';
import { layout, sweeps } from '../../console/src/chart-data.js';
import { age, countsText, duration, groupByChannelAndState, quotaText, span, targetOf, targetsByChannel, until } from '../../console/src/format.js';
import { base64url, codeChallenge, randomToken } from '../../console/src/pkce.js';
import { SignInError, may, sessionFrom } from '../../console/src/session.js';
import type { ReconcileRun } from '../../console/src/types.js';
import { operationRoles } from '../../scripts/build-console.js';
import { createTestIdp } from '../support/jwt.js';

const run = (runId: string, startedAt: string, findings: Record<string, number>, parentRunId?: string): ReconcileRun => ({
  runId,
  trigger: 'timer',
  mode: 'report',
  regions: ['cn-hangzhou'],
  status: 'completed',
  startedAt,
  imagesScanned: 1,
  findings,
  actions: {},
  errors: [],
  apiCalls: {},
  ...(parentRunId ? { parentRunId } : {}),
});

describe('console PKCE', () => {
  it('derives the S256 challenge of RFC 7636 appendix B', async () => {
    expect(await codeChallenge('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes 43-character base64url verifiers that do not repeat', () => {
    const tokens = new Set(Array.from({ length: 50 }, randomToken));
    expect(tokens.size).toBe(50);
    for (const t of tokens) expect(t).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(base64url(new Uint8Array([0xfb, 0xff, 0xfe]))).toBe('-__-');
  });
});

describe('console session', () => {
  it('reads subject, roles (as the functions read them) and expiry from the access token', async () => {
    const idp = await createTestIdp();
    const exp = Math.floor(Date.now() / 1000) + 600;
    const token = await idp.signToken({ sub: 'alice', realm_access: { roles: ['auditor', 'superuser', 'approver'] }, exp });
    expect(sessionFrom(token, 'realm_access.roles')).toEqual({ token, subject: 'alice', roles: ['approver', 'auditor'], expiresAt: exp * 1000 });
  });

  it('refuses an access token that is not a JWT', () => {
    expect(() => sessionFrom('opaque-token', 'roles')).toThrow(SignInError);
  });

  it('offers an operation to exactly the roles its route allows', () => {
    const roles = operationRoles();
    const approver = { token: 't', subject: 'a', roles: ['approver'] as const, expiresAt: Infinity };
    const auditor = { ...approver, roles: ['auditor'] as const };
    expect(may(approver, roles, 'approveShareRequest')).toBe(true);
    expect(may(auditor, roles, 'approveShareRequest')).toBe(false);
    expect(may(auditor, roles, 'listImageEvents')).toBe(true);
    expect(may(approver, roles, 'noSuchOperation')).toBe(false);
    expect(roles.rejectShareRequest).toEqual(['approver', 'admin']);
  });
});

describe('console wording', () => {
  const now = Date.parse('2026-12-04T12:00:00Z');

  it('says spans in their largest whole unit', () => {
    expect([span(30_000), span(61_000), span(3 * 3_600_000 + 5), span(50 * 3_600_000)]).toEqual(['less than a minute', '1 min', '3 h', '2 d']);
    expect(age('2026-12-04T11:15:00Z', now)).toBe('45 min');
    expect(until('2026-12-06T12:00:00Z', now)).toBe('in 2 d');
    expect(until('2026-12-01T12:00:00Z', now)).toBe('passed');
    expect([duration(850.4), duration(1234), duration(undefined)]).toEqual(['850 ms', '1.2 s', '']);
    expect(quotaText(3, 50)).toBe('3 of 50 shares (6%)');
    expect(quotaText(1, 10, 'directory target')).toBe('1 of 10 directory targets (10%)');
    expect(countsText({ missing: 1, unmanaged: 2, public: 0 })).toBe('unmanaged 2, missing 1');
    expect(countsText({})).toBe('none');
  });

  it('lists targets per channel, and reads rows with or without a channel', () => {
    const request = { accountIds: ['2000000000000001'], directoryTargets: ['fd-abc'] } as never;
    expect(targetsByChannel(request)).toEqual([
      { channel: 'account', targets: ['2000000000000001'] },
      { channel: 'directory', targets: ['fd-abc'] },
    ]);
    expect(targetsByChannel({ accountIds: [] } as never)).toEqual([]);
    expect([targetOf({ accountId: '2000000000000001' }), targetOf({ channel: 'directory', target: 'rd-x' })]).toEqual(['2000000000000001', 'rd-x']);
    const grouped = groupByChannelAndState([
      { state: 'active', accountId: '1' },
      { state: 'revoking', accountId: '2' },
      { state: 'active', channel: 'directory', target: 'fd-1' },
      { state: 'active', accountId: '3' },
    ]);
    expect([...grouped].map(([c, byState]) => [c, [...byState].map(([s, rows]) => [s, rows.map(targetOf)])])).toEqual([
      ['account', [['active', ['1', '3']], ['revoking', ['2']]]],
      ['directory', [['active', ['fd-1']]]],
    ]);
  });
});

describe('findings chart data', () => {
  it('counts a timer sweep with the region runs it started, oldest first; other runs stand alone', () => {
    const points = sweeps([
      run('t2-cn-hangzhou', '2026-12-04T10:10:01Z', { unmanaged: 1 }, 't2'),
      run('t2', '2026-12-04T10:10:00Z', {}),
      run('t2-cn-shanghai', '2026-12-04T10:10:02Z', { missing: 2, unmanaged: 1 }, 't2'),
      run('evt-1', '2026-12-04T10:05:00Z', { unmanaged: 1 }),
      run('orphan-cn-hangzhou', '2026-12-04T10:00:00Z', { public: 1 }, 'not-in-page'),
    ]);
    expect(points).toEqual([
      { runId: 'orphan-cn-hangzhou', startedAt: '2026-12-04T10:00:00Z', findings: { public: 1 }, total: 1 },
      { runId: 'evt-1', startedAt: '2026-12-04T10:05:00Z', findings: { unmanaged: 1 }, total: 1 },
      { runId: 't2', startedAt: '2026-12-04T10:10:00Z', findings: { unmanaged: 2, missing: 2 }, total: 4 },
    ]);
  });

  it('stacks kinds largest first in bars that fit the plot, with whole ticks up to the top', () => {
    const chart = layout(
      [
        { runId: 'a', startedAt: '1', findings: { unmanaged: 2, missing: 1 }, total: 3 },
        { runId: 'b', startedAt: '2', findings: {}, total: 0 },
        { runId: 'c', startedAt: '3', findings: { missing: 7, unmanaged: 3 }, total: 10 },
      ],
      300,
      100,
    );
    expect(chart.kinds).toEqual(['missing', 'unmanaged']);
    expect(chart.max).toBe(10);
    expect(chart.ticks.map((t) => [t.value, t.y])).toEqual([[0, 100], [5, 50], [10, 0]]);
    expect(chart.bars.map((b) => [b.x, b.width])).toEqual([[30, 40], [130, 40], [230, 40]]);
    expect(chart.bars[0]!.segments).toEqual([
      { kind: 'missing', count: 1, y: 90, height: 10 },
      { kind: 'unmanaged', count: 2, y: 70, height: 20 },
    ]);
    expect(chart.bars[1]!.segments).toEqual([]);
    expect(chart.bars[2]!.segments.at(-1)).toEqual({ kind: 'unmanaged', count: 3, y: 0, height: 30 });
    expect(layout([], 300, 100)).toMatchObject({ bars: [], max: 1, kinds: [] });
  });
});
