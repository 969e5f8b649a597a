// GET /jwks: the public key ID tokens (and, locally, access tokens) are signed with.
import type { Operation } from '../context.js';

export const jwks: Operation = (ctx) => ({ status: 200, body: { keys: [ctx.signingKey.publicJwk] } });
