// The audit trail must be neither lost nor leaked when Tablestore refuses it: through the share
// function on the real adapters, with the emulator refusing every write to the audit table, the
// events are held in pending_audit, the log carries only their ids and count, and the next reconcile
// run moves them into the trail.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createReconcileHandler } from '../../functions/reconcile/index.js';
import { createJsonLogger } from '../../shared/runtime.js';
import { eventObject } from '../fixtures/events.js';
import { STACK_KEYS, STACK_OWNER, STACK_REGION, startStack } from '../support/stack.js';
import type { Stack } from '../support/stack.js';

const IMAGE = 'm-bp1auditoutage01';
const TARGET = '2500000000000001';
const REASON = 'confidential partner rollout for Contoso';
const TICKET = 'CHG-424242';

describe('audit outage (real adapters, both emulators)', () => {
  let stack: Stack;
  const logs: Record<string, unknown>[] = [];
  beforeAll(async () => {
    stack = await startStack({ accounts: [TARGET], images: [{ regionId: STACK_REGION, imageId: IMAGE }], logs });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const rowsOf = async (table: string) => (await stack.tablestore.admin.state()).tables.find((t) => t.name === table)?.rows;
  const events = async () => {
    const res = await stack.invoke(
      'describe',
      eventObject('list-events', { token: stack.tokens.auditor, path: `/v1/images/${STACK_REGION}/${IMAGE}/events`, query: {} }),
    );
    return (JSON.parse(res.body) as { items: { action: string; reason?: string; ticket?: string; requestId: string }[] }).items;
  };

  it('holds the events, logs ids and counts only, and the next reconcile run writes them to the trail', async () => {
    // Prepare: every write to the audit table is refused, however often it is retried.
    const fault = await stack.tablestore.admin.addFault({ operation: 'BatchWriteRow', table: 'isg_audit', code: 'OTSServerBusy' });

    // Act 1: a share request, answered as usual.
    const res = await stack.invoke(
      'share',
      eventObject('share-request', {
        token: stack.tokens.requester,
        path: `/v1/images/${STACK_REGION}/${IMAGE}/share-requests`,
        body: { accountIds: [TARGET], reason: REASON, ticket: TICKET, attestation: { sensitiveDataRemoved: true } },
        headers: { 'Idempotency-Key': null },
      }),
      'audit-outage-1',
    );

    // Assess 1: accepted; the event is held, not in the trail; the log line names it by id only.
    expect(res.statusCode).toBe(202);
    expect([await rowsOf('isg_audit'), await rowsOf('isg_pending_audit')]).toEqual([0, 1]);
    const line = logs.find((l) => l.requestId === 'audit-outage-1');
    expect(line).toMatchObject({
      level: 'warn',
      status: 202,
      notes: [
        { level: 'warn', msg: 'audit append failed; events held for the reconciler', count: 1, eventIds: [expect.any(String)], error: 'StoreBusy' },
      ],
    });
    expect(JSON.stringify(logs)).not.toContain(REASON);
    expect(JSON.stringify(logs)).not.toContain(TICKET);

    // Act 2: the store recovers; the scheduled reconcile run comes by.
    await stack.tablestore.admin.clearFaults();
    expect(fault).toMatch(/^fault-/);
    const reconcile = createReconcileHandler(
      { ...stack.env, RECONCILE_MODE: 'report' },
      { logger: createJsonLogger('info', { write: (l) => logs.push(JSON.parse(l)) }) },
    );
    const timer = { triggerTime: new Date().toISOString(), triggerName: 'every-10m', payload: JSON.stringify({ regions: [STACK_REGION] }) };
    const result = await reconcile.handler(Buffer.from(JSON.stringify(timer)), {
      requestId: 'fc-reconcile-1',
      credentials: { ...STACK_KEYS, securityToken: '' },
      function: { name: 'image-share-reconcile', timeout: 600 },
      region: STACK_REGION,
      accountId: STACK_OWNER,
    });

    // Assess 2: the trail holds the event, with its text, once; nothing is held any more. (The other
    // audit row is the run's own reconcile.completed.)
    expect(result.status).toBe('completed');
    const run = await stack.runtimes.share.store.getRun(result.runIds[0]!);
    expect(run?.actions).toMatchObject({ audit_recovered: 1 });
    expect((await events()).map((e) => [e.action, e.reason, e.ticket, e.requestId])).toEqual([['share.requested', REASON, TICKET, 'audit-outage-1']]);
    expect([await rowsOf('isg_audit'), await rowsOf('isg_pending_audit')]).toEqual([2, 0]);
  });
});
