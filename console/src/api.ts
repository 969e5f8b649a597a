// Calls to the service's API, same origin, each with the signed-in user's bearer token. A problem
// document becomes an ApiError carrying the service's own words; a 401 ends the session.

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string | undefined,
    /** ValidationFailed: where and what. */
    readonly errors: readonly { readonly path: string; readonly message: string }[] = [],
  ) {
    super(detail ?? title);
  }
}

export type Query = Readonly<Record<string, string | number | undefined>>;

export interface Api {
  get<T>(path: string, query?: Query): Promise<T>;
  post<T>(path: string, body: unknown): Promise<T>;
  /** The answer as a file, e.g. `text/csv`. */
  download(path: string, accept: string, query?: Query): Promise<Blob>;
}

/** Paths are relative (`v1/...`), so the console works under a stage prefix too. */
function url(path: string, query: Query = {}): string {
  const u = new URL(path, document.baseURI);
  for (const [k, v] of Object.entries(query)) if (v !== undefined && v !== '') u.searchParams.set(k, String(v));
  return u.href;
}

async function failure(res: Response): Promise<ApiError> {
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json')) {
    const p = (await res.json().catch(() => ({}))) as { code?: unknown; title?: unknown; detail?: unknown; errors?: unknown };
    if (typeof p.code === 'string') {
      return new ApiError(res.status, p.code, typeof p.title === 'string' ? p.title : res.statusText, typeof p.detail === 'string' ? p.detail : undefined, Array.isArray(p.errors) ? p.errors : []);
    }
  }
  return new ApiError(res.status, `HTTP${res.status}`, `The service answered ${res.status} ${res.statusText}`.trim(), undefined);
}

export function createApi(token: () => string, onUnauthenticated: (e: ApiError) => void): Api {
  async function call(method: string, path: string, opts: { query?: Query; body?: unknown; accept: string }): Promise<Response> {
    const res = await fetch(url(path, opts.query), {
      method,
      headers: { authorization: `Bearer ${token()}`, accept: opts.accept, ...(opts.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(opts.body !== undefined ? { body: JSON.stringify(opts.body) } : {}),
      credentials: 'omit',
      cache: 'no-store',
    });
    if (res.ok) return res;
    const e = await failure(res);
    if (res.status === 401) onUnauthenticated(e);
    throw e;
  }
  return {
    get: async (path, query) => (await (await call('GET', path, { query, accept: 'application/json' })).json()) as never,
    post: async (path, body) => (await (await call('POST', path, { body, accept: 'application/json' })).json()) as never,
    download: async (path, accept, query) => (await call('GET', path, { query, accept })).blob(),
  };
}
