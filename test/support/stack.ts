// The whole service on one machine for tests: both emulators on port 0, the owner account (with an
// AccessKey registered in both emulators, as the function role's keys would work for both services),
// target accounts and images registered in ECS, tables created, and the four HTTP functions wired with
// createRuntime(env) exactly as in Function Compute (credentials arrive per invocation in the context),
// and the reconcile function over the same emulators.
import { startEcsEmulator } from '../../emulators/ecs/index.js';
import { startTablestoreEmulator } from '../../emulators/tablestore/index.js';
import { deleteGuardRoutes } from '../../functions/delete-guard/routes.js';
import { describeRoutes } from '../../functions/describe/routes.js';
import { shareRoutes } from '../../functions/share/routes.js';
import { unshareRoutes } from '../../functions/unshare/routes.js';
import { createReconcileHandler, type ReconcileResult } from '../../functions/reconcile/index.js';
import type { Clock } from '../../shared/domain/ports.js';
import type { Credentials } from '../../shared/credentials.js';
import type { FcHttpHandler } from '../../shared/http/handler.js';
import { createHttpFunction } from '../../shared/http/function.js';
import type { HttpResponse } from '../../shared/http/types.js';
import { createJsonLogger, createRuntime } from '../../shared/runtime.js';
import type { Runtime } from '../../shared/runtime.js';
import { ensureTables } from '../../shared/tablestore/tables.js';
import { eventObject } from '../fixtures/events.js';
import { ecsAdmin } from './ecs.js';
import type { EcsAdmin, EcsImageSeed } from './ecs.js';
import { createTestIdp, idpEnv, roleTokens } from './jwt.js';
import type { TestIdp } from './jwt.js';
import { tablestoreAdmin, tablestoreClient } from './tablestore.js';
import type { TablestoreAdmin } from './tablestore.js';

export const STACK_OWNER = '1100000000000001';
export const STACK_REGION = 'cn-hangzhou';
export const STACK_KEYS: Credentials = { accessKeyId: 'LTAIstackowner0001', accessKeySecret: 'stack-owner-secret' };

export type FunctionName = 'share' | 'unshare' | 'describe' | 'delete-guard';

export interface StackOptions {
  /** Extra env (policy) for every function. */
  env?: Record<string, string>;
  /** Target accounts registered in ECS (only registered accounts can receive shares). */
  accounts?: readonly string[];
  /** Images registered in ECS (owner defaults to STACK_OWNER). */
  images?: readonly EcsImageSeed[];
  idp?: TestIdp;
  /** Capture log lines instead of printing them. */
  logs?: Record<string, unknown>[];
  /** How long Resource Sharing associations take to settle on the emulator clock (default 0: at once). */
  associationDelayMs?: number;
  /** Every function's clock (default the system clock). */
  clock?: Clock;
}

export interface Stack {
  readonly env: Readonly<Record<string, string>>;
  readonly idp: TestIdp;
  readonly tokens: Awaited<ReturnType<typeof roleTokens>>;
  readonly ecs: { readonly endpoint: string; readonly admin: EcsAdmin };
  readonly tablestore: { readonly endpoint: string; readonly instance: string; readonly admin: TablestoreAdmin };
  /** One FC instance per function, as in Function Compute. */
  readonly handlers: Readonly<Record<FunctionName, FcHttpHandler>>;
  readonly runtimes: Readonly<Record<FunctionName, Runtime>>;
  /** Invokes a function the way the FC HTTP trigger does (event Buffer, context with STS-like credentials). */
  invoke(fn: FunctionName, event: Buffer | object, requestId?: string): Promise<HttpResponse>;
  /** Invokes the reconcile function (one instance, built on first use) as its triggers do. */
  reconcile(event: object, requestId?: string): Promise<ReconcileResult>;
  close(): Promise<void>;
}

let invocation = 0;

/** A requester's share request for the image (no Idempotency-Key), through the share function. */
export function askToShare(stack: Pick<Stack, 'invoke' | 'tokens'>, imageId: string, accountIds: readonly string[], reason = 'test'): Promise<HttpResponse> {
  return stack.invoke(
    'share',
    eventObject('share-request', {
      token: stack.tokens.requester,
      path: `/v1/images/${STACK_REGION}/${imageId}/share-requests`,
      body: { accountIds, reason, attestation: { sensitiveDataRemoved: true } },
      headers: { 'Idempotency-Key': null },
    }),
  );
}

/** Every account a successful ModifyImageSharePermission added (of one image, if given), in call order. */
export async function ecsAddedAccounts(stack: Pick<Stack, 'ecs'>, imageId?: string): Promise<string[]> {
  return (await stack.ecs.admin.calls())
    .filter((c) => c.action === 'ModifyImageSharePermission' && c.status === 200 && (imageId === undefined || c.params.ImageId === imageId))
    .flatMap((c) => Object.entries(c.params).filter(([k]) => k.startsWith('AddAccount')).map(([, v]) => v));
}

export async function startStack(opts: StackOptions = {}): Promise<Stack> {
  // Associations settle at once: every wait of the directory adapter ends at its first poll.
  const ecs = await startEcsEmulator({ port: 0, associationDelayMs: opts.associationDelayMs ?? 0 });
  const ots = await startTablestoreEmulator({ port: 0, accessKeyId: STACK_KEYS.accessKeyId, accessKeySecret: STACK_KEYS.accessKeySecret });
  try {
    const admin = ecsAdmin(ecs.endpoint);
    await admin.addAccount(STACK_OWNER, [{ accessKeyId: STACK_KEYS.accessKeyId, accessKeySecret: STACK_KEYS.accessKeySecret }]);
    for (const accountId of opts.accounts ?? []) await admin.addAccount(accountId);
    for (const image of opts.images ?? []) await admin.addImage({ ownerAccountId: STACK_OWNER, ...image });

    const prefix = 'isg_';
    await ensureTables(tablestoreClient(ots), prefix, { pollMs: 20 });

    const idp = opts.idp ?? (await createTestIdp());
    const env: Record<string, string> = {
      REGIONS: `${STACK_REGION},cn-shanghai`,
      OWNER_ACCOUNT_ID: STACK_OWNER,
      ECS_ENDPOINT: ecs.endpoint,
      RESOURCE_SHARING_ENDPOINT: ecs.endpoint,
      RESOURCE_MANAGER_ENDPOINT: ecs.endpoint,
      STS_ENDPOINT: ecs.endpoint,
      ECS_PROTOCOL: 'http',
      ECS_RATE_PER_API: '*=1000',
      TABLESTORE_ENDPOINT: ots.endpoint,
      TABLESTORE_INSTANCE: ots.instance,
      TABLE_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      ...idpEnv(idp),
      ...opts.env,
    };
    const logger = opts.logs ? createJsonLogger('info', { write: (l) => opts.logs!.push(JSON.parse(l) as Record<string, unknown>) }) : undefined;
    const overrides = { ...(logger ? { logger } : {}), ...(opts.clock ? { clock: opts.clock } : {}) };
    const tables: Record<FunctionName, typeof shareRoutes> = {
      share: shareRoutes,
      unshare: unshareRoutes,
      describe: describeRoutes,
      'delete-guard': deleteGuardRoutes,
    };
    const runtimes = {} as Record<FunctionName, Runtime>;
    let reconciler: ReturnType<typeof createReconcileHandler> | undefined;
    const handlers = {} as Record<FunctionName, FcHttpHandler>;
    for (const [name, routes] of Object.entries(tables) as [FunctionName, typeof shareRoutes][]) {
      runtimes[name] = createRuntime(env, overrides);
      handlers[name] = createHttpFunction(routes, { runtime: () => runtimes[name] }).handler;
    }
    return {
      env,
      idp,
      tokens: await roleTokens(idp),
      ecs: { endpoint: ecs.endpoint, admin },
      tablestore: { endpoint: ots.endpoint, instance: ots.instance, admin: tablestoreAdmin(ots.endpoint) },
      handlers,
      runtimes,
      invoke(fn, event, requestId) {
        const body = Buffer.isBuffer(event) ? event : Buffer.from(JSON.stringify(event));
        return handlers[fn](body, {
          requestId: requestId ?? `stack-${++invocation}`,
          credentials: { ...STACK_KEYS, securityToken: '' },
          function: { name: `image-share-${fn}` },
          region: STACK_REGION,
          accountId: STACK_OWNER,
        });
      },
      reconcile(event, requestId) {
        reconciler ??= createReconcileHandler(env, overrides);
        return reconciler.handler(Buffer.from(JSON.stringify(event)), {
          requestId: requestId ?? `stack-${++invocation}`,
          credentials: { ...STACK_KEYS, securityToken: '' },
          function: { name: 'image-share-reconcile', timeout: 600 },
          region: STACK_REGION,
          accountId: STACK_OWNER,
        });
      },
      async close() {
        // Deliveries still running in the background record their outcomes before the store goes away.
        await Promise.allSettled(Object.values(runtimes).map((rt) => rt.events.idle()));
        await Promise.allSettled([ecs.close(), ots.close()]);
      },
    };
  } catch (e) {
    await Promise.allSettled([ecs.close(), ots.close()]);
    throw e;
  }
}
