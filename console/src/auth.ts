// Sign-in: OpenID Connect authorization code with PKCE (S256) against the configured provider, found
// through its discovery document. The verifier and state live in sessionStorage only for the
// round trip to the provider; the code leaves the address bar as soon as the page is back; the
// access token is kept in a variable, never stored, never put in a URL, never logged.
import { codeChallenge, randomToken } from './pkce.js';
import { SignInError, sessionFrom, type Session } from './session.js';
import type { Settings } from './types.js';

type SignIn = NonNullable<Settings['signIn']>;

interface Discovery {
  readonly issuer: string;
  readonly authorization_endpoint: string;
  readonly token_endpoint: string;
  readonly code_challenge_methods_supported?: readonly string[];
}

interface Pending {
  readonly state: string;
  readonly verifier: string;
  /** The view to come back to. */
  readonly returnTo: string;
}

const PENDING_KEY = 'isg.console.sign-in';

/** The console's own address, without query or fragment: what the provider redirects back to. */
const redirectUri = (): string => `${location.origin}${location.pathname}`;

async function discover(issuer: string): Promise<Discovery> {
  const where = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let doc: Partial<Discovery>;
  try {
    const res = await fetch(where, { credentials: 'omit', cache: 'no-store' });
    if (!res.ok) throw new Error(`it answered ${res.status}`);
    doc = (await res.json()) as Partial<Discovery>;
  } catch (err) {
    throw new SignInError(`The identity provider's discovery document ${where} could not be read (${(err as Error).message})`);
  }
  // OpenID Connect Discovery §4.3: the document must name the issuer it was asked for.
  if (doc.issuer !== issuer) throw new SignInError(`The discovery document names the issuer ${String(doc.issuer)}, not ${issuer}`);
  if (typeof doc.authorization_endpoint !== 'string' || typeof doc.token_endpoint !== 'string') throw new SignInError('The discovery document lacks its endpoints');
  if (doc.code_challenge_methods_supported && !doc.code_challenge_methods_supported.includes('S256')) {
    throw new SignInError('The identity provider does not offer PKCE with S256, which the console requires');
  }
  return doc as Discovery;
}

/** Sends the browser to the provider; `loginHint` names the user when the sign-in link carried one. */
export async function beginSignIn(signIn: SignIn, loginHint: string | null): Promise<void> {
  const provider = await discover(signIn.issuer);
  const pending: Pending = { state: randomToken(), verifier: randomToken(), returnTo: location.hash };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const to = new URL(provider.authorization_endpoint);
  const params: Record<string, string> = {
    response_type: 'code',
    client_id: signIn.clientId,
    redirect_uri: redirectUri(),
    scope: signIn.scopes.join(' '),
    state: pending.state,
    code_challenge: await codeChallenge(pending.verifier),
    code_challenge_method: 'S256',
  };
  // Which API the token is for: `audience` (Auth0 and the like), `resource` (RFC 8707), or none.
  if (signIn.audienceParameter !== 'none') params[signIn.audienceParameter] = signIn.audience;
  if (loginHint) params.login_hint = loginHint;
  for (const [k, v] of Object.entries(params)) to.searchParams.set(k, v);
  location.assign(to.href);
}

/** When this page load is the provider's answer: the code exchanged for a session. Otherwise null. */
export async function finishSignIn(signIn: SignIn, rolesClaim: string): Promise<Session | null> {
  const answer = new URLSearchParams(location.search);
  if (!answer.has('code') && !answer.has('error')) return null;
  const saved = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY);
  const pending = saved ? (JSON.parse(saved) as Pending) : null;
  // The code and the state leave the address bar (and the history) before anything else.
  history.replaceState(null, '', `${location.pathname}${pending?.returnTo ?? ''}`);
  if (!pending || answer.get('state') !== pending.state) throw new SignInError('This sign-in answer does not belong to a sign-in this page started; sign in again');
  if (answer.has('error')) {
    const description = answer.get('error_description');
    throw new SignInError(`The identity provider refused the sign-in: ${answer.get('error')}${description ? ` (${description})` : ''}`);
  }
  const provider = await discover(signIn.issuer);
  // RFC 9207: an answer naming another issuer came from another provider.
  if (answer.has('iss') && answer.get('iss') !== provider.issuer) throw new SignInError(`The sign-in answer comes from ${answer.get('iss')}, not ${provider.issuer}`);
  const res = await fetch(provider.token_endpoint, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code: answer.get('code')!, redirect_uri: redirectUri(), client_id: signIn.clientId, code_verifier: pending.verifier }),
    credentials: 'omit',
    cache: 'no-store',
  }).catch((err: Error) => {
    throw new SignInError(`The identity provider's token endpoint could not be reached (${err.message})`);
  });
  const body = (await res.json().catch(() => ({}))) as { access_token?: unknown; error?: unknown; error_description?: unknown };
  if (!res.ok || typeof body.access_token !== 'string') {
    throw new SignInError(`The identity provider issued no token: ${String(body.error ?? res.status)}${typeof body.error_description === 'string' ? ` (${body.error_description})` : ''}`);
  }
  return sessionFrom(body.access_token, rolesClaim);
}
