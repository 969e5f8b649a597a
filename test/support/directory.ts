/**
 * A resource directory to test against: a management account that owns the images, members in
 * nested folders, an account outside the directory, and helpers to start the emulator with a clock
 * the test moves (starting at real time, so SDK signatures pass the timestamp check).
 *
 *   root (r-…)
 *   ├── fd-prod00001  prod
 *   │   └── fd-web000001  web      ← WEB_MEMBER
 *   └── fd-dev000001  dev           ← DEV_MEMBER
 *   MANAGEMENT in the root; OUTSIDER registered, in no directory
 */
import { type RunningEcsEmulator, startEcsEmulator } from '../../emulators/ecs/index.js';
import { ManualClock } from './clock.js';
import { type EcsAccessKey, type EcsAdmin, type ResourceDirectorySeed, ecsAdmin } from './ecs.js';

export interface TestAccount {
  accountId: string;
  key: EcsAccessKey;
}

const account = (accountId: string, name: string): TestAccount => ({
  accountId,
  key: { accessKeyId: `AK-${name}`, accessKeySecret: `${name}-secret` },
});

export const REGION = 'cn-hangzhou';
export const DIRECTORY_ID = 'rd-test01';
export const MANAGEMENT = account('1000000000000001', 'MANAGEMENT');
export const WEB_MEMBER = account('1000000000000002', 'WEB');
export const DEV_MEMBER = account('1000000000000003', 'DEV');
export const OUTSIDER = account('1000000000000009', 'OUTSIDER');
export const FOLDERS = { prod: 'fd-prod00001', web: 'fd-web000001', dev: 'fd-dev000001' } as const;

/** The tree above for any directory, management account and pair of members (a stack's owner manages its own). */
export const directoryTree = (directoryId: string, managementAccountId: string, members: { web: string; dev: string }): ResourceDirectorySeed => ({
  directoryId,
  managementAccountId,
  folders: [
    { folderId: FOLDERS.prod, parentFolderId: null, name: 'prod' },
    { folderId: FOLDERS.web, parentFolderId: FOLDERS.prod, name: 'web' },
    { folderId: FOLDERS.dev, parentFolderId: null, name: 'dev' },
  ],
  members: [
    { accountId: members.web, folderId: FOLDERS.web },
    { accountId: members.dev, folderId: FOLDERS.dev },
  ],
});

export const DIRECTORY = directoryTree(DIRECTORY_ID, MANAGEMENT.accountId, { web: WEB_MEMBER.accountId, dev: DEV_MEMBER.accountId });

export interface DirectoryStack {
  emulator: RunningEcsEmulator;
  admin: EcsAdmin;
  clock: ManualClock;
  /** The root folder id the emulator gave the directory. */
  rootFolderId: string;
}

/** Starts an emulator on a test-moved clock, registers the four accounts and sets up the directory. */
export async function startDirectoryStack(options: { associationDelayMs?: number; directory?: Partial<ResourceDirectorySeed> } = {}): Promise<DirectoryStack> {
  const clock = new ManualClock(new Date());
  const emulator = await startEcsEmulator({
    port: 0,
    now: () => clock.now(),
    ...(options.associationDelayMs !== undefined ? { associationDelayMs: options.associationDelayMs } : {}),
  });
  const admin = ecsAdmin(emulator.endpoint);
  for (const each of [MANAGEMENT, WEB_MEMBER, DEV_MEMBER, OUTSIDER]) await admin.addAccount(each.accountId, [each.key]);
  const rootFolderId = await admin.putResourceDirectory({ ...DIRECTORY, ...options.directory });
  return { emulator, admin, clock, rootFolderId };
}

/** A custom image of the management account in REGION; returns its id. */
export const ownImage = (admin: EcsAdmin, imageId?: string): Promise<string> =>
  admin.addImage({ ownerAccountId: MANAGEMENT.accountId, regionId: REGION, ...(imageId ? { imageId } : {}) });
