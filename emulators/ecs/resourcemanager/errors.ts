/** The one error factory of the emulated Resource Manager API (resource directory reads). */
import { ApiError } from '../errors.js';

export const rmErrors = {
  missingParameter: (name: string) => new ApiError(400, `MissingParameter.${name}`, `You must specify ${name}.`),
  invalidParameter: (name: string, detail: string) => new ApiError(400, `InvalidParameter.${name}`, `The ${name} is invalid. ${detail}`),
  directoryNotInUse: () =>
    new ApiError(404, 'ResourceDirectoryNotInUse', 'The resource directory is not enabled for the account.'),
  directoryNotFound: () =>
    new ApiError(
      404,
      'EntityNotExists.ResourceDirectory',
      'The resource directory for the account is not enabled. We recommend that you first enable the resource directory for the account.',
    ),
  folderNotFound: () => new ApiError(404, 'EntityNotExists.Folder', 'The resource directory folder does not exist.'),
  accountNotFound: () => new ApiError(404, 'EntityNotExists.Account', 'This resource directory account does not exist.'),
} as const;
