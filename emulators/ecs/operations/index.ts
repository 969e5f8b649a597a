/** The allow-list of emulated ECS actions: anything else is InvalidApi.NotFound. */
import type { Operation } from '../operation.js';
import { deleteImage } from './delete-image.js';
import { describeImageSharePermission } from './describe-image-share-permission.js';
import { describeImages } from './describe-images.js';
import { modifyImageSharePermission } from './modify-image-share-permission.js';

export const ECS_API_VERSION = '2014-05-26';

export const ECS_OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['DescribeImages', describeImages],
  ['DescribeImageSharePermission', describeImageSharePermission],
  ['ModifyImageSharePermission', modifyImageSharePermission],
  ['DeleteImage', deleteImage],
]);
