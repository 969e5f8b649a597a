// Which roles a token's claims grant: the one reading of the roles claim, used by the functions when
// they authorise a request and by the console when it decides what to offer. SDK-free, so the
// console's browser bundle can carry it.
import { ROLES } from '../domain/model.js';
import type { Role } from '../domain/model.js';

/** A top-level claim, or a dotted path into nested claims (e.g. Keycloak's `realm_access.roles`). */
function claimAt(payload: Readonly<Record<string, unknown>>, name: string): unknown {
  if (name in payload) return payload[name];
  let cur: unknown = payload;
  for (const part of name.split('.')) {
    if (!cur || typeof cur !== 'object' || Array.isArray(cur)) return undefined;
    cur = (cur as Record<string, unknown>)[part];
  }
  return cur;
}

/** The service's roles named by the claim (an array, or a space/comma-separated string); unknown names are ignored. */
export function rolesIn(payload: Readonly<Record<string, unknown>>, rolesClaim: string): Role[] {
  const claim = claimAt(payload, rolesClaim);
  const names = Array.isArray(claim) ? claim.filter((r): r is string => typeof r === 'string') : typeof claim === 'string' ? claim.split(/[\s,]+/) : [];
  return ROLES.filter((r) => names.includes(r));
}
