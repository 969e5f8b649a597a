// The one place that builds `@alicloud/openapi-core` clients. Every Alibaba Cloud product the
// adapters call (ECS, Resource Sharing, Resource Manager, STS) is an RPC API reached the way its
// generated `<op>WithOptions` method reaches it: `callApi` with the query flattened by
// `OpenApiUtil.query` (1-based lists, `true`/`false`), `POST /`, authType AK, formData, json.
// Signing (ACS3-HMAC-SHA256), headers and error raising are the SDK's. The SDK (./openapi.ts) is
// loaded on the first call, not at cold start.
import { type Credentials, sameCredentials } from '../credentials.js';
import { GovernorError } from '../domain/errors.js';
import type * as OpenApi from './openapi.js';

let openapi: Promise<typeof OpenApi> | undefined;
/** openapi-core and Dara, loaded once, on first use. */
export const loadOpenApi = (): Promise<typeof OpenApi> => (openapi ??= import('./openapi.js'));

/** What `callApi` answers: the JSON body as the service sent it. */
export interface RpcAnswer {
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly statusCode?: number;
}

export interface RpcClientOptions {
  /** The product's endpoint-rule id (`ecs`, `resourcesharing`, `resourcemanager`, `sts`) and its name in messages. */
  readonly product: string;
  readonly productName: string;
  readonly version: string;
  /** `regional`: `<product>.<region>.aliyuncs.com`; `central`: `<product>.aliyuncs.com`. */
  readonly endpointRule: 'regional' | 'central';
  /** host[:port] without scheme; overrides the endpoint rule. */
  readonly endpoint?: string;
  readonly protocol: 'https' | 'http';
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** Asked before every request, so a refreshed STS token is used at once. */
  readonly credentials: () => Credentials | Promise<Credentials>;
}

interface CachedClient {
  readonly client: InstanceType<typeof OpenApi.OpenApiClient>;
  readonly credentials: Credentials;
}

/**
 * One openapi-core client per endpoint and region, rebuilt when the credentials change (FC hands every
 * invocation a possibly refreshed STS token; an instance outlives one token). `call` performs
 * exactly one HTTP request and lets SDK errors through untouched: translation and retries live above.
 */
export class RpcClient {
  private readonly clients = new Map<string, CachedClient>();

  constructor(private readonly opts: RpcClientOptions) {}

  /** The endpoint the SDK's rule yields for the region, unless configuration points elsewhere. */
  async endpointFor(regionId: string): Promise<string> {
    return this.opts.endpoint ?? (await loadOpenApi()).OpenApiUtil.getEndpointRules(this.opts.product, regionId, this.opts.endpointRule, '', '');
  }

  /** One request; `query` holds wire (PascalCase) names, lists as arrays, nested objects as objects. */
  async call(regionId: string, action: string, query: Record<string, unknown>): Promise<RpcAnswer> {
    const { $OpenApiUtil, OpenApiUtil, dara, rpcParams } = await loadOpenApi();
    const client = await this.clientFor(regionId);
    const request = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) });
    return (await client.callApi(rpcParams(action, this.opts.version, this.opts.protocol), request, new dara.RuntimeOptions({}))) as RpcAnswer;
  }

  private async clientFor(regionId: string): Promise<InstanceType<typeof OpenApi.OpenApiClient>> {
    const { OpenApiClient, $OpenApiUtil } = await loadOpenApi();
    let credentials: Credentials;
    try {
      credentials = await this.opts.credentials();
    } catch (error) {
      // Already in the governance vocabulary (e.g. an assumed role that could not be assumed).
      if (error instanceof GovernorError) throw error;
      // No role and no keys: an outage of ours, reported without calling the service.
      throw new GovernorError('UpstreamUnavailable', `No credentials are available for ${this.opts.productName}`, {
        details: { regionId },
        cause: error,
      });
    }
    const endpoint = await this.endpointFor(regionId);
    const key = `${endpoint}\u0000${regionId}`;
    const cached = this.clients.get(key);
    if (cached && sameCredentials(cached.credentials, credentials)) return cached.client;
    const client = new OpenApiClient(
      new $OpenApiUtil.Config({
        accessKeyId: credentials.accessKeyId,
        accessKeySecret: credentials.accessKeySecret,
        ...(credentials.securityToken ? { securityToken: credentials.securityToken } : {}),
        endpoint,
        protocol: this.opts.protocol,
        regionId,
        connectTimeout: this.opts.connectTimeoutMs,
        readTimeout: this.opts.readTimeoutMs,
        userAgent: 'image-share-governor',
      }),
    );
    this.clients.set(key, { client, credentials });
    return client;
  }
}
