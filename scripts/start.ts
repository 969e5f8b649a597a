// `npm start -- [--port 9000] [--json] [--timers cron|off|every:30s] [--data-dir .data]
//               [--ecs-port P] [--tablestore-port P] [--eventbridge-port P] [--event-format http-trigger|apigateway] [--no-build]`
// The whole system on one machine: builds the bundles, starts the ECS and Tablestore emulators
// (Tablestore data kept under .data/ across restarts), creates the tables, seeds a demo world, mints
// a signing key (kept under .data/ so tokens survive restarts) and a token per role, starts a local
// OpenID Provider for the console (emulators/oidc) and runs every function of s.yaml on one local
// origin. Audit events go to the signed webhook that WEBHOOK_URL and WEBHOOK_SECRET name, or else to
// an EventBridge emulator started here. `--json` prints exactly one line once ready:
//   {"url":...,"tokens":{requester,approver,admin,auditor},"console":{<role>: <sign-in link>},"ecs":{...},
//    "tablestore":{...},"eventbridge":{...},"ownerAccountId":...,"regions":[...]}
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SignJWT, exportJWK, generateKeyPair, importJWK, type JWK } from 'jose';
import { startEcsEmulator } from '../emulators/ecs/index.js';
import { startEventBridgeEmulator } from '../emulators/eventbridge/index.js';
import { startTablestoreEmulator, CorruptDataError } from '../emulators/tablestore/index.js';
import { startFcRuntime, type FcRuntime, type HealthCheck, type TimerMode } from '../emulators/fc/runtime.js';
import { optionValue, parseEventFormat, parseTimerMode, portOption } from '../emulators/fc/cli.js';
import type { HttpEventFormat } from '../emulators/fc/http-event.js';
import { startOidcProvider, type LocalUser } from '../emulators/oidc/index.js';
import { ConfigError } from '../shared/environment.js';
import { checkWebhook, type WebhookSettings } from '../shared/events/options.js';
import { createSdkClient, type SdkClient } from '../shared/tablestore/sdk.js';
import { indexOpenRequests } from '../shared/tablestore/open-index.js';
import { ensureTables, missingTables } from '../shared/tablestore/tables.js';
import { createTablestoreStore } from '../shared/tablestore/store.js';
import { buildFunctions } from './build.js';
import {
  DEMO_DIRECTORY,
  DEMO_IMAGES,
  DEMO_OUT_OF_BAND_RESOURCE_SHARE,
  DEMO_OUT_OF_BAND_SHARE,
  DEMO_OWNER_ACCOUNT_ID,
  DEMO_REGIONS,
  DEMO_TARGETS,
  seedDemo,
} from './demo-seed.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const LOCAL_ISSUER = 'https://idp.local.image-share-governor/';
export const LOCAL_AUDIENCE = 'image-share-governor';
const TABLE_PREFIX = 'isg_';
/** The bus the local EventBridge emulator is started with, when no webhook is configured. */
export const LOCAL_EVENT_BUS = 'isg-events';
const ROLES = ['requester', 'approver', 'admin', 'auditor'] as const;
type RoleName = (typeof ROLES)[number];
/** The console's client at the local OpenID Provider. */
const LOCAL_CONSOLE_CLIENT = 'isg-console-local';
/** Who a printed token, or a sign-in link, stands for. */
const demoUser = (role: RoleName): LocalUser => ({ sub: `demo-${role}`, roles: [role] });

export interface StackOptions {
  /** FC runtime port (default 9000; 0 = any free port). */
  readonly port?: number;
  readonly ecsPort?: number;
  readonly tablestorePort?: number;
  readonly eventbridgePort?: number;
  /** The signed webhook the functions publish to (npm start reads WEBHOOK_URL and WEBHOOK_SECRET); without it, the EventBridge emulator. */
  readonly webhook?: WebhookSettings;
  /** Where Tablestore data, the signing key and the role keys live (default <repo>/.data). */
  readonly dataDir?: string;
  readonly timers?: TimerMode;
  /** How requests reach the HTTP functions: their HTTP triggers (default) or API Gateway's event-function events. */
  readonly eventFormat?: HttpEventFormat;
  /** Build the bundles first (default true). */
  readonly build?: boolean;
  /** Function output (default stderr). */
  readonly log?: (functionName: string, line: string) => void;
  /** Extra deployer environment that s.yaml's `${env()}` reads (after the local defaults), e.g. RECONCILE_MODE. */
  readonly env?: Readonly<Record<string, string>>;
}

export interface Stack {
  readonly url: string;
  readonly tokens: Readonly<Record<RoleName, string>>;
  /** One sign-in link per role: the console, signing in through the local OpenID Provider. */
  readonly console: Readonly<Record<RoleName, string>>;
  readonly ecs: { readonly service: 'ecs'; readonly endpoint: string };
  readonly tablestore: { readonly service: 'tablestore'; readonly endpoint: string; readonly instance: string; readonly accessKeyId: string; readonly accessKeySecret: string };
  /** The EventBridge emulator's ready line, when it is the sink (no webhook configured). */
  readonly eventbridge?: {
    readonly service: 'eventbridge';
    readonly endpoint: string;
    readonly accountId: string;
    readonly accessKeyId: string;
    readonly accessKeySecret: string;
    readonly buses: readonly string[];
  };
  /** Where the webhook sink delivers (its origin), when one is configured. */
  readonly webhookTarget?: string;
  readonly ownerAccountId: string;
  readonly regions: readonly string[];
  readonly runtime: FcRuntime;
  /** Where Tablestore data and the keys are kept. */
  readonly dataDir: string;
  /** Signs a token for any subject and roles with the local key. */
  signToken(sub: string, roles: readonly string[]): Promise<string>;
  close(): Promise<void>;
}

export class StartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'StartError';
  }
}

function readJson<T>(file: string, what: string): T | undefined {
  if (!existsSync(file)) return undefined;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as T;
  } catch (err) {
    throw new StartError(`${what} at ${file} is unreadable (${(err as Error).message}); delete it to make a new one`);
  }
}

/** The local identity provider's RS256 key, created once and kept so issued tokens stay valid. */
async function signingKey(dataDir: string): Promise<{ privateJwk: JWK; publicJwk: JWK }> {
  const file = join(dataDir, 'signing-key.json');
  const saved = readJson<{ privateJwk: JWK; publicJwk: JWK }>(file, 'the signing key');
  if (saved?.privateJwk?.d && saved.publicJwk?.n) return saved;
  const { privateKey, publicKey } = await generateKeyPair('RS256', { extractable: true });
  const kid = `local-${randomBytes(4).toString('hex')}`;
  const key = {
    privateJwk: { ...(await exportJWK(privateKey)), kid, alg: 'RS256' },
    publicJwk: { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' },
  };
  writeFileSync(file, JSON.stringify(key), { mode: 0o600 });
  return key;
}

/** The functions' role keys (STS-shaped), kept so the persisted setup stays consistent. */
function roleKeys(dataDir: string): { accessKeyId: string; accessKeySecret: string; securityToken: string } {
  const file = join(dataDir, 'role-keys.json');
  const saved = readJson<{ accessKeyId: string; accessKeySecret: string; securityToken: string }>(file, 'the local role keys');
  if (saved?.accessKeyId && saved.accessKeySecret && saved.securityToken) return saved;
  const keys = {
    accessKeyId: `STS.local${randomBytes(8).toString('hex')}`,
    accessKeySecret: randomBytes(18).toString('base64url'),
    securityToken: randomBytes(32).toString('base64url'),
  };
  writeFileSync(file, JSON.stringify(keys), { mode: 0o600 });
  return keys;
}

function portInUse(err: unknown, what: string, port: number | undefined): never {
  const e = err as NodeJS.ErrnoException;
  const option = { 'FC runtime': 'port', 'ECS emulator': 'ecs-port', 'Tablestore emulator': 'tablestore-port', 'EventBridge emulator': 'eventbridge-port' }[what] ?? 'port';
  if (e?.code === 'EADDRINUSE') throw new StartError(`port ${port} for the ${what} is already in use; pick another (--${option} P, 0 = any free port)`);
  throw err;
}

/** Fails fast on a taken port, before the build and the emulators; listening later still decides. */
async function checkPortFree(port: number | undefined, what: string): Promise<void> {
  if (!port) return;
  const probe = createServer();
  await new Promise<void>((resolveProbe, reject) => {
    probe.once('error', reject);
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolveProbe()));
  }).catch((e: unknown) => portInUse(e, what, port));
}

/** How long a /healthz check waits for an emulator. */
const HEALTH_TIMEOUT_MS = 2000;

async function ecsHealth(endpoint: string): Promise<HealthCheck> {
  try {
    const res = await fetch(`http://${endpoint}/__emulator/state`, { signal: AbortSignal.timeout(HEALTH_TIMEOUT_MS) });
    await res.body?.cancel();
    return res.ok ? { ok: true } : { ok: false, detail: `the ECS emulator answered ${res.status}` };
  } catch (err) {
    return { ok: false, detail: `the ECS emulator does not answer (${(err as Error).message})` };
  }
}

async function tablestoreHealth(client: SdkClient): Promise<HealthCheck> {
  try {
    const missing = await missingTables(client, TABLE_PREFIX);
    return missing.length === 0 ? { ok: true } : { ok: false, detail: `tables missing: ${missing.join(', ')}` };
  } catch (err) {
    return { ok: false, detail: `the Tablestore emulator does not list its tables (${(err as Error).message})` };
  }
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  const dataDir = resolve(opts.dataDir ?? join(ROOT, '.data'));
  try {
    mkdirSync(dataDir, { recursive: true });
  } catch (err) {
    throw new StartError(`cannot use ${dataDir} as the data folder (${(err as Error).message}); pick another with --data-dir`);
  }
  const closers: (() => Promise<void>)[] = [];
  const closeAll = async (): Promise<void> => {
    for (const c of closers.splice(0).reverse()) await c().catch(() => undefined);
  };
  try {
    await checkPortFree(opts.port ?? 9000, 'FC runtime');
    await checkPortFree(opts.ecsPort, 'ECS emulator');
    await checkPortFree(opts.tablestorePort, 'Tablestore emulator');
    await checkPortFree(opts.eventbridgePort, 'EventBridge emulator');
    // The functions would refuse a bad webhook at their first request; say so now, before anything starts.
    const webhook = opts.webhook ? checkedWebhook(opts.webhook) : undefined;
    if (opts.build !== false) await buildFunctions({ root: ROOT });
    const role = roleKeys(dataDir);

    const ecsServer = await startEcsEmulator({ port: opts.ecsPort ?? 0 }).catch((e) => portInUse(e, 'ECS emulator', opts.ecsPort));
    closers.push(() => ecsServer.close());
    const tsServer = await startTablestoreEmulator({
      port: opts.tablestorePort ?? 0,
      dataDir: join(dataDir, 'tablestore'),
      instance: 'local',
      accessKeyId: role.accessKeyId,
      accessKeySecret: role.accessKeySecret,
    }).catch((e: unknown) => {
      if (e instanceof CorruptDataError) throw new StartError(`the Tablestore data in ${join(dataDir, 'tablestore')} is corrupt (${e.message}); move that folder away (or delete it) to start fresh`);
      if (e instanceof Error && e.message.includes('is in use by process')) throw new StartError(`${e.message} Is another npm start running? Stop it, or use another --data-dir.`);
      return portInUse(e, 'Tablestore emulator', opts.tablestorePort);
    });
    closers.push(() => tsServer.close());

    // Without a webhook, the events go to a local EventBridge bus that accepts the functions' role keys.
    const ebServer = webhook
      ? undefined
      : await startEventBridgeEmulator({ port: opts.eventbridgePort ?? 0, buses: [LOCAL_EVENT_BUS], accountId: DEMO_OWNER_ACCOUNT_ID, key: role }).catch((e) =>
          portInUse(e, 'EventBridge emulator', opts.eventbridgePort),
        );
    if (ebServer) closers.push(() => ebServer.close());

    const client = createSdkClient({ endpoint: tsServer.endpoint, instance: tsServer.instance, credentials: role, requestTimeoutMs: HEALTH_TIMEOUT_MS });
    // As `npm run tables:create` does: a data folder an earlier version wrote gets the current tables, TTLs and open-request index.
    await ensureTables(client, TABLE_PREFIX, { pollMs: 50 });
    await indexOpenRequests(client, TABLE_PREFIX);
    const store = createTablestoreStore({ endpoint: tsServer.endpoint, instance: tsServer.instance, tablePrefix: TABLE_PREFIX, credentials: () => role });
    await seedDemo(ecsServer.endpoint, role, store);

    const key = await signingKey(dataDir);
    const privateKey = await importJWK(key.privateJwk, 'RS256');
    const signToken = (sub: string, roles: readonly string[]): Promise<string> =>
      new SignJWT({ roles: [...roles] })
        .setProtectedHeader({ alg: 'RS256', kid: key.publicJwk.kid!, typ: 'JWT' })
        .setIssuer(LOCAL_ISSUER)
        .setAudience(LOCAL_AUDIENCE)
        .setSubject(sub)
        .setIssuedAt()
        .setExpirationTime('12h')
        .sign(privateKey);
    const tokens = Object.fromEntries(await Promise.all(ROLES.map(async (r) => [r, await signToken(demoUser(r).sub, demoUser(r).roles)] as const))) as Record<RoleName, string>;
    // The console signs in against this local provider: one user per role, the same key and tokens.
    const oidc = await startOidcProvider({
      audience: LOCAL_AUDIENCE,
      users: Object.fromEntries(ROLES.map((r) => [r, demoUser(r)])),
      signingKey: key,
      signAccessToken: (user) => signToken(user.sub, user.roles),
    });
    closers.push(() => oidc.close());

    // What `s deploy` would read from the deployer's environment, with local values.
    const local: Record<string, string> = {
      FC_ROLE_ARN: `acs:ram::${DEMO_OWNER_ACCOUNT_ID}:role/image-share-governor-local`,
      REGIONS: DEMO_REGIONS.join(','),
      OWNER_ACCOUNT_ID: DEMO_OWNER_ACCOUNT_ID,
      APPROVAL_REQUIRED: 'true',
      ECS_ENDPOINT: ecsServer.endpoint,
      // The ECS emulator answers the directory channel's products (Resource Sharing, Resource Manager, STS) too.
      RESOURCE_SHARING_ENDPOINT: ecsServer.endpoint,
      RESOURCE_MANAGER_ENDPOINT: ecsServer.endpoint,
      STS_ENDPOINT: ecsServer.endpoint,
      ECS_PROTOCOL: 'http',
      TABLESTORE_ENDPOINT: tsServer.endpoint,
      TABLESTORE_INSTANCE: tsServer.instance,
      // The tables made above, whatever TABLE_PREFIX the shell may export for a deployment.
      TABLE_PREFIX,
      JWT_ISSUER: LOCAL_ISSUER,
      JWT_AUDIENCE: LOCAL_AUDIENCE,
      JWT_JWKS: JSON.stringify({ keys: [key.publicJwk] }),
      JWT_JWKS_URL: '',
      CONSOLE_CLIENT_ID: LOCAL_CONSOLE_CLIENT,
      CONSOLE_ISSUER: oidc.issuer,
      // One sink or the other, whatever a shell exports for a deployment.
      WEBHOOK_URL: webhook?.url ?? '',
      WEBHOOK_SECRET: webhook?.secret ?? '',
      EVENTBRIDGE_ENDPOINT: ebServer?.endpoint ?? '',
      EVENTBRIDGE_BUS: ebServer ? LOCAL_EVENT_BUS : '',
      EVENTBRIDGE_PROTOCOL: ebServer ? 'http' : '',
      ...opts.env,
    };
    const runtime = await startFcRuntime({
      specFile: join(ROOT, 's.yaml'),
      specEnv: { ...process.env, ...local },
      // The functions get what s.yaml renders from `local`, as `s deploy` would, plus where the
      // reconciler sends its async invocations: only known once the runtime listens.
      envOverrides: ({ url }) => ({ RECONCILE_FC_ENDPOINT: url }),
      port: opts.port ?? 9000,
      accountId: DEMO_OWNER_ACCOUNT_ID,
      roleCredentials: role,
      timers: opts.timers ?? 'cron',
      health: async () => ({ ecs: await ecsHealth(ecsServer.endpoint), tablestore: await tablestoreHealth(client) }),
      ...(opts.eventFormat ? { httpEventFormat: opts.eventFormat } : {}),
      ...(opts.log ? { log: opts.log } : {}),
    }).catch((e) => portInUse(e, 'FC runtime', opts.port ?? 9000));
    closers.push(() => runtime.close());
    const consolePage = `${runtime.url}/console`;
    oidc.registerClient({ clientId: LOCAL_CONSOLE_CLIENT, redirectUris: [consolePage, consolePage.replace('//127.0.0.1:', '//localhost:')] });

    return {
      url: runtime.url,
      tokens,
      console: Object.fromEntries(ROLES.map((r) => [r, `${consolePage}?login_hint=${r}`])) as Record<RoleName, string>,
      ecs: { service: 'ecs', endpoint: ecsServer.endpoint },
      tablestore: { service: 'tablestore', endpoint: tsServer.endpoint, instance: tsServer.instance, accessKeyId: tsServer.accessKeyId, accessKeySecret: tsServer.accessKeySecret },
      ...(ebServer
        ? {
            eventbridge: {
              service: 'eventbridge' as const,
              endpoint: ebServer.endpoint,
              accountId: ebServer.accountId,
              accessKeyId: ebServer.accessKeyId,
              accessKeySecret: ebServer.accessKeySecret,
              buses: [LOCAL_EVENT_BUS],
            },
          }
        : {}),
      ...(webhook ? { webhookTarget: webhook.target } : {}),
      ownerAccountId: DEMO_OWNER_ACCOUNT_ID,
      regions: [...DEMO_REGIONS],
      runtime,
      dataDir,
      signToken,
      close: closeAll,
    };
  } catch (err) {
    await closeAll();
    throw err;
  }
}

function checkedWebhook(settings: WebhookSettings): ReturnType<typeof checkWebhook> {
  if (!settings.secret) throw new StartError('WEBHOOK_SECRET is required with WEBHOOK_URL');
  try {
    return checkWebhook(settings);
  } catch (err) {
    if (err instanceof ConfigError) throw new StartError(err.message);
    throw err;
  }
}

/** Where the demo's audit events go (a banner line). */
function eventsLine(s: Pick<Stack, 'eventbridge' | 'webhookTarget'>): string {
  return s.eventbridge
    ? `  EventBridge emulator http://${s.eventbridge.endpoint}   (bus ${LOCAL_EVENT_BUS} gets every audit event; WEBHOOK_URL and WEBHOOK_SECRET send them to a webhook instead)`
    : `  events              signed webhook to ${s.webhookTarget} (WEBHOOK_URL)`;
}

/** Reads the request id out of a share request's answer (node is there wherever npm start runs). */
const REQUEST_ID_OF = `node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).request.requestId'`;

/**
 * The shell lines the banner prints, to paste as they are: the exports, then a tour of the API.
 * test/e2e/stack.test.ts runs exactly these lines in bash.
 */
export function shellSession(s: Pick<Stack, 'url' | 'tokens' | 'eventbridge'>): string[] {
  const first = DEMO_IMAGES[0]!;
  const second = DEMO_IMAGES[1]!;
  const img = `${first.regionId}/${first.imageId}`;
  const partner = DEMO_TARGETS.partner;
  const folder = DEMO_DIRECTORY.folders.prod;
  const json = `-H 'Content-Type: application/json'`;
  return [
    `export URL=${s.url}`,
    ...Object.entries(s.tokens).map(([r, v]) => `export ${r.toUpperCase()}=${v}`),
    '',
    `# ask to share (waits for approval), keeping the request's id`,
    `REQUEST_ID=$(curl -s -X POST $URL/v1/images/${img}/share-requests -H "Authorization: Bearer $REQUESTER" ${json} \\`,
    `  -d '{"accountIds":["${partner}"],"reason":"partner rollout","attestation":{"sensitiveDataRemoved":true}}' | ${REQUEST_ID_OF}); echo $REQUEST_ID`,
    `# the approval queue, then approve`,
    `curl -s "$URL/v1/share-requests?status=pending_approval" -H "Authorization: Bearer $APPROVER"`,
    `curl -s -X POST $URL/v1/share-requests/$REQUEST_ID/approve -H "Authorization: Bearer $APPROVER" ${json} -d '{"comment":"ok"}'`,
    `# live view of one image: shares, drift, quota`,
    `curl -s $URL/v1/images/${img} -H "Authorization: Bearer $AUDITOR"`,
    `# revoke`,
    `curl -s -X POST $URL/v1/images/${img}/unshare -H "Authorization: Bearer $REQUESTER" ${json} -d '{"accountIds":["${partner}"],"reason":"rollout done"}'`,
    `# share with the prod folder of the resource directory (its web member two levels down sees the image), approve, look`,
    `FOLDER_REQUEST=$(curl -s -X POST $URL/v1/images/${img}/share-requests -H "Authorization: Bearer $REQUESTER" ${json} \\`,
    `  -d '{"directoryTargets":["${folder}"],"reason":"platform rollout","attestation":{"sensitiveDataRemoved":true}}' | ${REQUEST_ID_OF}); echo $FOLDER_REQUEST`,
    `curl -s -X POST $URL/v1/share-requests/$FOLDER_REQUEST/approve -H "Authorization: Bearer $APPROVER" ${json} -d '{"comment":"ok"}'`,
    `curl -s $URL/v1/images/${img} -H "Authorization: Bearer $AUDITOR"`,
    `# run the reconciler now (it finds the out-of-band share of ${DEMO_OUT_OF_BAND_SHARE.imageId}, per account and through a resource share), then read its report`,
    `curl -s -X POST $URL/__emulator/timers/image-share-reconcile/every-10m`,
    `curl -s "$URL/v1/reconcile-runs?limit=5" -H "Authorization: Bearer $AUDITOR"`,
    `# drain and delete an image (${second.imageName})`,
    `curl -s -X POST $URL/v1/images/${second.regionId}/${second.imageId}/deletion -H "Authorization: Bearer $ADMIN" ${json} -d '{"mode":"drain","reason":"retired"}'`,
    ...(s.eventbridge ? [`# every audit event so far, as the CloudEvents the local EventBridge bus received`, `curl -s http://${s.eventbridge.endpoint}/__emulator/events`] : []),
    `# event deliveries that failed for good (status=retrying: those still being retried)`,
    `curl -s "$URL/v1/deliveries?status=failed" -H "Authorization: Bearer $AUDITOR"`,
  ];
}

function banner(s: Stack): string {
  return [
    '',
    `image-share-governor is running at ${s.url}`,
    '',
    `  ECS emulator        http://${s.ecs.endpoint}   (admin: /__emulator/state)`,
    `  Tablestore emulator ${s.tablestore.endpoint}   (instance ${s.tablestore.instance}, data in ${relative(process.cwd(), join(s.dataDir, 'tablestore')) || '.'})`,
    eventsLine(s),
    `  owner account       ${s.ownerAccountId}   regions ${s.regions.join(', ')}`,
    `  health              ${s.url}/healthz`,
    ...DEMO_IMAGES.map((i, n) => `  ${n === 0 ? 'demo images' : ''}`.padEnd(22) + `${i.regionId.padEnd(12)} ${i.imageId}  ${i.note}`),
    `  target accounts     ${Object.values(DEMO_TARGETS).join(', ')}`,
    `  resource directory  ${DEMO_DIRECTORY.directoryId}: prod ${DEMO_DIRECTORY.folders.prod} › web ${DEMO_DIRECTORY.folders.web} (member ${DEMO_DIRECTORY.members.web}); lab ${DEMO_DIRECTORY.folders.lab} (member ${DEMO_DIRECTORY.members.lab})`,
    `  resource share      ${DEMO_OUT_OF_BAND_RESOURCE_SHARE.name} (made outside the service): ${DEMO_OUT_OF_BAND_RESOURCE_SHARE.imageId} → ${DEMO_OUT_OF_BAND_RESOURCE_SHARE.target}`,
    '',
    'Console: open one sign-in link per role (local sign-in, no password):',
    ...Object.entries(s.console).map(([r, link]) => `  ${r.padEnd(10)} ${link}`),
    '',
    `Paste into a shell (tokens valid 12 h; signing key kept in ${relative(process.cwd(), join(s.dataDir, 'signing-key.json'))}), then try the API:`,
    '',
    ...shellSession(s).map((line) => (line === '' ? '' : `  ${line}`)),
    '',
    'Ctrl-C (or SIGTERM) stops everything; a second Ctrl-C quits at once.',
    '',
  ].join('\n');
}

interface StartOptions {
  readonly json: boolean;
  readonly stack: StackOptions;
}

const FLAGS = new Set(['--json', '--no-build']);
const VALUED = new Set(['--port', '--timers', '--data-dir', '--ecs-port', '--tablestore-port', '--eventbridge-port', '--event-format']);

/** The command line, checked whole: an unknown option or a stray word is an error, not ignored. */
export function parseStartOptions(args: readonly string[]): StartOptions {
  try {
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (VALUED.has(a)) i += 1;
      else if (!FLAGS.has(a)) throw new Error(`unknown ${a.startsWith('--') ? 'option' : 'argument'} ${a}; known: ${[...VALUED, ...FLAGS].join(', ')}`);
    }
    const timers = optionValue(args, '--timers');
    const eventFormat = optionValue(args, '--event-format');
    const dataDir = optionValue(args, '--data-dir');
    const port = portOption(args, '--port');
    const ecsPort = portOption(args, '--ecs-port');
    const tablestorePort = portOption(args, '--tablestore-port');
    const eventbridgePort = portOption(args, '--eventbridge-port');
    return {
      json: args.includes('--json'),
      stack: {
        ...(port !== undefined ? { port } : {}),
        ...(ecsPort !== undefined ? { ecsPort } : {}),
        ...(tablestorePort !== undefined ? { tablestorePort } : {}),
        ...(eventbridgePort !== undefined ? { eventbridgePort } : {}),
        ...(dataDir !== undefined ? { dataDir } : {}),
        ...(timers !== undefined ? { timers: parseTimerMode(timers) } : {}),
        ...(eventFormat !== undefined ? { eventFormat: parseEventFormat(eventFormat) } : {}),
        build: !args.includes('--no-build'),
      },
    };
  } catch (err) {
    throw new StartError((err as Error).message);
  }
}

async function main(): Promise<void> {
  const { json, stack: options } = parseStartOptions(process.argv.slice(2));
  if (!json) process.stderr.write('building and starting…\n');
  const webhookUrl = process.env.WEBHOOK_URL?.trim();
  const starting = startStack({
    ...options,
    ...(webhookUrl ? { webhook: { url: webhookUrl, secret: process.env.WEBHOOK_SECRET ?? '' } } : {}),
    // Function logs go to stderr so stdout carries only the banner (or the one JSON line).
    log: (fn, line) => process.stderr.write(`[${fn}] ${line}\n`),
  });
  // Listening before anything is up: a signal during the start stops what the start brought up.
  onStopSignals({
    stop: async () => {
      if (!json) process.stderr.write('stopping… (Ctrl-C again to quit at once)\n');
      await (await starting.catch(() => undefined))?.close();
    },
    exit: (code) => process.exit(code),
    warn: (text) => process.stderr.write(`${text}\n`),
  });
  const stack = await starting;
  if (json) {
    process.stdout.write(
      `${JSON.stringify({
        url: stack.url,
        tokens: stack.tokens,
        console: stack.console,
        ecs: stack.ecs,
        tablestore: stack.tablestore,
        ...(stack.eventbridge ? { eventbridge: stack.eventbridge } : {}),
        ownerAccountId: stack.ownerAccountId,
        regions: stack.regions,
      })}\n`,
    );
  } else {
    process.stdout.write(banner(stack));
  }
}

/** A terminal's Ctrl-C reaches this process twice, a few ms apart: from the terminal, and forwarded by npm. */
export const SAME_SIGNAL_MS = 300;

export interface StopSignalOptions {
  /** The graceful stop: servers closed, ports and the data lock released. */
  readonly stop: () => Promise<void>;
  readonly exit: (code: number) => void;
  readonly warn: (text: string) => void;
  readonly signals?: Pick<NodeJS.EventEmitter, 'on'>;
  readonly now?: () => number;
}

/**
 * SIGINT or SIGTERM stops everything and exits 0 (1 if the stop failed); a second signal, while the
 * stop runs, exits at once with 128 + the signal number. A repeat within SAME_SIGNAL_MS of the first
 * is the same Ctrl-C delivered twice, not a second one.
 */
export function onStopSignals(opts: StopSignalOptions): void {
  const signals = opts.signals ?? process;
  const now = opts.now ?? Date.now;
  let firstAt: number | undefined;
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (firstAt === undefined) {
      firstAt = now();
      opts.stop().then(
        () => opts.exit(0),
        (err: Error) => {
          opts.warn(`error while stopping: ${err.message}`);
          opts.exit(1);
        },
      );
      return;
    }
    if (now() - firstAt < SAME_SIGNAL_MS) return;
    opts.warn(`${signal} again: quitting without waiting for the stop`);
    opts.exit(128 + (signal === 'SIGINT' ? 2 : 15));
  };
  signals.on('SIGINT', () => onSignal('SIGINT'));
  signals.on('SIGTERM', () => onSignal('SIGTERM'));
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err: Error) => {
    process.stderr.write(`npm start: ${err instanceof StartError ? err.message : (err.stack ?? err.message)}\n`);
    process.exit(1);
  });
}
