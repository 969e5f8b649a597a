// The ECS adapter: ImagePort over the real ECS API. Composition roots import from here.
export { createEcsImagePort, classifyImage, ALL_IMAGE_STATUSES, MAX_ACCOUNTS_PER_MODIFY, type EcsImagePortOptions } from './image-port.js';
export { DEFAULT_RETRY, backoffDelay, type RetryPolicy } from '../alicloud/retry.js';
export { ECS_ACTIONS } from './sdk.js';
