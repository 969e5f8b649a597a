// Test identity provider: an RS256 key pair, its JWKS, and signToken() for the roles under test.
// Also used by the e2e tests and the local runtime's demo tokens.
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import type { JWK } from 'jose';

export const TEST_ISSUER = 'https://idp.example.test/';
export const TEST_AUDIENCE = 'image-share-governor';

export interface TokenClaims {
  sub?: string;
  roles?: string[] | string;
  iss?: string;
  aud?: string | string[];
  /** Seconds since epoch; default now + 1 h. */
  exp?: number;
  nbf?: number;
  iat?: number;
  [claim: string]: unknown;
}

export interface TestIdp {
  readonly issuer: string;
  readonly audience: string;
  /** Public JWKS ({keys:[...]}) to configure as JWT_JWKS. */
  readonly jwks: { keys: JWK[] };
  /** The public key as a JWK (for the HS256-with-the-public-key confusion test). */
  readonly publicJwk: JWK;
  readonly kid: string;
  signToken(claims?: TokenClaims, opts?: { alg?: 'RS256' | 'ES256'; kid?: string }): Promise<string>;
}

export async function createTestIdp(opts: { issuer?: string; audience?: string; kid?: string } = {}): Promise<TestIdp> {
  const issuer = opts.issuer ?? TEST_ISSUER;
  const audience = opts.audience ?? TEST_AUDIENCE;
  const kid = opts.kid ?? 'test-rs256';
  const rsa = await generateKeyPair('RS256', { extractable: true });
  const ec = await generateKeyPair('ES256', { extractable: true });
  const rsaPublic = { ...(await exportJWK(rsa.publicKey)), kid, alg: 'RS256', use: 'sig' };
  const ecPublic = { ...(await exportJWK(ec.publicKey)), kid: `${kid}-ec`, alg: 'ES256', use: 'sig' };
  return {
    issuer,
    audience,
    jwks: { keys: [rsaPublic, ecPublic] },
    publicJwk: rsaPublic,
    kid,
    async signToken(claims = {}, o = {}) {
      const alg = o.alg ?? 'RS256';
      const now = Math.floor(Date.now() / 1000);
      const { sub, roles, iss, aud, exp, nbf, iat, ...rest } = claims;
      const payload: Record<string, unknown> = { ...rest };
      if (roles !== undefined) payload.roles = roles;
      const jwt = new SignJWT(payload)
        .setProtectedHeader({ alg, kid: o.kid ?? (alg === 'RS256' ? kid : `${kid}-ec`), typ: 'JWT' })
        .setIssuer(iss ?? issuer)
        .setAudience(aud ?? audience)
        .setIssuedAt(iat ?? now)
        .setExpirationTime(exp ?? now + 3600);
      if (sub !== undefined) jwt.setSubject(sub);
      if (nbf !== undefined) jwt.setNotBefore(nbf);
      return jwt.sign(alg === 'RS256' ? rsa.privateKey : ec.privateKey);
    },
  };
}

/** A token per role, subject `<role>-1` (e.g. `requester-1`). */
export async function roleTokens(idp: TestIdp): Promise<Record<'requester' | 'approver' | 'admin' | 'auditor', string>> {
  return {
    requester: await idp.signToken({ sub: 'requester-1', roles: ['requester'] }),
    approver: await idp.signToken({ sub: 'approver-1', roles: ['approver'] }),
    admin: await idp.signToken({ sub: 'admin-1', roles: ['admin'] }),
    auditor: await idp.signToken({ sub: 'auditor-1', roles: ['auditor'] }),
  };
}

/** The env entries a runtime needs to trust this IdP. */
export const idpEnv = (idp: TestIdp): Record<string, string> => ({
  JWT_ISSUER: idp.issuer,
  JWT_AUDIENCE: idp.audience,
  JWT_JWKS: JSON.stringify(idp.jwks),
});
