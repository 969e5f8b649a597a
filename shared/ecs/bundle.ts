// Build-time trimming of the ECS adapter's SDK stack for function bundles (used by scripts/build.ts,
// never at run time). `@alicloud/openapi-core` loads `@darabonba/typescript`, whose index eagerly
// requires packages that our four RPC calls (form query, JSON response, plain HTTP(S)) never reach:
//
// - lodash: only `merge()` (func.js), which neither openapi-core, the credentials package nor the ECS
//   models call;
// - moment: only the Dara `Date` class (date.js), used by nothing we load but the local-file helper;
// - ws and the http/https/socks proxy agents: only a WebSocket connection (websocket.js), which
//   openapi-core opens for `ws`/`wss` protocols alone. The agents are built there only when a proxy
//   is configured; plain HTTP(S) calls never use them (Dara's doAction ignores proxy settings).
//
// Those are replaced by a stub that names itself if it is ever called. xml2js (with xmlbuilder and
// sax) is different: openapi-core parses an error body as XML when the server answers
// `text/xml;charset=utf-8`, which we cannot rule out, so it stays bundled but loads on first use.
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

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
  ws: { importer: 'websocket.js', members: ['default'], neededFor: 'a WebSocket API call' },
  'https-proxy-agent': { importer: 'websocket.js', members: ['default'], neededFor: 'a WebSocket call through a configured HTTPS proxy' },
  'http-proxy-agent': { importer: 'websocket.js', members: ['default'], neededFor: 'a WebSocket call through a configured HTTP proxy' },
  'socks-proxy-agent': { importer: 'websocket.js', members: ['SocksProxyAgent'], neededFor: 'a WebSocket call through a configured SOCKS5 proxy' },
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

/** esbuild plugin: bundles the ECS SDK stack without the packages listed in UNBUNDLED_BY_ECS, xml2js deferred. */
export const ecsSdkTrimmed = (): Plugin => ({
  name: 'ecs-sdk-trimmed',
  setup(b) {
    const names = Object.keys(UNBUNDLED_BY_ECS).map(escapeRegExp);
    b.onResolve({ filter: new RegExp(`^(${names.join('|')})$`) }, async (args) => {
      if (DARA_DIST.exec(args.importer)?.[1] !== UNBUNDLED_BY_ECS[args.path]!.importer) return undefined;
      assertStubbable(args.path, await readFile(args.importer, 'utf8'));
      return { path: args.path, namespace: 'not-bundled-by-ecs' };
    });
    b.onLoad({ filter: /.*/, namespace: 'not-bundled-by-ecs' }, (args) => ({ contents: stubSource(args.path), loader: 'js' }));
    b.onLoad({ filter: /[\\/]node_modules[\\/]@darabonba[\\/]typescript[\\/]dist[\\/]xml\.js$/ }, async (args) => ({
      contents: withLazyXml2js(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
});
