/** ListAccountsForParent: the members placed directly in a folder (the root when none is named), paged. */
import type { Operation } from '../operation.js';
import { matchesKeyword, pageOf, requireFolder, requireManagedDirectory } from './params.js';
import { accountView } from './views.js';

export const listAccountsForParent: Operation = (context) => {
  const directory = requireManagedDirectory(context);
  const parent = requireFolder(context, 'ParentFolderId', directory.rootFolder);
  const members = context.directory
    .membersIn(parent.folderId)
    .filter((member) => matchesKeyword(context.params, member.displayName, member.accountId));
  const { page, ...totals } = pageOf(members, context.params);
  return { Accounts: { Account: page.map((member) => ({ ...accountView(context.directory, member, false), Tags: { Tag: [] } })) }, ...totals };
};
