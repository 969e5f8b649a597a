// A live describe, the approval queue and a reconcile run make the same Tablestore calls with 2,100
// finished requests stored as with none (the functions over the real SDKs against both emulators;
// the Tablestore emulator's call log says what each read). What they cost in time: bench/history.bench.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ShareRequest } from '../../shared/domain/model.js';
import { createSdkClient } from '../../shared/tablestore/sdk.js';
import { eventObject } from '../fixtures/events.js';
import { aRequest } from '../contract/store-contract.js';
import { STACK_KEYS, STACK_REGION, askToShare, startStack, type Stack } from '../support/stack.js';
import { seedFinishedRequests } from '../support/tablestore.js';

const IMAGE = 'm-historycost0001';
const TARGETS = ['3000000000000001', '3000000000000002'];
let stack: Stack;

beforeAll(async () => {
  stack = await startStack({ accounts: TARGETS, images: [{ regionId: STACK_REGION, imageId: IMAGE, imageName: 'history' }] });
});

afterAll(async () => {
  await stack?.close();
});

/** The Tablestore calls (operation on table) `act` makes. */
async function tablestoreCalls(act: () => Promise<unknown>): Promise<string[]> {
  const before = (await stack.tablestore.admin.calls()).length;
  await act();
  return (await stack.tablestore.admin.calls()).slice(before).map((c) => `${c.operation} ${c.table ?? ''}`);
}

async function ok(res: Promise<{ statusCode: number; body: string }>): Promise<unknown> {
  const { statusCode, body } = await res;
  expect(statusCode, body).toBe(200);
  return JSON.parse(body);
}

const describeLive = () => ok(stack.invoke('describe', eventObject('describe-image', { token: stack.tokens.auditor, path: `/v1/images/${STACK_REGION}/${IMAGE}` })));
const queue = () => ok(stack.invoke('describe', eventObject('list-requests', { token: stack.tokens.approver })));
const reconcileRun = () =>
  stack.reconcile({ triggerTime: new Date().toISOString(), triggerName: 'every-10m', payload: JSON.stringify({ regions: [STACK_REGION] }) });
const requestTables = (calls: string[]): string[] => calls.filter((c) => / isg_requests/.test(c));

describe('the cost of request history', () => {
  it('is nothing: describe, the queue and a reconcile run read the same with 2,100 finished requests as with none', async () => {
    for (const accountId of TARGETS) {
      const res = await askToShare(stack, IMAGE, [accountId]);
      expect(res.statusCode, res.body).toBe(202);
    }
    const measure = async () => {
      let described: unknown;
      let listed: unknown;
      const describeCalls = await tablestoreCalls(async () => (described = await describeLive()));
      const queueCalls = await tablestoreCalls(async () => (listed = await queue()));
      const reconcileCalls = requestTables(await tablestoreCalls(reconcileRun));
      const pendingOf = (body: unknown, key: 'pendingRequests' | 'items'): string[] => ((body as Record<string, ShareRequest[]>)[key] ?? []).map((r) => r.requestId);
      return { describeCalls, queueCalls, reconcileCalls, pending: [pendingOf(described, 'pendingRequests'), pendingOf(listed, 'items')] };
    };
    const alone = await measure();

    const created = Date.now() - 30 * 24 * 3600_000;
    const history = Array.from({ length: 2100 }, (_, i) =>
      aRequest({
        regionId: STACK_REGION,
        imageId: IMAGE,
        requestId: `sr-history${String(i).padStart(5, '0')}`,
        status: i % 3 === 0 ? 'expired' : 'applied',
        createdAt: new Date(created + i * 60_000).toISOString(),
        updatedAt: new Date(created + i * 60_000).toISOString(),
      }),
    );
    const client = createSdkClient({ endpoint: stack.tablestore.endpoint, instance: stack.tablestore.instance, credentials: STACK_KEYS });
    await seedFinishedRequests(client, stack.env.TABLE_PREFIX!, history);
    const withHistory = await measure();

    expect(withHistory).toEqual(alone);
    expect(alone.pending[0]).toHaveLength(2);
    expect(alone.pending[1]).toEqual(alone.pending[0]);
    for (const calls of [alone.describeCalls, alone.queueCalls, alone.reconcileCalls]) {
      expect(calls.filter((c) => c.endsWith('requests_by_time'))).toEqual([]);
      expect(calls.filter((c) => c.endsWith('requests_open'))).toEqual(['GetRange isg_requests_open']);
    }
  });
});
