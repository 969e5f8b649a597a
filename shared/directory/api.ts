// The Resource Sharing (2020-01-10), Resource Manager (2020-03-31) and STS (2015-04-01) calls this
// adapter makes, typed with shapes of our own (wire names, as the SDK models' `names()` give them)
// and sent through openapi-core's generic RPC `callApi` (shared/alicloud/rpc.ts): the ResourceSharing
// SDK package is not needed. Every call goes through the same retry loop, hooks and error translation
// as the ECS adapter's.
import { RpcClient } from '../alicloud/rpc.js';
import { withRetries, type CallHooks } from '../alicloud/retry.js';
import type { UpstreamService } from '../alicloud/failure.js';
import type { Credentials } from '../credentials.js';
import { RESOURCE_MANAGER, RESOURCE_SHARING, STS } from './errors.js';

/**
 * The API actions (RAM actions `resourcesharing:<Action>`, `resourcemanager:<Action>`, `sts:<Action>`) the
 * adapter calls: the calls below take no other.
 */
export const RESOURCE_SHARING_ACTIONS = [
  'ListResourceShares',
  'ListResourceShareAssociations',
  'CreateResourceShare',
  'AssociateResourceShare',
  'DisassociateResourceShare',
  'DeleteResourceShare',
] as const;
export const RESOURCE_MANAGER_ACTIONS = ['GetResourceDirectory', 'GetAccount', 'GetFolder'] as const;
export const STS_ACTIONS = ['AssumeRole'] as const;

type Paged = { MaxResults?: number; NextToken?: string };

/** Request parameters by action (RegionId is added to every Resource Sharing call). */
export interface ResourceSharingRequests {
  ListResourceShares: Paged & { ResourceOwner: 'Self'; ResourceShareIds?: string[]; ResourceShareName?: string };
  ListResourceShareAssociations: Paged & {
    AssociationType: 'Resource' | 'Target';
    ResourceId?: string;
    ResourceShareIds?: string[];
  };
  CreateResourceShare: {
    ResourceShareName: string;
    Resources: Array<{ ResourceType: 'Image'; ResourceId: string }>;
    Targets: string[];
    AllowExternalTargets: false;
    Tag: Array<{ Key: string; Value: string }>;
  };
  AssociateResourceShare: { ResourceShareId: string; Resources?: Array<{ ResourceType: 'Image'; ResourceId: string }>; Targets?: string[] };
  DisassociateResourceShare: { ResourceShareId: string; Resources?: Array<{ ResourceType: 'Image'; ResourceId: string }>; Targets?: string[] };
  DeleteResourceShare: { ResourceShareId: string };
}

export interface ResourceShareRow {
  ResourceShareId?: string;
  ResourceShareName?: string;
  ResourceShareStatus?: string;
  Tags?: Array<{ Key?: string; Value?: string }>;
}

export interface AssociationRow {
  ResourceShareId?: string;
  ResourceShareName?: string;
  AssociationType?: string;
  AssociationStatus?: string;
  AssociationStatusMessage?: string;
  EntityId?: string;
  EntityType?: string;
  AssociationFailedDetails?: Array<{ EntityId?: string; FailureReason?: string }>;
}

export interface ResourceSharingResponses {
  ListResourceShares: { NextToken?: string; ResourceShares?: ResourceShareRow[] };
  ListResourceShareAssociations: { NextToken?: string; ResourceShareAssociations?: AssociationRow[] };
  CreateResourceShare: { ResourceShare?: ResourceShareRow };
  AssociateResourceShare: { ResourceShareAssociations?: AssociationRow[] };
  DisassociateResourceShare: { ResourceShareAssociations?: AssociationRow[] };
  DeleteResourceShare: Record<string, never>;
}

export interface ResourceManagerRequests {
  GetResourceDirectory: Record<string, never>;
  GetAccount: { AccountId: string };
  GetFolder: { FolderId: string };
}

export interface ResourceManagerResponses {
  GetResourceDirectory: { ResourceDirectory?: { ResourceDirectoryId?: string; RootFolderId?: string } };
  GetAccount: { Account?: { AccountId?: string; ResourceDirectoryId?: string; ResourceDirectoryPath?: string } };
  GetFolder: { Folder?: { FolderId?: string; ResourceDirectoryPath?: string } };
}

export interface AssumeRoleRequest {
  RoleArn: string;
  RoleSessionName: string;
  DurationSeconds: number;
}

export interface AssumeRoleResponse {
  Credentials?: { AccessKeyId?: string; AccessKeySecret?: string; SecurityToken?: string; Expiration?: string };
}

export interface DirectoryApiOptions {
  readonly endpoints: { readonly resourceSharing?: string; readonly resourceManager?: string; readonly sts?: string };
  readonly protocol: 'https' | 'http';
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** The image owner's credentials: Resource Sharing calls, and the AssumeRole call when a role is set. */
  readonly credentials: () => Credentials | Promise<Credentials>;
  /** Credentials for Resource Manager reads; default `credentials`. */
  readonly directoryCredentials?: () => Credentials | Promise<Credentials>;
  readonly hooks: CallHooks;
}

/** Resource Manager and STS are not regional: their calls are reported (hooks, details) with this region. */
export const NOT_REGIONAL = '';

export class DirectoryApi {
  private readonly resourceSharingClient: RpcClient;
  private readonly resourceManagerClient: RpcClient;
  private readonly stsClient: RpcClient;

  constructor(private readonly opts: DirectoryApiOptions) {
    const client = (
      product: string,
      service: UpstreamService,
      version: string,
      endpointRule: 'regional' | 'central',
      endpoint: string | undefined,
      credentials: DirectoryApiOptions['credentials'],
    ) =>
      new RpcClient({
        product,
        productName: service.name,
        version,
        endpointRule,
        ...(endpoint !== undefined ? { endpoint } : {}),
        protocol: opts.protocol,
        connectTimeoutMs: opts.connectTimeoutMs,
        readTimeoutMs: opts.readTimeoutMs,
        credentials,
      });
    const { endpoints } = opts;
    this.resourceSharingClient = client('resourcesharing', RESOURCE_SHARING, '2020-01-10', 'regional', endpoints.resourceSharing, opts.credentials);
    this.resourceManagerClient = client(
      'resourcemanager',
      RESOURCE_MANAGER,
      '2020-03-31',
      'central',
      endpoints.resourceManager,
      opts.directoryCredentials ?? opts.credentials,
    );
    this.stsClient = client('sts', STS, '2015-04-01', 'central', endpoints.sts, opts.credentials);
  }

  /** One Resource Sharing call in `regionId` (sent as `RegionId`, as the service accepts it), retried. */
  resourceSharing<A extends (typeof RESOURCE_SHARING_ACTIONS)[number]>(
    regionId: string,
    action: A,
    query: ResourceSharingRequests[A],
    details?: Record<string, unknown>,
  ): Promise<ResourceSharingResponses[A]> {
    return this.call(RESOURCE_SHARING, this.resourceSharingClient, regionId, action, { RegionId: regionId, ...query }, details);
  }

  /** One Resource Manager read, retried. */
  resourceManager<A extends (typeof RESOURCE_MANAGER_ACTIONS)[number]>(
    action: A,
    query: ResourceManagerRequests[A],
    details?: Record<string, unknown>,
  ): Promise<ResourceManagerResponses[A]> {
    return this.call(RESOURCE_MANAGER, this.resourceManagerClient, NOT_REGIONAL, action, query, details);
  }

  /** STS AssumeRole, retried. */
  assumeRole(query: AssumeRoleRequest): Promise<AssumeRoleResponse> {
    const action: (typeof STS_ACTIONS)[number] = 'AssumeRole';
    return this.call(STS, this.stsClient, NOT_REGIONAL, action, query, { roleArn: query.RoleArn });
  }

  private call<T>(
    service: UpstreamService,
    client: RpcClient,
    regionId: string,
    action: string,
    query: object,
    details?: Record<string, unknown>,
  ): Promise<T> {
    return withRetries(
      this.opts.hooks,
      service,
      action,
      regionId,
      async () => ((await client.call(regionId, action, query as Record<string, unknown>)).body ?? {}) as T,
      details,
    );
  }
}
