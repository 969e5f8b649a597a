// DirectoryPort over the real Resource Sharing and Resource Manager APIs (and STS, when the directory
// is read through an assumed role). Every method throws GovernorError only. How the calls are made,
// counted and waited for: README.md beside this file.
import { DEFAULT_RETRY, type BeforeCall, type RetryPolicy } from '../alicloud/retry.js';
import type { CredentialsSource } from '../credentials.js';
import {
  type DirectoryAssociationStatus,
  type DirectoryHolding,
  type DirectoryLookupCache,
  type DirectoryTarget,
  type ResolvedTarget,
  DIRECTORY_ID_PATTERN,
  FOLDER_ID_PATTERN,
  ROOT_FOLDER_ID_PATTERN,
  SERVICE_SHARE_TAG,
  directoryTargetKind,
  serviceShareName,
} from '../domain/directory.js';
import { type ErrorCode, GovernorError, isGovernorError } from '../domain/errors.js';
import { ACCOUNT_ID_PATTERN, IMAGE_ID_PATTERN } from '../domain/model.js';
import type { DirectoryPort } from '../domain/ports.js';
import { type AssociationRow, DirectoryApi, type ResourceShareRow } from './api.js';
import { AssumedRole } from './assumed-role.js';

export interface DirectoryPortOptions {
  /**
   * host[:port] without scheme, each overriding the SDK's rule: `resourcesharing.<region>.aliyuncs.com`,
   * `resourcemanager.aliyuncs.com`, `sts.aliyuncs.com`.
   */
  readonly endpoints?: { readonly resourceSharing?: string; readonly resourceManager?: string; readonly sts?: string };
  readonly protocol: 'https' | 'http';
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  /** The image owner account's credentials, asked before every request. */
  readonly credentials: CredentialsSource;
  /** Read the directory (Resource Manager) as this role, assumed through STS with `credentials`; default: as the owner account. */
  readonly directoryRole?: { readonly roleArn: string; readonly sessionName?: string; readonly durationSeconds?: number };
  readonly retry?: RetryPolicy;
  /** Injectable so tests need neither wait out backoff nor association delays. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Awaited before every API call, retries included (the caller's per-API/region rate limiter); region '' for Resource Manager and STS. */
  readonly beforeCall?: BeforeCall;
  /** Told the outcome of every API call: 'ok', the service's error code, or the transport error. */
  readonly onCall?: (action: string, regionId: string, outcome: 'ok' | string) => void;
  /** MaxResults of the Resource Sharing lists, 1..100 (default 100). */
  readonly pageSize?: number;
  /** How long to wait for associations to settle: sleeping at most `timeoutMs` in all, polls `intervalMs` apart doubling up to `maxIntervalMs`. */
  readonly wait?: { readonly timeoutMs?: number; readonly intervalMs?: number; readonly maxIntervalMs?: number };
  /** The clock the assumed role's session expiry is judged by. */
  readonly nowMs?: () => number;
}

/** The Resource Sharing per-call cap of Resources, Targets and ResourceShareIds. */
export const MAX_ENTRIES_PER_CALL = 5;
const MAX_PAGE_SIZE = 100;
/** Paging guard: stops a server whose NextToken never ends. */
const MAX_PAGES = 10_000;
const DEFAULT_WAIT = { timeoutMs: 30_000, intervalMs: 100, maxIntervalMs: 2_000 };
const RESOURCE_SHARE_ID = /^rs-[A-Za-z0-9]{1,64}$/;
const IMAGE_ID = new RegExp(IMAGE_ID_PATTERN);
const ACCOUNT_ID = new RegExp(ACCOUNT_ID_PATTERN);
const DIRECTORY_ID = new RegExp(DIRECTORY_ID_PATTERN);
const ROOT_FOLDER_ID = new RegExp(ROOT_FOLDER_ID_PATTERN);
const FOLDER_ID = new RegExp(FOLDER_ID_PATTERN);

const realSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}

type Status = DirectoryAssociationStatus | 'disassociated';

/** An unknown status is taken as still settling: it may grant access, and it is not final. */
const STATUSES: Readonly<Record<string, Status>> = {
  Associating: 'associating',
  Associated: 'associated',
  Disassociating: 'disassociating',
  Disassociated: 'disassociated',
  Failed: 'failed',
};
const statusOf = (row: AssociationRow): Status => STATUSES[row.AssociationStatus ?? ''] ?? 'associating';
const settling = (status: Status): boolean => status === 'associating' || status === 'disassociating';

interface ShareInfo {
  readonly id: string;
  readonly name: string;
  readonly status: string;
  readonly tagged: boolean;
}

function shareInfo(row: ResourceShareRow): ShareInfo | undefined {
  if (!row.ResourceShareId) return undefined;
  return {
    id: row.ResourceShareId,
    name: row.ResourceShareName ?? '',
    status: row.ResourceShareStatus ?? '',
    tagged: (row.Tags ?? []).some((tag) => tag.Key === SERVICE_SHARE_TAG.key && tag.Value === SERVICE_SHARE_TAG.value),
  };
}

const isServiceShare = (share: ShareInfo, imageId: string): boolean => share.tagged && share.name === serviceShareName(imageId);

interface EntityState {
  readonly status: Status;
  /** Why it failed, when it did. */
  readonly reason: string;
}

/** One image's and one share's targets, as the association lists say. */
interface ShareState {
  readonly image: EntityState;
  readonly targets: ReadonlyMap<string, EntityState>;
}

const failureReason = (row: AssociationRow): string => row.AssociationFailedDetails?.[0]?.FailureReason || row.AssociationStatusMessage || 'Unknown';

const GONE: EntityState = { status: 'disassociated', reason: 'Disassociated' };
const entityState = (row: AssociationRow | undefined): EntityState => (row ? { status: statusOf(row), reason: failureReason(row) } : GONE);

const NOT_A_TARGET = 'Directory targets are rd-…, fd-… or 16-digit account ids';

function validTargets(targets: readonly DirectoryTarget[]): DirectoryTarget[] {
  const invalid = targets.filter((target) => directoryTargetKind(target) === undefined);
  if (invalid.length > 0) throw new GovernorError('ValidationFailed', NOT_A_TARGET, { details: { invalid } });
  return [...new Set(targets)];
}

function requireImageId(imageId: string): void {
  if (!IMAGE_ID.test(imageId)) throw new GovernorError('ValidationFailed', 'Not an image id', { details: { imageId } });
}

/** What a Failed target association means for the caller. */
function targetFailureCode(reasons: readonly string[]): ErrorCode {
  if (reasons.includes('LimitExceeded')) return 'ShareQuotaExceeded';
  if (reasons.every((reason) => reason === 'InternalError' || reason === 'ZonalResourceInaccessible')) return 'UpstreamUnavailable';
  return 'UnknownAccount';
}

/** What a Failed image association means for the caller. */
const IMAGE_FAILURE_CODES: Readonly<Record<string, ErrorCode>> = {
  Unavailable: 'ImageNotFound',
  UnsupportedOperation: 'ImageNotShareable',
  LimitExceeded: 'ShareQuotaExceeded',
  // Taken out by someone else while we waited.
  Disassociated: 'ConcurrentModification',
};

export function createDirectoryPort(opts: DirectoryPortOptions): DirectoryPort {
  const pageSize = opts.pageSize ?? MAX_PAGE_SIZE;
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_PAGE_SIZE) {
    throw new RangeError(`pageSize must be an integer in 1..${MAX_PAGE_SIZE}`);
  }
  const wait = { ...DEFAULT_WAIT, ...opts.wait };
  const sleep = opts.sleep ?? realSleep;
  const role = opts.directoryRole ? new AssumedRole(() => api, { ...opts.directoryRole, ...(opts.nowMs ? { nowMs: opts.nowMs } : {}) }) : undefined;
  const api: DirectoryApi = new DirectoryApi({
    endpoints: opts.endpoints ?? {},
    protocol: opts.protocol,
    connectTimeoutMs: opts.connectTimeoutMs,
    readTimeoutMs: opts.readTimeoutMs,
    credentials: opts.credentials,
    ...(role ? { directoryCredentials: role.credentials } : {}),
    hooks: {
      retry: opts.retry ?? DEFAULT_RETRY,
      sleep,
      random: Math.random,
      ...(opts.beforeCall ? { beforeCall: opts.beforeCall } : {}),
      ...(opts.onCall ? { onCall: opts.onCall } : {}),
    },
  });

  /** Every page of a NextToken list. */
  async function listAll<T>(fetch: (nextToken: string | undefined) => Promise<{ items?: T[]; nextToken?: string }>): Promise<T[]> {
    const all: T[] = [];
    let token: string | undefined;
    for (let page = 0; page < MAX_PAGES; page += 1) {
      const { items, nextToken } = await fetch(token);
      all.push(...(items ?? []));
      if (!nextToken) return all;
      // A token that does not move would page forever.
      if (nextToken === token) break;
      token = nextToken;
    }
    throw new GovernorError('UpstreamUnavailable', 'Resource Sharing paging did not end', { details: { nextToken: token } });
  }

  const listShares = (regionId: string, filter: { ResourceShareIds?: string[]; ResourceShareName?: string }): Promise<ShareInfo[]> =>
    listAll(async (NextToken) => {
      const query = { ResourceOwner: 'Self' as const, MaxResults: pageSize, ...filter, ...(NextToken ? { NextToken } : {}) };
      const body = await api.resourceSharing(regionId, 'ListResourceShares', query);
      return { items: body.ResourceShares, ...(body.NextToken ? { nextToken: body.NextToken } : {}) };
    }).then((rows) => rows.map(shareInfo).filter((share): share is ShareInfo => share !== undefined));

  const listAssociations = (
    regionId: string,
    filter: { AssociationType: 'Resource' | 'Target'; ResourceId?: string; ResourceShareIds?: string[] },
  ): Promise<AssociationRow[]> =>
    listAll(async (NextToken) => {
      const query = { ...filter, MaxResults: pageSize, ...(NextToken ? { NextToken } : {}) };
      const body = await api.resourceSharing(regionId, 'ListResourceShareAssociations', query);
      return { items: body.ResourceShareAssociations, ...(body.NextToken ? { nextToken: body.NextToken } : {}) };
    });

  /** Target rows → per share, its targets that are not disassociated. */
  function targetsByShare(rows: readonly AssociationRow[]): Map<string, Array<{ target: string; status: DirectoryAssociationStatus }>> {
    const byShare = new Map<string, Array<{ target: string; status: DirectoryAssociationStatus }>>();
    for (const row of rows) {
      const status = statusOf(row);
      if (!row.ResourceShareId || !row.EntityId || status === 'disassociated') continue;
      const list = byShare.get(row.ResourceShareId) ?? [];
      list.push({ target: row.EntityId, status });
      byShare.set(row.ResourceShareId, list);
    }
    return byShare;
  }

  /** Joins image rows with their shares and targets; deleted shares and disassociated images drop out. */
  function holdingsOf(
    imageRows: readonly AssociationRow[],
    shares: ReadonlyMap<string, ShareInfo>,
    targets: ReadonlyMap<string, Array<{ target: string; status: DirectoryAssociationStatus }>>,
  ): Map<string, DirectoryHolding[]> {
    const byImage = new Map<string, DirectoryHolding[]>();
    for (const row of imageRows) {
      const status = statusOf(row);
      const share = shares.get(row.ResourceShareId ?? '');
      const imageId = row.EntityId ?? '';
      if (!share || share.status === 'Deleted' || status === 'disassociated' || !imageId.startsWith('m-')) continue;
      const holdings = byImage.get(imageId) ?? [];
      holdings.push({
        resourceShareId: share.id,
        resourceShareName: share.name,
        owner: isServiceShare(share, imageId) ? 'service' : 'other',
        status,
        targets: targets.get(share.id) ?? [],
      });
      byImage.set(imageId, holdings);
    }
    return byImage;
  }

  async function regionShares(regionId: string): Promise<ReadonlyMap<string, DirectoryHolding[]>> {
    const shares = new Map((await listShares(regionId, {})).map((share) => [share.id, share]));
    if (shares.size === 0) return new Map();
    const imageRows = (await listAssociations(regionId, { AssociationType: 'Resource' })).filter((row) => row.EntityType === 'Image');
    if (imageRows.length === 0) return new Map();
    const targets = targetsByShare(await listAssociations(regionId, { AssociationType: 'Target' }));
    return holdingsOf(imageRows, shares, targets);
  }

  async function imageShares(regionId: string, imageId: string): Promise<DirectoryHolding[]> {
    requireImageId(imageId);
    const imageRows = (await listAssociations(regionId, { AssociationType: 'Resource', ResourceId: imageId })).filter(
      (row) => row.EntityId === imageId && statusOf(row) !== 'disassociated',
    );
    const shareIds = [...new Set(imageRows.map((row) => row.ResourceShareId ?? '').filter((id) => id !== ''))];
    const shares = new Map<string, ShareInfo>();
    const targetRows: AssociationRow[] = [];
    for (const chunk of chunks(shareIds, MAX_ENTRIES_PER_CALL)) {
      for (const share of await listShares(regionId, { ResourceShareIds: chunk })) shares.set(share.id, share);
      targetRows.push(...(await listAssociations(regionId, { AssociationType: 'Target', ResourceShareIds: chunk })));
    }
    return holdingsOf(imageRows, shares, targetsByShare(targetRows)).get(imageId) ?? [];
  }

  /** The image's and the targets' associations with one share. */
  async function shareState(regionId: string, shareId: string, imageId: string): Promise<ShareState> {
    const imageRow = (await listAssociations(regionId, { AssociationType: 'Resource', ResourceShareIds: [shareId], ResourceId: imageId })).find(
      (row) => row.EntityId === imageId,
    );
    const targets = new Map<string, EntityState>();
    for (const row of await listAssociations(regionId, { AssociationType: 'Target', ResourceShareIds: [shareId] })) {
      if (row.EntityId) targets.set(row.EntityId, entityState(row));
    }
    return { image: entityState(imageRow), targets };
  }

  /**
   * Polls `step` until it says done, sleeping between polls (interval doubling up to the cap) and
   * giving up once the sleeps would exceed the wait budget. `step` acts (associates, disassociates)
   * as well as reads, so each poll moves whatever can move.
   */
  async function untilSettled<T>(
    what: Record<string, unknown>,
    step: () => Promise<{ done: true; value: T } | { done: false; pending: unknown }>,
  ): Promise<T> {
    let slept = 0;
    for (let interval = wait.intervalMs; ; interval = Math.min(wait.maxIntervalMs, interval * 2)) {
      const outcome = await step();
      if (outcome.done) return outcome.value;
      if (slept + interval > wait.timeoutMs) {
        throw new GovernorError('UpstreamUnavailable', 'Resource Sharing associations did not settle in time', {
          details: { ...what, pending: outcome.pending, waitedMs: slept },
        });
      }
      await sleep(interval);
      slept += interval;
    }
  }

  /** The service's own Active share of the image, after a Deleting one (if any) is Deleted; undefined when none. */
  async function serviceShare(regionId: string, imageId: string): Promise<ShareInfo | undefined> {
    const name = serviceShareName(imageId);
    return untilSettled({ regionId, imageId, resourceShareName: name }, async () => {
      const named = (await listShares(regionId, { ResourceShareName: name })).filter((share) => share.name === name && share.status !== 'Deleted');
      const squatter = named.find((share) => !share.tagged);
      if (squatter) {
        throw new GovernorError('ShareAlreadyExists', `A resource share named ${name} exists that this service did not create`, {
          details: { regionId, imageId, resourceShareId: squatter.id },
        });
      }
      const deleting = named.filter((share) => share.status === 'Deleting');
      if (deleting.length > 0) return { done: false, pending: deleting.map((share) => share.id) };
      return { done: true, value: named.find((share) => share.status === 'Active') };
    });
  }

  const imageResource = (imageId: string) => [{ ResourceType: 'Image' as const, ResourceId: imageId }];

  async function createServiceShare(regionId: string, imageId: string, targets: readonly string[]): Promise<ShareInfo | undefined> {
    try {
      const body = await api.resourceSharing(
        regionId,
        'CreateResourceShare',
        {
          ResourceShareName: serviceShareName(imageId),
          Resources: imageResource(imageId),
          Targets: [...targets],
          AllowExternalTargets: false,
          Tag: [{ Key: SERVICE_SHARE_TAG.key, Value: SERVICE_SHARE_TAG.value }],
        },
        { imageId, targets },
      );
      const id = body.ResourceShare?.ResourceShareId;
      return id ? { id, name: serviceShareName(imageId), status: body.ResourceShare?.ResourceShareStatus ?? 'Active', tagged: true } : undefined;
    } catch (error) {
      // Created meanwhile by a concurrent call for the same image: use that one.
      if (isGovernorError(error, 'ShareAlreadyExists')) return undefined;
      throw error;
    }
  }

  async function addTargets(
    regionId: string,
    imageId: string,
    requested: readonly DirectoryTarget[],
  ): Promise<{ resourceShareId: string; created: boolean }> {
    requireImageId(imageId);
    const targets = validTargets(requested);
    if (targets.length === 0) throw new GovernorError('ValidationFailed', 'No directory targets to share with', { details: { regionId, imageId } });
    let share = await serviceShare(regionId, imageId);
    let created = false;
    if (!share) {
      share = await createServiceShare(regionId, imageId, targets.slice(0, MAX_ENTRIES_PER_CALL));
      created = share !== undefined;
      share ??= await serviceShare(regionId, imageId);
      if (!share) throw new GovernorError('UpstreamUnavailable', 'The created resource share cannot be found', { details: { regionId, imageId } });
    }
    const shareId = share.id;
    const details = { regionId, imageId, resourceShareId: shareId };
    // Each entity is (re)associated at most once per call, so one that fails is reported, not retried forever.
    const attempted = new Set<string>(created ? [imageId, ...targets.slice(0, MAX_ENTRIES_PER_CALL)] : []);
    const state = await untilSettled(details, async () => {
      const now = await shareState(regionId, shareId, imageId);
      const targetState = (target: string) => now.targets.get(target) ?? GONE;
      const idle = (status: Status) => status === 'disassociated' || status === 'failed';
      const imageMissing = idle(now.image.status) && !attempted.has(imageId);
      const toAssociate = targets.filter((target) => idle(targetState(target).status) && !attempted.has(target));
      if (imageMissing || toAssociate.length > 0) {
        const batches = chunks(toAssociate, MAX_ENTRIES_PER_CALL);
        if (batches.length === 0) batches.push([]);
        for (const [index, batch] of batches.entries()) {
          const withImage = imageMissing && index === 0;
          const query = {
            ResourceShareId: shareId,
            ...(withImage ? { Resources: imageResource(imageId) } : {}),
            ...(batch.length > 0 ? { Targets: batch } : {}),
          };
          await api.resourceSharing(regionId, 'AssociateResourceShare', query, { ...details, targets: batch });
          if (withImage) attempted.add(imageId);
          batch.forEach((target) => attempted.add(target));
        }
        return { done: false, pending: [...(imageMissing ? [imageId] : []), ...toAssociate] };
      }
      const pending = [...(settling(now.image.status) ? [imageId] : []), ...targets.filter((target) => settling(targetState(target).status))];
      return pending.length > 0 ? { done: false, pending } : { done: true, value: now };
    });

    if (state.image.status !== 'associated') {
      const reason = state.image.reason;
      throw new GovernorError(IMAGE_FAILURE_CODES[reason] ?? 'UpstreamUnavailable', `Resource Sharing did not take image ${imageId}: ${reason}`, {
        details: { ...details, reason },
      });
    }
    const associated = targets.filter((target) => state.targets.get(target)?.status === 'associated');
    const failed = targets
      .filter((target) => !associated.includes(target))
      .map((target) => ({ target, reason: (state.targets.get(target) ?? GONE).reason }));
    if (failed.length > 0) {
      // Refused (Failed), or withdrawn by someone else while we waited (Disassociated).
      const refused = failed.filter((entry) => state.targets.get(entry.target)?.status === 'failed');
      const code = refused.length > 0 ? targetFailureCode(refused.map((entry) => entry.reason)) : 'ConcurrentModification';
      const named = failed.map((entry) => `${entry.target} (${entry.reason})`).join(', ');
      throw new GovernorError(code, `Resource Sharing did not take ${failed.length} target(s): ${named}`, {
        details: { ...details, failed, associated },
      });
    }
    return { resourceShareId: shareId, created };
  }

  /** Disassociates in calls of at most five; a call refused as DisassociateInvalid is retried one entity at a time. */
  async function disassociate(
    regionId: string,
    shareId: string,
    entities: { targets?: string[]; imageId?: string },
    details: Record<string, unknown>,
  ): Promise<void> {
    const send = async (query: { Targets?: string[]; Resources?: Array<{ ResourceType: 'Image'; ResourceId: string }> }): Promise<void> => {
      try {
        await api.resourceSharing(regionId, 'DisassociateResourceShare', { ResourceShareId: shareId, ...query }, details);
      } catch (error) {
        // Gone already (a concurrent revoke), or settling: the next poll sees where it stands.
        if (isGovernorError(error) && (error.details['rsCode'] === 'DisassociateInvalid' || error.code === 'ConcurrentModification')) {
          if (error.details['rsCode'] === 'DisassociateInvalid' && (query.Targets?.length ?? 0) > 1) {
            for (const target of query.Targets ?? []) await send({ Targets: [target] });
          }
          return;
        }
        throw error;
      }
    };
    if (entities.imageId) await send({ Resources: imageResource(entities.imageId) });
    for (const batch of chunks(entities.targets ?? [], MAX_ENTRIES_PER_CALL)) await send({ Targets: batch });
  }

  /** Deletes a share (tolerating one already on its way out) and waits until it is Deleted or gone. */
  async function deleteShare(regionId: string, shareId: string, details: Record<string, unknown>): Promise<void> {
    try {
      await api.resourceSharing(regionId, 'DeleteResourceShare', { ResourceShareId: shareId }, details);
    } catch (error) {
      if (!(isGovernorError(error, 'ConcurrentModification') || isGovernorError(error, 'NotFound'))) throw error;
    }
    await untilSettled(details, async () => {
      const share = (await listShares(regionId, { ResourceShareIds: [shareId] })).find((each) => each.id === shareId);
      return !share || share.status === 'Deleted' ? { done: true, value: undefined } : { done: false, pending: [shareId] };
    });
  }

  async function removeTargets(regionId: string, imageId: string, requested: readonly DirectoryTarget[]): Promise<void> {
    requireImageId(imageId);
    const targets = validTargets(requested);
    const share = await serviceShare(regionId, imageId);
    if (!share) return;
    const details = { regionId, imageId, resourceShareId: share.id };
    const remaining = await untilSettled(details, async () => {
      const now = await shareState(regionId, share.id, imageId);
      const statusOfTarget = (target: string) => (now.targets.get(target) ?? GONE).status;
      const toDisassociate = targets.filter((target) => statusOfTarget(target) === 'associated');
      if (toDisassociate.length > 0) {
        await disassociate(regionId, share.id, { targets: toDisassociate }, details);
        return { done: false, pending: toDisassociate };
      }
      const pending = targets.filter((target) => settling(statusOfTarget(target)));
      if (pending.length > 0) return { done: false, pending };
      return { done: true, value: [...now.targets.values()].filter((entry) => entry.status !== 'disassociated' && entry.status !== 'failed').length };
    });
    // A share with no target left would still hold the image (and block its deletion): remove it.
    if (remaining === 0) await deleteShare(regionId, share.id, details);
  }

  async function removeImageFromShare(regionId: string, resourceShareId: string, imageId: string): Promise<void> {
    requireImageId(imageId);
    if (!RESOURCE_SHARE_ID.test(resourceShareId)) {
      throw new GovernorError('ValidationFailed', 'Not a resource share id', { details: { resourceShareId } });
    }
    const details = { regionId, imageId, resourceShareId };
    await untilSettled(details, async () => {
      const row = (await listAssociations(regionId, { AssociationType: 'Resource', ResourceShareIds: [resourceShareId], ResourceId: imageId })).find(
        (each) => each.EntityId === imageId,
      );
      const status = row ? statusOf(row) : 'disassociated';
      if (status === 'disassociated' || status === 'failed') return { done: true, value: undefined };
      if (status === 'associated') {
        try {
          await disassociate(regionId, resourceShareId, { imageId }, details);
        } catch (error) {
          // Deleted meanwhile: the image leaves with it.
          if (!isGovernorError(error, 'NotFound')) throw error;
          return { done: true, value: undefined };
        }
      }
      return { done: false, pending: [imageId] };
    });
  }

  /** `rd-…/r-…/fd-…/…` → the folder ids after the directory id, minus a trailing account id. */
  function folderPathOf(path: string | undefined, what: Record<string, unknown>): { directoryId: string; folderPath: string[] } {
    const [directoryId = '', ...rest] = (path ?? '').split('/');
    const folderPath = rest.filter((part) => !ACCOUNT_ID.test(part));
    const [root = '', ...folders] = folderPath;
    if (!DIRECTORY_ID.test(directoryId) || !ROOT_FOLDER_ID.test(root) || !folders.every((id) => FOLDER_ID.test(id))) {
      throw new GovernorError('UpstreamUnavailable', 'Resource Manager answered an unreadable ResourceDirectoryPath', { details: { ...what, path } });
    }
    return { directoryId, folderPath };
  }

  /** The directory the management account runs, or undefined when there is none. */
  function directory(cache: DirectoryLookupCache): Promise<{ directoryId: string } | undefined> {
    return cache.remember('directory', async () => {
      try {
        const body = await api.resourceManager('GetResourceDirectory', {});
        const directoryId = body.ResourceDirectory?.ResourceDirectoryId;
        return directoryId ? { directoryId } : undefined;
      } catch (error) {
        const none = ['ResourceDirectoryNotInUse', 'EntityNotExists.ResourceDirectory'];
        if (isGovernorError(error) && none.includes(String(error.details['rmCode']))) return undefined;
        throw error;
      }
    });
  }

  async function resolveTarget(target: DirectoryTarget, cache: DirectoryLookupCache): Promise<ResolvedTarget> {
    const kind = directoryTargetKind(target);
    if (kind === undefined) throw new GovernorError('ValidationFailed', NOT_A_TARGET, { details: { target } });
    const unknown = (why: string, cause?: unknown) =>
      new GovernorError('UnknownAccount', `${target} ${why}`, { details: { target }, ...(cause !== undefined ? { cause } : {}) });
    if (kind === 'directory') {
      const current = await directory(cache);
      if (current?.directoryId !== target) throw unknown('is not the resource directory this account belongs to');
      return { kind, target, directoryId: target };
    }
    if (kind === 'folder') {
      return cache.remember(`folder:${target}`, async () => {
        try {
          const body = await api.resourceManager('GetFolder', { FolderId: target }, { target });
          return { kind, target, ...folderPathOf(body.Folder?.ResourceDirectoryPath, { target }) };
        } catch (error) {
          if (isGovernorError(error) && error.details['rmCode'] === 'EntityNotExists.Folder') {
            throw unknown('is not a folder of the resource directory', error);
          }
          throw error;
        }
      });
    }
    return cache.remember(`account:${target}`, async (): Promise<ResolvedTarget> => {
      try {
        const body = await api.resourceManager('GetAccount', { AccountId: target }, { target });
        return { kind, target, member: true, ...folderPathOf(body.Account?.ResourceDirectoryPath, { target }) };
      } catch (error) {
        // Only "no such member" says something about the target; no directory at all is our configuration.
        if (isGovernorError(error) && error.details['rmCode'] === 'EntityNotExists.Account') return { kind, target, member: false };
        throw error;
      }
    });
  }

  return { imageShares, regionShares, addTargets, removeTargets, removeImageFromShare, resolveTarget };
}
