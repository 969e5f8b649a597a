// POST /token: the authorization code grant for a public client, PKCE verified (RFC 7636 §4.6). A code
// is good for one exchange within CODE_TTL_MS: it is spent by its first presentation, right or wrong.
import { createHash } from 'node:crypto';
import { SignJWT, decodeJwt, importJWK } from 'jose';
import { oauthError, type Operation } from '../context.js';

/** ID tokens are for the client to read at sign-in, not to keep. */
const ID_TOKEN_TTL_SECONDS = 300;

export const token: Operation = async (ctx, { form }) => {
  if (form.get('grant_type') !== 'authorization_code') return oauthError(400, 'unsupported_grant_type', 'only grant_type=authorization_code is supported');
  const missing = ['code', 'redirect_uri', 'client_id', 'code_verifier'].filter((p) => !form.get(p));
  if (missing.length > 0) return oauthError(400, 'invalid_request', `missing ${missing.join(', ')}`);
  const clientId = form.get('client_id')!;
  if (!ctx.clients.has(clientId)) return oauthError(401, 'invalid_client', `unknown client_id ${JSON.stringify(clientId)}`);

  const code = form.get('code')!;
  const pending = ctx.codes.get(code);
  ctx.codes.delete(code);
  if (!pending || pending.expiresAt <= ctx.now()) return oauthError(400, 'invalid_grant', 'the code is unknown, used or expired');
  if (pending.clientId !== clientId || pending.redirectUri !== form.get('redirect_uri')) {
    return oauthError(400, 'invalid_grant', 'the code was issued to another client or redirect_uri');
  }
  const challenge = createHash('sha256').update(form.get('code_verifier')!).digest('base64url');
  if (challenge !== pending.codeChallenge) return oauthError(400, 'invalid_grant', 'code_verifier does not match the code_challenge');

  const accessToken = await ctx.signAccessToken(pending.user);
  const exp = decodeJwt(accessToken).exp ?? 0;
  const now = Math.floor(ctx.now() / 1000);
  const idToken = await new SignJWT({ roles: [...pending.user.roles], ...(pending.nonce ? { nonce: pending.nonce } : {}) })
    .setProtectedHeader({ alg: 'RS256', kid: ctx.signingKey.publicJwk.kid!, typ: 'JWT' })
    .setIssuer(ctx.issuer)
    .setAudience(clientId)
    .setSubject(pending.user.sub)
    .setIssuedAt(now)
    .setExpirationTime(now + ID_TOKEN_TTL_SECONDS)
    .sign(await importJWK(ctx.signingKey.privateJwk, 'RS256'));
  return {
    status: 200,
    headers: { 'cache-control': 'no-store', pragma: 'no-cache' },
    body: { access_token: accessToken, token_type: 'Bearer', expires_in: Math.max(0, exp - now), id_token: idToken, scope: pending.scope },
  };
};
