// `npm run apigateway`: deploy/apigateway.yaml filled with one deployment's region and trigger URLs,
// from `s info -o json` (fixture shaped as the fc3 component's info command builds it) or the environment.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderForDeployment, valuesFromSInfo } from '../../scripts/apigateway.js';

const INFO_FILE = new URL('../fixtures/s-info.json', import.meta.url).pathname;
const INFO = JSON.parse(readFileSync(INFO_FILE, 'utf8')) as Record<string, { triggers?: { httpTrigger?: { urlIntranet: string; urlInternet: string } }[] }>;
const intranet = (resource: string): string => INFO[resource]!.triggers![0]!.httpTrigger!.urlIntranet;
type Op = { 'x-aliyun-apigateway-backend': { fcBaseUrl: string; fcRegionId: string; path: string } };
const backends = (yamlText: string): Record<string, { fcBaseUrl: string; fcRegionId: string }> => {
  const doc = parse(yamlText) as { paths: Record<string, Record<string, Op>> };
  return Object.fromEntries(Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([m, op]) => [`${m} ${path}`, op['x-aliyun-apigateway-backend']])));
};

describe('npm run apigateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'apigateway-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('fills every backend from s info with the function trigger intranet URL and region, and stays valid Swagger 2.0', async () => {
    // Act
    const text = renderForDeployment(['--from-s-info', INFO_FILE], {});
    // Assess
    const b = backends(text);
    expect(b['post /v1/images/{regionId}/{imageId}/share-requests']).toMatchObject({ fcBaseUrl: intranet('share'), fcRegionId: 'cn-hangzhou' });
    expect(b['post /v1/images/{regionId}/{imageId}/unshare']!.fcBaseUrl).toBe(intranet('unshare'));
    expect(b['get /v1/reconcile-runs']!.fcBaseUrl).toBe(intranet('describe'));
    expect(b['delete /v1/images/{regionId}/{imageId}/deletion']!.fcBaseUrl).toBe(intranet('delete-guard'));
    expect(text).not.toContain('${');
    await expect(SwaggerParser.validate(parse(text) as never)).resolves.toMatchObject({ swagger: '2.0' });
  });

  it('takes the public URL with --internet, and lets the environment override one value', () => {
    const values = valuesFromSInfo(INFO, { internet: true });
    expect(values.SHARE_TRIGGER_URL).toBe(INFO.share!.triggers![0]!.httpTrigger!.urlInternet);
    const text = renderForDeployment(['--from-s-info', INFO_FILE, '--internet'], { DESCRIBE_TRIGGER_URL: 'https://gw-backend.example.com', FC_REGION_ID: 'cn-shanghai' });
    const b = backends(text);
    expect(b['get /v1/images']).toEqual(expect.objectContaining({ fcBaseUrl: 'https://gw-backend.example.com', fcRegionId: 'cn-shanghai' }));
    expect(b['post /v1/images/{regionId}/{imageId}/unshare']!.fcBaseUrl).toBe(INFO.unshare!.triggers![0]!.httpTrigger!.urlInternet);
  });

  it('reads s info output that starts with the warning line s prints when run as root', () => {
    const file = join(dir, 'warned.json');
    writeFileSync(file, `[2026-12-04 01:29:30][WARN][s_cli] It is not recommended to run the command as root user.\n${JSON.stringify(INFO, null, 2)}\n`);
    expect(backends(renderForDeployment(['--from-s-info', file], {}))['get /v1/images']!.fcBaseUrl).toBe(intranet('describe'));
  });

  it('works from the environment alone', () => {
    const env = {
      FC_REGION_ID: 'cn-hangzhou',
      SHARE_TRIGGER_URL: 'https://s.example.com',
      UNSHARE_TRIGGER_URL: 'https://u.example.com',
      DESCRIBE_TRIGGER_URL: 'https://d.example.com',
      DELETE_GUARD_TRIGGER_URL: 'https://g.example.com',
    };
    expect(backends(renderForDeployment([], env))['post /v1/images/{regionId}/{imageId}/deletion']!.fcBaseUrl).toBe('https://g.example.com');
  });

  it('names every missing value, a resource s info lacks, and a URL that is not https', () => {
    expect(() => renderForDeployment([], { SHARE_TRIGGER_URL: 'https://s.example.com' })).toThrow(
      'missing FC_REGION_ID, UNSHARE_TRIGGER_URL, DESCRIBE_TRIGGER_URL, DELETE_GUARD_TRIGGER_URL',
    );
    expect(() => valuesFromSInfo({ share: INFO.share })).toThrow('the s info output has no resource "unshare"');
    expect(() => renderForDeployment(['--from-s-info', INFO_FILE], { SHARE_TRIGGER_URL: 'http://plain.example.com' })).toThrow(
      'SHARE_TRIGGER_URL must be an https URL',
    );
    expect(() => renderForDeployment(['--from-s-info', INFO_FILE], { FC_REGION_ID: 'Hangzhou!' })).toThrow('FC_REGION_ID is not a region id');
  });

  it('as a command, writes the file it names and exits 2 without writing on bad input', async () => {
    const run = (args: string[], env: Record<string, string>) =>
      new Promise<{ code: number; stderr: string }>((resolve) => {
        execFile(process.execPath, ['--import', 'tsx', 'scripts/apigateway.ts', ...args], { env: { PATH: process.env.PATH ?? '', ...env } }, (err, _out, stderr) =>
          resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stderr }),
        );
      });
    const out = join(dir, 'gateway.yaml');
    expect(await run(['--from-s-info', INFO_FILE, '--out', out], {})).toEqual({ code: 0, stderr: '' });
    expect(backends(readFileSync(out, 'utf8'))['get /v1/images']!.fcBaseUrl).toBe(intranet('describe'));
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{not json');
    const second = join(dir, 'never.yaml');
    const failed = await run(['--from-s-info', bad, '--out', second], {});
    expect(failed.code).toBe(2);
    expect(failed.stderr).toMatch(/^error: cannot read .*bad\.json as JSON/);
    expect(() => readFileSync(second)).toThrow();
  });
});
