// Command-line options of `npm run emulator:fc` (shared with `npm start`).
import { describe, expect, it } from 'vitest';
import { optionValue, parseTimerMode, portOption } from '../../emulators/fc/cli.js';

describe('optionValue / portOption', () => {
  it('reads the value after the option, or nothing when the option is absent', () => {
    expect(optionValue(['--spec', 'x.yaml', '--json'], '--spec')).toBe('x.yaml');
    expect(optionValue(['--json'], '--spec')).toBeUndefined();
    expect(portOption(['--port', '0'], '--port')).toBe(0);
    expect(portOption(['--port', '65535'], '--port')).toBe(65535);
  });

  it('names an option without a value and a bad port', () => {
    expect(() => optionValue(['--spec'], '--spec')).toThrow('--spec needs a value');
    expect(() => optionValue(['--spec', '--json'], '--spec')).toThrow('--spec needs a value');
    for (const bad of ['65536', '-1', '1.5', '9e3', '0x10', 'nine']) {
      expect(() => portOption(['--port', bad], '--port')).toThrow(`--port must be a port number 0..65535, got "${bad}"`);
    }
  });
});

describe('parseTimerMode', () => {
  it('reads cron, off and every:<n>(ms|s|m)', () => {
    expect(parseTimerMode('cron')).toBe('cron');
    expect(parseTimerMode('off')).toBe('off');
    expect(parseTimerMode('every:30s')).toEqual({ everyMs: 30_000 });
    expect(parseTimerMode('every:2m')).toEqual({ everyMs: 120_000 });
    expect(parseTimerMode('every:150ms')).toEqual({ everyMs: 150 });
  });

  it('refuses anything else and periods under 100 ms', () => {
    expect(() => parseTimerMode('every:30')).toThrow(/--timers must be cron, off or every/);
    expect(() => parseTimerMode('every:50ms')).toThrow('--timers every: must be at least 100ms');
  });
});
