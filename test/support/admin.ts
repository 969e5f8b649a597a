/** The JSON call every emulator's typed admin client makes: a failed answer is thrown with its status and body. */

export class AdminCallError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
    route: string,
  ) {
    super(`${route} answered ${status}: ${JSON.stringify(body)}`);
    this.name = new.target.name;
  }
}

/** `call(method, path, body?)` against `<base><path>`; throws `new Failure(status, body, route)` for a non-2xx answer. */
export function adminCaller(base: string, Failure: new (status: number, body: unknown, route: string) => AdminCallError) {
  return async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    const parsed: unknown = text.length > 0 ? JSON.parse(text) : undefined;
    if (!response.ok) throw new Failure(response.status, parsed, `${method} ${path}`);
    return parsed;
  };
}

/** The fault methods every typed admin client has, over `call`. */
export function faultMethods<F>(call: ReturnType<typeof adminCaller>) {
  return {
    /** Returns the fault id. */
    async addFault(fault: F): Promise<string> {
      return ((await call('POST', '/faults', fault)) as { id: string }).id;
    },
    async removeFault(id: string): Promise<void> {
      await call('DELETE', `/faults/${encodeURIComponent(id)}`);
    },
    async clearFaults(): Promise<void> {
      await call('DELETE', '/faults');
    },
  };
}
