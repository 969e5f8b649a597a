// The one place that builds `@alicloud/openapi-core` clients. Every Alibaba Cloud product the
// adapters call (ECS, Resource Sharing, Resource Manager, STS) is an RPC API reached the way its
// generated `<op>WithOptions` method reaches it: `callApi` with the query flattened by
// `OpenApiUtil.query` (1-based lists, `true`/`false`), `POST /`, authType AK, formData, json.
// Signing (ACS3-HMAC-SHA256), headers and error raising are the SDK's.
import * as openapiCoreNs from '@alicloud/openapi-core';
import * as daraNs from '@darabonba/typescript';
import { commonJs } from '../commonjs.js';
import { type Credentials, sameCredentials } from '../credentials.js';
import { GovernorError } from '../domain/errors.js';

const openapiCore = commonJs(openapiCoreNs);
export const dara = commonJs(daraNs);
const OpenApiClient = openapiCore.default;
const { $OpenApiUtil, OpenApiUtil } = openapiCore;

/** The `Params` a generated `<op>WithOptions` method passes to `callApi` for an RPC action. */
export function rpcParams(action: string, version: string, protocol: 'https' | 'http'): InstanceType<typeof $OpenApiUtil.Params> {
  return new $OpenApiUtil.Params({
    action,
    version,
    protocol: protocol.toUpperCase(),
    pathname: '/',
    method: 'POST',
    authType: 'AK',
    style: 'RPC',
    reqBodyType: 'formData',
    bodyType: 'json',
  });
}

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
  readonly client: InstanceType<typeof OpenApiClient>;
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
  endpointFor(regionId: string): string {
    return this.opts.endpoint ?? OpenApiUtil.getEndpointRules(this.opts.product, regionId, this.opts.endpointRule, '', '');
  }

  /** One request; `query` holds wire (PascalCase) names, lists as arrays, nested objects as objects. */
  async call(regionId: string, action: string, query: Record<string, unknown>): Promise<RpcAnswer> {
    const client = await this.clientFor(regionId);
    const request = new $OpenApiUtil.OpenApiRequest({ query: OpenApiUtil.query(query) });
    return (await client.callApi(rpcParams(action, this.opts.version, this.opts.protocol), request, new dara.RuntimeOptions({}))) as RpcAnswer;
  }

  private async clientFor(regionId: string): Promise<InstanceType<typeof OpenApiClient>> {
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
    const endpoint = this.endpointFor(regionId);
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
