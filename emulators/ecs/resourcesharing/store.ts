/**
 * Resource shares of the emulated Resource Sharing service, per owner account and region: each holds
 * resources (ECS images) and targets (the directory, folders, member accounts or, when the share
 * allows external targets, any account), every one of them through an association with a status.
 *
 * Associating and disassociating are asynchronous as in the real service: a write leaves the
 * association `Associating` / `Disassociating` and it settles `associationDelayMs` later on the
 * emulator clock. Settling is lazy — every read and write first settles what is due — so a delay of
 * 0 settles on the next call and a frozen clock never settles.
 */
import { randomId } from '../ids.js';
import type { Image } from '../store.js';
import { ACCOUNT_ID, type DirectoryStore, DIRECTORY_ID, FOLDER_ID } from '../resourcemanager/store.js';

export const SHARE_STATUSES = ['Active', 'Pending', 'Deleting', 'Deleted'] as const;
export type ShareStatus = (typeof SHARE_STATUSES)[number];
export const ASSOCIATION_STATUSES = ['Associating', 'Associated', 'Failed', 'Disassociating', 'Disassociated'] as const;
export type AssociationStatus = (typeof ASSOCIATION_STATUSES)[number];
export const FAILURE_REASONS = ['Unavailable', 'LimitExceeded', 'ZonalResourceInaccessible', 'InternalError', 'UnsupportedOperation'] as const;
export type FailureReason = (typeof FAILURE_REASONS)[number];
export type AssociationType = 'Resource' | 'Target';

/** The only resource type emulated, and its default (only) permission. */
export const IMAGE_RESOURCE_TYPE = 'Image';
export const DEFAULT_IMAGE_PERMISSION = 'AliyunRSDefaultPermissionImage';

/** Statuses in which an association gives access, or is about to, or still does. */
export const HOLDING: ReadonlySet<AssociationStatus> = new Set(['Associating', 'Associated', 'Disassociating']);

export interface Association {
  readonly type: AssociationType;
  readonly entityId: string;
  /** `Image` for resources; `ResourceDirectory`, `Folder` or `Account` for targets. */
  readonly entityType: string;
  status: AssociationStatus;
  /** A target outside the resource directory (an external account). */
  external: boolean;
  createTime: string;
  updateTime: string;
  /** Paging order. */
  sequence: number;
  /** What the association becomes, and when, while it is Associating / Disassociating. */
  pending?: { atMs: number; to: 'Associated' | 'Disassociated'; failure?: FailureReason };
  failure?: { reason: FailureReason; operation: 'Associate' | 'Disassociate' };
}

export interface ResourceShare {
  resourceShareId: string;
  name: string;
  ownerAccountId: string;
  regionId: string;
  status: ShareStatus;
  allowExternalTargets: boolean;
  tags: Array<{ key: string; value: string }>;
  resourceGroupId: string;
  permissionNames: string[];
  createTime: string;
  updateTime: string;
  sequence: number;
  associations: Association[];
  /** When a Deleting share becomes Deleted. */
  deletedAtMs?: number;
}

export interface NewResourceShare {
  name: string;
  ownerAccountId: string;
  regionId: string;
  allowExternalTargets: boolean;
  tags: Array<{ key: string; value: string }>;
  resourceGroupId: string;
  permissionNames: string[];
}

/** An entity to associate; `failure` makes its association settle as Failed. */
export interface EntityToAssociate {
  type: AssociationType;
  entityId: string;
  failure?: FailureReason;
}

/** Why a target cannot be associated, or what it is. */
export type TargetCheck =
  | { ok: true; entityType: string; external: boolean }
  | { ok: false; reason: 'self' | 'invalid' | 'notInDirectory' | 'sharingDisabled' | 'external' };

function newShareId(taken: ReadonlyMap<string, unknown>): string {
  for (;;) {
    const id = randomId('rs-', 10);
    if (!taken.has(id)) return id;
  }
}

export function targetEntityType(target: string): string {
  if (DIRECTORY_ID.test(target)) return 'ResourceDirectory';
  if (FOLDER_ID.test(target)) return 'Folder';
  return 'Account';
}

export class ResourceShareStore {
  private shares = new Map<string, ResourceShare>();
  private sequence = 0;
  private delayMs: number;
  private failures = new Map<string, FailureReason>();

  constructor(
    private readonly directory: DirectoryStore,
    private readonly now: () => Date,
    private readonly defaultDelayMs: number,
  ) {
    this.delayMs = defaultDelayMs;
  }

  reset(): void {
    this.shares.clear();
    this.sequence = 0;
    this.delayMs = this.defaultDelayMs;
    this.failures.clear();
  }

  /** How long associations stay transitional, and which entities' associations fail (and why). */
  configure(settings: { associationDelayMs?: number; failures?: Array<{ entityId: string; reason: FailureReason }> }): void {
    if (settings.associationDelayMs !== undefined) this.delayMs = settings.associationDelayMs;
    if (settings.failures !== undefined) this.failures = new Map(settings.failures.map((failure) => [failure.entityId, failure.reason]));
  }

  settings(): { associationDelayMs: number; failures: Array<{ entityId: string; reason: FailureReason }> } {
    return { associationDelayMs: this.delayMs, failures: [...this.failures].map(([entityId, reason]) => ({ entityId, reason })) };
  }

  /** The failure configured for an entity's next association, if any. */
  configuredFailure(entityId: string): FailureReason | undefined {
    return this.failures.get(entityId);
  }

  /** Whether `owner` may name `target` in a share that does (or does not) allow external targets. */
  checkTarget(ownerAccountId: string, target: string, allowExternalTargets: boolean, isAccount: (id: string) => boolean): TargetCheck {
    if (target === ownerAccountId) return { ok: false, reason: 'self' };
    const directory = this.directory.get();
    const ownerInDirectory = this.directory.member(ownerAccountId) !== undefined;
    const viaDirectory = DIRECTORY_ID.test(target) || FOLDER_ID.test(target) || (ACCOUNT_ID.test(target) && this.directory.member(target));
    if (viaDirectory) {
      if (!directory || !ownerInDirectory) return { ok: false, reason: 'notInDirectory' };
      if (!directory.sharingEnabled) return { ok: false, reason: 'sharingDisabled' };
      if (DIRECTORY_ID.test(target) && target !== directory.directoryId) return { ok: false, reason: 'invalid' };
      if (FOLDER_ID.test(target) && !this.directory.folder(target)) return { ok: false, reason: 'invalid' };
      return { ok: true, entityType: targetEntityType(target), external: false };
    }
    if (!ACCOUNT_ID.test(target) || !isAccount(target)) return { ok: false, reason: 'invalid' };
    if (!allowExternalTargets) return { ok: false, reason: 'external' };
    return { ok: true, entityType: 'Account', external: true };
  }

  create(input: NewResourceShare, entities: EntityToAssociate[], settled: boolean): ResourceShare {
    this.settle();
    const time = this.now().toISOString();
    const share: ResourceShare = {
      resourceShareId: newShareId(this.shares),
      ...input,
      tags: input.tags.map((tag) => ({ ...tag })),
      permissionNames: [...input.permissionNames],
      status: 'Active',
      createTime: time,
      updateTime: time,
      sequence: ++this.sequence,
      associations: [],
    };
    this.shares.set(share.resourceShareId, share);
    this.associate(share, entities, settled);
    return share;
  }

  /** A share by id, whoever owns it, its associations settled. */
  find(resourceShareId: string): ResourceShare | undefined {
    this.settle();
    return this.shares.get(resourceShareId);
  }

  /** Every share, in creation order, settled. */
  all(): ResourceShare[] {
    this.settle();
    return [...this.shares.values()];
  }

  /** The association of one entity with a share, if it ever had one. */
  association(share: ResourceShare, type: AssociationType, entityId: string): Association | undefined {
    return share.associations.find((association) => association.type === type && association.entityId === entityId);
  }

  /**
   * Starts associating entities (each new, or previously Disassociated or Failed); `settled` makes
   * them Associated at once (a share made out of band). Returns their associations in call order.
   */
  associate(share: ResourceShare, entities: EntityToAssociate[], settled = false): Association[] {
    this.settle();
    const nowMs = this.now().getTime();
    const time = new Date(nowMs).toISOString();
    return entities.map((entity) => {
      let association = this.association(share, entity.type, entity.entityId);
      if (association && (association.status === 'Associated' || association.status === 'Associating')) return association;
      if (!association) {
        association = {
          type: entity.type,
          entityId: entity.entityId,
          entityType: entity.type === 'Resource' ? IMAGE_RESOURCE_TYPE : targetEntityType(entity.entityId),
          status: 'Associating',
          external: false,
          createTime: time,
          updateTime: time,
          sequence: ++this.sequence,
        };
        share.associations.push(association);
      }
      if (entity.type === 'Target') association.external = this.directory.member(entity.entityId) === undefined && ACCOUNT_ID.test(entity.entityId);
      delete association.failure;
      association.updateTime = time;
      if (settled) {
        association.status = 'Associated';
        delete association.pending;
      } else {
        association.status = 'Associating';
        association.pending = { atMs: nowMs + this.delayMs, to: 'Associated', ...(entity.failure ? { failure: entity.failure } : {}) };
      }
      return association;
    });
  }

  /** Starts disassociating associations that are Associated. */
  disassociate(associations: Association[]): void {
    const nowMs = this.now().getTime();
    for (const association of associations) {
      association.status = 'Disassociating';
      association.updateTime = new Date(nowMs).toISOString();
      association.pending = { atMs: nowMs + this.delayMs, to: 'Disassociated' };
    }
  }

  /** Starts deleting a share: it is Deleting, every live association Disassociating, until it settles Deleted. */
  delete(share: ResourceShare): void {
    this.settle();
    const nowMs = this.now().getTime();
    share.status = 'Deleting';
    share.updateTime = new Date(nowMs).toISOString();
    share.deletedAtMs = nowMs + this.delayMs;
    this.disassociate(share.associations.filter((association) => HOLDING.has(association.status)));
  }

  /** Whether an image is in a share that is not deleted, its association not ended (so ECS must not delete it). */
  holdsImage(image: Image): boolean {
    return this.holdersOf(image).length > 0;
  }

  /** `{resourceShareId, target}` for every target of every share holding the image. */
  directoryTargetsOf(image: Image): Array<{ resourceShareId: string; target: string }> {
    return this.holdersOf(image).flatMap((share) =>
      share.associations
        .filter((association) => association.type === 'Target' && HOLDING.has(association.status))
        .map((association) => ({ resourceShareId: share.resourceShareId, target: association.entityId })),
    );
  }

  /**
   * Whether an Active share reaches `accountId` through a target association that is Associated:
   * the directory covers every member, a folder the members at any depth below it, a member account
   * itself; any other account only as the target of a share that allows external targets.
   */
  reaches(share: ResourceShare, accountId: string): boolean {
    return (
      share.status === 'Active' &&
      share.ownerAccountId !== accountId &&
      share.associations.some(
        (association) =>
          association.type === 'Target' &&
          association.status === 'Associated' &&
          (this.directory.covers(association.entityId, accountId) || (share.allowExternalTargets && association.entityId === accountId)),
      )
    );
  }

  /** Whether the image reaches `accountId`: in a share that reaches it, with the image's association Associated. */
  visibleTo(image: Image, accountId: string): boolean {
    return this.holdersOf(image).some(
      (share) => this.association(share, 'Resource', image.imageId)?.status === 'Associated' && this.reaches(share, accountId),
    );
  }

  private holdersOf(image: Image): ResourceShare[] {
    return this.all().filter(
      (share) =>
        share.regionId === image.regionId &&
        share.ownerAccountId === image.ownerAccountId &&
        share.status !== 'Deleted' &&
        HOLDING.has(this.association(share, 'Resource', image.imageId)?.status ?? 'Disassociated'),
    );
  }

  /** Applies every transition that is due on the emulator clock. */
  private settle(): void {
    const nowMs = this.now().getTime();
    for (const share of this.shares.values()) {
      for (const association of share.associations) {
        const pending = association.pending;
        if (!pending || pending.atMs > nowMs) continue;
        association.status = pending.failure ? 'Failed' : pending.to;
        if (pending.failure) association.failure = { reason: pending.failure, operation: 'Associate' };
        association.updateTime = new Date(pending.atMs).toISOString();
        delete association.pending;
      }
      if (share.status === 'Deleting' && share.deletedAtMs !== undefined && share.deletedAtMs <= nowMs) {
        share.status = 'Deleted';
        share.updateTime = new Date(share.deletedAtMs).toISOString();
        delete share.deletedAtMs;
      }
    }
  }
}
