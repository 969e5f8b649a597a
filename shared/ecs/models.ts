// The ECS package's own request and response models of the four operations, one file each: loaded by
// sdk.ts on the first ECS call, not at cold start.
import * as describeImagesRequestNs from '@alicloud/ecs20140526/dist/models/DescribeImagesRequest.js';
import * as describeImagesResponseNs from '@alicloud/ecs20140526/dist/models/DescribeImagesResponse.js';
import * as describeSharesRequestNs from '@alicloud/ecs20140526/dist/models/DescribeImageSharePermissionRequest.js';
import * as describeSharesResponseNs from '@alicloud/ecs20140526/dist/models/DescribeImageSharePermissionResponse.js';
import * as modifySharesRequestNs from '@alicloud/ecs20140526/dist/models/ModifyImageSharePermissionRequest.js';
import * as modifySharesResponseNs from '@alicloud/ecs20140526/dist/models/ModifyImageSharePermissionResponse.js';
import * as deleteImageRequestNs from '@alicloud/ecs20140526/dist/models/DeleteImageRequest.js';
import * as deleteImageResponseNs from '@alicloud/ecs20140526/dist/models/DeleteImageResponse.js';
import { commonJs } from '../commonjs.js';

export const { DescribeImagesRequest } = commonJs(describeImagesRequestNs);
export const { DescribeImagesResponse } = commonJs(describeImagesResponseNs);
export const { DescribeImageSharePermissionRequest } = commonJs(describeSharesRequestNs);
export const { DescribeImageSharePermissionResponse } = commonJs(describeSharesResponseNs);
export const { ModifyImageSharePermissionRequest } = commonJs(modifySharesRequestNs);
export const { ModifyImageSharePermissionResponse } = commonJs(modifySharesResponseNs);
export const { DeleteImageRequest } = commonJs(deleteImageRequestNs);
export const { DeleteImageResponse } = commonJs(deleteImageResponseNs);
