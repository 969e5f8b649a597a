/**
 * The products this emulator answers on its one endpoint, told apart by their API version (the RPC
 * `Version` parameter, or the `x-acs-version` header of ACS3 signing), each with the allow-list of
 * its actions. Any other (action, version) pair is InvalidApi.NotFound.
 */
import type { Operation } from './operation.js';
import { ECS_API_VERSION, ECS_OPERATIONS } from './operations/index.js';
import { RESOURCE_MANAGER_API_VERSION, RESOURCE_MANAGER_OPERATIONS } from './resourcemanager/index.js';
import { RESOURCE_SHARING_API_VERSION, RESOURCE_SHARING_OPERATIONS } from './resourcesharing/index.js';
import { STS_API_VERSION, STS_OPERATIONS } from './sts/index.js';

export interface Product {
  /** The product code in error answers' `Recommend` links. */
  readonly code: string;
  readonly version: string;
  readonly operations: ReadonlyMap<string, Operation>;
  /** The `HostId` of an error answer: the product's endpoint for the region (when it has one). */
  hostId(regionId: string | null): string;
}

/** Also the product of an answer given before the request named one. */
export const ECS_PRODUCT: Product = {
  code: 'Ecs',
  version: ECS_API_VERSION,
  operations: ECS_OPERATIONS,
  hostId: (regionId) => (regionId ? `ecs.${regionId}.aliyuncs.com` : 'ecs.aliyuncs.com'),
};

export const PRODUCTS: readonly Product[] = [
  ECS_PRODUCT,
  {
    code: 'ResourceSharing',
    version: RESOURCE_SHARING_API_VERSION,
    operations: RESOURCE_SHARING_OPERATIONS,
    hostId: (regionId) => (regionId ? `resourcesharing.${regionId}.aliyuncs.com` : 'resourcesharing.aliyuncs.com'),
  },
  {
    code: 'ResourceManager',
    version: RESOURCE_MANAGER_API_VERSION,
    operations: RESOURCE_MANAGER_OPERATIONS,
    hostId: () => 'resourcemanager.aliyuncs.com',
  },
  { code: 'Sts', version: STS_API_VERSION, operations: STS_OPERATIONS, hostId: () => 'sts.aliyuncs.com' },
];

export const productOf = (version: string | undefined): Product | undefined => PRODUCTS.find((product) => product.version === version);
