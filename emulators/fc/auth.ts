// Who may call the local runtime:
//  - the FC API (`/2023-03-30/functions/<name>/invocations`) verifies the `FC <AK>:<signature>`
//    header exactly as @alicloud/fc2 computes it (lib/helper.js composeStringToSign), the body MD5,
//    the date skew, the account header and, for STS keys, the security token;
//  - HTTP triggers check their authType: anonymous passes, jwt validates the token against the
//    trigger's jwks, function verifies an ACS3-HMAC-SHA256 signature (see README for the subset).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';

export interface AccessKey {
  readonly accessKeyId: string;
  readonly accessKeySecret: string;
  readonly securityToken?: string;
}

export class AuthFailure extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthFailure';
  }
}

const MAX_SKEW_MS = 15 * 60 * 1000;

const header = (h: IncomingHttpHeaders, name: string): string | undefined => {
  const v = h[name];
  return Array.isArray(v) ? v.join(',') : v;
};

function equal(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The string @alicloud/fc2 signs: METHOD, Content-MD5, Content-Type, Date, sorted x-fc-* headers, path. */
export function fcStringToSign(method: string, path: string, headers: IncomingHttpHeaders): string {
  const fc = Object.keys(headers)
    .map((k) => k.toLowerCase())
    .filter((k) => k.startsWith('x-fc-'))
    .sort()
    .map((k) => `${k}:${header(headers, k) ?? ''}\n`)
    .join('');
  return `${method}\n${header(headers, 'content-md5') ?? ''}\n${header(headers, 'content-type') ?? ''}\n${header(headers, 'date') ?? ''}\n${fc}${path}`;
}

export function fcSignature(secret: string, stringToSign: string): string {
  return createHmac('sha256', secret).update(stringToSign, 'utf8').digest('base64');
}

/**
 * Verifies an FC API request signed by @alicloud/fc2. `path` is the decoded request path including
 * the version prefix (what the client signed). Throws AuthFailure; returns the key used.
 */
export function verifyFcRequest(
  req: { method: string; path: string; headers: IncomingHttpHeaders; body: Buffer },
  opts: { accountId: string; keys: readonly AccessKey[]; now?: number },
): AccessKey {
  const auth = header(req.headers, 'authorization');
  const m = auth ? /^FC ([^:\s]+):(\S+)$/.exec(auth) : null;
  if (!m) throw new AuthFailure(403, 'InvalidAccessKeyID', 'missing or malformed Authorization header (expected "FC <AccessKeyId>:<Signature>")');
  const key = opts.keys.find((k) => k.accessKeyId === m[1]);
  if (!key) throw new AuthFailure(403, 'InvalidAccessKeyID', `the AccessKeyId ${m[1]} is not known`);
  if (key.securityToken !== undefined && header(req.headers, 'x-fc-security-token') !== key.securityToken) {
    throw new AuthFailure(403, 'InvalidSecurityToken', 'the security token is missing or does not match the STS AccessKeyId');
  }
  const date = header(req.headers, 'date');
  const when = date ? Date.parse(date) : NaN;
  if (Number.isNaN(when) || Math.abs((opts.now ?? Date.now()) - when) > MAX_SKEW_MS) {
    throw new AuthFailure(403, 'RequestTimeTooSkewed', 'the Date header is missing or more than 15 minutes off');
  }
  const expected = fcSignature(key.accessKeySecret, fcStringToSign(req.method, req.path, req.headers));
  if (!equal(expected, m[2]!)) throw new AuthFailure(403, 'SignatureNotMatch', 'the request signature does not match');
  if (req.body.length > 0) {
    const md5 = header(req.headers, 'content-md5');
    // fc2 sends base64 of the *hex* MD5 digest.
    const actual = Buffer.from(createHash('md5').update(req.body).digest('hex'), 'utf8').toString('base64');
    if (md5 !== undefined && md5 !== actual) throw new AuthFailure(400, 'InvalidArgument', 'Content-MD5 does not match the body');
  }
  const account = header(req.headers, 'x-fc-account-id');
  if (account !== opts.accountId) throw new AuthFailure(403, 'AccessDenied', `x-fc-account-id ${account ?? '(none)'} is not this account`);
  return key;
}

// ---- HTTP trigger authType: jwt ----

export interface JwtAuthConfig {
  readonly jwks: { keys: Record<string, unknown>[] };
  readonly tokenLookup?: string | { readPosition: string; parameterName: string; prefix?: string }[];
  readonly claimPassBy?: string | { claimName?: string; mappingParameterName: string; mappingParameterPosition: string }[];
  readonly whitelist?: string[];
  readonly blacklist?: string[];
}

interface Lookup {
  position: string;
  name: string;
  prefix: string;
}

function lookups(cfg: JwtAuthConfig): Lookup[] {
  const raw = cfg.tokenLookup ?? 'header:Authorization:Bearer ';
  if (typeof raw !== 'string') return raw.map((l) => ({ position: l.readPosition, name: l.parameterName, prefix: l.prefix ?? '' }));
  return raw
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const [position = '', name = '', ...rest] = s.split(':');
      return { position, name, prefix: rest.join(':').trimStart() };
    });
}

function pathMatches(patterns: readonly string[] | undefined, path: string): boolean {
  return (patterns ?? []).some((p) => (p.endsWith('*') ? path.startsWith(p.slice(0, -1)) : p === path));
}

function cookie(headers: IncomingHttpHeaders, name: string): string | undefined {
  for (const part of (header(headers, 'cookie') ?? '').split(';')) {
    const [k, ...v] = part.trim().split('=');
    if (k === name) return v.join('=');
  }
  return undefined;
}

/**
 * Validates the trigger's JWT. Returns headers to add (claimPassBy to headers); throws AuthFailure 401.
 * Form parameters are not read (a JSON API never sends them).
 */
export async function verifyJwtTrigger(
  cfg: JwtAuthConfig,
  req: { path: string; headers: IncomingHttpHeaders; query: URLSearchParams },
): Promise<Record<string, string>> {
  if (pathMatches(cfg.whitelist, req.path)) return {};
  if (cfg.blacklist && cfg.blacklist.length > 0 && !pathMatches(cfg.blacklist, req.path)) return {};
  let token: string | undefined;
  for (const l of lookups(cfg)) {
    const v = l.position === 'header' ? header(req.headers, l.name.toLowerCase()) : l.position === 'query' ? req.query.get(l.name) ?? undefined : l.position === 'cookie' ? cookie(req.headers, l.name) : undefined;
    if (v === undefined) continue;
    if (l.prefix && !v.startsWith(l.prefix)) continue;
    token = v.slice(l.prefix.length).trim();
    break;
  }
  if (!token) throw new AuthFailure(401, 'InvalidJWT', 'no token found where the trigger looks for it');
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, createLocalJWKSet(cfg.jwks as Parameters<typeof createLocalJWKSet>[0])));
  } catch (err) {
    throw new AuthFailure(401, 'InvalidJWT', `the token was rejected: ${(err as Error).message}`);
  }
  const add: Record<string, string> = {};
  const pass = cfg.claimPassBy;
  const entries = typeof pass === 'string'
    ? pass.split(',').map((s) => s.trim()).filter(Boolean).map((s) => {
        const [position = '', claim = '', target = ''] = s.split(':');
        return { position, claim, target };
      })
    : (pass ?? []).map((p) => ({ position: p.mappingParameterPosition, claim: p.claimName ?? p.mappingParameterName, target: p.mappingParameterName }));
  for (const e of entries) {
    const v = payload[e.claim];
    if (e.position === 'header' && v !== undefined) add[e.target.toLowerCase()] = typeof v === 'string' ? v : JSON.stringify(v);
  }
  return add;
}

// ---- HTTP trigger authType: function (ACS3-HMAC-SHA256) ----

const rfc3986 = (s: string): string => encodeURIComponent(s).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);

/** The canonical request an ACS3-HMAC-SHA256 signer hashes. */
export function acs3CanonicalRequest(method: string, rawPath: string, query: URLSearchParams, headers: IncomingHttpHeaders, signedHeaders: readonly string[], payloadHash: string): string {
  const q = [...query.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join('&');
  const canonHeaders = signedHeaders.map((h) => `${h}:${(header(headers, h) ?? '').trim()}\n`).join('');
  return `${method}\n${rawPath || '/'}\n${q}\n${canonHeaders}\n${signedHeaders.join(';')}\n${payloadHash}`;
}

export function acs3Signature(secret: string, canonicalRequest: string): string {
  const stringToSign = `ACS3-HMAC-SHA256\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  return createHmac('sha256', secret).update(stringToSign).digest('hex');
}

/** Verifies `Authorization: ACS3-HMAC-SHA256 Credential=AK,SignedHeaders=a;b,Signature=hex` with `x-acs-date`. */
export function verifyAcs3(
  req: { method: string; rawPath: string; query: URLSearchParams; headers: IncomingHttpHeaders; body: Buffer },
  keys: readonly AccessKey[],
  now = Date.now(),
): AccessKey {
  const auth = header(req.headers, 'authorization') ?? '';
  const m = /^ACS3-HMAC-SHA256\s+Credential=([^,\s]+),\s*SignedHeaders=([^,\s]+),\s*Signature=([0-9a-f]+)$/.exec(auth);
  if (!m) throw new AuthFailure(401, 'InvalidSignature', 'expected Authorization: ACS3-HMAC-SHA256 Credential=...,SignedHeaders=...,Signature=...');
  const key = keys.find((k) => k.accessKeyId === m[1]);
  if (!key) throw new AuthFailure(401, 'InvalidAccessKeyId', `the AccessKeyId ${m[1]} is not known`);
  const signed = m[2]!.split(';');
  if (!signed.includes('x-acs-date') || !signed.includes('host')) throw new AuthFailure(401, 'InvalidSignature', 'host and x-acs-date must be signed');
  const when = Date.parse(header(req.headers, 'x-acs-date') ?? '');
  if (Number.isNaN(when) || Math.abs(now - when) > MAX_SKEW_MS) throw new AuthFailure(401, 'RequestTimeTooSkewed', 'x-acs-date is missing or more than 15 minutes off');
  if (key.securityToken !== undefined && header(req.headers, 'x-acs-security-token') !== key.securityToken) throw new AuthFailure(401, 'InvalidSecurityToken', 'the security token does not match');
  const bodyHash = createHash('sha256').update(req.body).digest('hex');
  const claimed = header(req.headers, 'x-acs-content-sha256');
  if (claimed !== undefined && claimed !== bodyHash) throw new AuthFailure(401, 'InvalidSignature', 'x-acs-content-sha256 does not match the body');
  const expected = acs3Signature(key.accessKeySecret, acs3CanonicalRequest(req.method, req.rawPath, req.query, req.headers, signed, bodyHash));
  if (!equal(expected, m[3]!)) throw new AuthFailure(401, 'InvalidSignature', 'the request signature does not match');
  return key;
}
