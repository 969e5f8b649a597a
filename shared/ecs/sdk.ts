// The only file that touches the ECS SDK package.
//
// Why not `new (require('@alicloud/ecs20140526').default)(config)`: the generated ECS client
// references the models of every ECS operation (3,400+ files), which costs about a second and
// 60 MB more at cold start. This adapter needs four operations, so it calls them the way the
// generated `<op>WithOptions` methods do — `openapi-core`'s `callApi` (shared/alicloud/rpc.ts) with
// the same Params — and uses the ECS package's OWN request/response model classes, deep-imported
// one file each, to build the query and to map the JSON response (`$dara.cast`). The bytes on the
// wire and the typed response are the SDK's; only the 3,400 unused models stay unloaded.
import * as describeImagesRequestNs from '@alicloud/ecs20140526/dist/models/DescribeImagesRequest.js';
import * as describeImagesResponseNs from '@alicloud/ecs20140526/dist/models/DescribeImagesResponse.js';
import * as describeSharesRequestNs from '@alicloud/ecs20140526/dist/models/DescribeImageSharePermissionRequest.js';
import * as describeSharesResponseNs from '@alicloud/ecs20140526/dist/models/DescribeImageSharePermissionResponse.js';
import * as modifySharesRequestNs from '@alicloud/ecs20140526/dist/models/ModifyImageSharePermissionRequest.js';
import * as modifySharesResponseNs from '@alicloud/ecs20140526/dist/models/ModifyImageSharePermissionResponse.js';
import * as deleteImageRequestNs from '@alicloud/ecs20140526/dist/models/DeleteImageRequest.js';
import * as deleteImageResponseNs from '@alicloud/ecs20140526/dist/models/DeleteImageResponse.js';
import type { CredentialsSource } from '../credentials.js';
import { RpcClient, dara } from '../alicloud/rpc.js';
import { commonJs } from '../commonjs.js';

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
 * The four ECS operations, each exactly one HTTP request. SDK errors pass through untouched:
 * translation and retries live above.
 */
export class EcsSdk {
  private readonly rpc: RpcClient;

  constructor(opts: EcsSdkOptions) {
    this.rpc = new RpcClient({
      product: 'ecs',
      productName: 'ECS',
      version: ECS_API_VERSION,
      endpointRule: 'regional',
      ...(opts.endpoint !== undefined ? { endpoint: opts.endpoint } : {}),
      protocol: opts.protocol,
      connectTimeoutMs: opts.connectTimeoutMs,
      readTimeoutMs: opts.readTimeoutMs,
      credentials: opts.credentials,
    });
  }

  /** The endpoint the SDK's regional rule yields, unless configuration points elsewhere. */
  endpointFor(regionId: string): string {
    return this.rpc.endpointFor(regionId);
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
    const raw = await this.rpc.call(regionId, action, rpcQuery(model));
    return dara.cast(raw, into);
  }
}
