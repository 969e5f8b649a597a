/** ListAccounts: every member of the directory with its ResourceDirectoryPath, paged. */
import type { Operation } from '../operation.js';
import { pageOf, requireManagedDirectory } from './params.js';
import { accountView } from './views.js';

export const listAccounts: Operation = (context) => {
  const directory = requireManagedDirectory(context);
  const { page, ...totals } = pageOf([...directory.members.values()], context.params);
  return { Accounts: { Account: page.map((member) => ({ ...accountView(context.directory, member, true), Tags: { Tag: [] } })) }, ...totals };
};
