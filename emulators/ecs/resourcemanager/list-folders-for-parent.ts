/** ListFoldersForParent: the direct subfolders of a folder (the root when none is named), paged. */
import type { Operation } from '../operation.js';
import { matchesKeyword, pageOf, requireFolder, requireManagedDirectory } from './params.js';
import { folderView } from './views.js';

export const listFoldersForParent: Operation = (context) => {
  const directory = requireManagedDirectory(context);
  const parent = requireFolder(context, 'ParentFolderId', directory.rootFolder);
  const folders = context.directory.childFolders(parent.folderId).filter((folder) => matchesKeyword(context.params, folder.name));
  const { page, ...totals } = pageOf(folders, context.params);
  return { Folders: { Folder: page.map(folderView) }, ...totals };
};
