// `npm run docs:screenshot`: the README's pictures of the console, taken from the real page. Starts
// the whole stack on a fresh data folder, makes a little history (requests waiting, one approved, a
// reconcile run), signs in through the local sign-in links in headless Chromium and saves
// docs/console-queue.png (the approval queue, as an approver) and docs/console-image.png (an image,
// as an auditor).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchChromium } from './chromium.js';
import { DEMO_TARGETS } from './demo-seed.js';
import { startStack, type Stack } from './start.js';

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)));

async function ask(stack: Stack, imageId: string, body: Record<string, unknown>): Promise<string> {
  const res = await fetch(`${stack.url}/v1/images/cn-hangzhou/${imageId}/share-requests`, {
    method: 'POST',
    headers: { authorization: `Bearer ${stack.tokens.requester}`, 'content-type': 'application/json' },
    body: JSON.stringify({ attestation: { sensitiveDataRemoved: true }, ...body }),
  });
  if (res.status !== 202) throw new Error(`share request answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { request: { requestId: string } }).request.requestId;
}

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'isg-screenshot-'));
  const stack = await startStack({ port: 0, dataDir, timers: 'off', log: () => undefined });
  const browser = await launchChromium({ viewport: { width: 1280, height: 860 } });
  try {
    const first = await ask(stack, 'm-hzdemobase0001', { accountIds: [DEMO_TARGETS.partner], reason: 'Partner rollout of the November base image', ticket: 'CHG-1042' });
    const approve = await fetch(`${stack.url}/v1/share-requests/${first}/approve`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.tokens.approver}`, 'content-type': 'application/json' },
      body: JSON.stringify({ comment: 'Approved for the Q1 rollout' }),
    });
    if (!approve.ok) throw new Error(`approve answered ${approve.status}`);
    await ask(stack, 'm-hzdemobase0001', { accountIds: [DEMO_TARGETS.analytics], reason: 'Analytics team build agents', ticket: 'CHG-1057' });
    await ask(stack, 'm-hzdemoapp00001', { accountIds: [DEMO_TARGETS.partner, DEMO_TARGETS.analytics], reason: 'Payments app staging in the partner and analytics accounts' });
    await stack.runtime.fireTimer('image-share-reconcile', 'every-10m');
    await stack.runtime.drain();

    const page = await browser.context.newPage();
    await page.goto(stack.console.approver);
    await page.locator('article.card').nth(1).waitFor();
    await page.screenshot({ path: join(ROOT, 'docs/console-queue.png') });
    await page.close();

    const auditor = await browser.context.newPage();
    await auditor.goto(`${stack.console.auditor}#/images/cn-hangzhou/m-hzdemobase0001`);
    await auditor.locator('section', { has: auditor.getByRole('heading', { name: 'Audit trail' }) }).locator('tbody tr').first().waitFor();
    await auditor.screenshot({ path: join(ROOT, 'docs/console-image.png') });
    process.stdout.write('wrote docs/console-queue.png and docs/console-image.png\n');
  } finally {
    await browser.close();
    await stack.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
