import { describe, expect, it } from 'vitest';
import { RateLimiter, SlidingWindow, type TimeSource } from '../../shared/rate-limit.js';

/** A manual clock: sleeping advances time instantly and records how long each caller waited. */
function manualTime(): TimeSource & { now: number; sleeps: number[] } {
  const t = {
    now: 0,
    sleeps: [] as number[],
    nowMs: () => t.now,
    sleep: async (ms: number) => {
      t.sleeps.push(ms);
    },
  };
  return t;
}

/** The most starts within any one-second span [s, s + 1000). */
const busiestSecond = (starts: readonly number[]): number => Math.max(...starts.map((s) => starts.filter((x) => x >= s && x < s + 1000).length));

describe('SlidingWindow', () => {
  it('lets an isolated call and a burst up to the rate go at once, then waits for the oldest to age out', () => {
    // Prepare
    const time = manualTime();
    const window = SlidingWindow.forRate(3, time);
    // Act
    const waits = [window.reserve(), window.reserve(), window.reserve(), window.reserve(), window.reserve()];
    // Assess
    expect(waits).toEqual([0, 0, 0, 1000, 1000]);
  });

  it('never delays calls that are spread out below the rate', () => {
    const time = manualTime();
    const window = SlidingWindow.forRate(10, time);
    const waits: number[] = [];
    for (let i = 0; i < 50; i++) {
      waits.push(window.reserve());
      time.now += 150;
    }
    expect(waits.every((w) => w === 0)).toBe(true);
  });

  it('never lets more than rate calls start in any one-second window, and sustains the rate', () => {
    const time = manualTime();
    const window = SlidingWindow.forRate(50, time);
    const starts: number[] = [];
    for (let i = 0; i < 500; i++) starts.push(time.now + window.reserve());
    expect(busiestSecond(starts)).toBe(50);
    // 500 calls at 50/s: the last starts 9 s after the first (ten full windows of 50).
    expect(starts.at(-1)).toBe(9000);
  });

  it('keeps the bound while callers arrive at uneven times', () => {
    const time = manualTime();
    const window = SlidingWindow.forRate(7, time);
    const starts: number[] = [];
    for (let i = 0; i < 300; i++) {
      time.now += (i * 37) % 211;
      starts.push(time.now + window.reserve());
    }
    expect(busiestSecond(starts)).toBeLessThanOrEqual(7);
    expect([...starts].sort((a, b) => a - b)).toEqual(starts);
  });

  it('rounds a fractional rate down within a second and spaces a rate below one per second', () => {
    const time = manualTime();
    const twoAndAHalf = SlidingWindow.forRate(2.5, time);
    expect([twoAndAHalf.limit, twoAndAHalf.windowMs]).toEqual([2, 1000]);
    const half = SlidingWindow.forRate(0.5, time);
    expect([half.reserve(), half.reserve(), half.reserve()]).toEqual([0, 2000, 4000]);
  });

  it('rejects a non-positive rate and a bad limit', () => {
    expect(() => SlidingWindow.forRate(0, manualTime())).toThrow(RangeError);
    expect(() => new SlidingWindow(0, 1000, manualTime())).toThrow(RangeError);
  });
});

describe('RateLimiter', () => {
  it('keeps one window per API and region, with the API rate or the * default', async () => {
    // Prepare
    const time = manualTime();
    const limiter = new RateLimiter({ ratePerApi: { '*': 2, DescribeImageSharePermission: 20 }, time });
    // Act
    for (let i = 0; i < 3; i++) await limiter.acquire('DescribeImageSharePermission', 'cn-hangzhou');
    for (let i = 0; i < 3; i++) await limiter.acquire('ModifyImageSharePermission', 'cn-hangzhou');
    await limiter.acquire('ModifyImageSharePermission', 'cn-shanghai');
    // Assess: 20/s lets three through at once; 2/s makes the third wait a second; another region is separate
    expect(time.sleeps).toEqual([1000]);
    expect(limiter.rateFor('DeleteImage')).toBe(2);
  });

  it("takes over another instance's last second: its calls count in this one's windows, known or made later", async () => {
    // Prepare: the instance handing over made 3 calls of A and 1 of B within its last second.
    const before = manualTime();
    const previous = new RateLimiter({ ratePerApi: { '*': 3 }, time: before });
    before.now = 10_000;
    for (let i = 0; i < 3; i++) await previous.acquire('A', 'cn-hangzhou');
    before.now = 10_400;
    await previous.acquire('B', 'cn-hangzhou');
    before.now = 10_600;
    const carry = previous.carry();
    expect(carry).toEqual({ atMs: 10_600, calls: { 'A\u0000cn-hangzhou': 3, 'B\u0000cn-hangzhou': 1 } });
    // Act: a new instance, with a window of its own for A already, takes over 100 ms later.
    const time = manualTime();
    time.now = 10_650;
    const next = new RateLimiter({ ratePerApi: { '*': 3 }, time });
    await next.acquire('A', 'cn-hangzhou');
    next.takeOver(carry);
    await next.acquire('A', 'cn-hangzhou');
    await next.acquire('B', 'cn-hangzhou');
    await next.acquire('B', 'cn-hangzhou');
    await next.acquire('C', 'cn-hangzhou');
    // Assess: A is full (its own call plus the 3 inherited): it waits for the window; B has room for 2 more; C is free.
    expect(time.sleeps).toEqual([950]);
  });

  it('does not wait for an API without a configured rate', async () => {
    const time = manualTime();
    const limiter = new RateLimiter({ ratePerApi: { DeleteImage: 1 }, time });
    for (let i = 0; i < 5; i++) await limiter.acquire('DescribeImages', 'cn-hangzhou');
    expect(time.sleeps).toEqual([]);
    expect(limiter.rateFor('DescribeImages')).toBeUndefined();
  });
});
