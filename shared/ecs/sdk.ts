// The only file that touches the Alibaba Cloud SDK packages.
//
// Why not `new (require('@alicloud/ecs20140526').default)(config)`: the generated ECS client
// references the models of every ECS operation (3,400+ files), which costs about a second and
// 60 MB more at cold start. This adapter needs four operations, so it calls them the way the
// generated `<op>WithOptions` methods do — `openapi-core`'s `callApi` with the same Params — and
// uses the ECS package's OWN request/response model classes, deep-imported one file each, to
// flatten the query (`OpenApiUtil.query`) and to map the JSON response (`$dara.cast`). The bytes
// on the wire and the typed response are the SDK's; only the 3,400 unused models stay unloaded.
import * as openapiCoreNs from '@alicloud/openapi-core';
import * as daraNs from '@darabonba/typescript';
import * as describeImagesRequestNs from '@alicloud/ecs20140526/dist/models/DescribeImagesRequest.js';
import * as describeImagesResponseNs from '@alicloud/ecs20140526/dist/models/DescribeImagesResponse.js';
import * as describeSharesRequestNs from '@alicloud/ecs20140526/dist/models/DescribeImageSharePermissionRequest.js';
import * as describeSharesResponseNs from '@alicloud/ecs20140526/dist/models/DescribeImageSharePermissionResponse.js';
import * as modifySharesRequestNs from '@alicloud/ecs20140526/dist/models/ModifyImageSharePermissionRequest.js';
import * as modifySharesResponseNs from '@alicloud/ecs20140526/dist/models/ModifyImageSharePermissionResponse.js';
import * as deleteImageRequestNs from '@alicloud/ecs20140526/dist/models/DeleteImageRequest.js';
import * as deleteImageResponseNs from '@alicloud/ecs20140526/dist/models/DeleteImageResponse.js';
import { commonJs } from '../commonjs.js';
import { type Credentials, type CredentialsSource, sameCredentials } from '../credentials.js';
import { GovernorError } from '../domain/errors.js';

const openapiCore = commonJs(openapiCoreNs);
const dara = commonJs(daraNs);
const OpenApiClient = openapiCore.default;
const { $OpenApiUtil, OpenApiUtil } = openapiCore;

export const { DescribeImagesRequest } = commonJs(describeImagesRequestNs);
const { DescribeImagesResponse } = commonJs(describeImagesResponseNs);
export const { DescribeImageSharePermissionRequest } = commonJs(describeSharesRequestNs);
const { DescribeImageSharePermissionResponse } = commonJs(describeSharesResponseNs);
export const { ModifyImageSharePermissionRequest } = commonJs(modifySharesRequestNs);
const { ModifyImageSharePermissionResponse } = commonJs(modifySharesResponseNs);
export const { DeleteImageRequest } = commonJs(deleteImageRequestNs);
const { DeleteImageResponse } = commonJs(deleteImageResponseNs);

export type DescribeImagesRequestT = InstanceType<typeof DescribeImagesRequest>;
export type DescribeImagesResponseT = InstanceType<typeof DescribeImagesResponse>;
export type DescribeImageSharePermissionRequestT = InstanceType<typeof DescribeImageSharePermissionRequest>;
export type DescribeImageSharePermissionResponseT = InstanceType<typeof DescribeImageSharePermissionResponse>;
export type ModifyImageSharePermissionRequestT = InstanceType<typeof ModifyImageSharePermissionRequest>;
export type ModifyImageSharePermissionResponseT = InstanceType<typeof ModifyImageSharePermissionResponse>;
export type DeleteImageRequestT = InstanceType<typeof DeleteImageRequest>;
export type DeleteImageResponseT = InstanceType<typeof DeleteImageResponse>;

export const ECS_API_VERSION = '2014-05-26';

export interface EcsSdkOptions {
  /** host[:port] without scheme; default `ecs.<region>.aliyuncs.com`. */
  readonly endpoint?: string;
  readonly protocol: 'https' | 'http';
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly credentials: CredentialsSource;
}

/** The ECS API actions (RAM actions `ecs:<Action>`) the adapter calls: `call` takes no other. */
export const ECS_ACTIONS = ['DescribeImages', 'DescribeImageSharePermission', 'ModifyImageSharePermission', 'DeleteImage'] as const;
type Action = (typeof ECS_ACTIONS)[number];

interface RegionClient {
  readonly client: InstanceType<typeof OpenApiClient>;
  readonly credentials: Credentials;
}

interface SdkRequestModel {
  validate(): void;
  readonly constructor: unknown;
}

/**
 * The query the generated `<op>WithOptions` method builds: every set field under its wire name
 * (the model's own `names()` map). OpenApiUtil.query then flattens lists (`AddAccount.1=...`).
 */
function rpcQuery(model: SdkRequestModel): Record<string, unknown> {
  const names = (model.constructor as { names(): Record<string, string> }).names();
  const fields = model as unknown as Record<string, unknown>;
  const query: Record<string, unknown> = {};
  for (const [field, wireName] of Object.entries(names)) {
    if (!dara.isNull(fields[field])) query[wireName] = fields[field];
  }
  return query;
}

/**
 * One RPC client per region, rebuilt when the credentials change (FC hands every invocation a
 * possibly refreshed STS token; an instance outlives one token). Each method performs exactly one
 * HTTP request and lets SDK errors through untouched: translation and retries live above.
 */
export class EcsSdk {
  private readonly clients = new Map<string, RegionClient>();

  constructor(private readonly opts: EcsSdkOptions) {}

  /** The endpoint the SDK's regional rule yields, unless configuration points elsewhere. */
  endpointFor(regionId: string): string {
    return this.opts.endpoint ?? OpenApiUtil.getEndpointRules('ecs', regionId, 'regional', '', '');
  }

  describeImages(regionId: string, request: DescribeImagesRequestT): Promise<DescribeImagesResponseT> {
    return this.call(regionId, 'DescribeImages', request, new DescribeImagesResponse({}));
  }

  describeImageSharePermission(
    regionId: string,
    request: DescribeImageSharePermissionRequestT,
  ): Promise<DescribeImageSharePermissionResponseT> {
    return this.call(regionId, 'DescribeImageSharePermission', request, new DescribeImageSharePermissionResponse({}));
  }

  modifyImageSharePermission(
    regionId: string,
    request: ModifyImageSharePermissionRequestT,
  ): Promise<ModifyImageSharePermissionResponseT> {
    return this.call(regionId, 'ModifyImageSharePermission', request, new ModifyImageSharePermissionResponse({}));
  }

  deleteImage(regionId: string, request: DeleteImageRequestT): Promise<DeleteImageResponseT> {
    return this.call(regionId, 'DeleteImage', request, new DeleteImageResponse({}));
  }

  private async call<T extends object>(regionId: string, action: Action, model: SdkRequestModel, into: T): Promise<T> {
    model.validate();
    const { client } = this.clientFor(regionId);
    const request = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(rpcQuery(model)) });
    const params = new $OpenApiUtil.Params({
      action,
      version: ECS_API_VERSION,
      protocol: this.opts.protocol.toUpperCase(),
      pathname: '/',
      method: 'POST',
      authType: 'AK',
      style: 'RPC',
      reqBodyType: 'formData',
      bodyType: 'json',
    });
    const raw = await client.callApi(params, request, new dara.RuntimeOptions({}));
    return dara.cast(raw, into);
  }

  private clientFor(regionId: string): RegionClient {
    let credentials: Credentials;
    try {
      credentials = this.opts.credentials();
    } catch (error) {
      // No role and no keys: an outage of ours, reported without calling ECS.
      throw new GovernorError('UpstreamUnavailable', 'No credentials are available for ECS', { details: { regionId }, cause: error });
    }
    const cached = this.clients.get(regionId);
    if (cached && sameCredentials(cached.credentials, credentials)) return cached;
    const client = new OpenApiClient(
      new $OpenApiUtil.Config({
        accessKeyId: credentials.accessKeyId,
        accessKeySecret: credentials.accessKeySecret,
        ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
        endpoint: this.endpointFor(regionId),
        protocol: this.opts.protocol,
        regionId,
        connectTimeout: this.opts.connectTimeoutMs,
        readTimeout: this.opts.readTimeoutMs,
        userAgent: 'image-share-governor',
      }),
    );
    const entry = { client, credentials };
    this.clients.set(regionId, entry);
    return entry;
  }
}
