// Bearer JWT verification inside the function: issuer, audience, expiry/not-before, and a signature
// from the configured JWKS with asymmetric algorithms only. Restricting `algorithms` is what defeats
// `alg: none` and the HS256-signed-with-the-public-key confusion. Token contents are never logged.
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify } from 'jose';
import type { JSONWebKeySet, JWTVerifyGetKey } from 'jose';
import { SYSTEM_PRINCIPAL_PREFIX } from '../domain/context.js';
import { GovernorError } from '../domain/errors.js';
import type { Principal } from '../domain/model.js';
import type { Config } from '../config.js';
import { rolesIn } from './claims.js';

const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];
const CLOCK_TOLERANCE_SECONDS = 5;
const BEARER = /^Bearer +([A-Za-z0-9_-]+\.[A-Za-z0-9_-]*\.[A-Za-z0-9_-]*)$/i;

export interface Authenticator {
  /** The verified principal; GovernorError Unauthenticated otherwise (with a reason for the log). */
  authenticate(authorization: string | undefined): Promise<Principal>;
}

/** Why a token was refused; goes to WWW-Authenticate and the log, never the token itself. */
export class AuthError extends GovernorError {
  constructor(
    readonly reason: 'missing' | 'malformed' | 'invalid',
    message: string,
  ) {
    super('Unauthenticated', message);
  }
}

/**
 * jose's errors when the remote key set itself fails: a timeout, a refused connection (a plain fetch
 * error without a code), a non-200 answer or a body that is no JSON (generic JOSEError), or a
 * malformed key set. Every token-related failure carries a more specific code.
 */
const KEY_SOURCE_FAILURES = new Set(['ERR_JWKS_TIMEOUT', 'ERR_JOSE_GENERIC', 'ERR_JWKS_INVALID']);
const isKeySourceFailure = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code !== 'string' || KEY_SOURCE_FAILURES.has(code);
};

export function createAuthenticator(auth: Config['auth']): Authenticator {
  const keys: JWTVerifyGetKey = auth.jwks
    ? createLocalJWKSet(auth.jwks as unknown as JSONWebKeySet)
    : createRemoteJWKSet(new URL(auth.jwksUrl!), { timeoutDuration: 3000, cooldownDuration: 30_000, cacheMaxAge: 600_000 });

  return {
    async authenticate(authorization) {
      if (authorization === undefined || authorization.trim() === '') throw new AuthError('missing', 'A bearer token is required');
      const m = BEARER.exec(authorization.trim());
      if (!m) throw new AuthError('malformed', 'The Authorization header must be "Bearer <JWT>"');
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(m[1]!, keys, {
          issuer: auth.issuer,
          audience: auth.audience,
          algorithms: ALLOWED_ALGORITHMS,
          clockTolerance: CLOCK_TOLERANCE_SECONDS,
          requiredClaims: ['exp', 'sub'],
        }));
      } catch (err) {
        // A key set that cannot be fetched is ours, not the caller's: answer 503, not 401.
        if (auth.jwksUrl && isKeySourceFailure(err)) {
          throw new GovernorError('UpstreamUnavailable', 'The token keys could not be fetched', { cause: err, retryAfter: 1 });
        }
        throw new AuthError('invalid', 'The bearer token is not valid');
      }
      const sub = payload.sub;
      // The subject becomes the stored principal: it must be stored as it was signed, and may not pass
      // for one of the service's own actors (the audit trail and the state machine name them).
      if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256 || !sub.isWellFormed() || sub.startsWith(SYSTEM_PRINCIPAL_PREFIX)) {
        throw new AuthError('invalid', 'The bearer token has no usable subject');
      }
      return { id: sub, roles: rolesIn(payload, auth.rolesClaim) };
    },
  };
}
