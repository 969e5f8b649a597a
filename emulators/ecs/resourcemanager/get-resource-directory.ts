/** GetResourceDirectory: the directory the caller belongs to (any member may ask). */
import type { Operation } from '../operation.js';
import { rmErrors } from './errors.js';

export const getResourceDirectory: Operation = (context) => {
  const directory = context.directory.get();
  if (!directory || !directory.members.has(context.accountId)) throw rmErrors.directoryNotInUse();
  return {
    ResourceDirectory: {
      ResourceDirectoryId: directory.directoryId,
      RootFolderId: directory.rootFolder.folderId,
      MasterAccountId: directory.managementAccountId,
      MasterAccountName: `account-${directory.managementAccountId}`,
      CreateTime: directory.createTime,
      ControlPolicyStatus: 'Disabled',
      MemberDeletionStatus: 'Disabled',
      IdentityInformation: '',
    },
  };
};
