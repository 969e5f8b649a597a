import { describe, expect, it } from 'vitest';
import { RateLimiter, TokenBucket, type TimeSource } from '../../shared/rate-limit.js';

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

describe('TokenBucket', () => {
  it('serves the first call at once and spaces the following ones at 1/rate', () => {
    // Prepare
    const time = manualTime();
    const bucket = new TokenBucket(10, 1, time);
    // Act
    const waits = [bucket.reserve(), bucket.reserve(), bucket.reserve(), bucket.reserve()];
    // Assess
    expect(waits).toEqual([0, 100, 200, 300]);
  });

  it('refills with elapsed time but never above its capacity', () => {
    const time = manualTime();
    const bucket = new TokenBucket(5, 2, time);
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 200]);
    time.now += 10_000; // a long pause refills to capacity (2), not to 50
    expect([bucket.reserve(), bucket.reserve(), bucket.reserve()]).toEqual([0, 0, 200]);
  });

  it('never lets more than rate calls start in any one-second window (capacity 1)', () => {
    const time = manualTime();
    const bucket = new TokenBucket(50, 1, time);
    const starts: number[] = [];
    for (let i = 0; i < 500; i++) starts.push(time.now + bucket.reserve());
    const maxInWindow = Math.max(...starts.map((s) => starts.filter((x) => x >= s && x < s + 1000).length));
    expect(maxInWindow).toBe(50);
    expect(starts.at(-1)).toBe(9980);
  });

  it('rejects a non-positive rate', () => {
    expect(() => new TokenBucket(0, 1, manualTime())).toThrow(RangeError);
  });
});

describe('RateLimiter', () => {
  it('keeps one bucket per API and region, with the API rate or the * default', async () => {
    // Prepare
    const time = manualTime();
    const limiter = new RateLimiter({ ratePerApi: { '*': 4, DescribeImageSharePermission: 20 }, time });
    // Act
    for (let i = 0; i < 3; i++) await limiter.acquire('DescribeImageSharePermission', 'cn-hangzhou');
    for (let i = 0; i < 3; i++) await limiter.acquire('ModifyImageSharePermission', 'cn-hangzhou');
    await limiter.acquire('ModifyImageSharePermission', 'cn-shanghai');
    // Assess: 20/s → 50 ms steps; 4/s → 250 ms steps; another region starts with a full bucket
    expect(time.sleeps).toEqual([50, 100, 250, 500]);
    expect(limiter.rateFor('DeleteImage')).toBe(4);
  });

  it('does not wait for an API without a configured rate', async () => {
    const time = manualTime();
    const limiter = new RateLimiter({ ratePerApi: { DeleteImage: 1 }, time });
    for (let i = 0; i < 5; i++) await limiter.acquire('DescribeImages', 'cn-hangzhou');
    expect(time.sleeps).toEqual([]);
    expect(limiter.rateFor('DescribeImages')).toBeUndefined();
  });
});
