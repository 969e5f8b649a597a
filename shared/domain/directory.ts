// Resource Directory sharing in the governance vocabulary: the second channel through which an image
// is shared. A resource share (`rs-…`) holds images and targets — the whole directory (`rd-…`), a
// folder (`fd-…`, covering every member below it at any depth) or a member account — and every
// image and target is in it through an association that settles asynchronously. Plain data and tiny
// helpers only; the port is `DirectoryPort` in ports.ts.
import { ACCOUNT_ID_PATTERN, type AccountId } from './model.js';

export const DIRECTORY_ID_PATTERN = '^rd-[A-Za-z0-9]{1,32}$';
export const FOLDER_ID_PATTERN = '^fd-[A-Za-z0-9]{1,32}$';
export const ROOT_FOLDER_ID_PATTERN = '^r-[A-Za-z0-9]{1,32}$';

/** `rd-…`, `fd-…` or a 16-digit member account id. */
export type DirectoryTarget = string;

const unanchored = (pattern: string): string => pattern.replace(/^\^/, '').replace(/\$$/, '');
/** Any of the three target shapes, as one pattern (the HTTP schemas use it). */
export const DIRECTORY_TARGET_PATTERN = `^(${[DIRECTORY_ID_PATTERN, FOLDER_ID_PATTERN, ACCOUNT_ID_PATTERN].map(unanchored).join('|')})$`;
export type DirectoryTargetKind = 'directory' | 'folder' | 'account';

const TARGET_SHAPES: ReadonlyArray<[RegExp, DirectoryTargetKind]> = [
  [new RegExp(DIRECTORY_ID_PATTERN), 'directory'],
  [new RegExp(FOLDER_ID_PATTERN), 'folder'],
  [new RegExp(ACCOUNT_ID_PATTERN), 'account'],
];

/** What a target id names, by its shape; undefined when it is none of the three. */
export const directoryTargetKind = (target: string): DirectoryTargetKind | undefined => TARGET_SHAPES.find(([shape]) => shape.test(target))?.[1];

/**
 * Where an association stands. `associating` and `disassociating` are on their way; only `failed`
 * grants nothing (the service refused the association; its record is purged after 48–96 hours).
 */
export type DirectoryAssociationStatus = 'associating' | 'associated' | 'disassociating' | 'failed';

/** The service's own resource share of an image is named `isg-<imageId>` and tagged `managed-by=image-share-governor`. */
export const SERVICE_SHARE_TAG = { key: 'managed-by', value: 'image-share-governor' } as const;
export const serviceShareName = (imageId: string): string => `isg-${imageId}`;

/** One resource share holding an image, and every target it reaches the image to. */
export interface DirectoryHolding {
  readonly resourceShareId: string;
  readonly resourceShareName: string;
  /** `service`: the one share this service keeps for the image (name and tag above); `other`: made by anyone else. */
  readonly owner: 'service' | 'other';
  /** The image's own association with the share. */
  readonly status: DirectoryAssociationStatus;
  /** The share's targets that are not disassociated, with their associations' status. */
  readonly targets: readonly { readonly target: DirectoryTarget; readonly status: DirectoryAssociationStatus }[];
}

/** One target that holds the image through one resource share: the row describe, drift and audit speak of. */
export interface DirectoryShare {
  readonly resourceShareId: string;
  readonly resourceShareName: string;
  readonly owner: 'service' | 'other';
  readonly target: DirectoryTarget;
  /** Both associations combined: `failed` if either failed, else the one furthest from `associated`. */
  readonly status: DirectoryAssociationStatus;
}

/** Whether an association gives the target access, is about to, or still does. */
export const grantsAccess = (status: DirectoryAssociationStatus): boolean => status !== 'failed';

const STATUS_RANK: Readonly<Record<DirectoryAssociationStatus, number>> = { associated: 0, associating: 1, disassociating: 2, failed: 3 };

/** The per-target rows of an image's holdings, in share then target order. */
export function directorySharesOf(holdings: readonly DirectoryHolding[]): DirectoryShare[] {
  return holdings.flatMap((holding) =>
    holding.targets.map((entry) => ({
      resourceShareId: holding.resourceShareId,
      resourceShareName: holding.resourceShareName,
      owner: holding.owner,
      target: entry.target,
      status: STATUS_RANK[entry.status] > STATUS_RANK[holding.status] ? entry.status : holding.status,
    })),
  );
}

/** Whether any resource share still holds the image (with or without targets): ECS refuses to delete it then. */
export const holdsImage = (holdings: readonly DirectoryHolding[]): boolean => holdings.some((holding) => grantsAccess(holding.status));

/** What a target is in the directory. Folder paths run from the root folder (`r-…`) down. */
export type ResolvedTarget =
  | { readonly kind: 'directory'; readonly target: DirectoryTarget; readonly directoryId: string }
  | { readonly kind: 'folder'; readonly target: DirectoryTarget; readonly directoryId: string; readonly folderPath: readonly string[] }
  | {
      readonly kind: 'account';
      readonly target: AccountId;
      readonly member: true;
      readonly directoryId: string;
      /** The folders the member is in, root first; the last is its own folder. */
      readonly folderPath: readonly string[];
    }
  | { readonly kind: 'account'; readonly target: AccountId; readonly member: false };

/** Whether a resolved target is the folder `folderId` or inside it at any depth. */
export const isInFolder = (resolved: ResolvedTarget, folderId: string): boolean =>
  'folderPath' in resolved && resolved.folderPath.includes(folderId);

/**
 * Directory lookups made during one invocation, so a sweep never resolves the same account or folder
 * twice. Create one per invocation (a directory changes; an instance outlives many invocations) and
 * pass it to every `resolveTarget` of that invocation. A lookup that failed is forgotten, so a later
 * call may retry it.
 */
export class DirectoryLookupCache {
  private readonly entries = new Map<string, Promise<unknown>>();

  /** The value remembered under `key`, loaded by `load` the first time (concurrent callers share one load). */
  remember<T>(key: string, load: () => Promise<T>): Promise<T> {
    const known = this.entries.get(key) as Promise<T> | undefined;
    if (known) return known;
    const loading = load();
    this.entries.set(key, loading);
    loading.catch(() => this.entries.delete(key));
    return loading;
  }
}
