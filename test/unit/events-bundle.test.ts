/**
 * The event modules stay off the cold path of code that does not deliver to EventBridge: the envelope
 * and the webhook sink bundle without any Alibaba Cloud SDK, and only the EventBridge sink brings
 * `@alicloud/eventbridge`. (test/unit/s-yaml.test.ts checks the real function bundles.)
 */
import { resolve } from 'node:path';
import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../..');

/** The packages a bundle of `entry` contains. */
async function bundledPackages(entry: string): Promise<string[]> {
  const result = await build({ entryPoints: [resolve(ROOT, entry)], bundle: true, platform: 'node', format: 'cjs', write: false, metafile: true, logLevel: 'silent' });
  const packages = Object.keys(result.metafile.inputs).map((input) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1]).filter((name): name is string => name !== undefined);
  return [...new Set(packages)].sort();
}

describe('event module bundles', () => {
  it('envelope: no package at all', async () => {
    expect(await bundledPackages('shared/events/envelope.ts')).toEqual([]);
  });

  it('webhook sink: Node built-ins only, no package', async () => {
    expect(await bundledPackages('shared/events/webhook.ts')).toEqual([]);
  });

  it('the sink options, the lazy sinks and the dispatcher: no package, so no SDK at cold start', async () => {
    for (const entry of ['shared/events/options.ts', 'shared/events/sinks.ts', 'shared/events/dispatcher.ts']) {
      const result = await build({ entryPoints: [resolve(ROOT, entry)], bundle: true, platform: 'node', format: 'esm', splitting: true, outdir: '/tmp/unused', write: false, metafile: true, logLevel: 'silent' });
      const eager = Object.values(result.metafile.outputs).find((output) => output.entryPoint !== undefined)!;
      expect(Object.keys(eager.inputs).filter((input) => input.includes('node_modules')), entry).toEqual([]);
    }
  });

  it('EventBridge sink: the SDK and its stack', async () => {
    const packages = await bundledPackages('shared/events/eventbridge.ts');
    expect(packages).toEqual(expect.arrayContaining(['@alicloud/eventbridge', '@alicloud/eventbridge-util', '@alicloud/tea-typescript', '@alicloud/credentials']));
  });
});
