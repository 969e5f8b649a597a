/** The allow-list of the provider's endpoints, by method and path: anything else is 404. */
import type { Operation } from '../context.js';
import { authorize } from './authorize.js';
import { discovery } from './discovery.js';
import { jwks } from './jwks.js';
import { token } from './token.js';

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['GET /.well-known/openid-configuration', discovery],
  ['GET /authorize', authorize],
  ['POST /token', token],
  ['GET /jwks', jwks],
]);
