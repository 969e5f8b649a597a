// GET /authorize: the authorization endpoint, without a login page. The sign-in link names the user
// as `login_hint` and the answer is at once a redirect back with a code (or with an error). A client
// or redirect URI that is not registered gets a plain 400 and no redirect (RFC 6749 §4.1.2.1).
import { randomBytes } from 'node:crypto';
import { CODE_TTL_MS, type Answer, type Operation } from '../context.js';

const CHALLENGE = /^[A-Za-z0-9_-]{43}$/;

const refused = (text: string): Answer => ({ status: 400, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: text });

export const authorize: Operation = (ctx, { query }) => {
  const clientId = query.get('client_id') ?? '';
  const redirectUri = query.get('redirect_uri') ?? '';
  const client = ctx.clients.get(clientId);
  if (!client) return refused(`unknown client_id ${JSON.stringify(clientId)}`);
  if (!client.redirectUris.includes(redirectUri)) return refused(`redirect_uri ${JSON.stringify(redirectUri)} is not registered for ${clientId}`);

  const back = (params: Record<string, string>): Answer => {
    const to = new URL(redirectUri);
    for (const [k, v] of Object.entries({ ...params, ...(query.has('state') ? { state: query.get('state')! } : {}), iss: ctx.issuer })) to.searchParams.set(k, v);
    return { status: 302, headers: { location: to.href, 'cache-control': 'no-store' } };
  };
  const error = (code: string, description: string): Answer => back({ error: code, error_description: description });

  if (query.get('response_type') !== 'code') return error('unsupported_response_type', 'only response_type=code is supported');
  const challenge = query.get('code_challenge') ?? '';
  if (query.get('code_challenge_method') !== 'S256' || !CHALLENGE.test(challenge)) {
    return error('invalid_request', 'PKCE is required: code_challenge (43 base64url characters) with code_challenge_method=S256');
  }
  const audience = query.get('audience');
  if (audience !== null && audience !== ctx.audience) return error('invalid_request', `unknown audience ${JSON.stringify(audience)}; this provider issues tokens for ${ctx.audience}`);
  const user = ctx.users[query.get('login_hint') ?? ''];
  if (!user) return error('access_denied', `this local provider signs in one of ${Object.keys(ctx.users).join(', ')}, named by login_hint`);

  const code = randomBytes(32).toString('base64url');
  const nonce = query.get('nonce');
  ctx.codes.set(code, {
    clientId,
    redirectUri,
    codeChallenge: challenge,
    user,
    scope: query.get('scope') ?? 'openid',
    ...(nonce ? { nonce } : {}),
    expiresAt: ctx.now() + CODE_TTL_MS,
  });
  return back({ code });
};
