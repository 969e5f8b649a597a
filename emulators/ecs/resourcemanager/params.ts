/** What the Resource Manager reads share: the caller's standing in the directory, folder ids, page numbers. */
import type { OperationContext } from '../operation.js';
import { rmErrors } from './errors.js';
import { type Directory, type Folder, FOLDER_ID, ROOT_FOLDER_ID } from './store.js';

const PAGE_NUMBER = { min: 1, max: 1_000_000_000, fallback: 1 };
const PAGE_SIZE = { min: 1, max: 100, fallback: 10 };

/**
 * The directory, for its management account only: the folder tree and the members are read by the
 * management account (or a delegated administrator, not emulated). Anyone else — a member included —
 * gets what an account that did not enable a directory gets.
 */
export function requireManagedDirectory(context: OperationContext): Directory {
  const directory = context.directory.get();
  if (!directory || directory.managementAccountId !== context.accountId) throw rmErrors.directoryNotFound();
  return directory;
}

/** A folder id parameter (`r-…` or `fd-…`) that must name a folder of the directory; empty = `fallback`. */
export function requireFolder(context: OperationContext, name: string, fallback?: Folder): Folder {
  const id = context.params[name];
  if (id === undefined || id === '') {
    if (fallback) return fallback;
    throw rmErrors.missingParameter(name);
  }
  if (!ROOT_FOLDER_ID.test(id) && !FOLDER_ID.test(id)) {
    throw rmErrors.invalidParameter(name, 'The value must start with r- or fd- followed by letters and digits.');
  }
  const folder = context.directory.folder(id);
  if (!folder) throw rmErrors.folderNotFound();
  return folder;
}

function readBound(params: Record<string, string>, name: string, range: { min: number; max: number; fallback: number }): number {
  const value = params[name];
  if (value === undefined || value === '') return range.fallback;
  if (!/^\d+$/.test(value) || Number(value) < range.min || Number(value) > range.max) {
    throw rmErrors.invalidParameter(name, `Expected a value from ${range.min} to ${range.max}.`);
  }
  return Number(value);
}

/** `PageNumber` (from 1) / `PageSize` (1..100, default 10) paging, with the totals RM answers. */
export function pageOf<T>(
  items: readonly T[],
  params: Record<string, string>,
): { page: T[]; PageNumber: number; PageSize: number; TotalCount: number } {
  const pageNumber = readBound(params, 'PageNumber', PAGE_NUMBER);
  const pageSize = readBound(params, 'PageSize', PAGE_SIZE);
  const start = (pageNumber - 1) * pageSize;
  return { page: items.slice(start, start + pageSize), PageNumber: pageNumber, PageSize: pageSize, TotalCount: items.length };
}

/** `QueryKeyword`: a case-insensitive substring of any of the given texts. */
export function matchesKeyword(params: Record<string, string>, ...texts: string[]): boolean {
  const keyword = params['QueryKeyword'];
  if (keyword === undefined || keyword === '') return true;
  return texts.some((text) => text.toLowerCase().includes(keyword.toLowerCase()));
}
