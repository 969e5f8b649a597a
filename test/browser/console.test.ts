// The console in a real browser (headless Chromium) against the whole stack as `npm start` runs it:
// sign-in through the local sign-in links, the approval queue, an image's audit trail, findings, and
// the page's safety: user text stays text, and no page load breaks its Content-Security-Policy.
// A failing test leaves a screenshot of every view under .artifacts/browser/.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { launchChromium, type Chromium } from '../../scripts/chromium.js';
import { DEMO_OUT_OF_BAND_RESOURCE_SHARE, DEMO_TARGETS } from '../../scripts/demo-seed.js';
import { startStack, type Stack } from '../../scripts/start.js';
import { csvRecords } from '../support/csv.js';

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, '.artifacts/browser');
const HZ = 'cn-hangzhou';
const VIEWS = ['#/queue', '#/images', `#/images/${HZ}/m-hzdemobase0001`, '#/runs', '#/findings'];
type Role = keyof Stack['tokens'];

/** Moves the console to another view, as a click on a link would. */
const go = (page: Page, hash: string): Promise<unknown> => page.evaluate(`location.hash = ${JSON.stringify(hash)}`);

describe('console in Chromium', () => {
  let stack: Stack;
  let browser: Chromium;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'isg-browser-'));
    stack = await startStack({ port: 0, dataDir, timers: 'off', log: () => undefined });
    browser = await launchChromium();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** What the page said in its console, and the policy violations it reported. */
  interface Watched {
    readonly page: Page;
    readonly console: string[];
    violations(): Promise<string[]>;
  }

  /** A new tab, watched, with a screenshot of every view if the test fails. */
  async function open(): Promise<Watched> {
    const page = await browser.context.newPage();
    const said: string[] = [];
    page.on('console', (m) => said.push(`${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => said.push(`pageerror: ${e.message}`));
    page.on('dialog', (d) => {
      said.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    // Registered before any page script runs, so violations during the load count too. (Page code
    // is given as text: these tests are compiled for Node, without the browser's globals.)
    await page.addInitScript({
      content: "window.__violations = []; document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(e.effectiveDirective + ' ' + e.blockedURI));",
    });
    onTestFailed(async ({ task }) => {
      const folder = join(ARTIFACTS, task.name.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 80));
      mkdirSync(folder, { recursive: true });
      await page.screenshot({ path: join(folder, 'failed.png'), fullPage: true }).catch(() => undefined);
      for (const view of VIEWS) {
        await go(page, view).catch(() => undefined);
        await page.waitForTimeout(500);
        await page.screenshot({ path: join(folder, `${view.slice(2).replace(/[^A-Za-z0-9]+/g, '-')}.png`), fullPage: true }).catch(() => undefined);
      }
    });
    return { page, console: said, violations: () => page.evaluate<string[]>('window.__violations') };
  }

  /** Follows the sign-in link npm start prints for the role, until the console shows who is signed in. */
  async function signIn(role: Role): Promise<Watched> {
    const w = await open();
    await w.page.goto(stack.console[role]);
    await w.page.locator('header .subject', { hasText: `demo-${role}` }).waitFor();
    return w;
  }

  async function askToShare(token: string, imageId: string, body: Record<string, unknown>): Promise<string> {
    const res = await fetch(`${stack.url}/v1/images/${HZ}/${imageId}/share-requests`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ attestation: { sensitiveDataRemoved: true }, ...body }),
    });
    expect(res.status).toBe(202);
    return ((await res.json()) as { request: { requestId: string } }).request.requestId;
  }

  const ecsShares = async (imageId: string): Promise<string[]> => {
    const state = (await (await fetch(`http://${stack.ecs.endpoint}/__emulator/state`)).json()) as { images: { imageId: string; shares: { accountId: string }[] }[] };
    return state.images.find((i) => i.imageId === imageId)!.shares.map((s) => s.accountId);
  };

  it('an approver signs in through the local sign-in link, sees the pending request and approves it; it is applied', async () => {
    // Prepare
    const requestId = await askToShare(stack.tokens.requester, 'm-hzdemobase0001', { accountIds: [DEMO_TARGETS.partner], reason: 'partner rollout', ticket: 'CHG-7' });
    // Act
    const { page } = await signIn('approver');
    const card = page.locator(`article[data-request-id="${requestId}"]`);
    // Assess: signed in, the code gone from the address, nothing kept in storage
    expect(page.url()).toBe(`${stack.url}/console#/queue`);
    expect(await page.evaluate('[sessionStorage.length, localStorage.length, document.cookie]')).toEqual([0, 0, '']);
    await expect.poll(() => card.textContent()).toContain('partner rollout');
    expect(await card.textContent()).toContain('demo-requester');
    expect(await card.textContent()).toContain('CHG-7');
    expect(await card.textContent()).toContain(DEMO_TARGETS.partner);
    // Act
    await card.getByLabel('Comment').fill('fine for the rollout');
    await card.getByRole('button', { name: 'Approve' }).click();
    // Assess
    await expect.poll(() => card.getByRole('status').textContent()).toBe(`Approved and applied: ${DEMO_TARGETS.partner} (active).`);
    expect(await card.getByRole('button').count()).toBe(0);
    expect(await ecsShares('m-hzdemobase0001')).toContain(DEMO_TARGETS.partner);
    // Act + Assess: the queue, loaded again from its link, no longer holds the decided request
    await page.getByRole('link', { name: 'Approval queue' }).click();
    await expect.poll(() => card.count()).toBe(0);
    await page.close();
  });

  it("refuses, in the service's words, to let someone approve their own request", async () => {
    // Prepare: an admin may ask and approve, but not both for one request
    const requestId = await askToShare(stack.tokens.admin, 'm-hzdemoapp00001', { accountIds: [DEMO_TARGETS.analytics], reason: 'own request' });
    const { page } = await signIn('admin');
    const card = page.locator(`article[data-request-id="${requestId}"]`);
    // Act
    await card.getByRole('button', { name: 'Approve' }).click();
    // Assess
    const alert = card.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('A requester cannot approve their own request');
    expect(await card.getByRole('button', { name: 'Approve' }).isEnabled()).toBe(true);
    await page.close();
  });

  it('an auditor gets no Approve button, opens an image and reads its audit trail, newest first', async () => {
    // Act
    const { page } = await signIn('auditor');
    await page.locator('article.card').first().waitFor();
    // Assess: the queue is there to read, not to decide
    expect(await page.getByRole('button', { name: 'Approve' }).count()).toBe(0);
    expect(await page.getByRole('button', { name: 'Reject' }).count()).toBe(0);
    // Act: to the image through the managed images
    await page.getByRole('link', { name: 'Images', exact: true }).click();
    await page.getByRole('link', { name: 'm-hzdemobase0001' }).click();
    const trail = page.locator('section', { has: page.getByRole('heading', { name: 'Audit trail' }) });
    await trail.locator('tbody tr').first().waitFor();
    // Assess: the approval of the first test, newest first, with who did it
    const rows = await trail.locator('tbody tr').allTextContents();
    const at = (action: string, who: string): number => rows.findIndex((r) => r.includes(action) && r.includes(who));
    expect(at('share.requested', 'demo-requester')).toBeGreaterThan(at('share.approved', 'demo-approver'));
    expect(at('share.requested', 'demo-requester')).toBeGreaterThan(at('share.applied', ''));
    expect(at('share.approved', 'demo-approver')).toBeGreaterThanOrEqual(0);
    expect(await page.locator('section', { has: page.getByRole('heading', { name: 'Shares' }) }).textContent()).toContain(DEMO_TARGETS.partner);
    expect(await page.getByRole('meter', { name: 'Share quota' }).getAttribute('aria-valuenow')).toBe('1');
    const directoryMeter = page.getByRole('meter', { name: 'Directory target quota' });
    expect([await directoryMeter.getAttribute('aria-valuenow'), await directoryMeter.getAttribute('aria-valuemax')]).toEqual(['0', '10']);
    await page.close();
  });

  it('shows the open findings after a sweep, the share made outside the service among them, and downloads them as CSV', async () => {
    // Prepare: a sweep finds the demo's share made in the console
    await stack.runtime.fireTimer('image-share-reconcile', 'every-10m');
    await stack.runtime.drain();
    const asked: { accept: string; authorization: string }[] = [];
    const { page } = await signIn('auditor');
    page.on('request', (r) => {
      if (new URL(r.url()).pathname === '/v1/findings') asked.push({ accept: r.headers().accept ?? '', authorization: r.headers().authorization ?? '' });
    });
    // Act
    await page.getByRole('link', { name: 'Findings' }).click();
    await page.getByRole('button', { name: 'Download CSV' }).waitFor();
    // Assess: the finding, named
    const rows = page.locator('#view tbody tr', { hasText: 'm-hzdemolegacy01' });
    expect(await rows.locator('td').filter({ hasText: DEMO_TARGETS.contractor }).count()).toBe(1);
    // …and beside it the same image's resource share made outside the service, on the directory channel
    expect(await rows.filter({ hasText: DEMO_OUT_OF_BAND_RESOURCE_SHARE.target }).textContent()).toContain('directory');
    // Act
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    // Assess: the API's own CSV, as saved
    expect(download.suggestedFilename()).toMatch(/^findings-all-regions-\d{4}-\d{2}-\d{2}\.csv$/);
    const { header, records } = csvRecords(readFileSync((await download.path())!, 'utf8'));
    expect(header).toEqual(['kind', 'regionId', 'imageId', 'channel', 'target', 'accountId', 'detail', 'action', 'at']);
    expect(records).toContainEqual(expect.objectContaining({ kind: 'unmanaged', regionId: HZ, imageId: 'm-hzdemolegacy01', target: DEMO_TARGETS.contractor, action: 'none' }));
    expect(asked.map((a) => a.accept)).toEqual(['application/json', 'text/csv']);
    for (const a of asked) expect(a.authorization).toMatch(/^Bearer ey/);
    await page.close();
  });

  it('renders a reason, ticket and comment holding markup as text, and runs none of it', async () => {
    // Prepare
    const requestId = await askToShare(stack.tokens.requester, 'm-hzdemoapp00001', {
      accountIds: [DEMO_TARGETS.partner],
      reason: '<img src=x onerror="window.__ran=1;alert(1)">',
      ticket: '<script>window.__ran=2</script>',
    });
    const { page, console } = await signIn('approver');
    const card = page.locator(`article[data-request-id="${requestId}"]`);
    await card.waitFor();
    // Act: the comment too goes back through the service and into the audit trail
    await card.getByLabel('Comment').fill('<svg onload="window.__ran=3">');
    await card.getByRole('button', { name: 'Reject' }).click();
    await expect.poll(() => card.getByRole('status').textContent()).toContain('Rejected');
    await go(page, '#/images/cn-hangzhou/m-hzdemoapp00001');
    await page.locator('section', { has: page.getByRole('heading', { name: 'Audit trail' }) }).locator('tbody tr').first().waitFor();
    // Assess: the text is there as typed, no element was made of it, nothing ran
    const trail = await page.locator('#view').textContent();
    expect(trail).toContain('<img src=x onerror="window.__ran=1;alert(1)">');
    expect(trail).toContain('<script>window.__ran=2</script>');
    expect(await page.locator('#view img, #view script, #view svg[onload]').count()).toBe(0);
    expect(await page.evaluate('window.__ran')).toBeUndefined();
    expect(console.filter((l) => l.startsWith('dialog:'))).toEqual([]);
    await page.close();
  });

  it('loads every view without a Content-Security-Policy violation or an error in the console', async () => {
    // Prepare: a run to show
    await stack.runtime.fireTimer('image-share-reconcile', 'every-10m');
    await stack.runtime.drain();
    const { page, console, violations } = await open();
    const runId = ((await (await fetch(`${stack.url}/v1/reconcile-runs?limit=1`, { headers: { authorization: `Bearer ${stack.tokens.auditor}` } })).json()) as { items: { runId: string }[] }).items[0]!.runId;
    // Act: each view, by a fresh load of the page (a sign-in link that lands on that view)
    const seen: string[] = [];
    for (const view of [...VIEWS, `#/runs/${runId}`]) {
      await page.goto(`${stack.console.auditor}${view}`);
      await page.locator('header .subject').waitFor();
      await page.waitForLoadState('networkidle');
      expect(page.url()).toBe(`${stack.url}/console${view}`);
      seen.push(...(await violations()));
    }
    // Assess
    expect(seen).toEqual([]);
    expect(console.filter((l) => /error|violat|refused/i.test(l))).toEqual([]);
    const res = await fetch(`${stack.url}/console`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    await page.close();
  });
});
