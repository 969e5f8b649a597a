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

export interface RateLimiterOptions {
  /** Requests per second per API; key `*` is the default for APIs not listed. Absent/0 = unlimited. */
  readonly ratePerApi: Readonly<Record<string, number>>;
  readonly time?: TimeSource;
}

/** Sliding windows per (API, region), created on first use. */
export class RateLimiter {
  private readonly windows = new Map<string, SlidingWindow>();
  private readonly time: TimeSource;

  constructor(private readonly options: RateLimiterOptions) {
    this.time = options.time ?? realTime;
  }

  /** The configured rate for an API (its own entry, else `*`); undefined = unlimited. */
  rateFor(action: string): number | undefined {
    const rate = this.options.ratePerApi[action] ?? this.options.ratePerApi['*'];
    return rate !== undefined && rate > 0 ? rate : undefined;
  }

  /** Waits for a turn of (action, region); the shape of an adapter's `beforeCall` hook. */
  readonly acquire = async (action: string, regionId: string): Promise<void> => {
    const rate = this.rateFor(action);
    if (rate === undefined) return;
    const key = `${action}\u0000${regionId}`;
    let window = this.windows.get(key);
    if (!window) {
      window = SlidingWindow.forRate(rate, this.time);
      this.windows.set(key, window);
    }
    await window.take();
  };
}
