/** GetAccount: one member, with the ResourceDirectoryPath that places it in the folder tree. */
import type { Operation } from '../operation.js';
import { rmErrors } from './errors.js';
import { requireManagedDirectory } from './params.js';
import { ACCOUNT_ID } from './store.js';
import { accountView } from './views.js';

export const getAccount: Operation = (context) => {
  requireManagedDirectory(context);
  const accountId = context.params['AccountId'];
  if (accountId === undefined || accountId === '') throw rmErrors.missingParameter('AccountId');
  if (!ACCOUNT_ID.test(accountId)) throw rmErrors.invalidParameter('AccountId', 'Specify a 16-digit ID.');
  const member = context.directory.member(accountId);
  if (!member) throw rmErrors.accountNotFound();
  return {
    Account: {
      ...accountView(context.directory, member, true),
      AccountName: `${accountId}@example.com`,
      Location: '',
      EmailStatus: '',
      IdentityInformation: '',
      Tags: [],
    },
  };
};
