// Every function this project deploys, listed once. The build (scripts/build.ts) bundles each entry,
// the contract generators (scripts/openapi.ts) publish the route tables, and
// test/unit/s-yaml-registry.test.ts checks that s.yaml's fc3 resources and the local FC runtime
// serve exactly these functions and routes.
import type { PublicRoute, Route } from '../shared/http/routes.js';
import type { ValidatorGroup } from '../shared/schema/profiles.js';
import { deleteGuardRoutes } from './delete-guard/routes.js';
import { CONSOLE_ROUTES } from './describe/console.js';
import { RECONCILE_SCHEMAS } from './reconcile/schemas.js';
import { describeRoutes } from './describe/routes.js';
import { shareRoutes } from './share/routes.js';
import { unshareRoutes } from './unshare/routes.js';

export interface FunctionEntry {
  /** The s.yaml resource key, the folder under functions/ and the bundle folder under dist/. */
  readonly resource: string;
  /** The FC function name. */
  readonly functionName: string;
  /** The route table of a function served by an HTTP trigger; absent for the others. */
  readonly routes?: readonly Route[];
  /** Routes it also serves without a token, outside the published contract: the console's files. */
  readonly publicRoutes?: readonly PublicRoute[];
  /**
   * Validator groups its code uses beyond the environment's and its routes' (scripts/precompile-validators.ts
   * builds exactly these into its bundle).
   */
  readonly validators?: readonly ValidatorGroup[];
}

/** Each function's entry file (functions/<resource>/index.ts → dist/<resource>/index.js) and its exports. */
export const ENTRY = { file: 'index', handler: 'index.handler', initializer: 'index.initialize' } as const;

export const FUNCTIONS: readonly FunctionEntry[] = [
  { resource: 'share', functionName: 'image-share-share', routes: shareRoutes },
  { resource: 'unshare', functionName: 'image-share-unshare', routes: unshareRoutes },
  { resource: 'describe', functionName: 'image-share-describe', routes: describeRoutes, publicRoutes: CONSOLE_ROUTES },
  { resource: 'delete-guard', functionName: 'image-share-delete-guard', routes: deleteGuardRoutes },
  { resource: 'reconcile', functionName: 'image-share-reconcile', validators: [RECONCILE_SCHEMAS] },
];

export type HttpFunctionEntry = FunctionEntry & { readonly routes: readonly Route[] };

/** The functions behind HTTP triggers, in registry order. */
export const HTTP_FUNCTIONS: readonly HttpFunctionEntry[] = FUNCTIONS.filter((f): f is HttpFunctionEntry => f.routes !== undefined);
