// Client-side rate limiting for ECS (and the other Alibaba Cloud RPC products the adapters call): one
// limiter per (API, region), because the services count their limits per API, per region and per
// account. Plugged into an adapter's `beforeCall` hook so every attempt (retries included) waits for
// its turn, and told through the function the hook returns when that attempt's answer has arrived.
//
// The limit is a sliding window, not a token bucket: a call goes at once unless `rate` calls already
// hold a place in the window, and a call holds its place from when it starts until one second after
// its answer arrives. An isolated call is never delayed, a burst of up to `rate` calls goes at once,
// and however long each request takes to reach the service, no one-second window of the service's
// own clock ever receives more than `rate` of them: a service receives a call between its start and
// its answer. (Counting a call from its start alone is not enough: a burst whose requests reach the
// service a few milliseconds late then overlaps the next second's burst, and the service, counting by
// arrival, sees up to twice the rate.) A token bucket cannot promise both: with a burst above one it
// lets `burst + rate` calls into some second; with a burst of one it spaces even an isolated pair by
// 1/rate.

export interface TimeSource {
  /** Milliseconds on a monotonic-enough scale (Date.now in production). */
  nowMs(): number;
  sleep(ms: number): Promise<void>;
}

export const realTime: TimeSource = {
  nowMs: () => Date.now(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Called once the call's answer (or failure) has arrived. */
export type ReleaseCall = () => void;

/** A place in the window: `endedAt` unset while the call is in flight. */
interface Place {
  endedAt: number | undefined;
}

/**
 * At most `limit` calls hold a place at once: in flight, or answered within the last `windowMs`.
 * Callers are admitted in arrival order, so concurrent callers queue fairly instead of stampeding.
 */
export class SlidingWindow {
  private readonly places: Place[] = [];
  private readonly waiting: Array<(release: ReleaseCall) => void> = [];
  /** When the wake-up already asked for is due, if one is. */
  private wakeAt: number | undefined;

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    private readonly time: TimeSource,
  ) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be an integer >= 1');
    if (!(windowMs > 0)) throw new RangeError('windowMs must be > 0');
  }

  /** A window sized from a rate per second: `rate` calls per second, one per 1/rate s below 1/s. */
  static forRate(ratePerSecond: number, time: TimeSource): SlidingWindow {
    if (!(ratePerSecond > 0)) throw new RangeError('ratePerSecond must be > 0');
    // A fraction above 1/s rounds down: 2.5/s allows 2 per second, never 3 in one second.
    const limit = Math.max(1, Math.floor(ratePerSecond));
    return new SlidingWindow(limit, Math.max(1000, (1000 * limit) / ratePerSecond), time);
  }

  /** Places held at `atMs`: calls in flight and calls answered within the window before it. */
  held(atMs: number): number {
    return this.places.filter((p) => p.endedAt === undefined || p.endedAt > atMs - this.windowMs).length;
  }

  /** Counts `count` more calls as answered at `atMs` (another instance's, say). */
  assume(count: number, atMs: number): void {
    for (let i = 0; i < Math.min(count, this.limit); i++) this.places.push({ endedAt: atMs });
  }

  /** Resolves once the caller may make one call, with the function to call when its answer arrives. */
  take(): Promise<ReleaseCall> {
    return new Promise((admitted) => {
      this.waiting.push(admitted);
      this.admit();
    });
  }

  private admit(): void {
    const now = this.time.nowMs();
    for (let i = this.places.length - 1; i >= 0; i--) {
      const endedAt = this.places[i]!.endedAt;
      if (endedAt !== undefined && endedAt + this.windowMs <= now) this.places.splice(i, 1);
    }
    while (this.waiting.length > 0 && this.places.length < this.limit) {
      const place: Place = { endedAt: undefined };
      this.places.push(place);
      this.waiting.shift()!(() => {
        if (place.endedAt !== undefined) return;
        place.endedAt = this.time.nowMs();
        this.admit();
      });
    }
    if (this.waiting.length === 0) return;
    // Full: the next place frees when the earliest answered call ages out (or, when every place is
    // in flight, when one is answered: its release admits again).
    const answered = this.places.flatMap((p) => (p.endedAt === undefined ? [] : [p.endedAt]));
    if (answered.length === 0) return;
    const due = Math.min(...answered) + this.windowMs;
    if (this.wakeAt !== undefined && this.wakeAt <= due) return;
    this.wakeAt = due;
    void this.time.sleep(due - now).then(() => {
      if (this.wakeAt === due) this.wakeAt = undefined;
      this.admit();
    });
  }
}

/** The calls of one limiter's last window, handed to the instance that takes its work over. */
export interface RateCarry {
  readonly atMs: number;
  /** Window key (`<action>\u0000<region>`) → places held at `atMs` (calls in flight or answered within the window). */
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
      const n = window.held(atMs);
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

  /**
   * Waits for a turn of (action, region); the shape of an adapter's `beforeCall` hook. The function
   * it resolves with is called when the call's answer has arrived (nothing for an unlimited API).
   */
  readonly acquire = async (action: string, regionId: string): Promise<ReleaseCall | undefined> => {
    const rate = this.rateFor(action);
    if (rate === undefined) return undefined;
    const key = `${action}\u0000${regionId}`;
    let window = this.windows.get(key);
    if (!window) {
      window = SlidingWindow.forRate(rate, this.time);
      if (this.inherited) window.assume(this.inherited.calls[key] ?? 0, this.inherited.atMs);
      this.windows.set(key, window);
    }
    return window.take();
  };
}
