// Content negotiation and CSV for the listings that offer it: the Accept parser, the RFC 4180 writer
// with its formula guard, and the findings routes answering JSON or CSV through the real handler.
import { beforeAll, describe, expect, it } from 'vitest';
import { describeRoutes } from '../../functions/describe/routes.js';
import { CSV_EXPORT_ROWS } from '../../shared/domain/limits.js';
import type { Finding, ReconcileRun, StoredFinding } from '../../shared/domain/model.js';
import { toCsv } from '../../shared/http/csv.js';
import { preferredType } from '../../shared/http/negotiate.js';
import { csvColumns } from '../../shared/http/representation.js';
import { event } from '../fixtures/events.js';
import { REGION, T0_ISO, createDomainHarness, createHarness, jsonHeaders, problem } from '../fixtures/harness.js';
import type { DomainHarness } from '../fixtures/harness.js';
import { csvRecords, parseCsv } from '../support/csv.js';
import { createTestIdp } from '../support/jwt.js';
import type { TestIdp } from '../support/jwt.js';

const JSON_AND_CSV = ['application/json', 'text/csv'];

describe('preferredType (Accept)', () => {
  it.each([
    [undefined, 'application/json'],
    ['', 'application/json'],
    ['application/json', 'application/json'],
    ['text/csv', 'text/csv'],
    ['TEXT/CSV; charset=utf-8', 'text/csv'],
    ['text/*', 'text/csv'],
    ['*/*', 'application/json'],
    ['text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8', 'application/json'],
    ['application/json;q=0.4, text/csv;q=0.5', 'text/csv'],
    ['application/json;q=0, */*', 'text/csv'],
    ['text/*;q=0.1, text/csv;q=0.9, application/json;q=0.5', 'text/csv'],
    ['text/csv;q=0.1, text/*;q=0.9, application/json;q=0.5', 'application/json'],
    ['not a media range, text/csv', 'text/csv'],
    ['text/csv;q=2, application/json', 'application/json'],
    ['application/xml', undefined],
    ['*/*;q=0', undefined],
    ['*/csv', undefined],
  ])('Accept %j → %s', (accept, expected) => {
    expect(preferredType(accept, JSON_AND_CSV)).toBe(expected);
  });
});

describe('toCsv', () => {
  it('writes a header row and one CRLF-terminated row per item, a missing field as an empty cell', () => {
    const csv = toCsv(['kind', 'accountId', 'at'], [{ kind: 'public', at: T0_ISO }, { kind: 'unmanaged', accountId: '2000000000000001', at: T0_ISO }]);
    expect(csv).toBe(`kind,accountId,at\r\npublic,,${T0_ISO}\r\nunmanaged,2000000000000001,${T0_ISO}\r\n`);
  });

  it('quotes a cell holding a comma, a quote, CR or LF, and reads back as written', () => {
    const values = ['a,b', 'say "hi"', 'two\nlines', 'cr\ronly', 'plain', ''];
    const csv = toCsv(['v'], values.map((v) => ({ v })));
    expect(csv.split('\r\n').slice(1, 3)).toEqual(['"a,b"', '"say ""hi"""']);
    expect(parseCsv(csv).slice(1).map(([v]) => v)).toEqual(values);
  });

  it("prefixes with ' a cell a spreadsheet would run as a formula, and nothing else", () => {
    const risky = ['=HYPERLINK("http://x")', '+1+1', '-2+3', '@SUM(A1)', '\tTAB', '\rCR'];
    const harmless = ['m-bp1abcdefghijk', 'detail with = inside', '2026-03-01T10:00:00.000Z', 'a-b'];
    const rows = parseCsv(toCsv(['v'], [...risky, ...harmless].map((v) => ({ v })))).slice(1).map(([v]) => v);
    expect(rows).toEqual([...risky.map((v) => `'${v}`), ...harmless]);
  });
});

describe('findings routes in CSV and JSON (describe function, in-memory store)', () => {
  let idp: TestIdp;
  let h: DomainHarness;
  const RUN = 'run0001';
  const findings: StoredFinding[] = Array.from({ length: 150 }, (_, seq) => {
    const accountId = String(2000000000000001 + seq);
    return {
      kind: 'unmanaged',
      regionId: REGION,
      imageId: 'm-bp1testimage0001',
      channel: 'account',
      target: accountId,
      accountId,
      detail: seq === 0 ? '=cmd|" /C calc"!A0, as an image name might say' : 'shared in ECS; no share of the service claims it',
      action: 'none',
      at: T0_ISO,
      seq,
    };
  });
  const item = ({ seq: _seq, ...f }: StoredFinding): Finding => f;
  const run: ReconcileRun = {
    runId: RUN, trigger: 'timer', mode: 'report', regions: [REGION], status: 'completed', startedAt: T0_ISO, finishedAt: T0_ISO, durationMs: 0,
    imagesScanned: 1, findings: { unmanaged: 150 }, actions: {}, errors: [], apiCalls: {},
  };
  const get = (query: Record<string, string>, accept: string | null, requestId = 'r1') =>
    h.handler(event('list-run-findings', { token: h.tokens.auditor, runId: RUN, query, headers: { Accept: accept } }), { requestId });

  beforeAll(async () => {
    idp = await createTestIdp();
    h = await createDomainHarness(describeRoutes, { idp });
    await h.store.putRun(run);
    await h.store.putFindings(RUN, findings);
  });

  it('answers every finding as CSV for Accept: text/csv, the columns those of the JSON items, in order', async () => {
    const res = await get({}, 'text/csv');
    expect(res.statusCode).toBe(200);
    expect(res.headers).toEqual({ ...jsonHeaders('r1'), 'content-type': 'text/csv; charset=utf-8', vary: 'accept' });
    const { header, records } = csvRecords(res.body);
    expect(header).toEqual(['kind', 'regionId', 'imageId', 'channel', 'target', 'accountId', 'detail', 'action', 'at']);
    expect(header).toEqual(csvColumns('Finding'));
    const byKey = [...findings].sort((a, b) => (a.target < b.target ? -1 : 1)).map(item);
    expect(records).toEqual(byKey.map((f) => ({ ...f, detail: f.detail.startsWith('=') ? `'${f.detail}` : f.detail })));
  });

  it('honours limit in CSV and names the rest in a Link header; following it reads every row once', async () => {
    const seen: Record<string, string>[] = [];
    let query: Record<string, string> = { limit: '60' };
    for (let i = 0; i < 5; i += 1) {
      const res = await get(query, 'text/csv');
      seen.push(...csvRecords(res.body).records);
      const link = res.headers.link;
      if (link === undefined) break;
      const match = /^<(\/v1\/reconcile-runs\/run0001\/findings\?[^>]+)>; rel="next"$/.exec(link);
      expect(match, link).not.toBeNull();
      query = Object.fromEntries(new URL(match![1]!, 'http://x').searchParams);
      expect(query.limit).toBe('60');
    }
    expect(seen.map((r) => r.target)).toEqual(findings.map((f) => f.target));
  });

  it('answers JSON by default, saying that the answer varies by Accept', async () => {
    const res = await get({ limit: '2' }, null, 'r2');
    expect(res.headers).toEqual(jsonHeaders('r2', { vary: 'accept' }));
    const body = JSON.parse(res.body) as { items: Finding[]; nextCursor: string };
    expect(body.items).toEqual(findings.slice(0, 2).map(item));
    expect(typeof body.nextCursor).toBe('string');
  });

  it('refuses an Accept that allows neither JSON nor CSV: 406 NotAcceptable', async () => {
    const res = await get({}, 'application/xml', 'r3');
    expect(res).toEqual(
      problem('r3', 406, 'NotAcceptable', 'The resource is not available in a media type the Accept header allows', 'This resource is available as application/json or text/csv; the Accept header allows neither', {
        available: ['application/json', 'text/csv'],
      }),
    );
  });

  it('refuses a forged cursor in CSV as in JSON (400 at /query/cursor)', async () => {
    for (const accept of ['text/csv', 'application/json']) {
      const res = await get({ cursor: 'Zm9yZ2Vk' }, accept, 'r4');
      expect(res.statusCode).toBe(400);
      expect(JSON.parse(res.body)).toMatchObject({ code: 'ValidationFailed', errors: [{ path: '/query/cursor', message: 'is not a cursor returned by this listing' }] });
    }
  });
});

describe('CSV export bound (scripted governor)', () => {
  it(`stops at ${CSV_EXPORT_ROWS} rows without a limit, asking page after page, and links the rest`, async () => {
    const h = await createHarness(describeRoutes);
    const asked: { limit: number; cursor?: string }[] = [];
    h.script.listFindings = async (_ctx, q) => {
      const { limit, cursor } = q as { limit: number; cursor?: string };
      asked.push({ limit, ...(cursor !== undefined ? { cursor } : {}) });
      const from = cursor === undefined ? 0 : Number(cursor);
      const items = Array.from({ length: limit }, (_, i) => ({ kind: 'public', regionId: REGION, imageId: `m-img${from + i}`, channel: 'account', target: `m-img${from + i}`, detail: 'd', action: 'none', at: T0_ISO }));
      return { items, nextCursor: String(from + limit) };
    };
    const res = await h.handler(event('list-findings', { token: h.tokens.auditor, query: { kind: 'public' }, headers: { Accept: 'text/csv' } }), { requestId: 'x1' });
    expect(res.statusCode).toBe(200);
    expect(csvRecords(res.body).records).toHaveLength(CSV_EXPORT_ROWS);
    expect(asked).toHaveLength(CSV_EXPORT_ROWS / 100);
    expect(asked.every((a) => a.limit === 100)).toBe(true);
    expect(res.headers.link).toBe(`</v1/findings?kind=public&cursor=${CSV_EXPORT_ROWS}>; rel="next"`);
  });
});
