/** How folders and members are written in Resource Manager responses. */
import type { DirectoryStore, Folder, Member } from './store.js';

export const folderView = (folder: Folder) => ({ FolderId: folder.folderId, FolderName: folder.name, CreateTime: folder.createTime });

/** A member as ListAccountsForParent lists it; `withPath` adds ResourceDirectoryPath (ListAccounts, GetAccount). */
export function accountView(directory: DirectoryStore, member: Member, withPath: boolean) {
  const directoryId = directory.get()?.directoryId ?? '';
  return {
    AccountId: member.accountId,
    DisplayName: member.displayName,
    FolderId: member.folderId,
    JoinMethod: 'invited',
    JoinTime: member.joinTime,
    ModifyTime: member.modifyTime,
    ResourceDirectoryId: directoryId,
    Status: 'InviteSuccess',
    Type: 'CloudAccount',
    ...(withPath ? { ResourceDirectoryPath: directory.resourceDirectoryPath(member.accountId) ?? '' } : {}),
  };
}
