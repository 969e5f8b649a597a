// What every operation of the local OpenID Provider shares: its settings, the registered clients, the
// pending authorization codes, and the shape of an answer.
import type { JWK } from 'jose';

/** Who a sign-in link signs in, by its `login_hint`. */
export interface LocalUser {
  readonly sub: string;
  readonly roles: readonly string[];
}

export interface OidcClient {
  readonly clientId: string;
  /** Exact redirect URIs; a request naming any other is refused without a redirect. */
  readonly redirectUris: readonly string[];
}

/** An issued authorization code, until it is exchanged (once) or expires. */
export interface PendingCode {
  readonly clientId: string;
  readonly redirectUri: string;
  readonly codeChallenge: string;
  readonly user: LocalUser;
  readonly scope: string;
  readonly nonce?: string;
  readonly expiresAt: number;
}

export interface ProviderContext {
  readonly issuer: string;
  /** The API audience; an `audience` asked for must be this one. */
  readonly audience: string;
  readonly users: Readonly<Record<string, LocalUser>>;
  readonly clients: Map<string, OidcClient>;
  readonly codes: Map<string, PendingCode>;
  /** The RS256 key ID tokens are signed with and /jwks publishes. */
  readonly signingKey: { readonly privateJwk: JWK; readonly publicJwk: JWK };
  /** The access token the functions accept for this user. */
  readonly signAccessToken: (user: LocalUser) => Promise<string>;
  readonly now: () => number;
}

export interface Answer {
  readonly status: number;
  readonly headers?: Readonly<Record<string, string>>;
  /** Objects are sent as JSON. */
  readonly body?: unknown;
}

export interface OidcRequest {
  readonly query: URLSearchParams;
  /** The form a POST carries (application/x-www-form-urlencoded). */
  readonly form: URLSearchParams;
}

export type Operation = (ctx: ProviderContext, req: OidcRequest) => Answer | Promise<Answer>;

/** How long an authorization code can be exchanged. */
export const CODE_TTL_MS = 60_000;

/** An OAuth error answer of the token endpoint (RFC 6749 §5.2). */
export const oauthError = (status: number, error: string, description: string): Answer => ({
  status,
  headers: { 'cache-control': 'no-store' },
  body: { error, error_description: description },
});
