/**
 * The emulated resource directory: one directory (`rd-…`) with its root folder (`r-…`), a folder
 * tree (`fd-…`) and member accounts placed in folders. Resource Manager answers from it, and
 * Resource Sharing asks it which members a target covers. Replaced as a whole by the admin route.
 */
import { randomId } from '../ids.js';

export const DIRECTORY_ID = /^rd-[A-Za-z0-9]{1,32}$/;
export const ROOT_FOLDER_ID = /^r-[A-Za-z0-9]{1,32}$/;
export const FOLDER_ID = /^fd-[A-Za-z0-9]{1,32}$/;
export const ACCOUNT_ID = /^[0-9]{16}$/;

export interface Folder {
  folderId: string;
  /** The root folder's id for a top-level folder; '' for the root itself. */
  parentFolderId: string;
  name: string;
  createTime: string;
}

export interface Member {
  accountId: string;
  folderId: string;
  displayName: string;
  joinTime: string;
  modifyTime: string;
}

export interface Directory {
  directoryId: string;
  rootFolder: Folder;
  managementAccountId: string;
  /** Whether Resource Sharing may share with this directory's entities (EnableSharingWithResourceDirectory). */
  sharingEnabled: boolean;
  createTime: string;
  /** folderId → folder, root excluded, in the order given. */
  folders: Map<string, Folder>;
  /** accountId → member, the management account included. */
  members: Map<string, Member>;
}

export interface DirectoryInput {
  directoryId: string;
  rootFolderId?: string;
  managementAccountId: string;
  folders: Array<{ folderId: string; parentFolderId: string | null; name: string }>;
  /** `folderId` null or absent: the root folder. */
  members: Array<{ accountId: string; folderId?: string | null }>;
  sharingEnabled?: boolean;
}

export class DirectoryStore {
  private current: Directory | undefined;

  reset(): void {
    this.current = undefined;
  }

  get(): Directory | undefined {
    return this.current;
  }

  /**
   * Replaces the directory with `input`, or returns why it cannot (nothing changes then).
   * `isAccount` tells which account ids are registered with the emulator.
   */
  replace(input: DirectoryInput, isAccount: (accountId: string) => boolean, now: Date): string | undefined {
    const createTime = now.toISOString();
    const rootFolderId = input.rootFolderId ?? this.current?.rootFolder.folderId ?? randomId('r-', 6);
    const folders = new Map<string, Folder>();
    for (const folder of input.folders) {
      if (folder.folderId === rootFolderId || folders.has(folder.folderId)) return `folder ${folder.folderId} is listed twice`;
      folders.set(folder.folderId, {
        folderId: folder.folderId,
        parentFolderId: folder.parentFolderId ?? rootFolderId,
        name: folder.name,
        createTime,
      });
    }
    for (const folder of folders.values()) {
      // Every chain of parents must end at the root without meeting itself again.
      const seen = new Set<string>();
      for (let at: Folder | undefined = folder; at; at = folders.get(at.parentFolderId)) {
        if (seen.has(at.folderId)) return `folder ${folder.folderId} is its own ancestor`;
        seen.add(at.folderId);
        if (at.parentFolderId !== rootFolderId && !folders.has(at.parentFolderId)) {
          return `folder ${at.folderId} has an unknown parent ${at.parentFolderId}`;
        }
      }
    }
    if (!isAccount(input.managementAccountId)) return `management account ${input.managementAccountId} is not registered`;
    const members = new Map<string, Member>();
    const place = (accountId: string, folderId: string): void => {
      members.set(accountId, { accountId, folderId, displayName: `account-${accountId}`, joinTime: createTime, modifyTime: createTime });
    };
    for (const member of input.members) {
      if (members.has(member.accountId)) return `member ${member.accountId} is listed twice`;
      if (!isAccount(member.accountId)) return `member ${member.accountId} is not a registered account`;
      const folderId = member.folderId ?? rootFolderId;
      if (folderId !== rootFolderId && !folders.has(folderId)) return `member ${member.accountId} is placed in unknown folder ${folderId}`;
      place(member.accountId, folderId);
    }
    // The management account is always a member; in the root folder unless placed elsewhere.
    if (!members.has(input.managementAccountId)) place(input.managementAccountId, rootFolderId);
    this.current = {
      directoryId: input.directoryId,
      rootFolder: { folderId: rootFolderId, parentFolderId: '', name: 'root', createTime },
      managementAccountId: input.managementAccountId,
      sharingEnabled: input.sharingEnabled ?? true,
      createTime,
      folders,
      members,
    };
    return undefined;
  }

  /** Moves a member to another folder (null: the root), or returns why it cannot. */
  moveMember(accountId: string, folderId: string | null, now: Date): string | undefined {
    const directory = this.current;
    if (!directory) return 'no resource directory is set up';
    const member = directory.members.get(accountId);
    if (!member) return `account ${accountId} is not a member of the resource directory`;
    const destination = folderId ?? directory.rootFolder.folderId;
    if (!this.folder(destination)) return `unknown folder ${destination}`;
    member.folderId = destination;
    member.modifyTime = now.toISOString();
    return undefined;
  }

  /** Removes a member (never the management account), or returns why it cannot. */
  removeMember(accountId: string): string | undefined {
    const directory = this.current;
    if (!directory) return 'no resource directory is set up';
    if (accountId === directory.managementAccountId) return 'the management account cannot leave its resource directory';
    if (!directory.members.delete(accountId)) return `account ${accountId} is not a member of the resource directory`;
    return undefined;
  }

  /** A folder of the directory, the root included. */
  folder(folderId: string): Folder | undefined {
    const directory = this.current;
    if (!directory) return undefined;
    return folderId === directory.rootFolder.folderId ? directory.rootFolder : directory.folders.get(folderId);
  }

  member(accountId: string): Member | undefined {
    return this.current?.members.get(accountId);
  }

  /** Folder ids from the root down to `folderId`, both included; undefined for an unknown folder. */
  folderPath(folderId: string): string[] | undefined {
    const path: string[] = [];
    for (let at = this.folder(folderId); at; at = at.parentFolderId === '' ? undefined : this.folder(at.parentFolderId)) {
      path.unshift(at.folderId);
    }
    return path.length > 0 ? path : undefined;
  }

  /** `rd-…/r-…/fd-…/…` then the folder itself, or the member's folders then its account id. */
  resourceDirectoryPath(entityId: string): string | undefined {
    const directory = this.current;
    if (!directory) return undefined;
    const member = directory.members.get(entityId);
    const folders = this.folderPath(member ? member.folderId : entityId);
    if (!folders) return undefined;
    return [directory.directoryId, ...folders, ...(member ? [member.accountId] : [])].join('/');
  }

  /** Direct children of a folder, in the order they were given. */
  childFolders(folderId: string): Folder[] {
    return [...(this.current?.folders.values() ?? [])].filter((folder) => folder.parentFolderId === folderId);
  }

  /** Members placed directly in a folder. */
  membersIn(folderId: string): Member[] {
    return [...(this.current?.members.values() ?? [])].filter((member) => member.folderId === folderId);
  }

  /** Whether a directory target (`rd-…`, `fd-…` or a member id) covers the member `accountId`, at any depth. */
  covers(target: string, accountId: string): boolean {
    const directory = this.current;
    const member = directory?.members.get(accountId);
    if (!directory || !member) return false;
    if (target === directory.directoryId || target === accountId) return true;
    return FOLDER_ID.test(target) && (this.folderPath(member.folderId) ?? []).includes(target);
  }
}
