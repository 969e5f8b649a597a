// The ECS adapter as functions ship it: bundled by esbuild (node, cjs, minified), where CommonJS
// default imports behave differently from native ESM, and with the SDK stack trimmed
// (shared/ecs/bundle.ts). The bundle must still talk to ECS correctly, parse an XML error body
// like the unbundled adapter, and every left-out package must name itself if it is ever reached.
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcsEmulator } from '../../emulators/ecs/index.js';
import {
  assertStubbable,
  ecsSdkTrimmed,
  LEFT_OUT_MODULES,
  leftOutMessage,
  leftOutModule,
  notBundledMessage,
  UNBUNDLED_BY_ECS,
  withLazyXml2js,
  XML2JS_BESIDE,
  xml2jsBeside,
} from '../../shared/ecs/bundle.js';
import { createEcsImagePort } from '../../shared/ecs/index.js';
import { ecsAdmin, type EcsAdmin } from '../support/ecs.js';

const REGION = 'cn-hangzhou';
const OWNER = '1000000000000001';
const TARGET = '0000000000010001';
const OWNER_KEY = { accessKeyId: 'owner-ak', accessKeySecret: 'owner-secret' };

let emulator: { endpoint: string; close(): Promise<void> };
let admin: EcsAdmin;
let work: string;
let bundle: string;
/** The adapter as a function bundle holds it: xml2js in a file beside the bundle. */
let bundleWithXml2jsBeside: string;

beforeAll(async () => {
  emulator = await startEcsEmulator({ port: 0 });
  admin = ecsAdmin(emulator.endpoint);
  work = mkdtempSync(join(tmpdir(), 'ecs-adapter-bundle-'));
  const bundleAdapter = (outfile: string, opts: { xml2jsBeside?: boolean }) =>
    build({
      entryPoints: [join(import.meta.dirname, '../../shared/ecs/index.ts')],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      minify: true,
      outfile,
      logLevel: 'error',
      plugins: [ecsSdkTrimmed(opts)],
    });
  bundle = join(work, 'ecs.cjs');
  await bundleAdapter(bundle, {});
  const beside = join(work, 'function');
  mkdirSync(beside);
  bundleWithXml2jsBeside = join(beside, 'ecs.cjs');
  await bundleAdapter(bundleWithXml2jsBeside, { xml2jsBeside: true });
  writeFileSync(join(beside, XML2JS_BESIDE), await xml2jsBeside(join(import.meta.dirname, '../..')));
});

afterAll(async () => {
  await emulator?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('createEcsImagePort bundled with esbuild', () => {
  it('shares, reads back, classifies and translates errors exactly like the unbundled adapter', async () => {
    // Prepare
    await admin.reset();
    // An STS key: the bundle must send the token for the calls to pass.
    await admin.addAccount(OWNER, [{ ...OWNER_KEY, securityToken: 'sts-token' }]);
    await admin.addAccount(TARGET);
    const imageId = await admin.addImage({ ownerAccountId: OWNER, regionId: REGION, imageName: 'bundled' });
    const script = join(work, 'run.cjs');
    writeFileSync(
      script,
      `const { createEcsImagePort } = require(${JSON.stringify(bundle)});
const port = createEcsImagePort({
  ecs: { endpoint: ${JSON.stringify(emulator.endpoint)}, protocol: 'http', connectTimeoutMs: 2000, readTimeoutMs: 2000, ratePerApi: {} },
  credentials: () => (${JSON.stringify({ ...OWNER_KEY, securityToken: 'sts-token' })}),
  sleep: async () => {},
});
(async () => {
  const image = await port.getImage(${JSON.stringify(REGION)}, ${JSON.stringify(imageId)});
  await port.addShares(${JSON.stringify(REGION)}, ${JSON.stringify(imageId)}, [${JSON.stringify(TARGET)}]);
  const permissions = await port.getSharePermissions(${JSON.stringify(REGION)}, ${JSON.stringify(imageId)});
  let error;
  try { await port.deleteImage(${JSON.stringify(REGION)}, ${JSON.stringify(imageId)}, { force: false }); }
  catch (e) { error = { name: e.name, code: e.code, ecsCode: e.details.ecsCode }; }
  process.stdout.write(JSON.stringify({ kind: image.kind, imageName: image.imageName, accounts: permissions.accounts.map((a) => a.accountId), error }));
})().catch((e) => { console.error(e); process.exit(1); });
`,
    );

    // Act
    const { stdout } = await promisify(execFile)(process.execPath, [script], { cwd: work });

    // Assess
    expect(JSON.parse(stdout)).toEqual({
      kind: 'custom',
      imageName: 'bundled',
      accounts: [TARGET],
      error: { name: 'GovernorError', code: 'ImageStillShared', ecsCode: 'ImageUseShared' },
    });
  });
});

let scripts = 0;
/** Runs `script` in a fresh Node process (as FC would load the bundle) and parses what it prints. */
const run = async (script: string): Promise<unknown> => {
  const file = join(work, `script-${(scripts += 1)}.cjs`);
  writeFileSync(file, script);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { cwd: work });
  return JSON.parse(stdout);
};

/** A stand-in for ECS's gateway answering every call with the XML error body openapi-core also accepts. */
async function xmlErrorServer(): Promise<{ endpoint: string; server: Server }> {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(404, { 'content-type': 'text/xml;charset=utf-8' });
      res.end(
        "<?xml version='1.0' encoding='UTF-8'?><Error><RequestId>REQ-XML-1</RequestId><HostId>ecs.aliyuncs.com</HostId>" +
          '<Code>InvalidImageId.NotFound</Code><Message>The specified ImageId does not exist.</Message></Error>',
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { endpoint: `127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

describe('ecsSdkTrimmed', () => {
  it.each([
    ['in the bundle', () => bundle],
    ['beside the bundle', () => bundleWithXml2jsBeside],
  ])('still parses an XML error body, with xml2js %s loaded on first use, exactly like the unbundled adapter', async (_where, bundleFile) => {
    // Prepare
    const bundle = bundleFile();
    const { endpoint, server } = await xmlErrorServer();
    const options = { ecs: { endpoint, protocol: 'http' as const, connectTimeoutMs: 2000, readTimeoutMs: 2000, ratePerApi: {} }, credentials: () => OWNER_KEY, sleep: async () => {} };
    try {
      // Act
      const bundled = await run(`const { createEcsImagePort } = require(${JSON.stringify(bundle)});
const port = createEcsImagePort({ ...${JSON.stringify(options)}, credentials: () => (${JSON.stringify(OWNER_KEY)}), sleep: async () => {} });
port.deleteImage('${REGION}', 'm-missing', { force: false }).then(
  () => { console.error('deleteImage resolved'); process.exit(1); },
  (e) => process.stdout.write(JSON.stringify({ name: e.name, code: e.code, details: e.details })),
);`);
      const unbundled = await createEcsImagePort(options).deleteImage(REGION, 'm-missing', { force: false }).then(
        () => 'resolved',
        (e: { name: string; code: string; details: unknown }) => ({ name: e.name, code: e.code, details: e.details }),
      );

      // Assess
      expect(bundled).toEqual({
        name: 'GovernorError',
        code: 'ImageNotFound',
        details: { action: 'DeleteImage', regionId: REGION, ecsCode: 'InvalidImageId.NotFound', ecsStatus: 404, ecsRequestId: 'REQ-XML-1', imageId: 'm-missing' },
      });
      expect(bundled).toEqual(unbundled);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('leaves the unused packages out of the bundle and keeps xml2js', () => {
    // Act
    const text = readFileSync(bundle, 'utf8');

    // Assess: each left-out package and module only as its stub's message; their own code is gone.
    for (const pkg of Object.keys(UNBUNDLED_BY_ECS)) expect(text, pkg).toContain(notBundledMessage(pkg));
    for (const file of Object.keys(LEFT_OUT_MODULES)) expect(text, file).toContain(leftOutMessage(file));
    expect(text).not.toContain('AckRequiredTextEvent'); // openapi-core websocketUtils
    expect(text).not.toContain('ALIBABA_CLOUD_ROLE_ARN'); // the ram_role_arn and default-chain providers
    expect(text).not.toContain('__lodash_hash_undefined__'); // lodash
    expect(text).not.toContain('Invalid date'); // moment
    expect(text).not.toContain('258EAFA5-E914-47DA-95CA-C5AB0DC85B11'); // ws (the WebSocket handshake GUID)
    expect(text).not.toContain('CONNECT '); // https-proxy-agent's tunnel request
    expect(text).not.toContain('SocksClient'); // socks, under socks-proxy-agent
    expect(text).toContain('Unclosed root tag'); // sax, under xml2js
  });

  it('makes every left-out package and module name itself when reached', async () => {
    // Prepare: the entry points that lead to each left-out part.
    const entry = join(work, 'reach-stubs.js');
    writeFileSync(
      entry,
      `const dara = require('@darabonba/typescript');
const { default: Credential, Config } = require('@alicloud/credentials');
const attempt = async (f) => { try { await f(); return 'no error'; } catch (e) { return e.message; } };
(async () => {
  const request = Object.assign(new dara.Request(), { protocol: 'wss', headers: { host: 'ecs.example.com' }, pathname: '/', query: {} });
  const credential = (config) => () => new Credential(new Config(config)).getCredential();
  process.stdout.write(JSON.stringify({
    lodash: await attempt(() => dara.merge({ a: 1 }, { b: 2 })),
    moment: await attempt(() => new dara.Date('2026-01-01T00:00:00Z')),
    webSocket: await attempt(() => dara.newWebSocketClientAndConnect(request, {})),
    ramRoleArn: await attempt(credential({ type: 'ram_role_arn', accessKeyId: 'a', accessKeySecret: 's', roleArn: 'acs:ram::1:role/r' })),
    defaultChain: await attempt(() => new Credential().getCredential()),
    accessKey: await attempt(credential({ type: 'access_key', accessKeyId: 'a', accessKeySecret: 's' })),
    sts: await attempt(credential({ type: 'sts', accessKeyId: 'a', accessKeySecret: 's', securityToken: 't' })),
  }));
})();
`,
    );
    const stubs = join(work, 'reach-stubs.cjs');
    await build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', target: 'node20', outfile: stubs, logLevel: 'error', nodePaths: [join(import.meta.dirname, '../../node_modules')], plugins: [ecsSdkTrimmed()] });

    // Act
    const reached = await run(`require(${JSON.stringify(stubs)});`);

    // Assess: what is left out names itself; the two credential types the adapters use still work.
    expect(reached).toEqual({
      lodash: 'lodash is not bundled with this function (needed only for Dara merge())',
      moment: 'moment is not bundled with this function (needed only for the Dara Date class)',
      webSocket: leftOutMessage('@darabonba/typescript/dist/websocket.js'),
      ramRoleArn: leftOutMessage('@alicloud/credentials/dist/src/providers/ram_role_arn.js'),
      defaultChain: leftOutMessage('@alicloud/credentials/dist/src/providers/default.js'),
      accessKey: 'no error',
      sts: 'no error',
    });
  });

  it('keeps every name a left-out module exports, and refuses a module that exports nothing it can see', () => {
    const stub = leftOutModule('@alicloud/credentials/dist/src/providers/env.js', 'Object.defineProperty(exports, "__esModule", { value: true });\nexports.default = X;\nexports.other = Y;\n');
    expect(stub).toContain('exports["default"] = notBundled;');
    expect(stub).toContain('exports["other"] = notBundled;');
    expect(stub).not.toContain('exports["__esModule"]');
    expect(() => leftOutModule('@alicloud/credentials/dist/src/providers/env.js', 'module.exports = {};')).toThrow('does not export as expected');
  });
});

const DARA_DIST = join(import.meta.dirname, '../../node_modules/@darabonba/typescript/dist');

describe('assertStubbable', () => {
  it('accepts the installed SDK, whose files read from each left-out package only what its stub provides', () => {
    for (const [pkg, { importer }] of Object.entries(UNBUNDLED_BY_ECS)) {
      expect(() => assertStubbable(pkg, readFileSync(join(DARA_DIST, importer), 'utf8')), pkg).not.toThrow();
    }
  });

  it('refuses an importer that reads more from the package, or requires it again, instead of guessing', () => {
    const funcJs = readFileSync(join(DARA_DIST, 'func.js'), 'utf8');
    const refusal = '@darabonba/typescript func.js does not use lodash as expected (only merge): not leaving it out';
    expect(() => assertStubbable('lodash', `${funcJs}\nexports.clone = function (v) { return _.cloneDeep(v); };`)).toThrow(refusal);
    expect(() => assertStubbable('lodash', `${funcJs}\nvar get = require("lodash").get;`)).toThrow(refusal);
    expect(() => assertStubbable('lodash', funcJs.replace('var _ = __importStar(require("lodash"));', 'const _ = require("lodash");'))).toThrow(refusal);
  });
});

describe('withLazyXml2js', () => {
  const XML_JS = join(DARA_DIST, 'xml.js');

  it('moves the SDK\'s one load-time require of xml2js into getters and leaves the rest byte for byte', () => {
    // Prepare
    const source = readFileSync(XML_JS, 'utf8');
    // Act
    const lazy = withLazyXml2js(source);
    // Assess
    const required = /^var xml2js_1 = require\("xml2js"\);$/m;
    expect(source).toMatch(required);
    expect(lazy).not.toMatch(required);
    expect(lazy.replace(/^var xml2js_1 = .*$/m, '')).toBe(source.replace(required, ''));
    expect(lazy).toMatch(/^var xml2js_1 = \{ get Builder\(\) \{ return require\("xml2js"\)\.Builder; \}, get Parser\(\) \{ return require\("xml2js"\)\.Parser; \} \};$/m);
  });

  it('refuses a file of another shape instead of guessing', () => {
    const source = readFileSync(XML_JS, 'utf8');
    const refusal = '@darabonba/typescript xml.js does not have the expected shape: not deferring xml2js';
    expect(() => withLazyXml2js(source.replace('var xml2js_1 = require("xml2js");', 'const xml2js_1 = require("xml2js");'))).toThrow(refusal);
    expect(() => withLazyXml2js(`${source}\nvar y = xml2js_1.processors;`)).toThrow(refusal);
  });
});
