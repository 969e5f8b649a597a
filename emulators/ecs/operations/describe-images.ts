/** DescribeImages: the images a caller can see in one region, filtered and paged. */
import { ecsErrors } from '../errors.js';
import { JsonInteger } from '../json.js';
import { IMAGE_STATUSES, type Image, type ImageStatus } from '../store.js';
import { page, readBoolean, readInteger, requireRegion } from './context.js';
import type { Operation, OperationContext } from '../operation.js';

type OwnerAlias = 'self' | 'system' | 'others' | 'marketplace';
const OWNER_ALIASES: readonly OwnerAlias[] = ['self', 'system', 'others', 'marketplace'];
const MAX_TAG_FILTERS = 20;

/**
 * How the caller relates to an image, or undefined when it cannot see it. An image shared with the
 * caller (per account, or through a resource share that reaches it) is `others`; another account's
 * community image that is not shared with the caller is listed only when asked for (`IsPublic=true`).
 */
function aliasFor(context: OperationContext, image: Image, communityWanted: boolean): OwnerAlias | undefined {
  const { accountId } = context;
  if (image.kind === 'system') return 'system';
  if (image.ownerAccountId === accountId) return 'self';
  if (image.shares.has(accountId) || (image.isPublic && communityWanted)) return 'others';
  if (context.resourceShares.visibleTo(image, accountId)) return 'others';
  return undefined;
}

function readStatuses(value: string | undefined): Set<ImageStatus> {
  if (value === undefined || value === '') return new Set<ImageStatus>(['Available']);
  const statuses = new Set<ImageStatus>();
  for (const raw of value.split(',')) {
    const status = raw.trim();
    if (status.toUpperCase() === 'ALL') {
      IMAGE_STATUSES.forEach((each) => statuses.add(each));
    } else if ((IMAGE_STATUSES as readonly string[]).includes(status)) {
      statuses.add(status as ImageStatus);
    } else {
      throw ecsErrors.invalidParameter('Status', `Unknown image status: ${status}.`);
    }
  }
  return statuses;
}

function readOwnerAliases(value: string | undefined): Set<OwnerAlias> {
  if (value === undefined || value === '') return new Set<OwnerAlias>(['system', 'self', 'others']);
  if (!(OWNER_ALIASES as readonly string[]).includes(value)) {
    throw ecsErrors.invalidParameter('ImageOwnerAlias', 'Expected self, system, others or marketplace.');
  }
  return new Set([value as OwnerAlias]);
}

function readTagFilters(params: Record<string, string>): Array<{ key: string; value: string | undefined }> {
  const filters: Array<{ key: string; value: string | undefined }> = [];
  for (const name of Object.keys(params)) {
    const match = /^Tag\.(\d+)\.(Key|Value)$/.exec(name);
    if (!match) continue;
    const index = Number(match[1]);
    if (index < 1 || index > MAX_TAG_FILTERS) {
      throw ecsErrors.invalidParameter(name, `Tag.N accepts N from 1 to ${MAX_TAG_FILTERS}.`);
    }
  }
  for (let index = 1; index <= MAX_TAG_FILTERS; index++) {
    const key = params[`Tag.${index}.Key`];
    const value = params[`Tag.${index}.Value`];
    if (key === undefined || key === '') {
      if (value !== undefined && value !== '') throw ecsErrors.missingParameter(`Tag.${index}.Key`);
      continue;
    }
    filters.push({ key, value: value === '' ? undefined : value });
  }
  return filters;
}

function productCodeOf(image: Image): string {
  return image.kind === 'marketplace-derived' ? `cmjj0${image.imageId.slice(-5)}` : '';
}

function describe(image: Image, alias: OwnerAlias) {
  const shared = image.shares.size > 0 || image.isPublic;
  return {
    ImageId: image.imageId,
    ImageName: image.imageName,
    ImageFamily: '',
    ImageVersion: '',
    Description: '',
    ImageOwnerAlias: alias,
    ...(image.ownerAccountId ? { ImageOwnerId: new JsonInteger(image.ownerAccountId) } : {}),
    Status: image.status,
    IsPublic: image.kind === 'system' || image.isPublic,
    IsSelfShared: alias === 'self' ? (shared ? 'True' : 'False') : '',
    IsSubscribed: false,
    IsCopied: false,
    IsSupportCloudinit: true,
    IsSupportIoOptimized: true,
    ProductCode: productCodeOf(image),
    Progress: image.status === 'Available' ? '100%' : '0%',
    Size: image.sizeGiB,
    Usage: image.inUseByInstances ? 'instance' : 'none',
    CreationTime: image.creationTime,
    Architecture: 'x86_64',
    OSType: 'linux',
    Platform: 'Aliyun',
    OSName: 'Alibaba Cloud Linux 3',
    OSNameEn: 'Alibaba Cloud Linux 3',
    BootMode: 'BIOS',
    Tags: { Tag: image.tags.map((tag) => ({ TagKey: tag.key, TagValue: tag.value })) },
    DiskDeviceMappings: {
      DiskDeviceMapping: [
        {
          Device: '/dev/xvda',
          Type: 'system',
          Size: String(image.sizeGiB),
          SnapshotId: `s-${image.imageId.slice(2)}`,
          Format: '',
          Encrypted: image.encrypted,
        },
      ],
    },
  };
}

export const describeImages: Operation = (context: OperationContext) => {
  const { params, store } = context;
  const regionId = requireRegion(context);
  const statuses = readStatuses(params['Status']);
  const aliases = readOwnerAliases(params['ImageOwnerAlias']);
  const tagFilters = readTagFilters(params);
  const imageIds = params['ImageId'] ? new Set(params['ImageId'].split(',').map((id) => id.trim())) : undefined;
  const imageName = params['ImageName'] || undefined;
  const ownerId = params['ImageOwnerId'] || undefined;
  const isPublic = readBoolean(params, 'IsPublic');
  const usage = params['Usage'] || undefined;
  if (usage !== undefined && usage !== 'instance' && usage !== 'none') {
    throw ecsErrors.invalidParameter('Usage', 'Expected instance or none.');
  }
  const pageNumber = readInteger(params, 'PageNumber', { min: 1, max: 1_000_000_000, fallback: 1 });
  const pageSize = readInteger(params, 'PageSize', { min: 1, max: 100, fallback: 10 });
  if (readBoolean(params, 'DryRun')) throw ecsErrors.dryRunPassed();

  const visible = store
    .imagesIn(regionId)
    .map((image) => ({ image, alias: aliasFor(context, image, isPublic === true) }))
    .filter((entry): entry is { image: Image; alias: OwnerAlias } => entry.alias !== undefined)
    .filter(({ image, alias }) => {
      if (!aliases.has(alias)) return false;
      if (!statuses.has(image.status)) return false;
      if (imageIds && !imageIds.has(image.imageId)) return false;
      if (imageName !== undefined && !image.imageName.includes(imageName)) return false;
      if (ownerId !== undefined && image.ownerAccountId !== ownerId) return false;
      if (isPublic !== undefined && (image.kind === 'system' || image.isPublic) !== isPublic) return false;
      if (usage !== undefined && (image.inUseByInstances ? 'instance' : 'none') !== usage) return false;
      return tagFilters.every((filter) =>
        image.tags.some((tag) => tag.key === filter.key && (filter.value === undefined || tag.value === filter.value)),
      );
    })
    // Newest first, as ECS lists them; insertion order breaks ties between equal creation times.
    .sort((a, b) => b.image.creationTime.localeCompare(a.image.creationTime) || b.image.sequence - a.image.sequence);

  return {
    RegionId: regionId,
    TotalCount: visible.length,
    PageNumber: pageNumber,
    PageSize: pageSize,
    Images: { Image: page(visible, pageNumber, pageSize).map(({ image, alias }) => describe(image, alias)) },
  };
};
