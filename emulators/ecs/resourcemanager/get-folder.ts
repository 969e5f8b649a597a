/** GetFolder: one folder (the root included), with its parent and ResourceDirectoryPath. */
import type { Operation } from '../operation.js';
import { requireFolder, requireManagedDirectory } from './params.js';
import { folderView } from './views.js';

export const getFolder: Operation = (context) => {
  requireManagedDirectory(context);
  const folder = requireFolder(context, 'FolderId');
  return {
    Folder: {
      ...folderView(folder),
      ParentFolderId: folder.parentFolderId,
      ResourceDirectoryPath: context.directory.resourceDirectoryPath(folder.folderId) ?? '',
    },
  };
};
