/**
 * The request signature the EventBridge data-plane SDKs compute (`@alicloud/eventbridge-util`):
 * `Authorization: acs:<AccessKeyId>:<base64 HMAC-SHA1(secret, stringToSign)>` where stringToSign is
 *
 *   METHOD \n content-md5 \n content-type \n date \n
 *   every x-acs-* header, sorted, as `name:value\n` (tabs and line breaks in the value made spaces, trimmed)
 *   path, then `?k=v&…` with the query keys sorted (values as sent, not encoded)
 *
 * The body is not signed; a Content-MD5 header, when sent, binds it (checked by the server).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface SignedRequest {
  method: string;
  pathname: string;
  /** Decoded query pairs. */
  query: Record<string, string>;
  /** Lower-case names, one value each (the last one sent). */
  headers: Record<string, string>;
}

export interface AuthorizationClaim {
  accessKeyId: string;
  signature: string;
}

/** `acs:<AccessKeyId>:<Signature>` as the SDK sends it, or `acs <AccessKeyId>:<Signature>` as the API reference writes it. */
export function parseAuthorization(value: string | undefined): AuthorizationClaim | undefined {
  const match = value === undefined ? null : /^acs[: ]([^:\s]+):(\S+)$/.exec(value.trim());
  return match ? { accessKeyId: match[1] as string, signature: match[2] as string } : undefined;
}

const flatten = (value: string): string => value.replace(/[\t\n\r\f]/g, ' ').trim();

export function stringToSign(request: SignedRequest): string {
  const { headers } = request;
  const canonicalHeaders = Object.keys(headers)
    .filter((name) => name.startsWith('x-acs-'))
    .sort()
    .map((name) => `${name}:${flatten(headers[name] ?? '')}\n`)
    .join('');
  const keys = Object.keys(request.query).sort();
  const resource = keys.length === 0 ? request.pathname : `${request.pathname}?${keys.map((key) => `${key}=${request.query[key]}`).join('&')}`;
  return `${request.method.toUpperCase()}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${headers['date'] ?? ''}\n${canonicalHeaders}${resource}`;
}

export function signatureFor(secret: string, request: SignedRequest): string {
  return createHmac('sha1', secret).update(stringToSign(request), 'utf8').digest('base64');
}

export function signatureMatches(secret: string, request: SignedRequest, claimed: string): boolean {
  const expected = Buffer.from(signatureFor(secret, request));
  const given = Buffer.from(claimed);
  return expected.length === given.length && timingSafeEqual(expected, given);
}

/** True when there is no Content-MD5 header, or it is the base64 MD5 of the body. */
export function contentMd5Matches(header: string | undefined, body: Buffer): boolean {
  return header === undefined || header === createHash('md5').update(body).digest('base64');
}
