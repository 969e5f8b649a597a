// The demo world `npm start` creates in the ECS emulator, through its admin routes. Idempotent:
// fixed account and image ids, and "already exists" answers count as done, so a restart (or a second
// run against the same emulator) ends in the same state.
//
// The ECS emulator keeps its state in memory while Tablestore keeps its data on disk. So that a restart
// looks like a restart (and not like drift), what the service already did is replayed into ECS from the
// store: images it deleted stay deleted, shares it holds active are shared again.
import type { StorePort } from '../shared/domain/ports.js';

export const DEMO_OWNER_ACCOUNT_ID = '1380000000000001';
export const DEMO_REGIONS = ['cn-hangzhou', 'cn-shanghai'] as const;

/** Accounts images may be shared with (registered, so ECS accepts them). */
export const DEMO_TARGETS = {
  /** A partner team: the usual share target in the examples. */
  partner: '2000000000000001',
  /** A second team. */
  analytics: '2000000000000002',
  /** The account the out-of-band share went to (found by the reconciler). */
  contractor: '2000000000000003',
} as const;

export interface DemoImage {
  readonly regionId: string;
  readonly imageId: string;
  readonly imageName: string;
  readonly kind: 'custom' | 'marketplace-derived' | 'system';
  readonly tags?: Record<string, string>;
  readonly note: string;
}

export const DEMO_IMAGES: readonly DemoImage[] = [
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemobase0001', imageName: 'golden-base-2026-11', kind: 'custom', tags: { team: 'platform' }, note: 'shareable custom image' },
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemoapp00001', imageName: 'payments-app-1.4', kind: 'custom', tags: { team: 'payments' }, note: 'shareable custom image' },
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemosecret01', imageName: 'hsm-appliance', kind: 'custom', tags: { 'share-policy': 'deny' }, note: 'tagged share-policy=deny: never shareable' },
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemolegacy01', imageName: 'legacy-build-agent', kind: 'custom', note: 'shared out of band with the contractor account' },
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemomarket01', imageName: 'vendor-firewall-derived', kind: 'marketplace-derived', note: 'marketplace-derived: not shareable' },
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemosystem01', imageName: 'aliyun_3_x64_20G_alibase', kind: 'system', note: 'system image: not shareable' },
  { regionId: 'cn-shanghai', imageId: 'm-shdemobase0001', imageName: 'golden-base-2026-11', kind: 'custom', tags: { team: 'platform' }, note: 'shareable custom image' },
  { regionId: 'cn-shanghai', imageId: 'm-shdemodb000001', imageName: 'postgres-16-hardened', kind: 'custom', tags: { team: 'data' }, note: 'shareable custom image' },
];

/** The share made outside the service (as the console would), for the reconciler to find. */
export const DEMO_OUT_OF_BAND_SHARE = { regionId: 'cn-hangzhou', imageId: 'm-hzdemolegacy01', accountId: DEMO_TARGETS.contractor } as const;

async function admin(base: string, path: string, body: unknown, alsoFine: readonly number[] = []): Promise<void> {
  const res = await fetch(`${base}/__emulator/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  // 409 = already there: the seed is being re-applied.
  if (res.status !== 201 && res.status !== 200 && res.status !== 409 && !alsoFine.includes(res.status)) {
    throw new Error(`seeding ECS (${path}) failed: ${res.status} ${await res.text()}`);
  }
}

/**
 * Seeds the ECS emulator at `ecsEndpoint` (host:port). The owner account signs with `ownerKey`
 * (the functions' role keys locally); each target account gets keys of its own.
 */
export async function seedDemo(ecsEndpoint: string, ownerKey: { accessKeyId: string; accessKeySecret: string }, store?: StorePort): Promise<void> {
  const base = `http://${ecsEndpoint}`;
  const deleted = new Set<string>();
  const activeShares: { regionId: string; imageId: string; accountId: string }[] = [];
  // Shares the service has a row for, in any state: it adopted, revoked or replaced them.
  const knownShares = new Set<string>();
  if (store) {
    let cursor: string | undefined;
    do {
      const page = await store.listImages({}, 100, cursor);
      for (const image of page.items) {
        if (image.lifecycle === 'deleted') {
          deleted.add(`${image.regionId}/${image.imageId}`);
          continue;
        }
        for (const share of await store.listShares(image.regionId, image.imageId)) {
          knownShares.add(`${share.regionId}/${share.imageId}/${share.target}`);
          if (share.state === 'active' && share.channel === 'account') activeShares.push({ regionId: share.regionId, imageId: share.imageId, accountId: share.target });
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  await admin(base, 'accounts', { accountId: DEMO_OWNER_ACCOUNT_ID, accessKeys: [{ accessKeyId: ownerKey.accessKeyId, accessKeySecret: ownerKey.accessKeySecret }] });
  for (const [name, accountId] of Object.entries(DEMO_TARGETS)) {
    await admin(base, 'accounts', { accountId, accessKeys: [{ accessKeyId: `LTAIdemo${name}`, accessKeySecret: `demo-${name}-secret` }] });
  }
  for (const img of DEMO_IMAGES) {
    if (deleted.has(`${img.regionId}/${img.imageId}`)) continue;
    await admin(base, 'images', {
      regionId: img.regionId,
      imageId: img.imageId,
      imageName: img.imageName,
      kind: img.kind,
      ...(img.kind === 'system' ? {} : { ownerAccountId: DEMO_OWNER_ACCOUNT_ID }),
      ...(img.tags ? { tags: img.tags } : {}),
    });
  }
  // Made out of band once: not again once the service deleted the image or took the share over.
  const oob = DEMO_OUT_OF_BAND_SHARE;
  if (!deleted.has(`${oob.regionId}/${oob.imageId}`) && !knownShares.has(`${oob.regionId}/${oob.imageId}/${oob.accountId}`)) {
    await admin(base, 'shares', oob);
  }
  // An image the demo does not create (404) has nothing to restore.
  for (const share of activeShares) await admin(base, 'shares', share, [404]);
}
