// The demo world `npm start` creates in the ECS emulator, through its admin routes. Idempotent:
// fixed account and image ids, and "already exists" answers count as done, so a restart (or a second
// run against the same emulator) ends in the same state.
//
// The ECS emulator keeps its state in memory while Tablestore keeps its data on disk. So that a restart
// looks like a restart (and not like drift), what the service already did is replayed into ECS from the
// store: images it deleted stay deleted, shares it holds active are shared again — account shares
// through the admin route, directory shares through the service's own resource share (a share the
// service adopted from a console share comes back in the service's share: the console's is not made
// again once the service knows its target).
import { createDirectoryPort } from '../shared/directory/index.js';
import { isGovernorError } from '../shared/domain/errors.js';
import { shareTargetKey, type ShareTarget } from '../shared/domain/model.js';
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

/**
 * The resource directory the owner account manages, for the directory channel:
 *   root ├── prod (fd-prod0001) └── web (fd-web00001) ← the web team's account
 *        └── lab  (fd-lab00001)                      ← the lab's account
 */
export const DEMO_DIRECTORY = {
  directoryId: 'rd-demo0001',
  folders: { prod: 'fd-prod0001', web: 'fd-web00001', lab: 'fd-lab00001' },
  members: { web: '2100000000000001', lab: '2100000000000002' },
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
  {
    regionId: 'cn-hangzhou',
    imageId: 'm-hzdemolegacy01',
    imageName: 'legacy-build-agent',
    kind: 'custom',
    note: 'shared out of band with the contractor account, and with the lab folder through a console resource share',
  },
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemomarket01', imageName: 'vendor-firewall-derived', kind: 'marketplace-derived', note: 'marketplace-derived: not shareable' },
  { regionId: 'cn-hangzhou', imageId: 'm-hzdemosystem01', imageName: 'aliyun_3_x64_20G_alibase', kind: 'system', note: 'system image: not shareable' },
  { regionId: 'cn-shanghai', imageId: 'm-shdemobase0001', imageName: 'golden-base-2026-11', kind: 'custom', tags: { team: 'platform' }, note: 'shareable custom image' },
  { regionId: 'cn-shanghai', imageId: 'm-shdemodb000001', imageName: 'postgres-16-hardened', kind: 'custom', tags: { team: 'data' }, note: 'shareable custom image' },
];

/** The share made outside the service (as the console would), for the reconciler to find. */
export const DEMO_OUT_OF_BAND_SHARE = { regionId: 'cn-hangzhou', imageId: 'm-hzdemolegacy01', accountId: DEMO_TARGETS.contractor } as const;

/** The resource share made outside the service (the Resource Sharing console), for the reconciler to find on the directory channel. */
export const DEMO_OUT_OF_BAND_RESOURCE_SHARE = {
  regionId: 'cn-hangzhou',
  name: 'lab-early-access',
  imageId: 'm-hzdemolegacy01',
  target: DEMO_DIRECTORY.folders.lab,
} as const;

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
  const activeShares: ({ regionId: string; imageId: string } & ShareTarget)[] = [];
  // Shares the service has a row for, in any state: it adopted, revoked or replaced them.
  const knownShares = new Set<string>();
  const known = (regionId: string, imageId: string, target: ShareTarget) => knownShares.has(`${regionId}/${imageId}/${shareTargetKey(target)}`);
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
          knownShares.add(`${share.regionId}/${share.imageId}/${shareTargetKey(share)}`);
          if (share.state === 'active') activeShares.push({ regionId: share.regionId, imageId: share.imageId, channel: share.channel, target: share.target });
        }
      }
      cursor = page.nextCursor;
    } while (cursor);
  }
  await admin(base, 'accounts', { accountId: DEMO_OWNER_ACCOUNT_ID, accessKeys: [{ accessKeyId: ownerKey.accessKeyId, accessKeySecret: ownerKey.accessKeySecret }] });
  const accounts = { ...DEMO_TARGETS, ...Object.fromEntries(Object.entries(DEMO_DIRECTORY.members).map(([team, id]) => [`${team}member`, id])) };
  for (const [name, accountId] of Object.entries(accounts)) {
    await admin(base, 'accounts', { accountId, accessKeys: [{ accessKeyId: `LTAIdemo${name}`, accessKeySecret: `demo-${name}-secret` }] });
  }
  const { folders, members } = DEMO_DIRECTORY;
  await admin(base, 'resource-directory', {
    directoryId: DEMO_DIRECTORY.directoryId,
    managementAccountId: DEMO_OWNER_ACCOUNT_ID,
    folders: [
      { folderId: folders.prod, parentFolderId: null, name: 'prod' },
      { folderId: folders.web, parentFolderId: folders.prod, name: 'web' },
      { folderId: folders.lab, parentFolderId: null, name: 'lab' },
    ],
    members: [
      { accountId: members.web, folderId: folders.web },
      { accountId: members.lab, folderId: folders.lab },
    ],
  });
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
  if (!deleted.has(`${oob.regionId}/${oob.imageId}`) && !known(oob.regionId, oob.imageId, { channel: 'account', target: oob.accountId })) {
    await admin(base, 'shares', oob);
  }
  const rs = DEMO_OUT_OF_BAND_RESOURCE_SHARE;
  if (!deleted.has(`${rs.regionId}/${rs.imageId}`) && !known(rs.regionId, rs.imageId, { channel: 'directory', target: rs.target })) {
    await admin(base, 'resource-shares', {
      ownerAccountId: DEMO_OWNER_ACCOUNT_ID,
      regionId: rs.regionId,
      name: rs.name,
      resources: [{ resourceType: 'Image', resourceId: rs.imageId }],
      targets: [rs.target],
    });
  }
  // An image the demo does not create (404) has nothing to restore.
  for (const share of activeShares.filter((s) => s.channel === 'account')) {
    await admin(base, 'shares', { regionId: share.regionId, imageId: share.imageId, accountId: share.target }, [404]);
  }
  const directoryShares = activeShares.filter((s) => s.channel === 'directory' && !deleted.has(`${s.regionId}/${s.imageId}`));
  if (directoryShares.length === 0) return;
  const directory = createDirectoryPort({
    endpoints: { resourceSharing: ecsEndpoint, resourceManager: ecsEndpoint, sts: ecsEndpoint },
    protocol: 'http',
    connectTimeoutMs: 2_000,
    readTimeoutMs: 10_000,
    credentials: () => ownerKey,
  });
  for (const image of new Set(directoryShares.map((s) => `${s.regionId}/${s.imageId}`))) {
    const [regionId, imageId] = image.split('/') as [string, string];
    const targets = directoryShares.filter((s) => s.regionId === regionId && s.imageId === imageId).map((s) => s.target);
    // An image the demo does not create has nothing to restore.
    await directory.addTargets(regionId, imageId, targets).catch((error: unknown) => {
      if (!isGovernorError(error, 'ImageNotFound')) throw error;
    });
  }
}
