// Build-time trimming of the `tablestore` SDK for function bundles (used by scripts/build.ts, never
// at run time). The SDK's compiled protobuf module holds three packages: `main` (the table API),
// `filter` (conditions and filters) and `search` (the search-index API, about 60% of the module),
// and its decoder loads a flatbuffers reader for SQL query results. A function calls seven row
// operations (STORE_OPERATIONS), yet paid for loading all of it at cold start. The plugin
//
// - replaces `search` with an object that throws a clear error if any search message is touched (the
//   SDK only reads them inside its search encoders and decoders, never at load);
// - keeps, of `main`, the messages of the operations the functions call and every message those refer
//   to, byte for byte, and answers any other name with the same kind of error;
// - keeps `filter` whole (conditions are built from it at load);
// - replaces the SQL result reader (flatbuffers and the SDK's generated SQL schema) with stubs that
//   throw if a SQL result is ever decoded.
//
// Each step refuses (the build fails) rather than guesses when the SDK's files do not have the shape
// it expects, e.g. after an SDK upgrade.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { Plugin } from 'esbuild';
import { STORE_OPERATIONS } from './sdk.js';

export const COMPILED_PROTO = /[\\/]tablestore[\\/]lib[\\/]protocol[\\/]tablestore_compiled_proto\.js$/;
const SDK_DECODER = /[\\/]tablestore[\\/]lib[\\/]protocol[\\/]decoder\.js$/;

const SEARCH_START = '\n$root.search = (function() {';
const MODULE_END = '\nmodule.exports = $root;';
const SEARCH_STUB = `
$root.search = { proto: new Proxy({}, { get: function (_target, name) {
    if (typeof name === "symbol") return undefined;
    throw new Error("The Tablestore search API is not bundled with this function (asked for search.proto." + String(name) + ")");
} }) };
`;

/**
 * The compiled proto without its `search` package. Refuses (rather than guesses) when the file does
 * not have the expected shape, e.g. after an SDK upgrade, or when the kept part refers to `search`.
 */
export function withoutSearchProto(source: string): string {
  const start = source.indexOf(SEARCH_START);
  const end = source.indexOf(MODULE_END);
  const kept = start >= 0 ? source.slice(0, start) : '';
  if (start < 0 || end < start || source.indexOf(SEARCH_START, start + 1) >= 0 || /\$root\.search\b/.test(kept)) {
    throw new Error('tablestore_compiled_proto.js does not have the expected shape: not trimming its search package');
  }
  return `${kept}${SEARCH_STUB}${source.slice(end)}`;
}

const MESSAGE_START = /^ {8}proto\.(\w+) = \(function\(\) \{$/;
const MESSAGE_END = '        })();';
const MAIN_START = '$root.main = (function() {';
const MAIN_RETURN = '        return proto;';
const MAIN_STUB = `        return new Proxy(proto, { get: function (target, name) {
            if (typeof name === "symbol" || Object.prototype.hasOwnProperty.call(target, name)) return target[name];
            throw new Error("This Tablestore message is not bundled with this function (asked for main.proto." + String(name) + ")");
        } });`;

/** The messages of `main` the SDK's encoder and decoder name for an operation (`GetRow` → its request and response). */
const messagesOf = (operation: string): string[] => [`${operation}Request`, `${operation}Response`];

/**
 * Names the SDK's encoder and decoder read from `main` besides requests and responses, with the
 * operations that read them. A name missing here stops the trimming, so an SDK upgrade that starts
 * reading a new one is noticed instead of trimmed away.
 */
const OTHER_MESSAGES: Readonly<Record<string, string>> = {
  Direction: 'GetRange',
  IndexMeta: 'CreateIndex',
  IndexSyncPhase: 'DescribeTable',
  SQLPayloadVersion: 'SQLQuery',
};

/**
 * The compiled proto whose `main` package keeps only what `operations` need: their requests and
 * responses, what the SDK reads for them, and every message those refer to (`$root.main.proto.X`).
 * `sdkCode` is the SDK's encoder and decoder, which say which messages exist for which operation.
 */
export function withMessagesFor(source: string, operations: readonly string[], sdkCode: string): string {
  const unexpected = (why: string): Error => new Error(`tablestore_compiled_proto.js does not have the expected shape (${why}): not trimming its main package`);
  const lines = source.split('\n');
  const mainAt = lines.indexOf(MAIN_START);
  const returnAt = lines.indexOf(MAIN_RETURN, mainAt);
  if (mainAt < 0 || returnAt < 0) throw unexpected('no main package');
  const blocks = new Map<string, { start: number; end: number }>();
  for (let i = mainAt; i < returnAt; i++) {
    const name = MESSAGE_START.exec(lines[i] as string)?.[1];
    if (!name) continue;
    const end = lines.indexOf(MESSAGE_END, i);
    if (end < 0 || end > returnAt || blocks.has(name)) throw unexpected(`message ${name}`);
    blocks.set(name, { start: i, end });
    i = end;
  }
  const named = new Set([...sdkCode.matchAll(/\btsProtos\.(\w+)/g)].map((m) => m[1] as string));
  const wanted = new Set<string>(['Error']);
  for (const name of named) {
    const operation = /^(\w+?)(?:Request|Response)$/.exec(name)?.[1] ?? OTHER_MESSAGES[name];
    if (operation === undefined) throw unexpected(`the SDK reads main.proto.${name}, which is not known here`);
    if (operations.includes(operation)) wanted.add(name);
  }
  for (const operation of operations) for (const name of messagesOf(operation)) if (!named.has(name)) throw unexpected(`no ${name}`);
  // Everything a kept message refers to is kept too.
  const kept = new Set<string>();
  const queue = [...wanted];
  while (queue.length > 0) {
    const name = queue.pop() as string;
    if (kept.has(name)) continue;
    const block = blocks.get(name);
    if (!block) throw unexpected(`no message ${name}`);
    kept.add(name);
    const text = lines.slice(block.start, block.end + 1).join('\n');
    for (const m of text.matchAll(/\$root\.main\.proto\.(\w+)/g)) queue.push(m[1] as string);
  }
  const dropped = new Set<number>();
  for (const [name, block] of blocks) if (!kept.has(name)) for (let i = block.start; i <= block.end; i++) dropped.add(i);
  const out = lines.filter((_, i) => !dropped.has(i));
  out[out.indexOf(MAIN_RETURN)] = MAIN_STUB;
  return out.join('\n');
}

const SQL_NOT_BUNDLED = 'function notBundled() { throw new Error("Tablestore SQL query results are not bundled with this function"); }';
const SQL_ENUMS = /^var (DataType|DataTypeName) = \{[^}]*\};$/gm;

/**
 * The SDK's generated SQL schema (sql_generated.js) reduced to what is read at load: its two enums,
 * verbatim (sql.js publishes them); the flatbuffers readers throw when a SQL result is decoded.
 */
export function sqlSchemaStub(source: string): string {
  const enums = [...source.matchAll(SQL_ENUMS)];
  if (enums.map((m) => m[1]).join() !== 'DataType,DataTypeName') {
    throw new Error('tablestore sql_generated.js does not have the expected shape: not leaving its SQL readers out');
  }
  return `"use strict";\n${SQL_NOT_BUNDLED}\n${enums.map((m) => m[0]).join('\n')}\nexports.DataType = DataType;\nexports.DataTypeName = DataTypeName;\nexports.SQLResponseColumns = notBundled;\n`;
}

/** What the decoder reads of flatbuffers at load. */
const FLATBUFFERS_STUB = `"use strict";\n${SQL_NOT_BUNDLED}\nmodule.exports = { flatbuffers: notBundled };\n`;
const SQL_SCHEMA = /[\\/]tablestore[\\/]lib[\\/]protocol[\\/]sql_generated\.js$/;

/** esbuild plugin: bundles the tablestore SDK with the protocol of `operations` only, and no SQL reader. */
export const tablestoreTrimmed = (operations: readonly string[] = STORE_OPERATIONS): Plugin => ({
  name: 'tablestore-trimmed',
  setup(b) {
    b.onResolve({ filter: /^flatbuffers$/ }, (args) => (SDK_DECODER.test(args.importer) ? { path: 'flatbuffers', namespace: 'tablestore-sql-stub' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'tablestore-sql-stub' }, () => ({ contents: FLATBUFFERS_STUB, loader: 'js' }));
    b.onLoad({ filter: SQL_SCHEMA }, async (args) => ({ contents: sqlSchemaStub(await readFile(args.path, 'utf8')), loader: 'js' }));
    b.onLoad({ filter: COMPILED_PROTO }, async (args) => {
      const require = createRequire(args.path);
      const sdkCode = (await Promise.all(['./encoder.js', './decoder.js'].map((f) => readFile(require.resolve(f), 'utf8')))).join('\n');
      return { contents: withMessagesFor(withoutSearchProto(await readFile(args.path, 'utf8')), operations, sdkCode), loader: 'js' };
    });
  },
});
