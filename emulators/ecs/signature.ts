/**
 * Verification of the two request-signing schemes the Alibaba Cloud SDKs use for RPC APIs:
 *  - ACS3-HMAC-SHA256 (the SDK default): action and signing material in `x-acs-*` headers,
 *    `Authorization: ACS3-HMAC-SHA256 Credential=..,SignedHeaders=..,Signature=..`;
 *  - the legacy RPC HMAC-SHA1 form (`signatureAlgorithm: 'v2'`): everything in the query string.
 * Canonicalisation mirrors what `@alicloud/openapi-core` computes on the client side.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { gatewayErrors } from './errors.js';

export const ACS3 = 'ACS3-HMAC-SHA256';
export const RPC_V2 = 'HMAC-SHA1';
export type SigningMode = typeof ACS3 | typeof RPC_V2;

/** A request as it arrived, before any interpretation. */
export interface RawApiRequest {
  method: string;
  pathname: string;
  /** Decoded query then form-body pairs, in arrival order. */
  pairs: Array<[string, string]>;
  /** How many of `pairs` came from the query string (ACS3 signs only those; the body via its hash). */
  queryPairCount: number;
  /** Lower-case header name → every value received for it. */
  headers: Record<string, string[]>;
  body: Buffer;
}

/** What the signature claims, parsed but not yet verified. */
export interface SignatureClaim {
  mode: SigningMode;
  accessKeyId: string;
  action: string | undefined;
  version: string | undefined;
  nonce: string;
  timestamp: string;
  securityToken: string | undefined;
  /** Operation parameters: every parameter except the common signing ones. */
  params: Record<string, string>;
  /** Throws SignatureDoesNotMatch unless the request was signed with this secret. */
  verify(accessKeySecret: string): void;
}

/** Query parameters that belong to the RPC signing envelope, not to the operation. */
const RPC_COMMON_PARAMS = new Set([
  'Action', 'Version', 'Format', 'Timestamp', 'SignatureNonce', 'SignatureMethod', 'SignatureVersion',
  'AccessKeyId', 'Signature', 'SecurityToken', 'SignatureType', 'BearerToken',
]);

/** encodeURIComponent plus the characters RFC 3986 reserves and it leaves alone. */
export function percentEncode(value: string): string {
  return encodeURIComponent(value)
    .replace(/!/g, '%21')
    .replace(/'/g, '%27')
    .replace(/\(/g, '%28')
    .replace(/\)/g, '%29')
    .replace(/\*/g, '%2A');
}

function single(headers: Record<string, string[]>, name: string): string | undefined {
  const values = headers[name];
  return values && values.length > 0 ? values[values.length - 1] : undefined;
}

function pairsToMap(pairs: Array<[string, string]>): Record<string, string> {
  const map: Record<string, string> = {};
  for (const [key, value] of pairs) {
    if (Object.prototype.hasOwnProperty.call(map, key)) {
      throw gatewayErrors.duplicateParameter(key);
    }
    map[key] = value;
  }
  return map;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const sortedKeys = (map: Record<string, string>): string[] => Object.keys(map).sort();

function parseAcs3(request: RawApiRequest, authorization: string): SignatureClaim {
  const space = authorization.indexOf(' ');
  const algorithm = space < 0 ? authorization : authorization.slice(0, space);
  if (algorithm !== ACS3) {
    throw gatewayErrors.incompleteSignature(`Unsupported signature algorithm: ${algorithm}.`);
  }
  const fields: Record<string, string> = {};
  for (const part of authorization.slice(space + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  const accessKeyId = fields['Credential'];
  const signedHeadersField = fields['SignedHeaders'];
  const signature = fields['Signature'];
  if (!accessKeyId || signedHeadersField === undefined || !signature) {
    throw gatewayErrors.incompleteSignature('Authorization must carry Credential, SignedHeaders and Signature.');
  }
  const headers = request.headers;
  const timestamp = single(headers, 'x-acs-date');
  const nonce = single(headers, 'x-acs-signature-nonce');
  const contentSha256 = single(headers, 'x-acs-content-sha256');
  if (!timestamp) throw gatewayErrors.incompleteSignature('Header x-acs-date is missing.');
  if (!nonce) throw gatewayErrors.incompleteSignature('Header x-acs-signature-nonce is missing.');
  if (!contentSha256) throw gatewayErrors.incompleteSignature('Header x-acs-content-sha256 is missing.');

  const signedHeaders = signedHeadersField.split(';').filter((name) => name.length > 0);
  for (const name of Object.keys(headers)) {
    if (name.startsWith('x-acs-') && !signedHeaders.includes(name)) {
      throw gatewayErrors.incompleteSignature(`Header ${name} must be signed.`);
    }
  }
  for (const name of signedHeaders) {
    if (!headers[name]) throw gatewayErrors.incompleteSignature(`Signed header ${name} is missing.`);
  }
  const headerAccessKeyId = single(headers, 'x-acs-accesskey-id');
  if (headerAccessKeyId !== undefined && headerAccessKeyId !== accessKeyId) {
    throw gatewayErrors.incompleteSignature('Header x-acs-accesskey-id does not match the Credential.');
  }

  const params = pairsToMap(request.pairs);
  const query = pairsToMap(request.pairs.slice(0, request.queryPairCount));
  return {
    mode: ACS3,
    accessKeyId,
    action: single(headers, 'x-acs-action'),
    version: single(headers, 'x-acs-version'),
    nonce,
    timestamp,
    securityToken: single(headers, 'x-acs-security-token'),
    params,
    verify(accessKeySecret) {
      const payloadHash = createHash('sha256').update(request.body).digest('hex');
      if (payloadHash !== contentSha256) {
        throw gatewayErrors.signatureDoesNotMatch(`(x-acs-content-sha256 does not match the request body: ${payloadHash})`);
      }
      const canonicalQuery = sortedKeys(query)
        .map((key) => `${percentEncode(key)}=${percentEncode(query[key] ?? '')}`)
        .join('&');
      const sortedSigned = [...signedHeaders].sort();
      const canonicalHeaders = sortedSigned
        .map((name) => `${name}:${[...(headers[name] ?? [])].map((v) => v.trim()).sort().join(',')}\n`)
        .join('');
      const canonicalRequest = [
        request.method,
        request.pathname,
        canonicalQuery,
        canonicalHeaders,
        sortedSigned.join(';'),
        contentSha256,
      ].join('\n');
      const stringToSign = `${ACS3}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
      const expected = createHmac('sha256', accessKeySecret).update(stringToSign).digest('hex');
      if (!safeEqual(expected, signature.toLowerCase())) throw gatewayErrors.signatureDoesNotMatch(stringToSign);
    },
  };
}

function parseRpcV2(request: RawApiRequest): SignatureClaim {
  const all = pairsToMap(request.pairs);
  const signature = all['Signature'];
  const accessKeyId = all['AccessKeyId'];
  if (!signature || !accessKeyId) throw gatewayErrors.incompleteSignature('Signature and AccessKeyId are required.');
  if (all['SignatureMethod'] !== RPC_V2) {
    throw gatewayErrors.incompleteSignature(`Unsupported SignatureMethod: ${all['SignatureMethod'] ?? '(missing)'}.`);
  }
  if (all['SignatureVersion'] !== '1.0') {
    throw gatewayErrors.incompleteSignature(`Unsupported SignatureVersion: ${all['SignatureVersion'] ?? '(missing)'}.`);
  }
  const nonce = all['SignatureNonce'];
  const timestamp = all['Timestamp'];
  if (!nonce) throw gatewayErrors.incompleteSignature('SignatureNonce is missing.');
  if (!timestamp) throw gatewayErrors.incompleteSignature('Timestamp is missing.');

  const params: Record<string, string> = {};
  for (const key of Object.keys(all)) {
    if (!RPC_COMMON_PARAMS.has(key)) params[key] = all[key] ?? '';
  }
  return {
    mode: RPC_V2,
    accessKeyId,
    action: all['Action'],
    version: all['Version'],
    nonce,
    timestamp,
    securityToken: all['SecurityToken'],
    params,
    verify(accessKeySecret) {
      const canonical = sortedKeys(all)
        .filter((key) => key !== 'Signature')
        .map((key) => `${percentEncode(key)}=${percentEncode(all[key] ?? '')}`)
        .join('&');
      const stringToSign = `${request.method}&${percentEncode('/')}&${percentEncode(canonical)}`;
      const expected = createHmac('sha1', `${accessKeySecret}&`).update(stringToSign).digest('base64');
      if (!safeEqual(expected, signature)) throw gatewayErrors.signatureDoesNotMatch(stringToSign);
    },
  };
}

/** Reads the signing scheme and its claims from a request; throws IncompleteSignature if unusable. */
export function parseSignature(request: RawApiRequest): SignatureClaim {
  const authorization = single(request.headers, 'authorization');
  if (authorization !== undefined) return parseAcs3(request, authorization);
  if (request.pairs.some(([key]) => key === 'Signature')) return parseRpcV2(request);
  throw gatewayErrors.incompleteSignature('The request carries no signature.');
}

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.\d{1,3})?Z$/;

/** Parses `yyyy-MM-ddTHH:mm:ssZ` (UTC); throws InvalidTimeStamp.Format otherwise. */
export function parseTimestamp(value: string): Date {
  const match = TIMESTAMP.exec(value);
  const date = match ? new Date(value) : undefined;
  if (!date || Number.isNaN(date.getTime())) throw gatewayErrors.timestampMalformed(value);
  return date;
}
