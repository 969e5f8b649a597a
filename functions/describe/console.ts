// The console's public routes (no token: the page signs its user in, then calls the API with their
// token): the page, its settings, and its fingerprinted files. They are read from the folder the build
// puts beside this function's bundle, on the first console request only, so API requests never pay
// for them. Every answer carries a strict Content-Security-Policy: scripts and styles from this origin
// only, no inline code, no frames, nothing sent anywhere but here and the identity provider.
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Config } from '../../shared/config.js';
import { GovernorError } from '../../shared/domain/errors.js';
import { problemResponse } from '../../shared/http/problem.js';
import type { PublicRoute, PublicRouteInput } from '../../shared/http/routes.js';
import type { HttpResponse } from '../../shared/http/types.js';

interface ConsoleFile {
  readonly body: string;
  readonly type: string;
  readonly etag: string;
}

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/** What the build names an asset: `<name>-<content hash>.<js|css>`. */
const ASSET_NAME = /^[A-Za-z0-9_-]+-[A-Z0-9]{8}\.(js|css)$/;
/** A fingerprinted file never changes under its name. */
const IMMUTABLE = 'public, max-age=31536000, immutable';
/** The page names the current fingerprints: always revalidated (cheap, with its ETag). */
const REVALIDATE = 'no-cache';

/** The policy every console answer carries; `connect-src` adds the identity provider's origins. */
export function contentSecurityPolicy(config: Config): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    `connect-src ${["'self'", ...config.console.connectOrigins].join(' ')}`,
    "frame-ancestors 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    // No HTML is ever built from strings: any such sink throws instead of running what it was given.
    "require-trusted-types-for 'script'",
    "trusted-types 'none'",
  ].join('; ');
}

function headers(config: Config, requestId: string, extra: Record<string, string>): Record<string, string> {
  return {
    'content-security-policy': contentSecurityPolicy(config),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=(), usb=()',
    'x-request-id': requestId,
    ...extra,
  };
}

function readFiles(folder: string): Map<string, ConsoleFile> {
  const names = ['index.html', ...readdirSync(join(folder, 'assets')).map((n) => `assets/${n}`)];
  return new Map(
    names.map((name) => {
      const body = readFileSync(join(folder, name), 'utf8');
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
      return [name, { body, type: TYPES[extname(name)] ?? 'application/octet-stream', etag }];
    }),
  );
}

/** What the page needs to sign in and to show what the configuration allows: nothing secret. */
function settings(config: Config): unknown {
  const signIn = config.console.signIn;
  return {
    signIn: signIn
      ? { issuer: signIn.issuer, clientId: signIn.clientId, scopes: signIn.scopes, audience: config.auth.audience, audienceParameter: signIn.audienceParameter }
      : null,
    rolesClaim: config.auth.rolesClaim,
    regions: config.policy.regions,
  };
}

/** The bundle is CommonJS: __dirname is its folder (dist/describe), where the build put console/. */
const besideTheBundle = (): string => join(__dirname, 'console');

/** The console's routes; `folder` locates the built files (beside the bundle, or a test's build). */
export function consoleRoutes(folder: () => string = besideTheBundle): readonly PublicRoute[] {
  let files: Map<string, ConsoleFile> | undefined;

  async function serveFile(name: string, cacheControl: string, { headers: req, requestId, config }: PublicRouteInput): Promise<HttpResponse> {
    const file = (files ??= readFiles(folder())).get(name);
    if (!file) return problemResponse(new GovernorError('NotFound', `The console has no file ${name}`), requestId);
    const common = headers(config, requestId, { 'cache-control': cacheControl, etag: file.etag });
    if (req['if-none-match'] === file.etag) return { statusCode: 304, headers: common, body: '', isBase64Encoded: false };
    return { statusCode: 200, headers: { ...common, 'content-type': file.type }, body: file.body, isBase64Encoded: false };
  }

  return [
    { public: true, method: 'GET', path: '/console', serve: (input) => serveFile('index.html', REVALIDATE, input) },
    {
      public: true,
      method: 'GET',
      path: '/console/',
      // Relative, so a stage prefix in front of the function (API Gateway) is kept.
      serve: async ({ requestId, config }) => ({ statusCode: 308, headers: headers(config, requestId, { location: '../console' }), body: '', isBase64Encoded: false }),
    },
    {
      public: true,
      method: 'GET',
      path: '/console/settings.json',
      serve: async ({ requestId, config }) => ({
        statusCode: 200,
        headers: headers(config, requestId, { 'content-type': 'application/json', 'cache-control': 'no-store' }),
        body: JSON.stringify(settings(config)),
        isBase64Encoded: false,
      }),
    },
    {
      public: true,
      method: 'GET',
      path: '/console/assets/{file}',
      serve: (input) =>
        ASSET_NAME.test(input.params.file ?? '')
          ? serveFile(`assets/${input.params.file}`, IMMUTABLE, input)
          : Promise.resolve(problemResponse(new GovernorError('NotFound', 'No such console file'), input.requestId)),
    },
  ];
}

/** What the describe function serves: the console built beside its bundle. */
export const CONSOLE_ROUTES = consoleRoutes();
