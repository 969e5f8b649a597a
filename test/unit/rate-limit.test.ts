import { describe, expect, it } from 'vitest';
import { RateLimiter, SlidingWindow, type TimeSource } from '../../shared/rate-limit.js';

/**
 * A virtual clock: sleeping schedules a wake-up; `simulate` runs a scenario, letting every pending
 * promise settle and then moving time to the earliest wake-up, until the scenario is done.
 */
function virtualTime(): TimeSource & { now: number; simulate<T>(scenario: () => Promise<T>): Promise<T> } {
  const wakeUps: Array<{ at: number; wake: () => void }> = [];
  const t = {
    now: 0,
    nowMs: () => t.now,
    sleep: (ms: number) => new Promise<void>((wake) => wakeUps.push({ at: t.now + Math.max(0, ms), wake })),
    async simulate<T>(scenario: () => Promise<T>): Promise<T> {
      let settled = false;
      const outcome = scenario().finally(() => (settled = true));
      for (;;) {
        await new Promise((resolve) => setImmediate(resolve));
        if (settled) return outcome;
        wakeUps.sort((a, b) => a.at - b.at);
        const next = wakeUps.shift();
        if (!next) throw new Error('deadlock: callers wait and nothing is due to wake them');
        t.now = Math.max(t.now, next.at);
        next.wake();
      }
    },
  };
  return t;
}

/** What one call saw: when it started, when the service received it, when its answer arrived. */
interface CallTimes {
  start: number;
  received: number;
  answered: number;
}

/** Makes a call through `take`: it reaches the service after `reach` ms and is answered after `latency` ms. */
async function call(t: ReturnType<typeof virtualTime>, take: () => Promise<(() => void) | undefined>, latency = 0, reach = latency): Promise<CallTimes> {
  const release = await take();
  const start = t.now;
  await t.sleep(reach);
  const received = t.now;
  await t.sleep(latency - reach);
  release?.();
  return { start, received, answered: t.now };
}

/** The most of `times` within any one-second span [s, s + 1000). */
const busiestSecond = (times: readonly number[]): number => Math.max(...times.map((s) => times.filter((x) => x >= s && x < s + 1000).length));

/** A deterministic stand-in for Math.random (a linear congruential generator). */
function seeded(seed: number): () => number {
  let x = seed;
  return () => {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    return x / 2 ** 31;
  };
}

describe('SlidingWindow', () => {
  it('lets an isolated call and a burst up to the rate go at once, then waits a second after the earliest answer', async () => {
    // Prepare
    const t = virtualTime();
    const window = SlidingWindow.forRate(3, t);
    // Act: five callers at once, each call answered after 10 ms
    const calls = await t.simulate(() => Promise.all(Array.from({ length: 5 }, () => call(t, () => window.take(), 10))));
    // Assess
    expect(calls.map((c) => c.start)).toEqual([0, 0, 0, 1010, 1010]);
  });

  it('never delays calls that are spread out below the rate', async () => {
    const t = virtualTime();
    const window = SlidingWindow.forRate(10, t);
    const starts = await t.simulate(async () => {
      const calls: Array<Promise<CallTimes>> = [];
      for (let i = 0; i < 50; i++) {
        calls.push(call(t, () => window.take(), 20));
        await t.sleep(150);
      }
      return (await Promise.all(calls)).map((c) => c.start);
    });
    expect(starts).toEqual(Array.from({ length: 50 }, (_, i) => i * 150));
  });

  it('never lets the service receive more than the rate in any one second, however late each request reaches it', async () => {
    // Prepare: eight workers make 400 calls; each is answered after 1–60 ms and reaches the service
    // anywhere between its start and its answer.
    const t = virtualTime();
    const window = SlidingWindow.forRate(10, t);
    const random = seeded(7);
    const plan = Array.from({ length: 400 }, () => {
      const latency = 1 + Math.floor(random() * 60);
      return { latency, reach: Math.floor(random() * latency) };
    });
    // Act
    const calls = await t.simulate(async () => {
      const done: CallTimes[] = [];
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let next = plan.shift(); next; next = plan.shift()) done.push(await call(t, () => window.take(), next.latency, next.reach));
        }),
      );
      return done;
    });
    // Assess: the bound holds on the service's clock, and the rate is sustained but for the latency
    expect(busiestSecond(calls.map((c) => c.received))).toBe(10);
    const seconds = (Math.max(...calls.map((c) => c.answered)) - Math.min(...calls.map((c) => c.start))) / 1000;
    expect(400 / seconds).toBeGreaterThan(9.5);
  });

  it('sustains the rate exactly when answers are instant', async () => {
    const t = virtualTime();
    const window = SlidingWindow.forRate(50, t);
    const starts = await t.simulate(async () => (await Promise.all(Array.from({ length: 500 }, () => call(t, () => window.take())))).map((c) => c.start));
    expect(busiestSecond(starts)).toBe(50);
    // 500 calls at 50/s: the last starts 9 s after the first (ten full windows of 50).
    expect(Math.max(...starts)).toBe(9000);
  });

  it('holds a place while a call is in flight, and counts a release once', async () => {
    const t = virtualTime();
    const window = SlidingWindow.forRate(1, t);
    const starts = await t.simulate(async () => {
      const slow = call(t, () => window.take(), 5000);
      const release = await window.take().then((r) => {
        r();
        r();
        return t.now;
      });
      const third = call(t, () => window.take());
      return [(await slow).start, release, (await third).start];
    });
    // The second waits for the slow call's answer (5 s) and a second more; the third a second after the second.
    expect(starts).toEqual([0, 6000, 7000]);
  });

  it('rounds a fractional rate down within a second and spaces a rate below one per second', async () => {
    const t = virtualTime();
    const twoAndAHalf = SlidingWindow.forRate(2.5, t);
    expect([twoAndAHalf.limit, twoAndAHalf.windowMs]).toEqual([2, 1000]);
    const half = SlidingWindow.forRate(0.5, t);
    const calls = await t.simulate(() => Promise.all([call(t, () => half.take()), call(t, () => half.take()), call(t, () => half.take())]));
    expect(calls.map((c) => c.start)).toEqual([0, 2000, 4000]);
  });

  it('rejects a non-positive rate and a bad limit', () => {
    expect(() => SlidingWindow.forRate(0, virtualTime())).toThrow(RangeError);
    expect(() => new SlidingWindow(0, 1000, virtualTime())).toThrow(RangeError);
  });
});

describe('RateLimiter', () => {
  it('keeps one window per API and region, with the API rate or the * default', async () => {
    // Prepare
    const t = virtualTime();
    const limiter = new RateLimiter({ ratePerApi: { '*': 2, DescribeImageSharePermission: 20 }, time: t });
    const take = (action: string, region = 'cn-hangzhou') => () => limiter.acquire(action, region);
    // Act
    const starts = await t.simulate(async () => {
      const out: number[] = [];
      for (let i = 0; i < 3; i++) out.push((await call(t, take('DescribeImageSharePermission'))).start);
      for (let i = 0; i < 3; i++) out.push((await call(t, take('ModifyImageSharePermission'))).start);
      out.push((await call(t, take('ModifyImageSharePermission', 'cn-shanghai'))).start);
      return out;
    });
    // Assess: 20/s lets three through at once; 2/s makes the third wait a second; another region is separate
    expect(starts).toEqual([0, 0, 0, 0, 0, 1000, 1000]);
    expect(limiter.rateFor('DeleteImage')).toBe(2);
  });

  it("takes over another instance's last second: its calls count in this one's windows, known or made later", async () => {
    // Prepare: the instance handing over made 3 calls of A and 1 of B within its last second.
    const before = virtualTime();
    const previous = new RateLimiter({ ratePerApi: { '*': 3 }, time: before });
    const carry = await before.simulate(async () => {
      before.now = 10_000;
      for (let i = 0; i < 3; i++) await call(before, () => previous.acquire('A', 'cn-hangzhou'));
      before.now = 10_400;
      await call(before, () => previous.acquire('B', 'cn-hangzhou'));
      before.now = 10_600;
      return previous.carry();
    });
    expect(carry).toEqual({ atMs: 10_600, calls: { 'A\u0000cn-hangzhou': 3, 'B\u0000cn-hangzhou': 1 } });
    // Act: a new instance, with a window of its own for A already, takes over 50 ms later.
    const t = virtualTime();
    t.now = 10_650;
    const next = new RateLimiter({ ratePerApi: { '*': 3 }, time: t });
    const take = (action: string) => () => next.acquire(action, 'cn-hangzhou');
    const starts = await t.simulate(async () => {
      await call(t, take('A'));
      next.takeOver(carry);
      const b = [(await call(t, take('B'))).start, (await call(t, take('B'))).start];
      const c = (await call(t, take('C'))).start;
      const a = (await call(t, take('A'))).start;
      return { a, b, c };
    });
    // Assess: A is full (its own call plus the 3 inherited) until the inherited age out; B has room for 2 more; C is free.
    expect(starts).toEqual({ a: 11_600, b: [10_650, 10_650], c: 10_650 });
  });

  it('does not wait for an API without a configured rate', async () => {
    const t = virtualTime();
    const limiter = new RateLimiter({ ratePerApi: { DeleteImage: 1 }, time: t });
    const starts = await t.simulate(async () => {
      const out: number[] = [];
      for (let i = 0; i < 5; i++) out.push((await call(t, () => limiter.acquire('DescribeImages', 'cn-hangzhou'))).start);
      return out;
    });
    expect(starts).toEqual([0, 0, 0, 0, 0]);
    expect(await limiter.acquire('DescribeImages', 'cn-hangzhou')).toBeUndefined();
    expect(limiter.rateFor('DescribeImages')).toBeUndefined();
  });
});
