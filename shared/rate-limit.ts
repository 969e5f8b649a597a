// Client-side rate limiting for ECS (and the other Alibaba Cloud RPC products the adapters call): one
// limiter per (API, region), because the services count their limits per API, per region and per
// account. Plugged into an adapter's `beforeCall` hook so every attempt (retries included) waits for
// its turn. Time and sleeping are injected so tests drive the limiters with a manual clock.
//
// The limit is a sliding window, not a token bucket: a call goes at once unless `rate` calls already
// started within the last second, and then waits only until the oldest of them is a second old. An
// isolated call is never delayed, a burst of up to `rate` calls goes at once, and no one-second window
// (sliding, so fixed ones too) ever holds more than `rate` starts. A token bucket cannot promise both:
// with a burst above one it lets `burst + rate` calls into some second; with a burst of one it spaces
// even an isolated pair by 1/rate.

export interface TimeSource {
  /** Milliseconds on a monotonic-enough scale (Date.now in production). */
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export const realTime: TimeSource = {
  nowMs: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/**
 * At most `limit` starts within any `windowMs`. Each reservation books the earliest start the window
 * allows, in arrival order, so concurrent callers queue fairly instead of stampeding.
 */
export class SlidingWindow {
  /** Booked start times of the last `limit` reservations, oldest first (never decreasing). */
  private readonly starts: number[] = [];

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly time: TimeSource,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be an integer >= 1');
    if (!(windowMs > 0)) throw new RangeError('windowMs must be > 0');
  }

  /** A window sized from a rate per second: `rate` starts per second, one per 1/rate s below 1/s. */
  static forRate(ratePerSecond: number, time: TimeSource): SlidingWindow {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    // A fraction above 1/s rounds down: 2.5/s allows 2 per second, never 3 in one second.
    const limit = Math.max(1, Math.floor(ratePerSecond));
    return new SlidingWindow(limit, Math.max(1000, (1000 * limit) / ratePerSecond), time);
  }

  /** Starts booked within the window that ends at `atMs`. */
  recentStarts(atMs: number): number {
    return this.starts.filter((start) => start > atMs - this.windowMs && start <= atMs).length;
  }

  /** Counts `count` more starts as made at `atMs` (another instance's, say). */
  assume(count: number, atMs: number): void {
    const merged = [...this.starts, ...Array.from({ length: Math.min(count, this.limit) }, () => atMs)].sort((a, b) => a - b);
    this.starts.splice(0, this.starts.length, ...merged.slice(-this.limit));
  }

  /** Books one start and returns how long the caller must wait before it (0 = now). */
  reserve(): number {
    const now = this.time.nowMs();
    const oldest = this.starts.length >= this.limit ? (this.starts[this.starts.length - this.limit] as number) : undefined;
    const start = oldest === undefined ? now : Math.max(now, oldest + this.windowMs);
    this.starts.push(start);
    if (this.starts.length > this.limit) this.starts.shift();
    return start - now;
  }

  /** Resolves once the caller may make one call. */
  async take(): Promise<void> {
    const waitMs = this.reserve();
    if (waitMs > 0) await this.time.sleep(waitMs);
  }
}

/** The calls of one limiter's last window, handed to the instance that takes its work over. */
export interface RateCarry {
  readonly atMs: number;
  /** Window key (`<action>\u0000<region>`) → calls within the window that ended at `atMs`. */
  readonly calls: Readonly<Record<string, number>>;
}

export interface RateLimiterOptions {
  /** Requests per second per API; key `*` is the default for APIs not listed. Absent/0 = unlimited. */
  readonly ratePerApi: Readonly<Record<string, number>>;
  readonly time?: TimeSource;
}

/** Sliding windows per (API, region), created on first use. */
export class RateLimiter {
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly time: TimeSource;
  /** Calls another instance made just before this one took its work over (takeOver), by window key. */
  private inherited: RateCarry | undefined;

  constructor(private readonly options: RateLimiterOptions) {
    this.time = options.time ?? realTime;
  }

  /** The configured rate for an API (its own entry, else `*`); undefined = unlimited. */
  rateFor(action: string): number | undefined {
    const rate = this.options.ratePerApi[action] ?? this.options.ratePerApi['*'];
    return rate !== undefined && rate > 0 ? rate : undefined;
  }

  /**
   * What this instance's windows hold now, for an instance that takes its work over (a reconcile
   * continuation, the sweep that follows another): the calls of the last window, per API and region.
   */
  carry(): RateCarry {
    const atMs = this.time.nowMs();
    const calls: Record<string, number> = {};
    for (const [key, window] of this.windows) {
      const n = window.recentStarts(atMs);
      if (n > 0) calls[key] = n;
    }
    return { atMs, calls };
  }

  /**
   * Takes work over from the instance whose carry this is: the service counted that instance's
   * calls of the last second, so this one counts them too instead of adding a burst of its own.
   */
  takeOver(carry: RateCarry): void {
    this.inherited = carry;
    for (const [key, window] of this.windows) window.assume(carry.calls[key] ?? 0, carry.atMs);
  }

  /** Waits for a turn of (action, region); the shape of an adapter's `beforeCall` hook. */
  readonly acquire = async (action: string, regionId: string): Promise<void> => {
    const rate = this.rateFor(action);
    if (rate === undefined) return;
    const key = `${action}\u0000${regionId}`;
    let window = this.windows.get(key);
    if (!window) {
      window = SlidingWindow.forRate(rate, this.time);
      if (this.inherited) window.assume(this.inherited.calls[key] ?? 0, this.inherited.atMs);
      this.windows.set(key, window);
    }
    await window.take();
  };
}
