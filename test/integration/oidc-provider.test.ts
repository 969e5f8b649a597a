// The local OpenID Provider npm start runs for the console, spoken to as a browser would: discovery,
// an authorization request with PKCE (S256), the redirect back, the code exchange; the access token it
// hands out is one the functions accept, the ID token one a client can verify from its JWKS.
import { createLocalJWKSet, exportJWK, generateKeyPair, jwtVerify } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeChallenge, randomToken } from '../../console/src/pkce.js';
import { startOidcProvider, type OidcProvider } from '../../emulators/oidc/index.js';
import { CODE_TTL_MS } from '../../emulators/oidc/context.js';
import { createAuthenticator } from '../../shared/http/auth.js';
import { createTestIdp, type TestIdp } from '../support/jwt.js';

const CLIENT = 'isg-console-local';
const REDIRECT = 'http://127.0.0.1:9000/console';
const CONSOLE_ORIGIN = 'http://127.0.0.1:9000';

describe('local OpenID Provider', () => {
  let idp: TestIdp;
  let provider: OidcProvider;
  let clock = Date.now();

  beforeAll(async () => {
    idp = await createTestIdp();
    const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
    provider = await startOidcProvider({
      audience: idp.audience,
      users: { approver: { sub: 'demo-approver', roles: ['approver'] }, auditor: { sub: 'demo-auditor', roles: ['auditor'] } },
      clients: [{ clientId: CLIENT, redirectUris: [REDIRECT] }],
      signingKey: { privateJwk: { ...(await exportJWK(privateKey)), kid: 'id-1' }, publicJwk: { ...(await exportJWK(publicKey)), kid: 'id-1', alg: 'RS256', use: 'sig' } },
      signAccessToken: (user) => idp.signToken({ sub: user.sub, roles: [...user.roles] }),
      now: () => clock,
    });
  });
  afterAll(() => provider.close());

  /** An authorization request as the console makes it; resolves with where the provider sends the browser. */
  async function authorize(params: Record<string, string>): Promise<{ status: number; location: URL | null; text: string }> {
    const url = new URL(`${provider.issuer}/authorize`);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    const res = await fetch(url, { redirect: 'manual' });
    const location = res.headers.get('location');
    return { status: res.status, location: location ? new URL(location) : null, text: await res.text() };
  }

  async function signInRequest(loginHint = 'approver', extra: Record<string, string> = {}) {
    const verifier = randomToken();
    const state = randomToken();
    const nonce = randomToken();
    const params = {
      response_type: 'code',
      client_id: CLIENT,
      redirect_uri: REDIRECT,
      scope: 'openid',
      state,
      nonce,
      code_challenge: await codeChallenge(verifier),
      code_challenge_method: 'S256',
      audience: idp.audience,
      login_hint: loginHint,
      ...extra,
    };
    return { verifier, state, nonce, params };
  }

  const exchange = (form: Record<string, string>) =>
    fetch(`${provider.issuer}/token`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: CONSOLE_ORIGIN }, body: new URLSearchParams(form) });

  it('publishes its endpoints under its issuer, to the console origin across origins', async () => {
    // Act
    const res = await fetch(`${provider.issuer}/.well-known/openid-configuration`, { headers: { origin: CONSOLE_ORIGIN } });
    // Assess
    expect(provider.issuer).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(res.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(await res.json()).toMatchObject({
      issuer: provider.issuer,
      authorization_endpoint: `${provider.issuer}/authorize`,
      token_endpoint: `${provider.issuer}/token`,
      jwks_uri: `${provider.issuer}/jwks`,
      code_challenge_methods_supported: ['S256'],
      token_endpoint_auth_methods_supported: ['none'],
    });
    const other = await fetch(`${provider.issuer}/jwks`, { headers: { origin: 'http://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('signs the login_hint user in at once: code and state back on the redirect URI, exchanged for tokens the functions accept', async () => {
    // Prepare
    const { verifier, state, nonce, params } = await signInRequest('approver');
    // Act
    const back = await authorize(params);
    const code = back.location!.searchParams.get('code')!;
    const res = await exchange({ grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT, code_verifier: verifier });
    const tokens = (await res.json()) as { access_token: string; token_type: string; expires_in: number; id_token: string; scope: string };
    // Assess: the redirect
    expect(back.status).toBe(302);
    expect(`${back.location!.origin}${back.location!.pathname}`).toBe(REDIRECT);
    expect(back.location!.searchParams.get('state')).toBe(state);
    expect(back.location!.searchParams.get('iss')).toBe(provider.issuer);
    // Assess: the token answer
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('access-control-allow-origin')).toBe(CONSOLE_ORIGIN);
    expect(tokens).toMatchObject({ token_type: 'Bearer', scope: 'openid' });
    expect(tokens.expires_in).toBeGreaterThan(3500);
    const principal = await createAuthenticator({ issuer: idp.issuer, audience: idp.audience, jwks: idp.jwks, rolesClaim: 'roles' }).authenticate(`Bearer ${tokens.access_token}`);
    expect(principal).toEqual({ id: 'demo-approver', roles: ['approver'] });
    const keys = (await (await fetch(`${provider.issuer}/jwks`)).json()) as { keys: [] };
    const { payload } = await jwtVerify(tokens.id_token, createLocalJWKSet(keys), { issuer: provider.issuer, audience: CLIENT });
    expect(payload).toMatchObject({ sub: 'demo-approver', nonce, roles: ['approver'] });
  });

  it('spends a code on its first exchange, even a failed one, and refuses an expired one', async () => {
    // Prepare
    const first = await signInRequest();
    const code = (await authorize(first.params)).location!.searchParams.get('code')!;
    const form = { grant_type: 'authorization_code', code, redirect_uri: REDIRECT, client_id: CLIENT, code_verifier: first.verifier };
    // Act + Assess: a wrong verifier fails and burns the code
    const wrong = await exchange({ ...form, code_verifier: randomToken() });
    expect([wrong.status, await wrong.json()]).toEqual([400, { error: 'invalid_grant', error_description: 'code_verifier does not match the code_challenge' }]);
    const again = await exchange(form);
    expect([again.status, await again.json()]).toEqual([400, { error: 'invalid_grant', error_description: 'the code is unknown, used or expired' }]);
    // Act + Assess: a code older than its lifetime
    const late = await signInRequest();
    const lateCode = (await authorize(late.params)).location!.searchParams.get('code')!;
    clock += CODE_TTL_MS;
    const expired = await exchange({ ...form, code: lateCode, code_verifier: late.verifier });
    expect((await expired.json()) as object).toEqual({ error: 'invalid_grant', error_description: 'the code is unknown, used or expired' });
    // Act + Assess: a code presented for another redirect URI
    const moved = await signInRequest();
    const movedCode = (await authorize(moved.params)).location!.searchParams.get('code')!;
    const elsewhere = await exchange({ ...form, code: movedCode, code_verifier: moved.verifier, redirect_uri: 'http://127.0.0.1:9000/other' });
    expect((await elsewhere.json()) as object).toMatchObject({ error: 'invalid_grant' });
  });

  it.each([
    ['no PKCE', { code_challenge: '' }, 'invalid_request'],
    ['the plain PKCE method', { code_challenge_method: 'plain' }, 'invalid_request'],
    ['another response type', { response_type: 'token' }, 'unsupported_response_type'],
    ['another audience', { audience: 'someone-else' }, 'invalid_request'],
    ['a user it does not know', { login_hint: 'root' }, 'access_denied'],
  ])('answers a request with %s by an error on the redirect URI, with the state', async (_, change, error) => {
    const { state, params } = await signInRequest();
    const back = await authorize({ ...params, ...change });
    expect(back.status).toBe(302);
    expect(back.location!.searchParams.get('error')).toBe(error);
    expect(back.location!.searchParams.get('state')).toBe(state);
    expect(back.location!.searchParams.get('code')).toBeNull();
  });

  it('never redirects to a client or redirect URI it does not know', async () => {
    const { params } = await signInRequest();
    for (const change of [{ client_id: 'other-client' }, { redirect_uri: 'http://evil.example/console' }]) {
      const res = await authorize({ ...params, ...change });
      expect(res.status).toBe(400);
      expect(res.location).toBeNull();
      expect(res.text).toMatch(/unknown client_id|is not registered/);
    }
  });

  it('refuses to listen anywhere but loopback', async () => {
    await expect(startOidcProvider({ host: '0.0.0.0', audience: 'a', users: {}, signingKey: {} as never, signAccessToken: async () => '' })).rejects.toThrow(
      'the local OpenID Provider listens on loopback only, not 0.0.0.0',
    );
  });
});
