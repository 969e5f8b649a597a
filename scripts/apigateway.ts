// `npm run apigateway -- [--from-s-info FILE] [--internet] [--out FILE]`: deploy/apigateway.yaml
// with a deployment's values, ready for API Gateway's Swagger import (default out: dist/apigateway.yaml).
//
// Values come from `s info -o json > FILE` (each HTTP function's region and trigger URL; the
// trigger's intranet URL unless --internet) and/or the environment: FC_REGION_ID and
// <RESOURCE>_TRIGGER_URL (SHARE_TRIGGER_URL, ...), which win over the file. A value missing or not
// an https URL stops the script before anything is written.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify } from 'yaml';
import { optionValue } from '../emulators/fc/cli.js';
import { HTTP_FUNCTIONS } from '../functions/registry.js';
import { REGION_ID_PATTERN } from '../shared/http/schemas.js';
import { REGION_VARIABLE, buildApiGateway, triggerUrlVariable, type GatewayBackends } from './openapi.js';

type Env = Readonly<Record<string, string | undefined>>;

export class UsageError extends Error {
  override name = 'UsageError';
}

const isRecord = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);

/**
 * What `s info -o json` prints for this project: one entry per resource, as the fc3 component's
 * info command builds it (`region`, `triggers[]` with the FC API's `httpTrigger.urlInternet` /
 * `urlIntranet`). Returns the variables it yields.
 */
export function valuesFromSInfo(info: unknown, opts: { internet?: boolean } = {}): Record<string, string> {
  if (!isRecord(info)) throw new UsageError('the s info output is not a JSON object');
  const out: Record<string, string> = {};
  for (const fn of HTTP_FUNCTIONS) {
    const entry = info[fn.resource];
    if (!isRecord(entry)) throw new UsageError(`the s info output has no resource "${fn.resource}" (run \`npx s info -o json\` in the project folder)`);
    if (typeof entry.region === 'string') out[REGION_VARIABLE] ??= entry.region;
    const triggers = Array.isArray(entry.triggers) ? entry.triggers : [];
    const http = triggers.find((t): t is Record<string, unknown> => isRecord(t) && t.triggerType === 'http');
    const urls = http && isRecord(http.httpTrigger) ? http.httpTrigger : {};
    const url = opts.internet ? urls.urlInternet : urls.urlIntranet;
    if (typeof url === 'string') out[triggerUrlVariable(fn.resource)] = url;
  }
  return out;
}

function httpsUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`${name} is not a URL: ${JSON.stringify(value)}`);
  }
  if (url.protocol !== 'https:' || url.search || url.hash || url.username) throw new UsageError(`${name} must be an https URL without query or credentials, got ${value}`);
  return value;
}

/** The backends from the collected values; every variable must be set and well formed. */
export function backendsFrom(values: Env): GatewayBackends {
  const names = [REGION_VARIABLE, ...HTTP_FUNCTIONS.map((f) => triggerUrlVariable(f.resource))];
  const missing = names.filter((n) => !values[n]?.trim());
  if (missing.length) throw new UsageError(`missing ${missing.join(', ')} (pass --from-s-info FILE or set them in the environment)`);
  const regionId = values[REGION_VARIABLE]!.trim();
  if (!new RegExp(REGION_ID_PATTERN).test(regionId)) throw new UsageError(`${REGION_VARIABLE} is not a region id: ${regionId}`);
  const triggerUrls = Object.fromEntries(HTTP_FUNCTIONS.map((f) => [f.resource, httpsUrl(triggerUrlVariable(f.resource), values[triggerUrlVariable(f.resource)]!.trim())]));
  return { regionId, triggerUrls };
}

/** The filled document's YAML, from command-line arguments and the environment. */
export function renderForDeployment(args: readonly string[], env: Env): string {
  const infoFile = optionValue(args, '--from-s-info');
  let fromInfo: Record<string, string> = {};
  if (infoFile !== undefined) {
    let info: unknown;
    try {
      // `s` prints a warning line before the document when run as root: the document starts at the first "{" line.
      const text = readFileSync(infoFile, 'utf8');
      info = JSON.parse(text.slice(Math.max(0, text.search(/^\{/m))));
    } catch (err) {
      throw new UsageError(`cannot read ${infoFile} as JSON: ${(err as Error).message}`);
    }
    fromInfo = valuesFromSInfo(info, { internet: args.includes('--internet') });
  }
  const fromEnv = Object.fromEntries(Object.entries(env).filter(([k, v]) => v?.trim() && (k === REGION_VARIABLE || k.endsWith('_TRIGGER_URL'))));
  const doc = buildApiGateway(backendsFrom({ ...fromInfo, ...fromEnv }));
  return `# deploy/apigateway.yaml filled for one deployment by \`npm run apigateway\`; import it into API Gateway.\n${stringify(doc, { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  try {
    const out = resolve(optionValue(args, '--out') ?? 'dist/apigateway.yaml');
    const text = renderForDeployment(args, process.env);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, text);
    process.stdout.write(`wrote ${out}\n`);
  } catch (err) {
    process.stderr.write(`error: ${(err as Error).message}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
