/**
 * A local OpenID Provider for `npm start`: discovery, authorize (no login page: the sign-in link names
 * the user), token (authorization code + PKCE S256, codes single-use and short-lived) and JWKS. It
 * exists so the console signs in locally exactly as against a real identity provider. Loopback only:
 * it listens on loopback and answers loopback callers only; it is never part of a deployment.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Answer, LocalUser, OidcClient, ProviderContext } from './context.js';
import { OPERATIONS } from './operations/index.js';

export type { LocalUser, OidcClient } from './context.js';

export interface OidcProviderOptions {
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** A loopback address (default 127.0.0.1); anything else is refused. */
  readonly host?: string;
  readonly audience: string;
  /** Who may sign in, by `login_hint`. */
  readonly users: Readonly<Record<string, LocalUser>>;
  readonly clients?: readonly OidcClient[];
  readonly signingKey: ProviderContext['signingKey'];
  readonly signAccessToken: ProviderContext['signAccessToken'];
  /** Milliseconds since the epoch (tests move it to expire codes). */
  readonly now?: () => number;
}

export interface OidcProvider {
  /** `http://127.0.0.1:<port>`: discovery is at `<issuer>/.well-known/openid-configuration`. */
  readonly issuer: string;
  registerClient(client: OidcClient): void;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', '::ffff:127.0.0.1']);
const MAX_FORM_BYTES = 16 * 1024;

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      text += chunk;
      if (text.length > MAX_FORM_BYTES) reject(new Error('the form is too large'));
    });
    req.on('end', () => resolve(new URLSearchParams(text)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer, cors: Record<string, string>): void {
  const json = answer.body !== undefined && typeof answer.body !== 'string';
  res.writeHead(answer.status, { ...(json ? { 'content-type': 'application/json' } : {}), ...cors, ...answer.headers });
  res.end(answer.body === undefined ? undefined : json ? JSON.stringify(answer.body) : String(answer.body));
}

export async function startOidcProvider(opts: OidcProviderOptions): Promise<OidcProvider> {
  const host = opts.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) throw new Error(`the local OpenID Provider listens on loopback only, not ${host}`);
  const clients = new Map((opts.clients ?? []).map((c) => [c.clientId, c]));
  let ctx: ProviderContext | undefined;

  const server = createServer((req, res) => {
    void (async () => {
      if (!LOOPBACK.has(req.socket.remoteAddress ?? '')) return send(res, { status: 403, body: { error: 'access_denied', error_description: 'loopback callers only' } }, {});
      // Browsers call discovery, token and JWKS from the console's origin: allow the registered ones.
      const origin = req.headers.origin;
      const allowed = origin !== undefined && [...clients.values()].some((c) => c.redirectUris.some((u) => new URL(u).origin === origin));
      const cors: Record<string, string> = allowed ? { 'access-control-allow-origin': origin, vary: 'origin' } : { vary: 'origin' };
      const url = new URL(req.url ?? '/', ctx!.issuer);
      if (req.method === 'OPTIONS') {
        return send(res, { status: 204, headers: allowed ? { 'access-control-allow-methods': 'GET, POST', 'access-control-allow-headers': 'content-type', 'access-control-max-age': '600' } : {} }, cors);
      }
      const method = req.method ?? 'GET';
      const operation = OPERATIONS.get(`${method} ${url.pathname}`);
      if (!operation) return send(res, { status: 404, body: { error: 'not_found', error_description: `no endpoint ${method} ${url.pathname}` } }, cors);
      const form = method === 'POST' ? await readForm(req) : new URLSearchParams();
      send(res, await operation(ctx!, { query: url.searchParams, form }), cors);
    })().catch((err: Error) => {
      if (!res.headersSent) send(res, { status: 400, body: { error: 'invalid_request', error_description: err.message } }, {});
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { address, port } = server.address() as AddressInfo;
  const issuer = `http://${address.includes(':') ? `[${address}]` : address}:${port}`;
  ctx = {
    issuer,
    audience: opts.audience,
    users: opts.users,
    clients,
    codes: new Map(),
    signingKey: opts.signingKey,
    signAccessToken: opts.signAccessToken,
    now: opts.now ?? Date.now,
  };
  return {
    issuer,
    registerClient: (client) => void clients.set(client.clientId, client),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
  };
}
