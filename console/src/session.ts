// Who is signed in, read from the access token the API will verify: its subject, its roles (read as
// the functions read them) and its expiry. The token is held in memory only. The console reads the
// token, it does not trust it: the API checks every call, the page only leaves out what would fail.
import { rolesIn } from '../../shared/http/claims.js';
import type { Role } from '../../shared/domain/model.js';

export interface Session {
  readonly token: string;
  readonly subject: string;
  readonly roles: readonly Role[];
  /** Epoch ms; Infinity for a token without `exp` (the API refuses those anyway). */
  readonly expiresAt: number;
}

export class SignInError extends Error {
  override name = 'SignInError';
}

function payloadOf(token: string): Record<string, unknown> {
  const part = token.split('.')[1];
  if (token.split('.').length !== 3 || !part) throw new SignInError('The identity provider issued an access token that is not a JWT; the API needs one (check CONSOLE_SCOPES and CONSOLE_AUDIENCE_PARAMETER)');
  const binary = atob(part.replace(/-/g, '+').replace(/_/g, '/'));
  const payload: unknown = JSON.parse(new TextDecoder().decode(Uint8Array.from(binary, (c) => c.charCodeAt(0))));
  if (!payload || typeof payload !== 'object' || Array.isArray(payload)) throw new SignInError('The access token carries no claims');
  return payload as Record<string, unknown>;
}

export function sessionFrom(token: string, rolesClaim: string): Session {
  const payload = payloadOf(token);
  return {
    token,
    subject: typeof payload.sub === 'string' ? payload.sub : '',
    roles: rolesIn(payload, rolesClaim),
    expiresAt: typeof payload.exp === 'number' ? payload.exp * 1000 : Infinity,
  };
}

/** Whether the session's roles include one the operation allows (per the route tables). */
export const may = (session: Session, operationRoles: Readonly<Record<string, readonly string[]>>, operationId: string): boolean =>
  (operationRoles[operationId] ?? []).some((r) => session.roles.includes(r as Role));
