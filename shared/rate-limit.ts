// Client-side rate limiting for ECS: one token bucket per (API, region), because ECS counts its
// limits per API, per region and per account. Plugged into the ECS adapter's `beforeCall` hook so
// every attempt (retries included) waits for a token. Time and sleeping are injected so tests can
// drive the buckets with a manual clock.

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
 * A token bucket refilled continuously at `ratePerSecond`, holding at most `capacity` tokens.
 * Waiters are served strictly in arrival order: each reservation books the next free slot, so a
 * burst of callers is spread evenly instead of stampeding when tokens return.
 */
export class TokenBucket {
  private tokens: number;
  private lastRefillMs: number;

  constructor(
    readonly ratePerSecond: number,
    readonly capacity: number,
    private readonly time: TimeSource,
  ) {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    if (!(capacity >= 1)) throw new RangeError('capacity must be >= 1');
    this.tokens = capacity;
    this.lastRefillMs = time.nowMs();
  }

  /**
   * Books one token and returns how long the caller must wait before using it (0 = now). Tokens may
   * go negative: that is the queue of callers already promised a future slot.
   */
  reserve(): number {
    const now = this.time.nowMs();
    const elapsed = Math.max(0, now - this.lastRefillMs);
    this.tokens = Math.min(this.capacity, this.tokens + (elapsed * this.ratePerSecond) / 1000);
    this.lastRefillMs = now;
    this.tokens -= 1;
    if (this.tokens >= 0) return 0;
    return Math.ceil((-this.tokens * 1000) / this.ratePerSecond);
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
  /**
   * Bucket size. 1 (the default) spaces calls evenly at 1/rate seconds, so no one-second window
   * (fixed or sliding) ever sees more than `rate` calls plus the one on its edge.
   */
  readonly burst?: number;
  readonly time?: TimeSource;
}

/** Token buckets per (API, region), created on first use. */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly time: TimeSource;

  constructor(private readonly options: RateLimiterOptions) {
    this.time = options.time ?? realTime;
  }

  /** The configured rate for an API (its own entry, else `*`); undefined = unlimited. */
  rateFor(action: string): number | undefined {
    const rate = this.options.ratePerApi[action] ?? this.options.ratePerApi['*'];
    return rate !== undefined && rate > 0 ? rate : undefined;
  }

  /** Waits for a token of (action, region); the shape of the ECS adapter's `beforeCall` hook. */
  readonly acquire = async (action: string, regionId: string): Promise<void> => {
    const rate = this.rateFor(action);
    if (rate === undefined) return;
    const key = `${action}\u0000${regionId}`;
    let bucket = this.buckets.get(key);
    if (!bucket) {
      bucket = new TokenBucket(rate, Math.max(1, this.options.burst ?? 1), this.time);
      this.buckets.set(key, bucket);
    }
    await bucket.take();
  };
}
