// The random values and the S256 code challenge of an authorization code + PKCE sign-in (RFC 7636),
// with the Web Crypto API only, so the same code runs in the browser and in the tests.

/** base64url without padding (RFC 7636 appendix A). */
export function base64url(bytes: Uint8Array): string {
  let text = '';
  for (const b of bytes) text += String.fromCharCode(b);
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** An unguessable value: 32 random bytes make a 43-character code verifier, state or nonce. */
export const randomToken = (): string => base64url(crypto.getRandomValues(new Uint8Array(32)));

/** BASE64URL(SHA-256(verifier)): what the authorization request carries as code_challenge. */
export async function codeChallenge(verifier: string): Promise<string> {
  return base64url(new Uint8Array(await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier))));
}
