// The store adapter bundled the way functions are, with the SDK trimmed to the protocol of the row
// operations it calls (shared/tablestore/bundle.ts): the whole StorePort contract must still hold
// through the real SDK against the emulator, what was left out must fail loudly, naming itself, and
// the bundle must be much smaller.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import * as domainErrors from '../../shared/domain/errors.js';
import { sqlSchemaStub, tablestoreTrimmed, withMessagesFor, withoutSearchProto } from '../../shared/tablestore/bundle.js';
import { createSdkClient } from '../../shared/tablestore/sdk.js';
import { ensureTables } from '../../shared/tablestore/tables.js';
import type { SdkClient } from '../../shared/tablestore/sdk.js';
import { storeContract } from '../contract/store-contract.js';
import { storeOnEmulator, type StoreFactories } from '../support/tablestore.js';

const ROOT = path.resolve(import.meta.dirname, '../..');
const outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'tablestore-bundle-'));
// What a function bundle holds of the adapter. The tables are created with the unbundled SDK, as
// `npm run tables:create` does: no function creates tables.
const ENTRY = [
  "export { createTablestoreStore } from './shared/tablestore/store.js';",
  "export { createSdkClient } from './shared/tablestore/sdk.js';",
].join('\n');

// In a function bundle the domain and the adapter share one copy of the error classes; here the
// contract checks `instanceof` against the test's own copy, so the bundle borrows it.
const ERRORS_SHIM = path.join(outDir, 'domain-errors.cjs');
fs.writeFileSync(ERRORS_SHIM, 'module.exports = globalThis.__storeBundleDomainErrors;\n');
(globalThis as Record<string, unknown>).__storeBundleDomainErrors = domainErrors;
const shareDomainErrors: Plugin = {
  name: 'share-domain-errors',
  setup(b) {
    b.onResolve({ filter: /[\\/]domain[\\/]errors\.js$/ }, () => ({ path: ERRORS_SHIM, external: true }));
  },
};

async function bundle(name: string, extra: Plugin[]): Promise<string> {
  const plugins = [shareDomainErrors, ...extra];
  const outfile = path.join(outDir, name, 'index.js');
  await build({
    stdin: { contents: ENTRY, resolveDir: ROOT, loader: 'ts', sourcefile: 'store-entry.ts' },
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    minify: true,
    logLevel: 'silent',
    outfile,
    plugins,
  });
  fs.writeFileSync(path.join(outDir, name, 'package.json'), '{"type":"commonjs"}\n');
  return outfile;
}

let trimmed: Promise<string> | undefined;
const trimmedBundle = (): Promise<string> => (trimmed ??= bundle('trimmed', [tablestoreTrimmed()]));
type Bundled = Pick<StoreFactories, 'createTablestoreStore' | 'createSdkClient'>;
const loadBundle = async (): Promise<Bundled> => createRequire(import.meta.url)(await trimmedBundle()) as Bundled;
const load = async (): Promise<StoreFactories> => {
  const bundled = await loadBundle();
  return { createTablestoreStore: bundled.createTablestoreStore, createSdkClient, ensureTables };
};

afterAll(() => {
  fs.rmSync(outDir, { recursive: true, force: true });
});

storeContract('TablestoreStore bundled with the trimmed SDK', async () => storeOnEmulator(await load()));

describe('tablestoreTrimmed', () => {
  it('fails a search call loudly, naming the missing part', async () => {
    const sdk = await loadBundle();
    const client = sdk.createSdkClient({ endpoint: 'http://127.0.0.1:9', instance: 'local', credentials: { accessKeyId: 'a', accessKeySecret: 's' } }) as SdkClient & {
      search(params: unknown): Promise<unknown>;
    };
    const attempt = Promise.resolve().then(() => client.search({ tableName: 't', indexName: 'i', searchQuery: { offset: 0, limit: 1, query: { queryType: 1, query: {} } } }));
    await expect(attempt).rejects.toThrow('The Tablestore search API is not bundled with this function (asked for search.proto.');
  });

  it('fails a call of an operation it left out loudly, naming the missing message', async () => {
    const sdk = await loadBundle();
    const client = sdk.createSdkClient({ endpoint: 'http://127.0.0.1:9', instance: 'local', credentials: { accessKeyId: 'a', accessKeySecret: 's' } }) as SdkClient & {
      listTable(params: unknown): Promise<unknown>;
    };
    await expect(Promise.resolve().then(() => client.listTable({}))).rejects.toThrow(
      'This Tablestore message is not bundled with this function (asked for main.proto.ListTableRequest)',
    );
  });

  it('drops most of the compiled proto and the SQL reader from the bundle', async () => {
    const untrimmed = await bundle('untrimmed', []);
    const saved = fs.statSync(untrimmed).size - fs.statSync(await trimmedBundle()).size;
    expect(saved).toBeGreaterThan(450 * 1024);
    const text = fs.readFileSync(await trimmedBundle(), 'utf8');
    expect(text).toContain('Tablestore SQL query results are not bundled with this function');
    expect(text).not.toContain('ListTableRequest.encode');
  });

  it("keeps the SQL schema's two enums verbatim and nothing else of it, or refuses a schema of another shape", () => {
    const source = fs.readFileSync(path.join(ROOT, 'node_modules/tablestore/lib/protocol/sql_generated.js'), 'utf8');
    const stub = sqlSchemaStub(source);
    const loaded = new Function('exports', stub) as (exports: Record<string, unknown>) => void;
    const exported: Record<string, unknown> = {};
    loaded(exported);
    expect(exported.DataType).toEqual({ NONE: 0, LONG: 1, BOOLEAN: 2, DOUBLE: 3, STRING: 4, BINARY: 5, STRING_RLE: 6 });
    expect((exported.DataTypeName as Record<number, string>)[6]).toBe('STRING_RLE');
    expect(() => (exported.SQLResponseColumns as () => void)()).toThrow('Tablestore SQL query results are not bundled with this function');
    expect(stub.length).toBeLessThan(source.length / 20);
    expect(() => sqlSchemaStub(source.replace('var DataTypeName = {', 'var TypeNames = {'))).toThrow('does not have the expected shape');
  });

  it("keeps a kept message's references, and refuses to trim when the SDK names a message it does not know", () => {
    const proto = [
      '$root.main = (function() {',
      '        var proto = {};',
      '        proto.Error = (function() {',
      '            return 1;',
      '        })();',
      '        proto.GetRowRequest = (function() {',
      '            $root.main.proto.Condition.encode();',
      '        })();',
      '        proto.GetRowResponse = (function() {',
      '        })();',
      '        proto.Condition = (function() {',
      '        })();',
      '        proto.ListTableRequest = (function() {',
      '        })();',
      '        return proto;',
      '})();',
    ].join('\n');
    const code = 'tsProtos.GetRowRequest tsProtos.GetRowResponse tsProtos.ListTableRequest';
    const trimmedProto = withMessagesFor(proto, ['GetRow'], code);
    expect(trimmedProto).toContain('proto.Condition = (function() {');
    expect(trimmedProto).not.toContain('proto.ListTableRequest');
    expect(trimmedProto).toContain('new Proxy(proto');
    expect(() => withMessagesFor(proto, ['GetRow'], `${code} tsProtos.Surprise`)).toThrow('the SDK reads main.proto.Surprise, which is not known here');
    expect(() => withMessagesFor(proto, ['PutRow'], code)).toThrow('no PutRowRequest');
  });

  it('refuses to trim a file of another shape instead of guessing', () => {
    const reshaped = 'var $root = {};\n$root.main = {};\n$root.main.x = $root.search;\n$root.search = (function() {\n})();\nmodule.exports = $root;\n';
    expect(() => withoutSearchProto(reshaped)).toThrow('tablestore_compiled_proto.js does not have the expected shape: not trimming its search package');
    expect(() => withoutSearchProto('module.exports = {};\n')).toThrow('does not have the expected shape');
  });
});
