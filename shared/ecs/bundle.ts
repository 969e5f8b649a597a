// Build-time trimming of the ECS adapter's SDK stack for function bundles (used by scripts/build.ts,
// never at run time). `@alicloud/openapi-core` loads `@darabonba/typescript` and `@alicloud/credentials`,
// which eagerly load code that our RPC calls (AccessKey or STS credentials, form query, JSON response,
// plain HTTP(S)) never reach:
//
// - lodash: only `merge()` (func.js), which neither openapi-core, the credentials package nor the ECS
//   models call;
// - moment: only the Dara `Date` class (date.js), used by nothing we load but the local-file helper;
// - the WebSocket client of Dara (websocket.js, with ws and the proxy agents it alone requires) and of
//   openapi-core (websocketUtils), which only `ws`/`wss` protocols use;
// - the credential providers other than the static AccessKey and STS ones the adapters configure.
//
// The two packages are replaced by a stub that names itself if it is ever called (UNBUNDLED_BY_ECS),
// the modules by one that keeps every name they export, each a function that throws, naming what would
// need it (LEFT_OUT_MODULES). xml2js (with xmlbuilder and sax) is different: openapi-core parses an
// error body as XML when the server answers `text/xml;charset=utf-8`, which we cannot rule out, so it
// stays, loaded on first use — in a function bundle from a file of its own beside the bundle
// (XML2JS_BESIDE), so that its code is not even parsed at cold start.
import { readFile } from 'node:fs/promises';
import { build, type Plugin } from 'esbuild';

const DARA_DIST = /[\\/]node_modules[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]([^\\/]+)$/;

interface Unbundled {
  /** The only Dara file that requires the package. */
  readonly importer: string;
  /** Everything the importer reads from the required module (`default` for a default import). */
  readonly members: readonly string[];
  /** What would have to happen for the package to be needed. */
  readonly neededFor: string;
}

export const UNBUNDLED_BY_ECS: Readonly<Record<string, Unbundled>> = {
  lodash: { importer: 'func.js', members: ['merge'], neededFor: 'Dara merge()' },
  moment: { importer: 'date.js', members: ['default'], neededFor: 'the Dara Date class' },
};

/** The message a stub throws when reached. */
export const notBundledMessage = (pkg: string): string =>
  `${pkg} is not bundled with this function (needed only for ${UNBUNDLED_BY_ECS[pkg]!.neededFor})`;

function stubSource(pkg: string): string {
  const named = UNBUNDLED_BY_ECS[pkg]!.members.filter((m) => m !== 'default');
  const members = named.map((m) => `notBundled[${JSON.stringify(m)}] = notBundled;\n`).join('');
  // A function, so default imports and `new` reach the throw; named members are own enumerable
  // properties, so TypeScript's __importStar copies them.
  return `"use strict";\nfunction notBundled() { throw new Error(${JSON.stringify(notBundledMessage(pkg))}); }\n${members}module.exports = notBundled;\n`;
}

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');

/**
 * Checks that `importerSource` binds `pkg` once, at top level, and reads nothing from it beyond the
 * members the stub provides. Refuses (rather than guesses) otherwise, e.g. after an SDK upgrade.
 */
export function assertStubbable(pkg: string, importerSource: string): void {
  const binding = new RegExp(`^var (\\w+) = (?:__import(?:Star|Default)\\()?require\\("${escapeRegExp(pkg)}"\\)\\)?;$`, 'gm');
  const bindings = [...importerSource.matchAll(binding)].map((m) => m[1]!);
  const requires = importerSource.split(`require("${pkg}")`).length - 1;
  const used = bindings.length === 1 ? [...importerSource.matchAll(new RegExp(`\\b${escapeRegExp(bindings[0]!)}\\.(\\w+)`, 'g'))].map((m) => m[1]!) : [];
  const allowed = UNBUNDLED_BY_ECS[pkg]!.members;
  if (bindings.length !== 1 || requires !== 1 || used.length === 0 || used.some((m) => !allowed.includes(m))) {
    throw new Error(`@darabonba/typescript ${UNBUNDLED_BY_ECS[pkg]!.importer} does not use ${pkg} as expected (only ${allowed.join(', ')}): not leaving it out`);
  }
}

/**
 * Files of the SDK stack (under node_modules) that no call of ours reaches. openapi-core and Dara load
 * them at start-up for WebSocket APIs (websocket.js is also the only importer of ws and the proxy
 * agents, which go with it) and for credential types we never configure (the adapters hand
 * openapi-core an AccessKey, with an STS token when FC gives one).
 */
export const LEFT_OUT_MODULES: Readonly<Record<string, string>> = {
  '@darabonba/typescript/dist/websocket.js': 'a WebSocket API call',
  '@alicloud/openapi-core/dist/websocketUtils/awap.js': 'a WebSocket API call',
  '@alicloud/openapi-core/dist/websocketUtils/general.js': 'a WebSocket API call',
  '@alicloud/openapi-core/dist/websocketUtils/handler.js': 'a WebSocket API call',
  '@alicloud/openapi-core/dist/websocketUtils/client.js': 'a WebSocket API call',
  '@alicloud/credentials/dist/src/rsa_key_pair_credential.js': 'credentials of type rsa_key_pair',
  '@alicloud/credentials/dist/src/bearer_token_credential.js': 'credentials of type bearer',
  '@alicloud/credentials/dist/src/providers/ram_role_arn.js': 'credentials of type ram_role_arn',
  '@alicloud/credentials/dist/src/providers/oidc_role_arn.js': 'credentials of type oidc_role_arn',
  '@alicloud/credentials/dist/src/providers/ecs_ram_role.js': 'credentials of type ecs_ram_role',
  '@alicloud/credentials/dist/src/providers/default.js': 'the default credentials chain',
  '@alicloud/credentials/dist/src/providers/uri.js': 'credentials of type credentials_uri',
  '@alicloud/credentials/dist/src/providers/cli_profile.js': 'credentials from an aliyun CLI profile',
  '@alicloud/credentials/dist/src/providers/profile.js': 'credentials from a credentials file profile',
  '@alicloud/credentials/dist/src/providers/env.js': 'credentials from environment variables',
};

const LEFT_OUT_FILE = new RegExp(`[\\\\/]node_modules[\\\\/](${Object.keys(LEFT_OUT_MODULES).map(escapeRegExp).join('|')})$`);

/** The message a left-out module's names throw when reached. */
export const leftOutMessage = (file: string): string => `${file} is not bundled with this function (needed only for ${LEFT_OUT_MODULES[file]})`;

/**
 * A module with the names `source` exports (as TypeScript's CommonJS output writes them), each a
 * function that throws; `builder` on each too, for the providers' `X.builder()`. Refuses a file
 * that exports nothing it can see, e.g. after an SDK upgrade.
 */
export function leftOutModule(file: string, source: string): string {
  const names = new Set([...source.matchAll(/\bexports\.(\w+) = |Object\.defineProperty\(exports, "(\w+)"/g)].map((m) => (m[1] ?? m[2]) as string));
  names.delete('__esModule');
  if (names.size === 0) throw new Error(`${file} does not export as expected: not leaving it out`);
  const assignments = [...names].sort().map((name) => `exports[${JSON.stringify(name)}] = notBundled;\n`).join('');
  return `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nfunction notBundled() { throw new Error(${JSON.stringify(leftOutMessage(file))}); }\nnotBundled.builder = notBundled;\n${assignments}`;
}

const XML2JS_REQUIRE = 'var xml2js_1 = require("xml2js");';
const XML2JS_LAZY =
  'var xml2js_1 = { get Builder() { return require("xml2js").Builder; }, get Parser() { return require("xml2js").Parser; } };';

/**
 * Dara's xml.js with xml2js required on first use instead of at load. Refuses (rather than guesses)
 * when the file does not have the expected shape, e.g. after an SDK upgrade.
 */
export function withLazyXml2js(source: string): string {
  const at = source.indexOf(XML2JS_REQUIRE);
  const used = new Set([...source.matchAll(/\bxml2js_1\.(\w+)/g)].map((m) => m[1]));
  if (at < 0 || source.indexOf(XML2JS_REQUIRE, at + 1) >= 0 || [...used].some((name) => name !== 'Builder' && name !== 'Parser')) {
    throw new Error('@darabonba/typescript xml.js does not have the expected shape: not deferring xml2js');
  }
  return source.slice(0, at) + XML2JS_LAZY + source.slice(at + XML2JS_REQUIRE.length);
}

/** The file beside a function bundle that holds xml2js, xmlbuilder and sax (see xml2jsBeside). */
export const XML2JS_BESIDE = 'xml2js.js';

/**
 * esbuild plugin: bundles the ECS SDK stack without UNBUNDLED_BY_ECS and LEFT_OUT_MODULES, xml2js
 * deferred; with `xml2jsBeside`, Dara requires it from `./xml2js.js` beside the bundle instead.
 */
export const ecsSdkTrimmed = (opts: { xml2jsBeside?: boolean } = {}): Plugin => ({
  name: 'ecs-sdk-trimmed',
  setup(b) {
    if (opts.xml2jsBeside) {
      b.onResolve({ filter: /^xml2js$/ }, (args) => (DARA_DIST.exec(args.importer)?.[1] === 'xml.js' ? { path: `./${XML2JS_BESIDE}`, external: true } : undefined));
    }
    const names = Object.keys(UNBUNDLED_BY_ECS).map(escapeRegExp);
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, async (args) => {
      if (DARA_DIST.exec(args.importer)?.[1] !== UNBUNDLED_BY_ECS[args.path]!.importer) return undefined;
      assertStubbable(args.path, await readFile(args.importer, 'utf8'));
      return { path: args.path, namespace: 'not-bundled-by-ecs' };
    });
    b.onLoad({ filter: /.*/, namespace: 'not-bundled-by-ecs' }, (args) => ({ contents: stubSource(args.path), loader: 'js' }));
    b.onLoad({ filter: LEFT_OUT_FILE }, async (args) => {
      const file = LEFT_OUT_FILE.exec(args.path)![1]!.replace(/\\/g, '/');
      return { contents: leftOutModule(file, await readFile(args.path, 'utf8')), loader: 'js' };
    });
    b.onLoad({ filter: /[\\/]node_modules[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]xml\.js$/ }, async (args) => ({
      contents: withLazyXml2js(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
});

/** xml2js (with xmlbuilder and sax) as one CommonJS file: the XML2JS_BESIDE of a function bundle. */
export async function xml2jsBeside(root: string): Promise<Uint8Array> {
  const out = await build({
    stdin: { contents: 'module.exports = require("xml2js");', resolveDir: root, loader: 'js', sourcefile: 'xml2js-entry.js' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    legalComments: 'none',
    logLevel: 'silent',
    write: false,
    outfile: XML2JS_BESIDE,
  });
  return out.outputFiles[0]!.contents;
}
