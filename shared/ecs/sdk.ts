// The only file that touches the ECS SDK package.
//
// Why not `new (require('@alicloud/ecs20140526').default)(config)`: the generated ECS client
// references the models of every ECS operation (3,400+ files), which costs about a second and
// 60 MB more at cold start. This adapter needs four operations, so it calls them the way the
// generated `<op>WithOptions` methods do — `openapi-core`'s `callApi` (shared/alicloud/rpc.ts) with
// the same Params — and uses the ECS package's OWN request/response model classes, deep-imported
// one file each, to build the query and to map the JSON response (`$dara.cast`). The bytes on the
// wire and the typed response are the SDK's; only the 3,400 unused models stay unloaded. The models
// (./models.ts) and openapi-core load on the first ECS call, not at cold start.
import type { CredentialsSource } from '../credentials.js';
import { RpcClient, loadOpenApi } from '../alicloud/rpc.js';
import type * as Models from './models.js';

type ModelInit<T extends abstract new (init: never) => unknown> = ConstructorParameters<T>[0];

/** What each operation is asked with: the request model's fields (camelCase), as its constructor takes them. */
export type DescribeImagesInit = ModelInit<typeof Models.DescribeImagesRequest>;
export type DescribeImageSharePermissionInit = ModelInit<typeof Models.DescribeImageSharePermissionRequest>;
export type ModifyImageSharePermissionInit = ModelInit<typeof Models.ModifyImageSharePermissionRequest>;
export type DeleteImageInit = ModelInit<typeof Models.DeleteImageRequest>;

export type DescribeImagesResponseT = InstanceType<typeof Models.DescribeImagesResponse>;
export type DescribeImageSharePermissionResponseT = InstanceType<typeof Models.DescribeImageSharePermissionResponse>;
export type ModifyImageSharePermissionResponseT = InstanceType<typeof Models.ModifyImageSharePermissionResponse>;
export type DeleteImageResponseT = InstanceType<typeof Models.DeleteImageResponse>;

let models: Promise<typeof Models> | undefined;
const loadModels = (): Promise<typeof Models> => (models ??= import('./models.js'));

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
function rpcQuery(model: SdkRequestModel, isNull: (value: unknown) => boolean): Record<string, unknown> {
  const names = (model.constructor as { names(): Record<string, string> }).names();
  const fields = model as unknown as Record<string, unknown>;
  const query: Record<string, unknown> = {};
  for (const [field, wireName] of Object.entries(names)) {
    if (!isNull(fields[field])) query[wireName] = fields[field];
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
  endpointFor(regionId: string): Promise<string> {
    return this.rpc.endpointFor(regionId);
  }

  async describeImages(regionId: string, init: DescribeImagesInit): Promise<DescribeImagesResponseT> {
    const m = await loadModels();
    return this.call(regionId, 'DescribeImages', new m.DescribeImagesRequest(init), new m.DescribeImagesResponse({}));
  }

  async describeImageSharePermission(regionId: string, init: DescribeImageSharePermissionInit): Promise<DescribeImageSharePermissionResponseT> {
    const m = await loadModels();
    return this.call(regionId, 'DescribeImageSharePermission', new m.DescribeImageSharePermissionRequest(init), new m.DescribeImageSharePermissionResponse({}));
  }

  async modifyImageSharePermission(regionId: string, init: ModifyImageSharePermissionInit): Promise<ModifyImageSharePermissionResponseT> {
    const m = await loadModels();
    return this.call(regionId, 'ModifyImageSharePermission', new m.ModifyImageSharePermissionRequest(init), new m.ModifyImageSharePermissionResponse({}));
  }

  async deleteImage(regionId: string, init: DeleteImageInit): Promise<DeleteImageResponseT> {
    const m = await loadModels();
    return this.call(regionId, 'DeleteImage', new m.DeleteImageRequest(init), new m.DeleteImageResponse({}));
  }

  private async call<T extends object>(regionId: string, action: Action, model: SdkRequestModel, into: T): Promise<T> {
    model.validate();
    const { dara } = await loadOpenApi();
    const raw = await this.rpc.call(regionId, action, rpcQuery(model, (v) => dara.isNull(v)));
    return dara.cast(raw, into);
  }
}
