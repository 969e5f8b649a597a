/** How resource shares and their associations are written in Resource Sharing responses. */
import type { Association, FailureReason, ResourceShare } from './store.js';

const FAILURE_DESCRIPTIONS: Readonly<Record<FailureReason, string>> = {
  Unavailable: 'The entity is unavailable.',
  LimitExceeded: 'The number of entities exceeds the upper limit.',
  ZonalResourceInaccessible: 'The resource is inaccessible in this zone.',
  InternalError: 'An internal error occurred.',
  UnsupportedOperation: 'The operation is not supported.',
};

export const imageArn = (share: ResourceShare, imageId: string): string =>
  `acs:ecs:${share.regionId}:${share.ownerAccountId}:image/${imageId}`;

/** As CreateResourceShare answers it. */
export function createdShareView(share: ResourceShare) {
  return {
    ResourceShareId: share.resourceShareId,
    ResourceShareName: share.name,
    ResourceShareOwner: share.ownerAccountId,
    ResourceShareStatus: share.status,
    AllowExternalTargets: share.allowExternalTargets,
    CreateTime: share.createTime,
    UpdateTime: share.updateTime,
  };
}

/** As ListResourceShares answers it. */
export function shareView(share: ResourceShare) {
  return {
    ...createdShareView(share),
    ResourceGroupId: share.resourceGroupId,
    Tags: share.tags.map((tag) => ({ Key: tag.key, Value: tag.value })),
  };
}

/** As Associate/DisassociateResourceShare answer it; `listed` adds what ListResourceShareAssociations adds. */
export function associationView(share: ResourceShare, association: Association, listed = false) {
  const failure = association.failure;
  return {
    ResourceShareId: share.resourceShareId,
    ResourceShareName: share.name,
    AssociationType: association.type,
    AssociationStatus: association.status,
    AssociationStatusMessage: failure ? FAILURE_DESCRIPTIONS[failure.reason] : '',
    EntityId: association.entityId,
    EntityType: association.entityType,
    ResourceArn: association.type === 'Resource' ? imageArn(share, association.entityId) : '',
    TargetProperty: '',
    ResourceProperty: '',
    CreateTime: association.createTime,
    UpdateTime: association.updateTime,
    ...(listed
      ? {
          External: association.external,
          AssociationFailedDetails: failure
            ? [
                {
                  EntityId: association.entityId,
                  EntityType: association.entityType,
                  FailureReason: failure.reason,
                  FailureDescription: FAILURE_DESCRIPTIONS[failure.reason],
                  OperationType: failure.operation,
                  ResourceArn: association.type === 'Resource' ? imageArn(share, association.entityId) : '',
                },
              ]
            : [],
        }
      : {}),
  };
}
