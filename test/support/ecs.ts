/**
 * Typed client for the ECS emulator's admin routes (see emulators/ecs/README.md), for tests and
 * local tooling. `endpoint` is the emulator's `host:port` as returned by startEcsEmulator.
 * Also builds real ECS SDK clients pointed at the emulator.
 */
import { createRequire } from 'node:module';
import type * as EcsSdkModule from '@alicloud/ecs20140526';
import type * as OpenApiCoreModule from '@alicloud/openapi-core';
import type * as DaraModule from '@darabonba/typescript';
import type { CallRecord, ImageBody, ImagePatchBody, StateBody, ThrottleBody } from '../../emulators/ecs/admin.js';
import type { ResourceDirectoryBody, ResourceShareBody, ResourceSharingSettingsBody, RoleBody } from '../../emulators/ecs/admin-directory.js';
import type { FaultInput } from '../../emulators/ecs/faults.js';
import { rpcParams } from '../../shared/alicloud/openapi.js';
import { GovernorError } from '../../shared/domain/errors.js';
import { AdminCallError, adminCaller, faultMethods } from './admin.js';

export interface EcsAccessKey {
  accessKeyId: string;
  accessKeySecret: string;
  /** Makes it an STS key: requests must then carry exactly this token. */
  securityToken?: string;
}

export type EcsImageSeed = ImageBody;
export type EcsImagePatch = ImagePatchBody;
export type EcsFault = FaultInput;
export type EcsThrottle = ThrottleBody;
export type EcsEmulatorState = StateBody;
export type EcsCallRecord = CallRecord;
export type ResourceDirectorySeed = ResourceDirectoryBody;
export type ResourceShareSeed = ResourceShareBody;
export type ResourceSharingSettings = ResourceSharingSettingsBody;
export type RoleSeed = RoleBody;

export class EcsAdminError extends AdminCallError {}

export interface EcsAdmin {
  addAccount(accountId: string, accessKeys?: EcsAccessKey[]): Promise<void>;
  /** Returns the image id (generated unless given). */
  addImage(image: EcsImageSeed): Promise<string>;
  patchImage(regionId: string, imageId: string, patch: EcsImagePatch): Promise<void>;
  /** A share made outside the governed API, as the console would. */
  shareOutOfBand(regionId: string, imageId: string, accountId: string): Promise<void>;
  unshareOutOfBand(regionId: string, imageId: string, accountId: string): Promise<void>;
  /** Returns the fault id. */
  addFault(fault: EcsFault): Promise<string>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
  setThrottle(throttle: EcsThrottle): Promise<void>;
  clearThrottle(): Promise<void>;
  state(): Promise<EcsEmulatorState>;
  calls(): Promise<EcsCallRecord[]>;
  reset(): Promise<void>;
  /** Sets up (or replaces) the resource directory; returns its root folder id. */
  putResourceDirectory(directory: ResourceDirectorySeed): Promise<string>;
  /** Moves a member to another folder (null: the root). */
  moveMember(accountId: string, folderId: string | null): Promise<void>;
  removeMember(accountId: string): Promise<void>;
  /** A resource share made outside the governed API, its associations settled at once; returns its id. */
  addResourceShare(share: ResourceShareSeed): Promise<string>;
  configureResourceSharing(settings: ResourceSharingSettings): Promise<void>;
  /** Returns the role ARN. */
  addRole(role: RoleSeed): Promise<string>;
}

export function ecsAdmin(endpoint: string): EcsAdmin {
  const call = adminCaller(`http://${endpoint}/__emulator`, EcsAdminError);

  return {
    async addAccount(accountId, accessKeys = []) {
      await call('POST', '/accounts', { accountId, accessKeys });
    },
    async addImage(image) {
      return ((await call('POST', '/images', image)) as { imageId: string }).imageId;
    },
    async patchImage(regionId, imageId, patch) {
      await call('PATCH', `/images/${encodeURIComponent(regionId)}/${encodeURIComponent(imageId)}`, patch);
    },
    async shareOutOfBand(regionId, imageId, accountId) {
      await call('POST', '/shares', { regionId, imageId, accountId });
    },
    async unshareOutOfBand(regionId, imageId, accountId) {
      await call('DELETE', '/shares', { regionId, imageId, accountId });
    },
    ...faultMethods<EcsFault>(call),
    async setThrottle(throttle) {
      await call('PUT', '/throttle', throttle);
    },
    async clearThrottle() {
      await call('DELETE', '/throttle');
    },
    async state() {
      return (await call('GET', '/state')) as EcsEmulatorState;
    },
    async calls() {
      return (await call('GET', '/calls')) as EcsCallRecord[];
    },
    async reset() {
      await call('POST', '/reset');
    },
    async putResourceDirectory(directory) {
      return ((await call('POST', '/resource-directory', directory)) as { rootFolderId: string }).rootFolderId;
    },
    async moveMember(accountId, folderId) {
      await call('PATCH', `/resource-directory/members/${encodeURIComponent(accountId)}`, { folderId });
    },
    async removeMember(accountId) {
      await call('DELETE', `/resource-directory/members/${encodeURIComponent(accountId)}`);
    },
    async addResourceShare(share) {
      return ((await call('POST', '/resource-shares', share)) as { resourceShareId: string }).resourceShareId;
    },
    async configureResourceSharing(settings) {
      await call('PUT', '/resource-sharing', settings);
    },
    async addRole(role) {
      return ((await call('POST', '/roles', role)) as { roleArn: string }).roleArn;
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Real SDK clients pointed at the emulator.


/** The ECS SDK module, loaded as CommonJS so `.default` is the client class under every loader. */
export type EcsSdk = typeof EcsSdkModule;
export type EcsClient = InstanceType<EcsSdk['default']>;
export type OpenApiCore = typeof OpenApiCoreModule;

const requireCjs = createRequire(import.meta.url);
let sdk: EcsSdk | undefined;

/** Loads `@alicloud/ecs20140526` once (about a second: it references every ECS model). */
export function loadEcsSdk(): EcsSdk {
  sdk ??= requireCjs('@alicloud/ecs20140526') as EcsSdk;
  return sdk;
}

export function loadOpenApiCore(): OpenApiCore {
  return requireCjs('@alicloud/openapi-core') as OpenApiCore;
}

export function loadDara(): typeof DaraModule {
  return requireCjs('@darabonba/typescript') as typeof DaraModule;
}

export interface EcsClientOptions {
  /** `acs3` (SDK default, ACS3-HMAC-SHA256) or `v2` (legacy RPC HMAC-SHA1). */
  signing?: 'acs3' | 'v2';
  /** Default: the key's own token, if any. */
  securityToken?: string;
  /** ms; applied to both connect and read timeouts. */
  timeoutMs?: number;
}

/** A real ECS SDK client talking plain HTTP to the emulator at `endpoint` (host:port). */
export function ecsClient(endpoint: string, key: EcsAccessKey, options: EcsClientOptions = {}): EcsClient {
  const { default: Client } = loadEcsSdk();
  return new Client(clientConfig(endpoint, key, options));
}

/** The openapi-core configuration of a test client: plain HTTP to the emulator, the chosen signing. */
function clientConfig(endpoint: string, key: EcsAccessKey, options: EcsClientOptions) {
  const { $OpenApiUtil } = loadOpenApiCore();
  return new $OpenApiUtil.Config({
    accessKeyId: key.accessKeyId,
    accessKeySecret: key.accessKeySecret,
    securityToken: options.securityToken ?? key.securityToken,
    endpoint,
    protocol: 'http',
    signatureAlgorithm: options.signing === 'v2' ? 'v2' : undefined,
    connectTimeout: options.timeoutMs ?? 5000,
    readTimeout: options.timeoutMs ?? 5000,
  });
}

/** The RPC products the emulator answers beside ECS, with their API versions. */
export const RPC_PRODUCTS = { ResourceSharing: '2020-01-10', ResourceManager: '2020-03-31', Sts: '2015-04-01' } as const;
export type RpcProduct = keyof typeof RPC_PRODUCTS;

export interface RpcCaller {
  /** One call as the generated SDK makes it (`callApi`, query flattened by `OpenApiUtil.query`); resolves to the JSON body. */
  call(action: string, query?: Record<string, unknown>): Promise<Record<string, unknown>>;
}

/** A real `@alicloud/openapi-core` client calling one RPC product on the emulator at `endpoint`. */
export function rpcCaller(endpoint: string, product: RpcProduct, key: EcsAccessKey, options: EcsClientOptions = {}): RpcCaller {
  const core = loadOpenApiCore();
  const client = new core.default(clientConfig(endpoint, key, options));
  return {
    async call(action, query = {}) {
      const params = rpcParams(action, RPC_PRODUCTS[product], 'http');
      const request = new core.$OpenApiUtil.OpenApiRequest({ query: core.OpenApiUtil.query(query) });
      const answer = (await client.callApi(params, request, new (loadDara().RuntimeOptions)({}))) as { body: Record<string, unknown> };
      return answer.body;
    },
  };
}

/** The SDK error a call fails with (name, code, HTTP status); success fails the test. */
export async function sdkErrorOf(promise: Promise<unknown>): Promise<{ name: string; code: string; statusCode: number }> {
  try {
    await promise;
  } catch (error) {
    const { name, code, statusCode } = error as { name: string; code: string; statusCode: number };
    return { name, code, statusCode };
  }
  throw new Error('expected the call to fail');
}

/** The GovernorError a call of the ECS adapter fails with; anything else (or success) fails the test. */
export async function caught(promise: Promise<unknown>): Promise<GovernorError> {
  try {
    await promise;
  } catch (error) {
    if (error instanceof GovernorError) return error;
    throw error;
  }
  throw new Error('expected a GovernorError, the call succeeded');
}
