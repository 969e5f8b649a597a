/** The allow-list of emulated Resource Manager actions (version 2020-03-31): the resource directory reads. */
import type { Operation } from '../operation.js';
import { getAccount } from './get-account.js';
import { getFolder } from './get-folder.js';
import { getResourceDirectory } from './get-resource-directory.js';
import { listAccounts } from './list-accounts.js';
import { listAccountsForParent } from './list-accounts-for-parent.js';
import { listFoldersForParent } from './list-folders-for-parent.js';

export const RESOURCE_MANAGER_API_VERSION = '2020-03-31';

export const RESOURCE_MANAGER_OPERATIONS: ReadonlyMap<string, Operation> = new Map<string, Operation>([
  ['GetResourceDirectory', getResourceDirectory],
  ['ListFoldersForParent', listFoldersForParent],
  ['ListAccountsForParent', listAccountsForParent],
  ['ListAccounts', listAccounts],
  ['GetAccount', getAccount],
  ['GetFolder', getFolder],
]);
