// The ECS adapter as functions ship it: bundled by esbuild (node, cjs, minified), where CommonJS
// default imports behave differently from native ESM. The bundle must still talk to ECS correctly.
import { build } from 'esbuild';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEcsEmulator } from '../../emulators/ecs/index.js';
import { ecsAdmin, type EcsAdmin } from '../support/ecs.js';

const REGION = 'cn-hangzhou';
const OWNER = '1000000000000001';
const TARGET = '0000000000010001';
const OWNER_KEY = { accessKeyId: 'owner-ak', accessKeySecret: 'owner-secret' };

let emulator: { endpoint: string; close(): Promise<void> };
let admin: EcsAdmin;
let work: string;
let bundle: string;

beforeAll(async () => {
  emulator = await startEcsEmulator({ port: 0 });
  admin = ecsAdmin(emulator.endpoint);
  work = mkdtempSync(join(tmpdir(), 'ecs-adapter-bundle-'));
  bundle = join(work, 'ecs.cjs');
  await build({
    entryPoints: [join(import.meta.dirname, '../../shared/ecs/index.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    minify: true,
    outfile: bundle,
    logLevel: 'error',
  });
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
