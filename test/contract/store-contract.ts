// The StorePort contract: what every store (Tablestore adapter, in-memory fake) must do, as
// documented on the port. Run by test/integration/store-tablestore.test.ts and
// test/unit/store-contract-memory.test.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GovernorError, StoreError } from '../../shared/domain/errors.js';
import {
  type AuditEvent,
  type Delivery,
  type FindingKind,
  type IdempotencyRecord,
  type ImageRecord,
  type PosturePointer,
  type ReconcileRun,
  type RequestStatus,
  type Share,
  type ShareRequest,
  type ShareTarget,
  type StoredFinding,
  targetFields,
} from '../../shared/domain/model.js';
import { feedKey, findingKey } from '../../shared/domain/model.js';
import type { StorePort } from '../../shared/domain/ports.js';

export interface StoreUnderTest {
  store: StorePort;
  clock?: { set(d: Date): void };
  close(): Promise<void>;
}

// ---- fixtures ----

let sequence = 0;
const unique = (): string => `${Date.now().toString(36)}${(sequence++).toString(36).padStart(4, '0')}${Math.random().toString(36).slice(2, 6)}`;
export const newImageId = (): string => `m-${unique()}`.slice(0, 40);
const T0 = Date.parse('2026-03-01T10:00:00.000Z');
const iso = (offsetMs: number): string => new Date(T0 + offsetMs).toISOString();

export function anImage(over: Partial<ImageRecord> = {}): ImageRecord {
  return {
    regionId: 'cn-hangzhou',
    imageId: newImageId(),
    imageName: 'golden-base',
    lifecycle: 'active',
    quotaUsed: 0,
    directoryQuotaUsed: 0,
    deletion: { status: 'none' },
    createdAt: iso(0),
    updatedAt: iso(0),
    version: 1,
    ...over,
  };
}

/** A share row; `channel` and `target` (default the account channel, 0123456789012345) set its identity fields. */
export function aShare(over: Partial<Omit<Share, 'channel' | 'target' | 'accountId'>> & Partial<ShareTarget> = {}): Share {
  const { channel = 'account', target = '0123456789012345', ...rest } = over;
  return {
    regionId: 'cn-hangzhou',
    imageId: newImageId(),
    ...targetFields({ channel, target }),
    state: 'pending_approval',
    requestId: `req-${unique()}`,
    origin: 'request',
    createdAt: iso(0),
    updatedAt: iso(0),
    version: 1,
    ...rest,
  };
}

export function aRequest(over: Partial<ShareRequest> = {}): ShareRequest {
  return {
    requestId: `req-${unique()}`,
    regionId: 'cn-hangzhou',
    imageId: newImageId(),
    accountIds: ['0123456789012345', '1234567890123456'],
    directoryTargets: [],
    status: 'pending_approval',
    requester: 'alice',
    reason: 'partner onboarding',
    ticket: 'CHG-1',
    attestation: { sensitiveDataRemoved: true },
    pendingUntil: iso(7 * 24 * 3600_000),
    createdAt: iso(0),
    updatedAt: iso(0),
    version: 1,
    ...over,
  };
}

export function anEvent(over: Partial<AuditEvent> = {}): AuditEvent {
  return {
    eventId: `evt-${unique()}`,
    regionId: 'cn-hangzhou',
    imageId: 'm-audit0000',
    at: iso(0),
    principal: 'alice',
    action: 'share.requested',
    channel: 'account',
    target: '0123456789012345',
    accountId: '0123456789012345',
    before: 'none',
    after: 'pending_approval',
    requestId: `http-${unique()}`,
    ...over,
  };
}

export function aRun(over: Partial<ReconcileRun> = {}): ReconcileRun {
  return {
    runId: `run-${unique()}`,
    trigger: 'timer',
    mode: 'report',
    regions: ['cn-hangzhou', 'cn-shanghai'],
    status: 'completed',
    startedAt: iso(0),
    finishedAt: iso(5000),
    durationMs: 5000,
    imagesScanned: 12,
    findings: { unmanaged: 1, missing: 2 },
    actions: { reported: 3 },
    errors: [{ imageId: 'm-abcdefgh', regionId: 'cn-hangzhou', code: 'UpstreamThrottled', message: 'throttled' }],
    apiCalls: { DescribeImages: 3 },
    ...over,
  };
}

/** An unmanaged-share finding of a fresh image, not acted on. */
export function aFinding(over: Partial<StoredFinding> = {}): StoredFinding {
  const accountId = over.accountId ?? '0123456789012345';
  return {
    kind: 'unmanaged',
    regionId: 'cn-hangzhou',
    imageId: newImageId(),
    channel: 'account',
    target: accountId,
    accountId,
    detail: 'shared in ECS; no share of the service claims it',
    action: 'none',
    at: iso(0),
    seq: 0,
    ...over,
  };
}

/** An image's own finding (its target is the image, no account). */
export function anImageFinding(kind: FindingKind, over: Partial<StoredFinding> = {}): StoredFinding {
  const imageId = over.imageId ?? newImageId();
  const { accountId: _none, ...finding } = aFinding({ kind, imageId, target: imageId, detail: `${kind} finding`, ...over });
  return finding;
}

export function aPosture(over: Partial<PosturePointer> = {}): PosturePointer {
  return { regionId: `region-${unique()}`, runId: `run-${unique()}`, startedAt: iso(0), completedAt: iso(1000), findings: 0, open: 0, ...over };
}

/** Findings in the order every listing returns them: by findingKey, bytewise. */
export const inKeyOrder = (findings: readonly StoredFinding[]): StoredFinding[] =>
  [...findings].sort((a, b) => Buffer.compare(Buffer.from(findingKey(a)), Buffer.from(findingKey(b))));

export function anIdempotencyRecord(over: Partial<IdempotencyRecord> = {}): IdempotencyRecord {
  return {
    principal: 'alice',
    key: `key-${unique()}`,
    fingerprint: 'sha256:abc',
    statusCode: 202,
    body: '{"request":{"requestId":"r1"}}',
    createdAt: iso(0),
    expiresAt: iso(24 * 3600_000),
    ...over,
  };
}

export function aDelivery(over: Partial<Delivery> = {}): Delivery {
  const eventId = over.eventId ?? `evt-${unique()}`;
  return {
    sink: 'webhook',
    feedKey: feedKey(iso(0), eventId),
    eventId,
    type: 'image-share-governor.share.requested',
    subject: 'images/cn-hangzhou/m-audit0000',
    status: 'retrying',
    attempts: 1,
    nextAttemptAt: iso(30_000),
    lastReason: 'HTTP 503',
    updatedAt: iso(0),
    version: 1,
    ...over,
  };
}

async function storeErrorKind(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    if (err instanceof StoreError) return err.kind;
    throw err;
  }
  return 'resolved';
}

async function collectAll<T>(fetch: (cursor?: string) => Promise<{ items: readonly T[]; nextCursor?: string }>): Promise<{ pages: T[][]; all: T[] }> {
  const pages: T[][] = [];
  let cursor: string | undefined;
  for (let i = 0; i < 100; i += 1) {
    const page = await fetch(cursor);
    pages.push([...page.items]);
    if (!page.nextCursor) break;
    cursor = page.nextCursor;
  }
  return { pages, all: pages.flat() };
}

// ---- the contract ----

export function storeContract(name: string, make: () => Promise<StoreUnderTest>): void {
  const useStore = (): (() => StorePort) => {
    let sut: StoreUnderTest | undefined;
    beforeAll(async () => {
      sut = await make();
    });
    afterAll(async () => {
      await sut?.close();
    });
    return () => {
      if (!sut) throw new Error('store not ready');
      return sut.store;
    };
  };

  describe(`${name}: images`, () => {
    const store = useStore();

    it('getImage returns null for an unknown image', async () => {
      expect(await store().getImage('cn-hangzhou', newImageId())).toBeNull();
    });

    it('createImage stores the record as given and refuses a second create', async () => {
      const image = anImage({ quotaUsed: 3, deletion: { status: 'draining', mode: 'drain', reason: 'retire', requestedBy: 'bob', remaining: 2 } });
      await store().createImage(image);
      expect(await store().getImage(image.regionId, image.imageId)).toEqual(image);
      expect(await storeErrorKind(store().createImage({ ...image, imageName: 'other' }))).toBe('AlreadyExists');
      expect(await store().getImage(image.regionId, image.imageId)).toEqual(image);
    });

    it('createImage keeps a given quotaChangedAt', async () => {
      const image = anImage({ quotaUsed: 2, quotaChangedAt: iso(3) });
      await store().createImage(image);
      expect(await store().getImage(image.regionId, image.imageId)).toEqual(image);
    });

    it('adjustQuota by zero reports the counter and leaves the record as it was', async () => {
      const image = anImage({ quotaUsed: 4, quotaChangedAt: iso(3) });
      await store().createImage(image);
      expect(await store().adjustQuota(image.regionId, image.imageId, 0, 50, new Date(iso(9)), 'account')).toBe(4);
      expect(await store().getImage(image.regionId, image.imageId)).toEqual(image);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, 1.5, 50, new Date(), 'account'))).toBe('ConditionFailed');
    });

    it('updateImage writes version+1 when the version matches and refuses a stale version', async () => {
      const image = anImage();
      await store().createImage(image);
      const next: ImageRecord = { ...image, lifecycle: 'draining', deletion: { status: 'draining', mode: 'drain' }, updatedAt: iso(1000) };
      const stored = await store().updateImage(next, 1);
      expect(stored).toEqual({ ...next, version: 2 });
      expect(await store().getImage(image.regionId, image.imageId)).toEqual({ ...next, version: 2 });
      expect(await storeErrorKind(store().updateImage({ ...next, lifecycle: 'active' }, 1))).toBe('ConditionFailed');
      expect((await store().getImage(image.regionId, image.imageId))?.lifecycle).toBe('draining');
    });

    it('updateImage removes optional fields that the next record omits', async () => {
      const image = anImage({ imageName: 'to-remove' });
      await store().createImage(image);
      const { imageName: _omit, ...withoutName } = image;
      const stored = await store().updateImage({ ...withoutName, updatedAt: iso(1) }, 1);
      expect(stored.imageName).toBeUndefined();
      expect((await store().getImage(image.regionId, image.imageId))?.imageName).toBeUndefined();
    });

    it('updateImage on a missing image fails its condition', async () => {
      expect(await storeErrorKind(store().updateImage(anImage(), 1))).toBe('ConditionFailed');
    });

    it('updateImage never writes quotaUsed and returns the stored counter', async () => {
      const image = anImage();
      await store().createImage(image);
      await store().adjustQuota(image.regionId, image.imageId, 2, 50, new Date(), 'account');
      const stored = await store().updateImage({ ...image, quotaUsed: 40, updatedAt: iso(2) }, 1);
      expect(stored.quotaUsed).toBe(2);
      expect((await store().getImage(image.regionId, image.imageId))?.quotaUsed).toBe(2);
    });

    it('adjustQuota records when the counter moved, and updateImage keeps that time', async () => {
      const image = anImage();
      await store().createImage(image);
      expect((await store().getImage(image.regionId, image.imageId))?.quotaChangedAt).toBeUndefined();
      await store().adjustQuota(image.regionId, image.imageId, 1, 50, new Date(iso(5)), 'account');
      expect((await store().getImage(image.regionId, image.imageId))?.quotaChangedAt).toBe(iso(5));
      const stored = await store().updateImage({ ...image, updatedAt: iso(6) }, 1);
      expect(stored.quotaChangedAt).toBe(iso(5));
      expect((await store().getImage(image.regionId, image.imageId))?.quotaChangedAt).toBe(iso(5));
    });

    it('adjustQuota adds within the limit and returns the new value', async () => {
      const image = anImage({ quotaUsed: 47 });
      await store().createImage(image);
      expect(await store().adjustQuota(image.regionId, image.imageId, 2, 50, new Date(), 'account')).toBe(49);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, 2, 50, new Date(), 'account'))).toBe('ConditionFailed');
      expect(await store().adjustQuota(image.regionId, image.imageId, 1, 50, new Date(), 'account')).toBe(50);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, 1, 50, new Date(), 'account'))).toBe('ConditionFailed');
      expect((await store().getImage(image.regionId, image.imageId))?.quotaUsed).toBe(50);
    });

    it('adjustQuota honours a policy limit below the ECS ceiling', async () => {
      const image = anImage({ quotaUsed: 9 });
      await store().createImage(image);
      expect(await store().adjustQuota(image.regionId, image.imageId, 1, 10, new Date(), 'account')).toBe(10);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, 1, 10, new Date(), 'account'))).toBe('ConditionFailed');
    });

    it('adjustQuota refuses to add to an image that is not active but still releases', async () => {
      const image = anImage({ quotaUsed: 5, lifecycle: 'draining' });
      await store().createImage(image);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, 1, 50, new Date(), 'account'))).toBe('ConditionFailed');
      expect(await store().adjustQuota(image.regionId, image.imageId, -2, 50, new Date(), 'account')).toBe(3);
    });

    it('adjustQuota never goes below zero', async () => {
      const image = anImage({ quotaUsed: 1 });
      await store().createImage(image);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, -2, 50, new Date(), 'account'))).toBe('ConditionFailed');
      expect(await store().adjustQuota(image.regionId, image.imageId, -1, 50, new Date(), 'account')).toBe(0);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, -1, 50, new Date(), 'account'))).toBe('ConditionFailed');
      expect((await store().getImage(image.regionId, image.imageId))?.quotaUsed).toBe(0);
    });

    it('adjustQuota on a missing image fails its condition', async () => {
      expect(await storeErrorKind(store().adjustQuota('cn-hangzhou', newImageId(), 1, 50, new Date(), 'account'))).toBe('ConditionFailed');
    });

    it('adjustQuota is atomic: 100 concurrent +1 with limit 50 succeed exactly 50 times', async () => {
      const image = anImage();
      await store().createImage(image);
      const results = await Promise.allSettled(Array.from({ length: 100 }, () => store().adjustQuota(image.regionId, image.imageId, 1, 50, new Date(), 'account')));
      const values = results.filter((r): r is PromiseFulfilledResult<number> => r.status === 'fulfilled').map((r) => r.value);
      const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => (r.reason as StoreError).kind);
      expect(values).toHaveLength(50);
      expect([...values].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      expect(failures).toEqual(Array.from({ length: 50 }, () => 'ConditionFailed'));
      expect((await store().getImage(image.regionId, image.imageId))?.quotaUsed).toBe(50);
    });

    it('correctQuota sets the counter only from the expected value', async () => {
      const image = anImage({ quotaUsed: 7 });
      await store().createImage(image);
      expect(await storeErrorKind(store().correctQuota(image.regionId, image.imageId, 6, 2, 'account'))).toBe('ConditionFailed');
      expect((await store().getImage(image.regionId, image.imageId))?.quotaUsed).toBe(7);
      await store().correctQuota(image.regionId, image.imageId, 7, 2, 'account');
      expect(await store().getImage(image.regionId, image.imageId)).toEqual({ ...image, quotaUsed: 2 });
    });

    it('keeps a directory-channel counter of its own, under the same conditions', async () => {
      const image = anImage({ quotaUsed: 3, directoryQuotaUsed: 8 });
      await store().createImage(image);
      expect(await store().getImage(image.regionId, image.imageId)).toEqual(image);
      expect(await store().adjustQuota(image.regionId, image.imageId, 2, 10, new Date(iso(4)), 'directory')).toBe(10);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, 1, 10, new Date(), 'directory'))).toBe('ConditionFailed');
      // The account counter moves on its own limit.
      expect(await store().adjustQuota(image.regionId, image.imageId, 1, 50, new Date(iso(5)), 'account')).toBe(4);
      expect(await store().adjustQuota(image.regionId, image.imageId, -10, 10, new Date(iso(6)), 'directory')).toBe(0);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, -1, 10, new Date(), 'directory'))).toBe('ConditionFailed');
      await store().correctQuota(image.regionId, image.imageId, 0, 2, 'directory');
      expect(await storeErrorKind(store().correctQuota(image.regionId, image.imageId, 0, 5, 'directory'))).toBe('ConditionFailed');
      // updateImage writes neither counter.
      const stored = await store().updateImage({ ...image, quotaUsed: 0, directoryQuotaUsed: 40, updatedAt: iso(7) }, 1);
      expect(stored).toMatchObject({ quotaUsed: 4, directoryQuotaUsed: 2, quotaChangedAt: iso(6), version: 2 });
      expect(await store().getImage(image.regionId, image.imageId)).toMatchObject({ quotaUsed: 4, directoryQuotaUsed: 2 });
      const draining = await store().updateImage({ ...stored, lifecycle: 'draining', updatedAt: iso(8) }, 2);
      expect(await storeErrorKind(store().adjustQuota(image.regionId, image.imageId, 1, 10, new Date(), 'directory'))).toBe('ConditionFailed');
      expect(draining.directoryQuotaUsed).toBe(2);
    });

    it('adjustQuota of the directory channel is atomic: 40 concurrent +1 with limit 10 succeed exactly 10 times', async () => {
      const image = anImage();
      await store().createImage(image);
      const results = await Promise.allSettled(Array.from({ length: 40 }, () => store().adjustQuota(image.regionId, image.imageId, 1, 10, new Date(), 'directory')));
      expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(10);
      expect(await store().getImage(image.regionId, image.imageId)).toMatchObject({ quotaUsed: 0, directoryQuotaUsed: 10 });
    });
  });

  describe(`${name}: listImages`, () => {
    const store = useStore();
    const shanghai = Array.from({ length: 5 }, (_, i) => anImage({ regionId: 'cn-shanghai', imageId: `m-list${String(i).padStart(6, '0')}` }));
    const beijing = Array.from({ length: 7 }, (_, i) => anImage({ regionId: 'cn-beijing', imageId: `m-list${String(i).padStart(6, '0')}` }));

    beforeAll(async () => {
      for (const image of [...shanghai, ...beijing].reverse()) await store().createImage(image);
    });

    it('pages every image in (regionId, imageId) order without gaps or duplicates', async () => {
      const { pages, all } = await collectAll((cursor) => store().listImages({}, 5, cursor));
      expect(pages.map((p) => p.length)).toEqual([5, 5, 2]);
      expect(all).toEqual([...beijing, ...shanghai]);
    });

    it('narrows to one region', async () => {
      const { pages, all } = await collectAll((cursor) => store().listImages({ regionId: 'cn-shanghai' }, 2, cursor));
      expect(pages.map((p) => p.length)).toEqual([2, 2, 1]);
      expect(all).toEqual(shanghai);
    });

    it('refuses a cursor it did not issue as a client mistake (ValidationFailed)', async () => {
      for (const forged of ['%%%not-base64%%%', Buffer.from('"just a string"').toString('base64url')]) {
        const error = await store().listImages({}, 5, forged).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GovernorError);
        expect((error as GovernorError).code).toBe('ValidationFailed');
      }
    });

    it('refuses a cursor from another listing or another region (ValidationFailed), never restarting silently', async () => {
      const page = await store().listImages({ regionId: 'cn-shanghai' }, 2);
      const audit = Array.from({ length: 3 }, (_, i) => anEvent({ imageId: 'm-cursor00', at: iso(i) }));
      await store().appendAudit(audit);
      const auditPage = await store().listAudit('cn-hangzhou', 'm-cursor00', 1);
      const misuses = [
        store().listImages({ regionId: 'cn-beijing' }, 2, page.nextCursor),
        store().listImages({}, 2, auditPage.nextCursor),
        store().listAudit('cn-hangzhou', 'm-cursor01', 1, auditPage.nextCursor),
        store().listRuns(1, auditPage.nextCursor),
        store().listRequests({}, 1, page.nextCursor),
      ];
      for (const misuse of misuses) {
        const error = await misuse.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GovernorError);
        expect((error as GovernorError).code).toBe('ValidationFailed');
      }
    });

    it('returns no cursor when the page holds the rest exactly', async () => {
      const page = await store().listImages({ regionId: 'cn-beijing' }, 7);
      expect(page).toEqual({ items: beijing });
    });

    it('returns an empty page for a region without images', async () => {
      expect(await store().listImages({ regionId: 'cn-shenzhen' }, 10)).toEqual({ items: [] });
    });
  });

  describe(`${name}: cursors`, () => {
    const store = useStore();
    const imageId = newImageId();
    const findingsRun = `run-${unique()}`;
    const posture = aPosture({ findings: 3, open: 3 });

    beforeAll(async () => {
      for (let i = 0; i < 3; i += 1) {
        await store().createImage(anImage({ regionId: 'cn-qingdao' }));
        await store().createRequest(aRequest({ createdAt: iso(i * 1000) }));
        await store().putRun(aRun({ startedAt: iso(i * 1000) }));
      }
      await store().appendAudit(Array.from({ length: 3 }, (_, i) => anEvent({ imageId, at: iso(i) })));
      await store().putFindings(findingsRun, Array.from({ length: 3 }, (_, seq) => aFinding({ seq })));
      await store().putFindings(posture.runId, Array.from({ length: 3 }, (_, seq) => aFinding({ seq })));
      await store().putPosture(posture);
    });

    /** The first-page cursor of every paged listing, and how to ask for the next page with a cursor. */
    const listings = (): { name: string; list: (cursor?: string) => Promise<{ nextCursor?: string }> }[] => [
      { name: 'images', list: (cursor) => store().listImages({}, 1, cursor) },
      { name: 'images of a region', list: (cursor) => store().listImages({ regionId: 'cn-qingdao' }, 1, cursor) },
      { name: 'requests', list: (cursor) => store().listRequests({}, 1, cursor) },
      { name: 'open requests', list: (cursor) => store().listRequests({ status: 'pending_approval' }, 1, cursor) },
      { name: 'audit', list: (cursor) => store().listAudit('cn-hangzhou', imageId, 1, cursor) },
      { name: 'runs', list: (cursor) => store().listRuns(1, cursor) },
      { name: 'findings', list: (cursor) => store().listFindings(findingsRun, { committed: 3 }, 1, cursor) },
      { name: 'posture', list: (cursor) => store().listPosture({ regionIds: [posture.regionId] }, 1, cursor) },
    ];
    /** The store's own cursor with its last key value replaced, as a client tampering with it would. */
    const tampered = (cursor: string, value: string): string => {
      const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { l: string; k: string[] };
      return Buffer.from(JSON.stringify({ ...parsed, k: [...parsed.k.slice(0, -1), value] }), 'utf8').toString('base64url');
    };

    it('refuses a key Tablestore would refuse (over 1 KB of UTF-8, or ill-formed UTF-16) as a client mistake on every listing', async () => {
      // 400 × "€" is 400 UTF-16 units but 1,200 UTF-8 bytes; 342 × "€" is just over (1,026 bytes).
      for (const value of ['€'.repeat(400), '€'.repeat(342), 'k'.repeat(1025), 'a\ud800b']) {
        for (const { name: listing, list } of listings()) {
          const { nextCursor } = await list();
          expect(nextCursor, listing).toBeDefined();
          const error = await list(tampered(nextCursor!, value)).catch((e: unknown) => e);
          expect(error, `${listing}: ${value.length} units`).toBeInstanceOf(GovernorError);
          expect((error as GovernorError).code).toBe('ValidationFailed');
          expect((error as GovernorError).details.errors).toEqual([{ path: '/cursor', message: 'is not a cursor returned by this listing' }]);
        }
      }
    });

    it('reads on from a key of exactly 1 KB of UTF-8', async () => {
      const atLimit = `${'€'.repeat(341)}a`;
      expect(Buffer.byteLength(atLimit)).toBe(1024);
      for (const { name: listing, list } of listings()) {
        const { nextCursor } = await list();
        const page = await list(tampered(nextCursor!, atLimit)).catch((e: unknown) => e);
        expect(page, listing).toHaveProperty('items');
      }
    });
  });

  describe(`${name}: shares`, () => {
    const store = useStore();

    it('getShare returns null for an unknown share', async () => {
      expect(await store().getShare('cn-hangzhou', newImageId(), { channel: 'account', target: '0123456789012345' })).toBeNull();
    });

    it('createShare stores a new share and returns it', async () => {
      const share = aShare({ expiresAt: iso(3600_000) });
      expect(await store().createShare(share)).toEqual(share);
      expect(await store().getShare(share.regionId, share.imageId, share)).toEqual(share);
    });

    it('createShare refuses while a live share exists, in every quota-holding or intent state', async () => {
      for (const state of ['pending_approval', 'approved', 'applying', 'active', 'revoking'] as const) {
        const share = aShare({ state });
        await store().createShare(share);
        const again = aShare({ regionId: share.regionId, imageId: share.imageId, target: share.target, requestId: 'req-other' });
        expect(await storeErrorKind(store().createShare(again))).toBe('ConditionFailed');
        expect(await store().getShare(share.regionId, share.imageId, share)).toEqual(share);
      }
    });

    it('createShare starts over on a terminal share', async () => {
      for (const state of ['revoked', 'rejected', 'expired', 'failed'] as const) {
        const old = aShare({ state, lastError: 'gone' });
        await store().createShare(old);
        const fresh = aShare({ regionId: old.regionId, imageId: old.imageId, target: old.target, requestId: 'req-new', createdAt: iso(9) });
        expect(await store().createShare(fresh)).toEqual(fresh);
        expect(await store().getShare(old.regionId, old.imageId, old)).toEqual(fresh);
      }
    });

    it('updateShare is versioned', async () => {
      const share = aShare();
      await store().createShare(share);
      const approved: Share = { ...share, state: 'approved', updatedAt: iso(1) };
      expect(await store().updateShare(approved, 1)).toEqual({ ...approved, version: 2 });
      expect(await storeErrorKind(store().updateShare({ ...share, state: 'rejected' }, 1))).toBe('ConditionFailed');
      const { requestId: _r, ...withoutRequest } = approved;
      const failed: Share = { ...withoutRequest, state: 'failed', lastError: 'InvalidAccount.NotFound', version: 2 };
      expect(await store().updateShare(failed, 2)).toEqual({ ...failed, version: 3 });
      expect(await store().getShare(share.regionId, share.imageId, share)).toEqual({ ...failed, version: 3 });
    });

    it('updateShare on a missing share fails its condition', async () => {
      expect(await storeErrorKind(store().updateShare(aShare(), 1))).toBe('ConditionFailed');
    });

    it('listShares returns every share of one image in account order, and only those', async () => {
      const imageId = newImageId();
      const accounts = ['5555555555555555', '0000000000000001', '9999999999999999', '1234567890123456'];
      for (const accountId of accounts) await store().createShare(aShare({ imageId, target: accountId }));
      await store().createShare(aShare({ imageId: newImageId(), target: '0000000000000001' }));
      await store().createShare(aShare({ regionId: 'cn-beijing', imageId, target: '0000000000000002' }));
      const listed = await store().listShares('cn-hangzhou', imageId);
      expect(listed.map((s) => s.accountId)).toEqual([...accounts].sort());
      expect(listed.every((s) => s.imageId === imageId && s.regionId === 'cn-hangzhou')).toBe(true);
      expect(await store().listShares('cn-hangzhou', newImageId())).toEqual([]);
    });

    it('keeps directory-channel shares apart from account shares, a member account on both channels at once', async () => {
      const imageId = newImageId();
      const member = '0000000000000007';
      const byAccount = aShare({ imageId, target: member, state: 'active' });
      const byDirectory = aShare({ imageId, channel: 'directory', target: member, state: 'active', resourceShareId: 'rs-abc123' });
      const folder = aShare({ imageId, channel: 'directory', target: 'fd-prod0001', state: 'approved' });
      const directoryWide = aShare({ imageId, channel: 'directory', target: 'rd-corp0001' });
      for (const share of [folder, byDirectory, directoryWide, byAccount]) expect(await store().createShare(share)).toEqual(share);
      expect(await store().getShare('cn-hangzhou', imageId, { channel: 'directory', target: member })).toEqual(byDirectory);
      expect(await store().getShare('cn-hangzhou', imageId, { channel: 'account', target: member })).toEqual(byAccount);
      expect(await store().getShare('cn-hangzhou', imageId, { channel: 'account', target: 'fd-prod0001' })).toBeNull();
      // Row-key order: the account channel (by account), then the directory channel (by target).
      expect(await store().listShares('cn-hangzhou', imageId)).toEqual([byAccount, byDirectory, folder, directoryWide]);
      // A live directory row blocks a second one for the same target; the account row is another share.
      expect(await storeErrorKind(store().createShare({ ...byDirectory, requestId: 'req-other' }))).toBe('ConditionFailed');
      const moved: Share = { ...byDirectory, state: 'revoking', updatedAt: iso(5) };
      expect(await store().updateShare(moved, 1)).toEqual({ ...moved, version: 2 });
      expect(await store().getShare('cn-hangzhou', imageId, byAccount)).toEqual(byAccount);
    });
  });

  describe(`${name}: share requests`, () => {
    const store = useStore();

    it('createRequest stores the request and refuses a taken id', async () => {
      const request = aRequest();
      await store().createRequest(request);
      expect(await store().getRequest(request.requestId)).toEqual(request);
      expect(await storeErrorKind(store().createRequest({ ...request, reason: 'other', createdAt: iso(5) }))).toBe('AlreadyExists');
      expect(await store().getRequest(request.requestId)).toEqual(request);
      expect(await store().listRequests({ imageId: request.imageId }, 10)).toEqual({ items: [request] });
      expect(await store().getRequest('req-unknown')).toBeNull();
    });

    it('stores the directory targets of a request', async () => {
      const request = aRequest({ accountIds: [], directoryTargets: ['fd-prod0001', 'rd-corp0001', '0000000000000007'] });
      await store().createRequest(request);
      expect(await store().getRequest(request.requestId)).toEqual(request);
    });

    it('updateRequest is versioned', async () => {
      const request = aRequest();
      await store().createRequest(request);
      const { ticket: _t, ...withoutTicket } = request;
      const approved: ShareRequest = { ...withoutTicket, status: 'approved', decidedBy: 'bob', decidedAt: iso(10), comment: 'ok', updatedAt: iso(10) };
      expect(await store().updateRequest(approved, 1)).toEqual({ ...approved, version: 2 });
      expect(await store().getRequest(request.requestId)).toEqual({ ...approved, version: 2 });
      expect(await storeErrorKind(store().updateRequest({ ...request, status: 'rejected' }, 1))).toBe('ConditionFailed');
      expect(await storeErrorKind(store().updateRequest(aRequest(), 1))).toBe('ConditionFailed');
    });
  });

  describe(`${name}: listRequests`, () => {
    const store = useStore();
    const statuses: RequestStatus[] = ['pending_approval', 'approved', 'pending_approval', 'rejected', 'pending_approval', 'applied'];
    const imageA = newImageId();
    const imageB = newImageId();
    // 30 requests one minute apart; status cycles; every third on image B.
    const requests = Array.from({ length: 30 }, (_, i) =>
      aRequest({
        requestId: `req-list-${String(i).padStart(3, '0')}`,
        imageId: i % 3 === 0 ? imageB : imageA,
        status: statuses[i % statuses.length] as RequestStatus,
        createdAt: iso(i * 60_000),
        updatedAt: iso(i * 60_000),
      }),
    );
    const newestFirst = [...requests].reverse();

    beforeAll(async () => {
      for (const r of requests) await store().createRequest(r);
    });

    it('lists newest first across pages without gaps or duplicates', async () => {
      const { pages, all } = await collectAll((cursor) => store().listRequests({}, 8, cursor));
      expect(pages.map((p) => p.length)).toEqual([8, 8, 8, 6]);
      expect(all).toEqual(newestFirst);
    });

    it('applies the status filter while paging', async () => {
      const pending = newestFirst.filter((r) => r.status === 'pending_approval');
      const { pages, all } = await collectAll((cursor) => store().listRequests({ status: 'pending_approval' }, 4, cursor));
      expect(all).toEqual(pending);
      expect(pages.every((p) => p.length <= 4)).toBe(true);
      expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
    });

    it('combines status and image filters', async () => {
      const expected = newestFirst.filter((r) => r.imageId === imageB && r.status === 'pending_approval');
      const { all } = await collectAll((cursor) => store().listRequests({ status: 'pending_approval', regionId: 'cn-hangzhou', imageId: imageB }, 2, cursor));
      expect(all).toEqual(expected);
      expect(expected.length).toBeGreaterThan(2);
    });

    it('reflects status changes in the filter', async () => {
      const target = requests[28] as ShareRequest;
      const before = await store().listRequests({ status: 'rejected' }, 50);
      await store().updateRequest({ ...target, status: 'rejected' }, target.version);
      const after = await store().listRequests({ status: 'rejected' }, 50);
      expect(after.items.map((r) => r.requestId)).toEqual([target.requestId, ...before.items.map((r) => r.requestId)]);
      await store().updateRequest({ ...target, version: 2 }, 2);
    });

    it('returns an empty page when nothing matches', async () => {
      expect(await store().listRequests({ status: 'cancelled' }, 5)).toEqual({ items: [] });
    });

    it('lists open requests (pending or approved) with status open, of all images, of a region or of one image', async () => {
      // By id: an earlier test changed one request and put its content back (a later version).
      const idsOf = (rows: readonly ShareRequest[]): string[] => rows.map((r) => r.requestId);
      const open = newestFirst.filter((r) => r.status === 'pending_approval' || r.status === 'approved');
      const { pages, all } = await collectAll((cursor) => store().listRequests({ status: 'open' }, 4, cursor));
      expect(idsOf(all)).toEqual(idsOf(open));
      expect(pages.slice(0, -1).every((p) => p.length === 4)).toBe(true);
      expect(idsOf((await collectAll((cursor) => store().listRequests({ status: 'open', regionId: 'cn-hangzhou' }, 3, cursor))).all)).toEqual(idsOf(open));
      expect((await collectAll((cursor) => store().listRequests({ status: 'open', regionId: 'cn-beijing' }, 3, cursor))).all).toEqual([]);
      const approvedOfA = (await collectAll((cursor) => store().listRequests({ status: 'approved', regionId: 'cn-hangzhou', imageId: imageA }, 1, cursor))).all;
      expect(idsOf(approvedOfA)).toEqual(idsOf(open.filter((r) => r.imageId === imageA && r.status === 'approved')));
      expect(approvedOfA.length).toBeGreaterThan(1);
    });

    it('keeps the open listings exact through every status change, including a return to pending', async () => {
      const request = aRequest();
      const ofImage = { regionId: request.regionId, imageId: request.imageId };
      const ids = async (filter: Parameters<StorePort['listRequests']>[0]): Promise<string[]> =>
        (await store().listRequests(filter, 100)).items.filter((r) => r.imageId === request.imageId).map((r) => r.requestId);
      await store().createRequest(request);
      expect([await ids({ status: 'pending_approval', ...ofImage }), await ids({ status: 'approved' }), await ids({ status: 'open' })]).toEqual([
        [request.requestId],
        [],
        [request.requestId],
      ]);
      const approved = await store().updateRequest({ ...request, status: 'approved', updatedAt: iso(1) }, 1);
      expect([await ids({ status: 'pending_approval', ...ofImage }), await ids({ status: 'approved', ...ofImage }), await ids({ status: 'open' })]).toEqual([
        [],
        [request.requestId],
        [request.requestId],
      ]);
      const applied = await store().updateRequest({ ...approved, status: 'applied', updatedAt: iso(2) }, 2);
      expect([await ids({ status: 'open', ...ofImage }), await ids({ status: 'approved' }), await ids({ status: 'applied' })]).toEqual([[], [], [request.requestId]]);
      // The domain never reopens a request; the store stays exact if something does.
      await store().updateRequest({ ...applied, status: 'pending_approval' }, 3);
      expect(await ids({ status: 'pending_approval', ...ofImage })).toEqual([request.requestId]);
    });

    it('lists a request created already approved (approval not required) as open until it finishes', async () => {
      const request = aRequest({ status: 'approved' });
      await store().createRequest(request);
      expect(await store().listRequests({ status: 'approved', regionId: request.regionId, imageId: request.imageId }, 10)).toEqual({ items: [request] });
      await store().updateRequest({ ...request, status: 'partially_applied' }, 1);
      expect(await store().listRequests({ status: 'open', regionId: request.regionId, imageId: request.imageId }, 10)).toEqual({ items: [] });
    });

    it('continues a listing only with its own cursors: every request, open requests and one image\'s open requests are three listings', async () => {
      const cursors = {
        every: (await store().listRequests({}, 1)).nextCursor,
        open: (await store().listRequests({ status: 'pending_approval' }, 1)).nextCursor,
        image: (await store().listRequests({ status: 'pending_approval', regionId: 'cn-hangzhou', imageId: imageB }, 1)).nextCursor,
      };
      expect(Object.values(cursors).every((c) => c !== undefined)).toBe(true);
      // The open statuses share their listing: a page of pending requests goes on as a page of open ones.
      expect((await store().listRequests({ status: 'open' }, 1, cursors.open)).items).toHaveLength(1);
      const misuses = [
        store().listRequests({}, 1, cursors.open),
        store().listRequests({ status: 'rejected' }, 1, cursors.image),
        store().listRequests({ status: 'pending_approval' }, 1, cursors.every),
        store().listRequests({ status: 'pending_approval' }, 1, cursors.image),
        store().listRequests({ status: 'pending_approval', regionId: 'cn-hangzhou', imageId: imageA }, 1, cursors.image),
      ];
      for (const misuse of misuses) expect(await misuse.catch((e: unknown) => (e as GovernorError).code)).toBe('ValidationFailed');
    });
  });

  describe(`${name}: audit trail`, () => {
    const store = useStore();

    it('keeps the channel and target of an event', async () => {
      const imageId = newImageId();
      const { accountId: _a, ...directoryEvent } = anEvent({ imageId, channel: 'directory', target: 'fd-prod0001', at: iso(1) });
      const imageEvent = { ...anEvent({ imageId, action: 'image.drain_started', at: iso(2) }) };
      const { channel: _c, target: _t, accountId: _i, ...withoutTarget } = imageEvent;
      await store().appendAudit([directoryEvent, withoutTarget]);
      expect(await store().listAudit('cn-hangzhou', imageId, 10)).toEqual({ items: [withoutTarget, directoryEvent] });
    });

    it('lists one image\'s events newest first with working cursors', async () => {
      const imageId = newImageId();
      const events = Array.from({ length: 23 }, (_, i) => anEvent({ imageId, at: iso(i * 1000), action: `step.${i}` }));
      await store().appendAudit(events.slice(0, 10));
      await store().appendAudit(events.slice(10));
      await store().appendAudit([anEvent({ imageId: newImageId() }), anEvent({ imageId, regionId: 'cn-beijing' })]);
      const { pages, all } = await collectAll((cursor) => store().listAudit('cn-hangzhou', imageId, 5, cursor));
      expect(pages.map((p) => p.length)).toEqual([5, 5, 5, 5, 3]);
      expect(all).toEqual([...events].reverse());
    });

    it('keeps events that share a timestamp, each exactly once across pages', async () => {
      const imageId = newImageId();
      const events = Array.from({ length: 5 }, (_, i) => anEvent({ imageId, at: iso(0), eventId: `evt-same-${i}`, detail: `n${i}` }));
      await store().appendAudit(events);
      const { all } = await collectAll((cursor) => store().listAudit('cn-hangzhou', imageId, 2, cursor));
      expect([...all].sort((a, b) => a.eventId.localeCompare(b.eventId))).toEqual(events);
    });

    it('lists events of one instant in reverse append order, within a batch and across appends', async () => {
      const imageId = newImageId();
      // Ids ascending in append order: ordering ties by id would list them oldest first.
      const [requested, approved, applied] = ['share.requested', 'share.approved', 'share.applied'].map((action, i) =>
        anEvent({ imageId, at: iso(0), action, eventId: `evt-${imageId}-${i}` }),
      ) as [AuditEvent, AuditEvent, AuditEvent];
      await store().appendAudit([requested, approved]);
      await store().appendAudit([applied]);
      const { all } = await collectAll((cursor) => store().listAudit('cn-hangzhou', imageId, 2, cursor));
      expect(all.map((e) => e.action)).toEqual(['share.applied', 'share.approved', 'share.requested']);
    });

    it('keeps one copy of an event appended again (a retried append), in its first place', async () => {
      const imageId = newImageId();
      const first = anEvent({ imageId, at: iso(0), action: 'share.approved', eventId: `evt-${imageId}-1` });
      const second = anEvent({ imageId, at: iso(0), action: 'share.applied', eventId: `evt-${imageId}-2` });
      await store().appendAudit([first]);
      await store().appendAudit([second]);
      await store().appendAudit([first]);
      expect(await store().listAudit('cn-hangzhou', imageId, 10)).toEqual({ items: [second, first] });
    });

    it('appends large batches', async () => {
      const imageId = newImageId();
      const events = Array.from({ length: 250 }, (_, i) => anEvent({ imageId, at: iso(i) }));
      await store().appendAudit(events);
      const { all } = await collectAll((cursor) => store().listAudit('cn-hangzhou', imageId, 100, cursor));
      expect(all).toHaveLength(250);
      expect(all[0]).toEqual(events[249]);
      expect(all[249]).toEqual(events[0]);
    });

    it('holds events out of every listing until flushed, then lists them in their place, once', async () => {
      const imageId = newImageId();
      const [first, second, third] = [0, 1, 2].map((i) => anEvent({ imageId, at: iso(i * 1000) })) as [AuditEvent, AuditEvent, AuditEvent];
      const elsewhere = anEvent({ imageId: newImageId(), at: iso(500) });
      await store().appendAudit([first]);
      await store().holdPendingAudit([third, second, elsewhere]);
      // Held again (a second failed append of the same events): still one copy each.
      await store().holdPendingAudit([second]);
      expect(await store().listAudit('cn-hangzhou', imageId, 10)).toEqual({ items: [first] });

      expect(await store().flushPendingAudit(2, new Date(T0))).toBe(2);
      expect(await store().flushPendingAudit(10, new Date(T0))).toBe(1);
      expect(await store().flushPendingAudit(10, new Date(T0))).toBe(0);
      expect(await store().listAudit('cn-hangzhou', imageId, 10)).toEqual({ items: [third, second, first] });
      expect(await store().listAudit('cn-hangzhou', elsewhere.imageId, 10)).toEqual({ items: [elsewhere] });
    });

    it('flushes an event whose append had landed (the answer was lost) without doubling it', async () => {
      const imageId = newImageId();
      const event = anEvent({ imageId, reason: 'partner onboarding', ticket: 'CHG-7' });
      await store().appendAudit([event]);
      await store().holdPendingAudit([event]);
      expect(await store().flushPendingAudit(10, new Date(T0))).toBe(1);
      expect(await store().listAudit('cn-hangzhou', imageId, 10)).toEqual({ items: [event] });
    });

    it('accepts an empty append and lists nothing for an image without events', async () => {
      await store().appendAudit([]);
      expect(await store().listAudit('cn-hangzhou', newImageId(), 10)).toEqual({ items: [] });
    });
  });

  describe(`${name}: outbox`, () => {
    const store = useStore();
    /** The feed entries of these events, from the start of the feed. */
    const feedOf = async (events: readonly AuditEvent[]) => {
      const ids = new Set(events.map((e) => e.eventId));
      return (await store().readFeed(undefined, 1000)).filter((entry) => ids.has(entry.event.eventId));
    };

    it('puts every appended event into the feed under its time and id, once however often it is appended', async () => {
      const events = [2, 0, 1].map((i) => anEvent({ at: iso(60_000 + i), reason: 'partner rollout' }));
      await store().appendAudit(events);
      await store().appendAudit([events[0]!]);
      const sorted = [...events].sort((a, b) => a.at.localeCompare(b.at));
      expect(await feedOf(events)).toEqual(sorted.map((event) => ({ feedKey: feedKey(event.at, event.eventId), event })));
    });

    it('reads the feed in key order from a key, at most the limit', async () => {
      const events = Array.from({ length: 5 }, (_, i) => anEvent({ at: iso(120_000 + i) }));
      await store().appendAudit(events);
      const from = feedKey(events[1]!.at, events[1]!.eventId);
      const page = await store().readFeed(from, 3);
      expect(page.map((entry) => entry.event)).toEqual(events.slice(1, 4));
    });

    it('puts an event recovered from pending audit into the feed as visible from the move, not from its own time', async () => {
      const event = anEvent({ at: iso(180_000) });
      await store().holdPendingAudit([event]);
      expect(await feedOf([event])).toEqual([]);
      const movedAt = new Date(T0 + 3_600_000);
      await store().flushPendingAudit(10, movedAt);
      expect(await feedOf([event])).toEqual([{ feedKey: feedKey(movedAt.toISOString(), event.eventId), event }]);
    });

    it('writes a delivery only over the version it expects (0: none), and says which writes lost', async () => {
      const first = aDelivery();
      const second = aDelivery();
      expect(await store().writeDeliveries([{ next: first, expectedVersion: 0 }, { next: second, expectedVersion: 0 }])).toEqual([]);
      const delivered = { ...first, status: 'delivered' as const, attempts: 2, updatedAt: iso(1000) };
      const { nextAttemptAt: _n, lastReason: _r, ...withoutRetry } = delivered;
      expect(await store().writeDeliveries([{ next: withoutRetry, expectedVersion: 1 }, { next: { ...second, attempts: 9 }, expectedVersion: 0 }])).toEqual([second.feedKey]);
      expect(await store().writeDeliveries([{ next: { ...second, attempts: 8 }, expectedVersion: 2 }])).toEqual([second.feedKey]);
      expect(await store().readDeliveries('webhook', first.feedKey, `${first.feedKey}\u0000`)).toEqual([{ ...withoutRetry, version: 2 }]);
      expect(await store().readDeliveries('webhook', second.feedKey, `${second.feedKey}\u0000`)).toEqual([second]);
    });

    it('reads one sink\'s deliveries of a key range, in key order', async () => {
      const keys = [0, 1, 2, 3].map((i) => feedKey(iso(240_000 + i), `evt-range-${i}`));
      const deliveries = keys.map((key, i) => aDelivery({ feedKey: key, eventId: `evt-range-${i}` }));
      const other = aDelivery({ sink: 'eventbridge', feedKey: keys[1]!, eventId: 'evt-range-1' });
      await store().writeDeliveries([...deliveries].reverse().concat(other).map((next) => ({ next, expectedVersion: 0 })));
      expect(await store().readDeliveries('webhook', keys[1]!, keys[3]!)).toEqual(deliveries.slice(1, 3));
      expect(await store().readDeliveries('eventbridge', keys[0]!, `${keys[3]!}\u0000`)).toEqual([other]);
      expect(await store().readDeliveries('webhook', keys[2]!, keys[2]!)).toEqual([]);
      expect(await store().readDeliveries('webhook', keys[0]!, `${keys[3]!}\u0000`, 2)).toEqual(deliveries.slice(0, 2));
    });

    it('forgets deliveries that did not change since they were read, and keeps those that did', async () => {
      const keep = aDelivery({ feedKey: feedKey(iso(300_000), 'evt-keep'), eventId: 'evt-keep' });
      const drop = aDelivery({ feedKey: feedKey(iso(300_001), 'evt-drop'), eventId: 'evt-drop', status: 'delivered' });
      await store().writeDeliveries([keep, drop].map((next) => ({ next, expectedVersion: 0 })));
      await store().writeDeliveries([{ next: { ...keep, attempts: 2 }, expectedVersion: 1 }]);
      await store().forgetDeliveries([keep, drop]);
      expect(await store().readDeliveries('webhook', keep.feedKey, `${drop.feedKey}\u0000`)).toEqual([{ ...keep, attempts: 2, version: 2 }]);
    });

    it('lists failed or retrying deliveries by sink and feed order, narrowed to one sink, with working cursors', async () => {
      const failed = [0, 1, 2].map((i) =>
        aDelivery({ sink: i === 1 ? 'eventbridge' : 'webhook', feedKey: feedKey(iso(360_000 + i), `evt-dead-${i}`), eventId: `evt-dead-${i}`, status: 'failed' }),
      );
      await store().writeDeliveries(failed.map((next) => ({ next, expectedVersion: 0 })));
      const { pages, all } = await collectAll((cursor) => store().listDeliveries({ status: 'failed' }, 1, cursor));
      expect(pages.every((p) => p.length <= 1)).toBe(true);
      expect(all).toEqual([failed[1], failed[0], failed[2]]);
      expect((await store().listDeliveries({ status: 'failed', sink: 'webhook' }, 10)).items).toEqual([failed[0], failed[2]]);
      expect((await store().listDeliveries({ status: 'retrying', sink: 'eventbridge' }, 100)).items.every((d) => d.status === 'retrying' && d.sink === 'eventbridge')).toBe(true);
    });

    it('refuses a delivery cursor it did not issue, or one from another filter, as a client mistake', async () => {
      const failed = [0, 1].map((i) => aDelivery({ feedKey: feedKey(iso(420_000 + i), `evt-cur-${i}`), eventId: `evt-cur-${i}`, status: 'failed' }));
      await store().writeDeliveries(failed.map((next) => ({ next, expectedVersion: 0 })));
      const page = await store().listDeliveries({ status: 'failed', sink: 'webhook' }, 1);
      expect(page.nextCursor).toBeDefined();
      for (const attempt of [
        store().listDeliveries({ status: 'retrying', sink: 'webhook' }, 1, page.nextCursor),
        store().listDeliveries({ status: 'failed', sink: 'eventbridge' }, 1, page.nextCursor),
        store().listDeliveries({ status: 'failed' }, 1, 'bm90LWEtY3Vyc29y'),
      ]) {
        await expect(attempt).rejects.toSatisfy((e: unknown) => e instanceof GovernorError && e.code === 'ValidationFailed');
      }
    });

    it('keeps a cursor per sink, moved only from the version it expects', async () => {
      expect(await store().getDeliveryCursor('webhook')).toBeNull();
      const cursor = { sink: 'webhook' as const, feedKey: feedKey(iso(0), 'evt-a'), updatedAt: iso(0), version: 0 };
      await store().putDeliveryCursor(cursor, 0);
      expect(await storeErrorKind(store().putDeliveryCursor({ ...cursor, feedKey: feedKey(iso(1), 'evt-b') }, 0))).toBe('ConditionFailed');
      const moved = { ...cursor, feedKey: feedKey(iso(2), 'evt-c'), updatedAt: iso(2) };
      await store().putDeliveryCursor(moved, 1);
      expect(await store().getDeliveryCursor('webhook')).toEqual({ ...moved, version: 2 });
      expect(await store().getDeliveryCursor('eventbridge')).toBeNull();
    });
  });

  describe(`${name}: idempotency`, () => {
    const store = useStore();

    it('returns a live record and null once it has expired', async () => {
      const record = anIdempotencyRecord();
      await store().putIdempotency(record);
      expect(await store().getIdempotency(record.principal, record.key, new Date(T0 + 1000))).toEqual(record);
      expect(await store().getIdempotency(record.principal, record.key, new Date(Date.parse(record.expiresAt) - 1))).toEqual(record);
      expect(await store().getIdempotency(record.principal, record.key, new Date(record.expiresAt))).toBeNull();
      expect(await store().getIdempotency(record.principal, 'key-unknown', new Date(T0))).toBeNull();
      expect(await store().getIdempotency('mallory', record.key, new Date(T0))).toBeNull();
    });

    it('refuses a second record while the first is live, and replaces an expired one', async () => {
      const record = anIdempotencyRecord();
      await store().putIdempotency(record);
      const second = { ...record, fingerprint: 'sha256:other', createdAt: iso(3600_000), expiresAt: iso(30 * 3600_000) };
      expect(await storeErrorKind(store().putIdempotency(second))).toBe('AlreadyExists');
      const later = { ...second, createdAt: record.expiresAt, expiresAt: iso(48 * 3600_000) };
      await store().putIdempotency(later);
      expect(await store().getIdempotency(record.principal, record.key, new Date(record.expiresAt))).toEqual(later);
    });

    it('keys records by principal and key', async () => {
      const a = anIdempotencyRecord({ principal: 'alice', key: 'shared-key-1' });
      const b = anIdempotencyRecord({ principal: 'bob', key: 'shared-key-1', fingerprint: 'sha256:b' });
      await store().putIdempotency(a);
      await store().putIdempotency(b);
      expect(await store().getIdempotency('bob', 'shared-key-1', new Date(T0))).toEqual(b);
      expect(await store().getIdempotency('alice', 'shared-key-1', new Date(T0))).toEqual(a);
    });
  });

  describe(`${name}: reconcile runs`, () => {
    const store = useStore();
    const runs = Array.from({ length: 7 }, (_, i) => aRun({ startedAt: iso(i * 3600_000), status: i === 6 ? 'running' : 'completed' }));

    beforeAll(async () => {
      for (const run of runs) await store().putRun(run);
    });

    it('getRun returns the stored run, null when unknown', async () => {
      expect(await store().getRun(runs[2]!.runId)).toEqual(runs[2]);
      expect(await store().getRun('run-unknown')).toBeNull();
    });

    it('putRun upserts', async () => {
      const { finishedAt: _f, durationMs: _d, ...running } = runs[6]!;
      const done: ReconcileRun = { ...running, status: 'continued', cursor: 'opaque-1', parentRunId: runs[5]!.runId, finishedAt: iso(1), durationMs: 1 };
      await store().putRun(done);
      expect(await store().getRun(done.runId)).toEqual(done);
      await store().putRun(runs[6]!);
      expect(await store().getRun(done.runId)).toEqual(runs[6]);
    });

    it('lists runs newest first with working cursors', async () => {
      const { pages, all } = await collectAll((cursor) => store().listRuns(3, cursor));
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(all).toEqual([...runs].reverse());
    });
  });

  describe(`${name}: reconcile findings`, () => {
    const store = useStore();
    const runId = `run-${unique()}`;
    const imageA = newImageId();
    const imageB = newImageId();
    // 3 kinds over two images, recorded in an order unlike the key order; seq is the recording order.
    const findings = [
      aFinding({ imageId: imageB, target: '2000000000000002', accountId: '2000000000000002' }),
      anImageFinding('public', { imageId: imageA }),
      aFinding({ imageId: imageA, target: '2000000000000001', accountId: '2000000000000001', action: 'unmanaged_revoked' }),
      aFinding({ kind: 'missing', imageId: imageA, target: '2000000000000003', accountId: '2000000000000003', detail: 'active in the store, not shared in ECS' }),
      anImageFinding('quota_mismatch', { imageId: imageB }),
      aFinding({ imageId: imageA, target: '2000000000000004', accountId: '2000000000000004' }),
      anImageFinding('public', { imageId: imageB, action: 'unpublished' }),
    ].map((f, seq) => ({ ...f, seq }));

    beforeAll(async () => {
      await store().putFindings(runId, findings);
    });

    it('lists the findings below the committed count in key order (kind first), paged without gaps', async () => {
      const { pages, all } = await collectAll((cursor) => store().listFindings(runId, { committed: findings.length }, 3, cursor));
      expect(pages.map((p) => p.length)).toEqual([3, 3, 1]);
      expect(all).toEqual(inKeyOrder(findings));
      expect(all.map((f) => f.kind)).toEqual(['missing', 'public', 'public', 'quota_mismatch', 'unmanaged', 'unmanaged', 'unmanaged']);
    });

    it('leaves out the findings a record does not count (seq at or above committed)', async () => {
      const { all } = await collectAll((cursor) => store().listFindings(runId, { committed: 4 }, 2, cursor));
      expect(all).toEqual(inKeyOrder(findings.slice(0, 4)));
      expect(await store().listFindings(runId, { committed: 0 }, 10)).toEqual({ items: [] });
    });

    it('narrows to one kind, paged', async () => {
      const { pages, all } = await collectAll((cursor) => store().listFindings(runId, { committed: findings.length, kind: 'unmanaged' }, 2, cursor));
      expect(pages.map((p) => p.length)).toEqual([2, 1]);
      expect(all).toEqual(inKeyOrder(findings.filter((f) => f.kind === 'unmanaged')));
      expect(await store().listFindings(runId, { committed: findings.length, kind: 'draining' }, 10)).toEqual({ items: [] });
    });

    it('refuses a cursor of another run, another kind filter, or one it never issued (ValidationFailed)', async () => {
      const all = await store().listFindings(runId, { committed: findings.length }, 1);
      const unmanaged = await store().listFindings(runId, { committed: findings.length, kind: 'unmanaged' }, 1);
      const misuses = [
        store().listFindings(`run-${unique()}`, { committed: findings.length }, 1, all.nextCursor),
        store().listFindings(runId, { committed: findings.length, kind: 'unmanaged' }, 1, all.nextCursor),
        store().listFindings(runId, { committed: findings.length, kind: 'public' }, 1, unmanaged.nextCursor),
        store().listFindings(runId, { committed: findings.length }, 1, unmanaged.nextCursor),
        store().listFindings(runId, { committed: findings.length }, 1, 'bm90LWEtY3Vyc29y'),
      ];
      for (const misuse of misuses) {
        const error = await misuse.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GovernorError);
        expect((error as GovernorError).code).toBe('ValidationFailed');
      }
    });

    it('getFindings returns the stored findings of the subjects asked for, and only those', async () => {
      const absent = aFinding({ imageId: imageA, target: '2000000000000009', accountId: '2000000000000009' });
      const asked = [findings[2]!, absent, findings[4]!, findings[2]!];
      const got = await store().getFindings(runId, asked);
      expect(inKeyOrder(got)).toEqual(inKeyOrder([findings[2]!, findings[4]!]));
      expect(await store().getFindings(`run-${unique()}`, asked)).toEqual([]);
    });

    it('imageFindings returns every finding of one image, whatever its seq', async () => {
      const run = `run-${unique()}`;
      const image = newImageId();
      const mine = [aFinding({ imageId: image, seq: 0 }), anImageFinding('draining', { imageId: image, seq: 9 }), aFinding({ kind: 'stale_intent', imageId: image, seq: 1 })];
      // Another image whose id starts with this one's, and another run: neither is this image's.
      await store().putFindings(run, [...mine, aFinding({ imageId: `${image}x`, seq: 2 })]);
      await store().putFindings(`run-${unique()}`, [aFinding({ imageId: image })]);
      expect(inKeyOrder(await store().imageFindings(run, 'cn-hangzhou', image))).toEqual(inKeyOrder(mine));
      expect(await store().imageFindings(run, 'cn-shanghai', image)).toEqual([]);
    });

    it('storing a finding again rewrites it in place: one row per subject and kind', async () => {
      const run = `run-${unique()}`;
      const first = aFinding({ seq: 0 });
      await store().putFindings(run, [first]);
      const again = { ...first, action: 'unmanaged_revoked' as const, detail: 'revoked', at: iso(60_000) };
      await store().putFindings(run, [again]);
      await store().putFindings(run, [again]);
      expect(await store().listFindings(run, { committed: 1 }, 10)).toEqual({ items: [again] });
    });

    it('stores batches larger than one write request', async () => {
      const run = `run-${unique()}`;
      const many = Array.from({ length: 230 }, (_, seq) => aFinding({ seq, target: String(2000000000000000 + seq), accountId: String(2000000000000000 + seq) }));
      await store().putFindings(run, many);
      const { pages, all } = await collectAll((cursor) => store().listFindings(run, { committed: 230 }, 100, cursor));
      expect(pages.map((p) => p.length)).toEqual([100, 100, 30]);
      expect(all).toEqual(inKeyOrder(many));
    });
  });

  describe(`${name}: posture`, () => {
    const store = useStore();

    it('getPosture is null until a run is pointed at, then that pointer', async () => {
      const pointer = aPosture({ findings: 4, open: 2 });
      expect(await store().getPosture(pointer.regionId)).toBeNull();
      expect(await store().putPosture(pointer)).toBe(true);
      expect(await store().getPosture(pointer.regionId)).toEqual(pointer);
    });

    it('a run that started later takes the posture; an earlier one never takes it back; the same run again is fine', async () => {
      const older = aPosture({ startedAt: iso(0), findings: 1, open: 1 });
      const newer = aPosture({ regionId: older.regionId, startedAt: iso(600_000), completedAt: iso(601_000) });
      expect(await store().putPosture(older)).toBe(true);
      expect(await store().putPosture(newer)).toBe(true);
      expect(await store().putPosture(older)).toBe(false);
      expect(await store().putPosture(newer)).toBe(true);
      expect(await store().getPosture(older.regionId)).toEqual(newer);
    });

    it('lists the open findings the regions point at, region by region in the order given, paged', async () => {
      const [east, west, empty] = [aPosture(), aPosture(), aPosture()];
      const eastFindings = [aFinding({ seq: 0 }), aFinding({ seq: 1, action: 'unmanaged_revoked' }), anImageFinding('draining', { seq: 2, action: 'drain_progressed' }), aFinding({ seq: 3 })];
      const westFindings = [anImageFinding('public', { seq: 0, regionId: 'cn-shanghai' }), aFinding({ seq: 1, kind: 'missing' })];
      await store().putFindings(east.runId, eastFindings);
      await store().putFindings(west.runId, westFindings);
      // east's record counts 3 findings: the fourth (seq 3) was stored by a save its record never confirmed.
      await store().putPosture({ ...east, findings: 3, open: 2 });
      await store().putPosture({ ...west, findings: 2, open: 2 });
      const regionIds = [west.regionId, empty.regionId, east.regionId];
      const open = [...inKeyOrder(westFindings), ...inKeyOrder([eastFindings[0]!, eastFindings[2]!])];

      const { pages, all } = await collectAll((cursor) => store().listPosture({ regionIds }, 3, cursor));
      expect(pages.map((p) => p.length)).toEqual([3, 1]);
      expect(all).toEqual(open);
      expect((await collectAll((cursor) => store().listPosture({ regionIds }, 1, cursor))).all).toEqual(open);
      expect((await collectAll((cursor) => store().listPosture({ regionIds, kind: 'unmanaged' }, 1, cursor))).all).toEqual([eastFindings[0]]);
      expect(await store().listPosture({ regionIds: [empty.regionId] }, 10)).toEqual({ items: [] });
    });

    it('a page resumes in the run it started in, even when a newer run takes the posture meanwhile', async () => {
      const first = aPosture({ findings: 3, open: 3 });
      const firstFindings = Array.from({ length: 3 }, (_, seq) => aFinding({ seq }));
      await store().putFindings(first.runId, firstFindings);
      await store().putPosture(first);
      const page = await store().listPosture({ regionIds: [first.regionId] }, 2);
      const later = aPosture({ regionId: first.regionId, startedAt: iso(600_000), findings: 1, open: 1 });
      await store().putFindings(later.runId, [aFinding({ seq: 0 })]);
      expect(await store().putPosture(later)).toBe(true);
      const rest = await store().listPosture({ regionIds: [first.regionId] }, 2, page.nextCursor);
      expect([...page.items, ...rest.items]).toEqual(inKeyOrder(firstFindings));
      expect(rest.nextCursor).toBeUndefined();
    });

    it('refuses a cursor for a region outside the listing, of another kind filter, or one it never issued (ValidationFailed)', async () => {
      const pointer = aPosture({ findings: 2, open: 2 });
      await store().putFindings(pointer.runId, [aFinding({ seq: 0 }), aFinding({ seq: 1 })]);
      await store().putPosture(pointer);
      const page = await store().listPosture({ regionIds: [pointer.regionId] }, 1);
      const misuses = [
        store().listPosture({ regionIds: ['cn-beijing'] }, 1, page.nextCursor),
        store().listPosture({ regionIds: [pointer.regionId], kind: 'missing' }, 1, page.nextCursor),
        store().listFindings(pointer.runId, { committed: 2 }, 1, page.nextCursor),
        store().listPosture({ regionIds: [pointer.regionId] }, 1, 'bm90LWEtY3Vyc29y'),
      ];
      for (const misuse of misuses) {
        const error = await misuse.catch((e: unknown) => e);
        expect(error).toBeInstanceOf(GovernorError);
        expect((error as GovernorError).code).toBe('ValidationFailed');
      }
    });
  });

  describe(`${name}: leases`, () => {
    const store = useStore();
    const now = new Date(T0);
    const at = (ms: number): Date => new Date(T0 + ms);

    it('is exclusive while unexpired and renewable by its holder', async () => {
      const name = `lease-${unique()}`;
      expect(await store().acquireLease(name, 'worker-a', 60_000, now)).toBe(true);
      expect(await store().acquireLease(name, 'worker-b', 60_000, at(1000))).toBe(false);
      expect(await store().acquireLease(name, 'worker-a', 60_000, at(50_000))).toBe(true);
      // renewed until 110 s: still held at 100 s
      expect(await store().acquireLease(name, 'worker-b', 60_000, at(100_000))).toBe(false);
      expect(await store().acquireLease(name, 'worker-b', 60_000, at(110_000))).toBe(true);
      expect(await store().acquireLease(name, 'worker-a', 60_000, at(120_000))).toBe(false);
    });

    it('can be released only by its holder', async () => {
      const name = `lease-${unique()}`;
      expect(await store().acquireLease(name, 'worker-a', 60_000, now)).toBe(true);
      await store().releaseLease(name, 'worker-b');
      expect(await store().acquireLease(name, 'worker-b', 60_000, at(1))).toBe(false);
      await store().releaseLease(name, 'worker-a');
      expect(await store().acquireLease(name, 'worker-b', 60_000, at(2))).toBe(true);
      await store().releaseLease(`lease-${unique()}`, 'nobody');
    });

    it('gives one of many concurrent contenders the lease', async () => {
      const name = `lease-${unique()}`;
      const won = await Promise.all(Array.from({ length: 10 }, (_, i) => store().acquireLease(name, `worker-${i}`, 60_000, now)));
      expect(won.filter(Boolean)).toHaveLength(1);
    });

    it('hands a follow-up asked while held to the holder that releases it, across renewals; the last ask wins', async () => {
      const name = `lease-${unique()}`;
      expect(await store().acquireLease(name, 'worker-a', 60_000, now)).toBe(true);
      expect(await store().requestFollowUp(name, 'first', at(1_000))).toBe(true);
      expect(await store().requestFollowUp(name, 'second', at(2_000))).toBe(true);
      // A renewal (a continuation) keeps it.
      expect(await store().acquireLease(name, 'worker-a', 60_000, at(30_000))).toBe(true);
      expect(await store().releaseLease(name, 'worker-b')).toEqual({});
      expect(await store().releaseLease(name, 'worker-a')).toEqual({ followUp: { note: 'second', requestedAt: at(2_000).toISOString() } });
      // Released: nothing is held, so nothing can be asked of it.
      expect(await store().requestFollowUp(name, 'late', at(40_000))).toBe(false);
      expect(await store().acquireLease(name, 'worker-b', 60_000, at(41_000))).toBe(true);
      expect(await store().releaseLease(name, 'worker-b')).toEqual({});
    });

    it('asks no follow-up of an expired lease, and gives none to a release without one', async () => {
      const name = `lease-${unique()}`;
      expect(await store().requestFollowUp(name, 'nobody holds it', now)).toBe(false);
      expect(await store().acquireLease(name, 'worker-a', 60_000, now)).toBe(true);
      expect(await store().requestFollowUp(name, 'too late', at(60_000))).toBe(false);
      expect(await store().releaseLease(name, 'worker-a')).toEqual({});
    });
  });
}
