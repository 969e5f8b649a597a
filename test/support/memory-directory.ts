// In-memory DirectoryPort with the rules the domain relies on, as the directory adapter answers them on
// the ECS emulator (test/contract/directory-port-contract.ts runs the same suite on both): one service
// share per image (`isg-<imageId>`, created on the first add, deleted once it holds no target), shares
// made outside the service, targets that must be in the directory (the directory itself, its folders,
// its members), five entities per call, removals that leave other resources and targets alone, and
// target resolution through the caller's lookup cache. Associations settle at once. Faults can be
// injected per method, before or after the call takes effect.
import {
  type DirectoryHolding,
  type DirectoryLookupCache,
  type DirectoryTarget,
  type ResolvedTarget,
  directoryTargetKind,
  serviceShareName,
} from '../../shared/domain/directory.js';
import { GovernorError } from '../../shared/domain/errors.js';
import { IMAGE_ID_PATTERN } from '../../shared/domain/model.js';
import type { DirectoryPort } from '../../shared/domain/ports.js';
import { FaultyFake } from './faulty-fake.js';

type Method = keyof DirectoryPort;

/** The Resource Sharing cap of targets per call, as the adapter chunks them. */
const ENTRIES_PER_CALL = 5;

export interface DirectoryCall {
  readonly method: Method | 'lookup';
  readonly regionId?: string;
  readonly imageId?: string;
  /** Targets of one add or remove call (≤ 5), or the key of one directory lookup. */
  readonly targets?: readonly string[];
  readonly resourceShareId?: string;
  readonly error?: string;
}

interface FakeShare {
  readonly id: string;
  readonly name: string;
  readonly regionId: string;
  readonly owner: 'service' | 'other';
  readonly images: Set<string>;
  readonly targets: Set<string>;
}

export interface FakeDirectory {
  readonly directoryId: string;
  readonly rootFolderId: string;
  /** Folders below the root: parent null = the root. */
  readonly folders: readonly { readonly folderId: string; readonly parentFolderId: string | null }[];
  /** Members and their folder (null: the root); the management account is added in the root. */
  readonly members: readonly { readonly accountId: string; readonly folderId: string | null }[];
  readonly managementAccountId: string;
}

const IMAGE_ID = new RegExp(IMAGE_ID_PATTERN);

export class MemoryDirectory extends FaultyFake<Method, DirectoryCall> implements DirectoryPort {
  private directory: FakeDirectory | undefined;
  private readonly shares = new Map<string, FakeShare>();
  private readonly failures = new Map<string, string>();
  private counter = 0;
  /** Runs inside addTargets before it takes effect (lets a test interleave another action). */
  beforeAddTargets?: (regionId: string, imageId: string, targets: readonly DirectoryTarget[]) => Promise<void> | void;

  constructor(
    /** Whether the owner has this image as a custom image (Resource Sharing refuses others); default: every image. */
    private readonly ownsImage: (regionId: string, imageId: string) => boolean = () => true,
  ) {
    super();
  }

  // ---- test controls ----

  setDirectory(directory: FakeDirectory): void {
    this.directory = directory;
  }

  /** A resource share made outside the service (the console, another tool), holding images and targets; returns its id. */
  addOutOfBandShare(share: { regionId?: string; name?: string; images: readonly string[]; targets: readonly string[] }): string {
    const id = `rs-fake${String(this.counter++).padStart(6, '0')}`;
    this.shares.set(id, {
      id,
      name: share.name ?? `console-share-${this.counter}`,
      regionId: share.regionId ?? 'cn-hangzhou',
      owner: 'other',
      images: new Set(share.images),
      targets: new Set(share.targets),
    });
    return id;
  }

  /** Every later association of `entity` (an image or a target) fails with `reason`, as the emulator's failure settings do. */
  failAssociations(entity: string, reason: string): void {
    this.failures.set(entity, reason);
  }

  /** Takes a target out of a share behind the service's back (the console). */
  removeOutOfBand(resourceShareId: string, target: string): void {
    this.shares.get(resourceShareId)?.targets.delete(target);
  }

  /** The targets every share holding the image reaches it to, as `share/target` pairs, sorted. */
  heldFor(regionId: string, imageId: string): string[] {
    return [...this.shares.values()]
      .filter((s) => s.regionId === regionId && s.images.has(imageId))
      .flatMap((s) => [...s.targets].map((t) => `${s.owner === 'service' ? 'service' : s.id}/${t}`))
      .sort();
  }

  /** The ids of the shares holding the image. */
  sharesHolding(regionId: string, imageId: string): string[] {
    return [...this.shares.values()].filter((s) => s.regionId === regionId && s.images.has(imageId)).map((s) => s.id);
  }

  // ---- plumbing ----

  private static requireImageId(imageId: string): void {
    if (!IMAGE_ID.test(imageId)) throw new GovernorError('ValidationFailed', 'Not an image id', { details: { imageId } });
  }

  private static validTargets(targets: readonly string[]): string[] {
    const invalid = targets.filter((t) => directoryTargetKind(t) === undefined);
    if (invalid.length > 0) throw new GovernorError('ValidationFailed', 'Directory targets are rd-…, fd-… or 16-digit account ids', { details: { invalid } });
    return [...new Set(targets)];
  }

  private holdingsOf(share: FakeShare, imageId: string): DirectoryHolding {
    return {
      resourceShareId: share.id,
      resourceShareName: share.name,
      owner: share.owner === 'service' && share.name === serviceShareName(imageId) ? 'service' : 'other',
      status: 'associated',
      targets: [...share.targets].map((target) => ({ target, status: 'associated' as const })),
    };
  }

  private serviceShare(regionId: string, imageId: string): FakeShare | undefined {
    return [...this.shares.values()].find((s) => s.regionId === regionId && s.owner === 'service' && s.name === serviceShareName(imageId));
  }

  /** Whether Resource Sharing takes the target (InvalidTarget otherwise): the directory, its folders and members. */
  private reachable(target: string): boolean {
    const d = this.directory;
    if (!d) return false;
    const kind = directoryTargetKind(target);
    if (kind === 'directory') return target === d.directoryId;
    if (kind === 'folder') return d.folders.some((f) => f.folderId === target);
    return target === d.managementAccountId || d.members.some((m) => m.accountId === target);
  }

  private folderPath(folderId: string | null): string[] {
    const d = this.directory as FakeDirectory;
    const path: string[] = [];
    for (let at = folderId; at !== null; at = d.folders.find((f) => f.folderId === at)?.parentFolderId ?? null) path.unshift(at);
    return [d.rootFolderId, ...path];
  }

  // ---- DirectoryPort ----

  async imageShares(regionId: string, imageId: string): Promise<DirectoryHolding[]> {
    MemoryDirectory.requireImageId(imageId);
    return this.call({ method: 'imageShares', regionId, imageId }, () =>
      [...this.shares.values()].filter((s) => s.regionId === regionId && s.images.has(imageId)).map((s) => this.holdingsOf(s, imageId)),
    );
  }

  async regionShares(regionId: string): Promise<ReadonlyMap<string, DirectoryHolding[]>> {
    return this.call({ method: 'regionShares', regionId }, () => {
      const byImage = new Map<string, DirectoryHolding[]>();
      for (const share of this.shares.values()) {
        if (share.regionId !== regionId) continue;
        for (const imageId of share.images) byImage.set(imageId, [...(byImage.get(imageId) ?? []), this.holdingsOf(share, imageId)]);
      }
      return byImage;
    });
  }

  async addTargets(regionId: string, imageId: string, requested: readonly DirectoryTarget[]): Promise<{ resourceShareId: string; created: boolean }> {
    MemoryDirectory.requireImageId(imageId);
    const targets = MemoryDirectory.validTargets(requested);
    if (targets.length === 0) throw new GovernorError('ValidationFailed', 'No directory targets to share with', { details: { regionId, imageId } });
    await this.beforeAddTargets?.(regionId, imageId, targets);
    let share = this.serviceShare(regionId, imageId);
    const created = share === undefined;
    const failed: Array<{ target: string; reason: string }> = [];
    for (let i = 0; i < targets.length; i += ENTRIES_PER_CALL) {
      const chunk = targets.slice(i, i + ENTRIES_PER_CALL);
      share = await this.call({ method: 'addTargets', regionId, imageId, targets: chunk }, () => {
        if (chunk.includes(this.directory?.managementAccountId ?? '')) throw new GovernorError('CannotShareWithOwner', 'ShareWithYourself');
        const invalid = chunk.filter((t) => !this.reachable(t));
        if (invalid.length > 0) throw new GovernorError('UnknownAccount', `InvalidTarget: ${invalid.join(', ')}`, { details: { regionId, imageId } });
        const into =
          this.serviceShare(regionId, imageId) ??
          ((): FakeShare => {
            const id = `rs-fake${String(this.counter++).padStart(6, '0')}`;
            const fresh: FakeShare = { id, name: serviceShareName(imageId), regionId, owner: 'service', images: new Set(), targets: new Set() };
            this.shares.set(id, fresh);
            return fresh;
          })();
        const imageFailure = this.failures.get(imageId) ?? (this.ownsImage(regionId, imageId) ? undefined : 'Unavailable');
        if (imageFailure === undefined) into.images.add(imageId);
        for (const target of chunk) {
          const reason = this.failures.get(target);
          if (reason === undefined) into.targets.add(target);
          else failed.push({ target, reason });
        }
        if (imageFailure !== undefined) {
          const code = imageFailure === 'Unavailable' ? 'ImageNotFound' : imageFailure === 'LimitExceeded' ? 'ShareQuotaExceeded' : 'ImageNotShareable';
          throw new GovernorError(code, `Resource Sharing did not take image ${imageId}: ${imageFailure}`, { details: { reason: imageFailure } });
        }
        return into;
      });
    }
    const held = share as FakeShare;
    if (failed.length > 0) {
      const reasons = failed.map((f) => f.reason);
      const code = reasons.includes('LimitExceeded')
        ? 'ShareQuotaExceeded'
        : reasons.every((r) => r === 'InternalError' || r === 'ZonalResourceInaccessible')
          ? 'UpstreamUnavailable'
          : 'UnknownAccount';
      throw new GovernorError(code, `Resource Sharing did not take ${failed.length} target(s)`, {
        details: { regionId, imageId, resourceShareId: held.id, failed, associated: targets.filter((t) => held.targets.has(t)) },
      });
    }
    return { resourceShareId: held.id, created };
  }

  async removeTargets(regionId: string, imageId: string, requested: readonly DirectoryTarget[]): Promise<void> {
    MemoryDirectory.requireImageId(imageId);
    const targets = MemoryDirectory.validTargets(requested);
    await this.call({ method: 'removeTargets', regionId, imageId, targets }, () => {
      const share = this.serviceShare(regionId, imageId);
      if (!share) return;
      for (const target of targets) share.targets.delete(target);
      // A share with no target left would still hold the image: the adapter deletes it.
      if (share.targets.size === 0) this.shares.delete(share.id);
    });
  }

  async removeImageFromShare(regionId: string, resourceShareId: string, imageId: string): Promise<void> {
    MemoryDirectory.requireImageId(imageId);
    if (!/^rs-[A-Za-z0-9]{1,64}$/.test(resourceShareId)) throw new GovernorError('ValidationFailed', 'Not a resource share id', { details: { resourceShareId } });
    await this.call({ method: 'removeImageFromShare', regionId, imageId, resourceShareId }, () => {
      const share = this.shares.get(resourceShareId);
      if (share?.regionId === regionId) share.images.delete(imageId);
    });
  }

  async resolveTarget(target: DirectoryTarget, cache: DirectoryLookupCache): Promise<ResolvedTarget> {
    const kind = directoryTargetKind(target);
    if (kind === undefined) throw new GovernorError('ValidationFailed', 'Directory targets are rd-…, fd-… or 16-digit account ids', { details: { target } });
    const lookup = async <T>(key: string, answer: () => T): Promise<T> =>
      cache.remember(key, async () => {
        await new Promise<void>((resolve) => setImmediate(resolve));
        this.calls.push({ method: 'lookup', targets: [key] });
        return answer();
      });
    const unknown = (why: string) => new GovernorError('UnknownAccount', `${target} ${why}`, { details: { target } });
    if (kind === 'directory') {
      const directoryId = await lookup('directory', () => this.directory?.directoryId);
      if (directoryId !== target) throw unknown('is not the resource directory this account belongs to');
      return { kind, target, directoryId };
    }
    if (kind === 'folder') {
      return lookup(`folder:${target}`, () => {
        const d = this.directory;
        if (!d || !d.folders.some((f) => f.folderId === target)) throw unknown('is not a folder of the resource directory');
        return { kind, target, directoryId: d.directoryId, folderPath: this.folderPath(target) };
      });
    }
    return lookup(`account:${target}`, (): ResolvedTarget => {
      const d = this.directory;
      const member = d?.members.find((m) => m.accountId === target) ?? (d && target === d.managementAccountId ? { accountId: target, folderId: null } : undefined);
      if (!d || !member) return { kind, target, member: false };
      return { kind, target, member: true, directoryId: d.directoryId, folderPath: this.folderPath(member.folderId) };
    });
  }
}
