/** The one error factory of the emulated Resource Sharing API (codes and statuses as documented). */
import { ApiError } from '../errors.js';

export const rsErrors = {
  missingParameter: (name: string) =>
    new ApiError(400, `MissingParameter.${name}`, `The parameter ${name} is required.`),
  invalidParameter: (name: string, detail: string) =>
    new ApiError(400, `InvalidParameter.${name}`, `The parameter ${name} is invalid. ${detail}`),
  tooLong: (name: string, limit: number) =>
    new ApiError(400, `InvalidParameter.${name}.Length`, `The parameter ${name} exceeds the length limit of ${limit}.`),
  duplicate: (name: string, value: string) =>
    new ApiError(400, `InvalidParameter.${name}.Duplicate`, `The parameter ${name} contains a duplicate value: ${value}.`),
  invalidNextToken: () => new ApiError(400, 'InvalidParameter.NextToken', 'The specified NextToken is invalid.'),
  bothEmpty: () => new ApiError(400, 'ResourceAndTargetBothEmpty', 'Specify at least one resource or one target.'),
  conflictedAssociationType: (parameter: string, associationType: string) =>
    new ApiError(400, 'ConflictedAssociationType', `The parameter ${parameter} cannot be used with AssociationType ${associationType}.`),
  invalidTarget: (target: string) =>
    new ApiError(400, 'InvalidTarget', `The target ${target} is invalid or is not in your resource directory.`),
  disassociateInvalid: (entityId: string) =>
    new ApiError(400, 'DisassociateInvalid', `The entity ${entityId} is not associated with the resource share.`),
  shareNotFound: (resourceShareId: string) =>
    new ApiError(404, 'EntityNotExists.ResourceShare', `The resource share ${resourceShareId} does not exist.`),
  permissionNotFound: (permissionName: string) =>
    new ApiError(404, 'EntityNotExists.Permission', `The permission ${permissionName} does not exist.`),
  sharingNotEnabled: () =>
    new ApiError(409, 'NotEnableSharingWithResourceDirectory', 'Sharing with the resource directory is not enabled.'),
  accountNotInDirectory: () =>
    new ApiError(409, 'AccountNotInResourceDirectory', 'The account does not belong to a resource directory.'),
  shareWithYourself: () => new ApiError(409, 'ShareWithYourself', 'You cannot share resources with yourself.'),
  nameTaken: (name: string) =>
    new ApiError(409, 'EntityAlreadyExists.ResourceShare', `A resource share named ${name} already exists.`),
  statusMismatch: (status: string) =>
    new ApiError(409, 'ResourceShareStatusMismatchAction', `The action is not allowed while the resource share is ${status}.`),
  associateConflict: (entityId: string) =>
    new ApiError(409, 'AssociateConflict', `The entity ${entityId} is being disassociated; retry when it is Disassociated.`),
  disassociateConflict: (entityId: string, status: string) =>
    new ApiError(409, 'DisassociateConflict', `The entity ${entityId} is ${status}; retry when its association has settled.`),
} as const;
