/**
 * Typed client for the ECS emulator's admin routes (see emulators/ecs/README.md), for tests and
 * local tooling. `endpoint` is the emulator's `host:port` as returned by startEcsEmulator.
 * Also builds real ECS SDK clients pointed at the emulator.
 */
import { createRequire } from 'node:module';
import type * as EcsSdkModule from '@alicloud/ecs20140526';
import type * as OpenApiCoreModule from '@alicloud/openapi-core';
import type { CallRecord, ImageBody, ImagePatchBody, StateBody, ThrottleBody } from '../../emulators/ecs/admin.js';
import type { FaultInput } from '../../emulators/ecs/faults.js';
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
  const { $OpenApiUtil } = loadOpenApiCore();
  return new Client(
    new $OpenApiUtil.Config({
      accessKeyId: key.accessKeyId,
      accessKeySecret: key.accessKeySecret,
      securityToken: options.securityToken ?? key.securityToken,
      endpoint,
      protocol: 'http',
      signatureAlgorithm: options.signing === 'v2' ? 'v2' : undefined,
      connectTimeout: options.timeoutMs ?? 5000,
      readTimeout: options.timeoutMs ?? 5000,
    }),
  );
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
