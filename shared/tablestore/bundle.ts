// Build-time trimming of the `tablestore` SDK for function bundles (used by scripts/build.ts, never
// at run time). The SDK's compiled protobuf module holds three packages: `main` (the table API),
// `filter` (conditions and filters) and `search` (the search-index API, about 60% of the module).
// This adapter never calls the search API, yet every function paid for loading it at cold start.
// The plugin keeps `main` and `filter` byte for byte and replaces `search` with an object that throws
// a clear error if any search message is ever touched (the SDK only reads them inside its search
// encoders and decoders, never at load).
import { readFile } from 'node:fs/promises';
import type { Plugin } from 'esbuild';

export const COMPILED_PROTO = /[\\/]tablestore[\\/]lib[\\/]protocol[\\/]tablestore_compiled_proto\.js$/;

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

/** esbuild plugin: bundles the SDK's compiled proto without the search package. */
export const tablestoreWithoutSearch = (): Plugin => ({
  name: 'tablestore-without-search',
  setup(b) {
    b.onLoad({ filter: COMPILED_PROTO }, async (args) => ({
      contents: withoutSearchProto(await readFile(args.path, 'utf8')),
      loader: 'js',
    }));
  },
});
