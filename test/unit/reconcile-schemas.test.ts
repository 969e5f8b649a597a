import { describe, expect, it } from 'vitest';
import { EVENTBRIDGE_EVENT, TASK_PAYLOAD, TIMER_EVENT, TIMER_PAYLOAD, validators } from '../../functions/reconcile/schemas.js';

const clone = <T>(v: T): T => structuredClone(v) as T;

describe('reconcile schemas', () => {
  it('accept their own examples', () => {
    expect(validators.timerEvent(clone(TIMER_EVENT.example))).toBe(true);
    expect(validators.timerPayload(clone(TIMER_PAYLOAD.example))).toBe(true);
    expect(validators.eventBridge(clone(EVENTBRIDGE_EVENT.example))).toBe(true);
    expect(validators.task(clone(TASK_PAYLOAD.example))).toBe(true);
  });

  it('refuse extra fields in the payloads the service defines', () => {
    expect(validators.timerPayload({ ...clone(TIMER_PAYLOAD.example), dryRun: true })).toBe(false);
    expect(validators.task({ ...clone(TASK_PAYLOAD.example), extra: 1 })).toBe(false);
    const cursor = { ...clone(TASK_PAYLOAD.example), cursor: { ...TASK_PAYLOAD.example.cursor, secret: 'x' } };
    expect(validators.task(cursor)).toBe(false);
  });

  it('allow platform fields in the timer envelope but check the ones used', () => {
    expect(validators.timerEvent({ ...clone(TIMER_EVENT.example), triggerId: 'tr-1', region: 'cn-hangzhou' })).toBe(true);
    expect(validators.timerEvent({ ...clone(TIMER_EVENT.example), payload: 5 })).toBe(false);
    const { triggerName: _dropped, ...noName } = clone(TIMER_EVENT.example);
    expect(validators.timerEvent(noName)).toBe(false);
  });

  it('allow platform fields in the EventBridge envelope but check the ones used', () => {
    const event = clone(EVENTBRIDGE_EVENT.example) as Record<string, any>;
    event.aliyunpublishtime = '2026-11-20T21:52:01Z';
    event.data.additionalEventData = { x: 1 };
    expect(validators.eventBridge(event)).toBe(true);
    event.data.requestParameters.ImageId = 'not-an-image';
    expect(validators.eventBridge(event)).toBe(false);
    const other = clone(EVENTBRIDGE_EVENT.example) as Record<string, any>;
    other.source = 'acs.ecs';
    expect(validators.eventBridge(other)).toBe(false);
  });

  it('bound the cursor and the timer payload', () => {
    const bad = [
      { kind: 'continue', runId: 'r', regionId: 'cn-hangzhou', mode: 'enforce', cursor: { phase: 'ecs', pageNumber: 0, index: 0 } },
      { kind: 'continue', runId: 'r', regionId: 'cn-hangzhou', mode: 'enforce', cursor: { phase: 'elsewhere', pageNumber: 1, index: 0 } },
      { kind: 'region', runId: 'r', parentRunId: 'p', regionId: 'CN_HANGZHOU', mode: 'enforce', trigger: 'timer' },
    ];
    for (const task of bad) expect(validators.task(task)).toBe(false);
    expect(validators.timerPayload({ regions: [] })).toBe(false);
    expect(validators.timerPayload({ regions: ['cn-hangzhou', 'cn-hangzhou'] })).toBe(false);
    expect(validators.timerPayload({})).toBe(true);
  });
});
