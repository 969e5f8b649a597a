// What the in-memory ports share: a log of their calls and faults injected per method, striking
// before the call takes effect or after it (a response lost after success).
import { GovernorError } from '../../shared/domain/errors.js';

interface Fault<M> {
  readonly method: M;
  readonly error: GovernorError;
  remaining: number;
  /** true: the call takes effect, then the error is thrown. */
  readonly afterEffect: boolean;
}

export abstract class FaultyFake<M extends string, C extends { readonly method: string; readonly error?: string }> {
  private readonly faults: Fault<M>[] = [];
  readonly calls: C[] = [];

  /** The next `times` calls of `method` fail with `error`; with afterEffect the call succeeds first. */
  failNext(method: M, error: GovernorError, times = 1, opts: { afterEffect?: boolean } = {}): void {
    this.faults.push({ method, error, remaining: times, afterEffect: opts.afterEffect ?? false });
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  callsOf(method: C['method']): C[] {
    return this.calls.filter((c) => c.method === method);
  }

  private takeFault(method: M): Fault<M> | undefined {
    const fault = this.faults.find((f) => f.method === method && f.remaining > 0);
    if (!fault) return undefined;
    fault.remaining -= 1;
    if (fault.remaining === 0) this.faults.splice(this.faults.indexOf(fault), 1);
    return fault;
  }

  /** Yields, logs the call and applies a fault that strikes before or after the effect. */
  protected async call<T>(entry: Omit<C, 'error'> & { readonly method: M }, effect: () => T): Promise<T> {
    await new Promise<void>((resolve) => setImmediate(resolve));
    const failed = (error: string): C => ({ ...entry, error }) as unknown as C;
    const fault = this.takeFault(entry.method);
    if (fault && !fault.afterEffect) {
      this.calls.push(failed(fault.error.code));
      throw fault.error;
    }
    try {
      const result = effect();
      if (fault) {
        this.calls.push(failed(fault.error.code));
        throw fault.error;
      }
      this.calls.push(entry as unknown as C);
      return result;
    } catch (e) {
      if (e !== fault?.error) this.calls.push(failed(e instanceof GovernorError ? e.code : 'Error'));
      throw e;
    }
  }
}
