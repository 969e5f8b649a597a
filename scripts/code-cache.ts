// A V8 code cache beside each bundle, so a new instance deserializes compiled code instead of parsing
// and compiling about 0.7 MB of JavaScript on its first request.
//
// The function's folder holds `index.js`, a loader of a dozen lines (the file FC's `index.handler`
// names), `function.js`, the bundle, and `function.js.cache`. The loader compiles the bundle with
// the cache and runs it as Node runs a CommonJS module (same wrapper, `require` relative to the
// bundle). The cache is made with every function compiled, not only those the build happened to run,
// so whichever request comes first finds its code compiled; V8 accepts it only from the same V8 build
// with the same flags (it checks both, and the source length, and silently compiles from source
// otherwise), so the build checks it in a fresh process with default flags and leaves it out when
// refused. Bundle and cache are written together into a fresh folder, never one without the other.
import { spawnSync } from 'node:child_process';
import { existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const CODE_FILE = 'function.js';
export const CACHE_FILE = `${CODE_FILE}.cache`;

/** The function's entry: loads the bundle with its code cache when there is one. */
export const LOADER = `'use strict';
// Runs ${CODE_FILE} as require would, with the V8 code cache built beside it (scripts/code-cache.ts).
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
const { Script } = require('node:vm');
const Module = require('node:module');
const file = join(__dirname, ${JSON.stringify(CODE_FILE)});
let cachedData;
try {
  cachedData = readFileSync(join(__dirname, ${JSON.stringify(CACHE_FILE)}));
} catch {
  // No cache: V8 compiles from source.
}
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData });
script.runInThisContext().call(module.exports, module.exports, Module.createRequire(file), module, file, __dirname);
`;

// Compiles every function eagerly, then restores the default flag before the cache is serialized:
// V8 stamps a cache with a hash of the flags, and only the defaults match a function's process.
const MAKE = `
const { readFileSync, writeFileSync } = require('node:fs');
const { Script } = require('node:vm');
const { setFlagsFromString } = require('node:v8');
const Module = require('node:module');
const [file, out] = process.argv.slice(1);
setFlagsFromString('--no-lazy');
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file });
setFlagsFromString('--lazy');
writeFileSync(out, script.createCachedData());
`;

const CHECK = `
const { readFileSync } = require('node:fs');
const { Script } = require('node:vm');
const Module = require('node:module');
const [file, cache] = process.argv.slice(1);
const script = new Script(Module.wrap(readFileSync(file, 'utf8')), { filename: file, cachedData: readFileSync(cache) });
process.stdout.write(script.cachedDataRejected ? 'rejected' : 'accepted');
`;

export type CodeCacheOutcome = { readonly bytes: number } | { readonly refused: string };

/** Writes the loader as `index.js` of `folder` and the cache of its bundle; the cache only if V8 takes it. */
export function writeCodeCache(folder: string, entryFile: string): CodeCacheOutcome {
  const code = join(folder, CODE_FILE);
  const cache = join(folder, CACHE_FILE);
  writeFileSync(join(folder, entryFile), LOADER);
  // Both in a clean environment: NODE_OPTIONS flags would stamp the cache with flags FC does not pass.
  const env = { PATH: process.env.PATH ?? '' };
  const made = spawnSync(process.execPath, ['-e', MAKE, code, cache], { encoding: 'utf8', env });
  if (made.status !== 0 || !existsSync(cache)) return { refused: `could not be made: ${made.stderr.trim().split('\n')[0] ?? made.status}` };
  const checked = spawnSync(process.execPath, ['-e', CHECK, code, cache], { encoding: 'utf8', env });
  if (checked.stdout !== 'accepted') {
    rmSync(cache, { force: true });
    return { refused: `refused by V8 in a fresh process (${checked.stdout || checked.stderr.trim()})` };
  }
  return { bytes: statSync(cache).size };
}
