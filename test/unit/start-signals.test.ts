// npm start's stop on SIGINT/SIGTERM: one graceful stop, a real second signal quits at once, and the
// same Ctrl-C delivered twice (by the terminal and forwarded by npm) is not a second one.
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { SAME_SIGNAL_MS, onStopSignals } from '../../scripts/start.js';

function harness() {
  const signals = new EventEmitter();
  let clock = 1_000;
  let finishStop: (err?: Error) => void = () => undefined;
  const events: string[] = [];
  onStopSignals({
    signals,
    now: () => clock,
    stop: () => {
      events.push('stop');
      return new Promise<void>((resolve, reject) => (finishStop = (err) => (err ? reject(err) : resolve())));
    },
    exit: (code) => events.push(`exit ${code}`),
    warn: (text) => events.push(`warn ${text}`),
  });
  return { signals, events, advance: (ms: number) => (clock += ms), finishStop: (err?: Error) => finishStop(err) };
}

const settle = () => new Promise((r) => setImmediate(r));

describe('onStopSignals', () => {
  it.each(['SIGINT', 'SIGTERM'])('%s stops once and exits 0 when the stop is done', async (signal) => {
    const h = harness();
    h.signals.emit(signal);
    expect(h.events).toEqual(['stop']);
    h.finishStop();
    await settle();
    expect(h.events).toEqual(['stop', 'exit 0']);
  });

  it('takes the copy npm forwards of the same Ctrl-C for the same signal', async () => {
    const h = harness();
    h.signals.emit('SIGINT');
    h.advance(SAME_SIGNAL_MS - 1);
    h.signals.emit('SIGINT');
    h.finishStop();
    await settle();
    expect(h.events).toEqual(['stop', 'exit 0']);
  });

  it('quits at once on a second Ctrl-C while the stop is still running', () => {
    const h = harness();
    h.signals.emit('SIGINT');
    h.advance(SAME_SIGNAL_MS);
    h.signals.emit('SIGINT');
    expect(h.events).toEqual(['stop', 'warn SIGINT again: quitting without waiting for the stop', 'exit 130']);
  });

  it('quits with 143 on a second SIGTERM, and exits 1 when the stop fails', async () => {
    const h = harness();
    h.signals.emit('SIGTERM');
    h.advance(SAME_SIGNAL_MS + 5);
    h.signals.emit('SIGTERM');
    expect(h.events.at(-1)).toBe('exit 143');
    const failing = harness();
    failing.signals.emit('SIGTERM');
    failing.finishStop(new Error('port stuck'));
    await settle();
    expect(failing.events).toEqual(['stop', 'warn error while stopping: port stuck', 'exit 1']);
  });
});
