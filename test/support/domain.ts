// What the governance-core unit tests share: the image under test, who acts on it, account ids,
// share input, the in-memory world around a governor, and how a refused call is caught.
import { createGovernor, type Ctx, type ShareInput } from '../../shared/domain/governor.js';
import { resolveDeps } from '../../shared/domain/context.js';
import { GovernorError } from '../../shared/domain/errors.js';
import type { Policy } from '../../shared/domain/policy.js';
import type { Logger } from '../../shared/domain/ports.js';
import { MemoryStore } from './memory-store.js';
import { MemoryDirectory } from './memory-directory.js';
import { MemoryImages } from './memory-images.js';
import { ManualClock } from './clock.js';
import { OWNER_ACCOUNT, testPolicy } from './policy.js';

export const REGION = 'cn-hangzhou';
export const IMAGE = 'm-golden000001';

export const alice: Ctx = { principal: { id: 'alice', roles: ['requester'] }, requestId: 'http-req-1' };
export const bob: Ctx = { principal: { id: 'bob', roles: ['approver'] }, requestId: 'http-req-2' };
export const admin: Ctx = { principal: { id: 'root', roles: ['admin'] }, requestId: 'http-req-9' };

/** The store key of an account-channel share. */
export const byAccount = (target: string) => ({ channel: 'account' as const, target });

/** The n-th 16-digit account id, so tests can speak of account(1), account(2)... */
export const account = (n: number): string => String(2_000_000_000_000_000 + n);

/** A share of IMAGE with accounts `accounts`, attested; `over` changes any field. */
export const shareInput = (accounts: number[], over: Partial<ShareInput> = {}): ShareInput => ({
  regionId: REGION,
  imageId: IMAGE,
  accountIds: accounts.map(account),
  reason: 'partner onboarding',
  attestation: { sensitiveDataRemoved: true },
  ...over,
});

/**
 * The resource directory of the domain tests (the owner is its management account):
 *
 *   root r-root0001
 *   ├── fd-prod0001  prod
 *   │   └── fd-web00001  web     ← member(1), member(2)
 *   └── fd-dev00001  dev         ← member(3)
 *   member(4) in the root
 */
export const FOLDERS = { prod: 'fd-prod0001', web: 'fd-web00001', dev: 'fd-dev00001' } as const;
export const DIRECTORY_ID = 'rd-test0001';
/** The n-th member account of the test directory. */
export const member = (n: number): string => String(3_000_000_000_000_000 + n);
export const TEST_DIRECTORY = {
  directoryId: DIRECTORY_ID,
  rootFolderId: 'r-root0001',
  managementAccountId: OWNER_ACCOUNT,
  folders: [
    { folderId: FOLDERS.prod, parentFolderId: null },
    { folderId: FOLDERS.web, parentFolderId: FOLDERS.prod },
    { folderId: FOLDERS.dev, parentFolderId: null },
  ],
  members: [
    { accountId: member(1), folderId: FOLDERS.web },
    { accountId: member(2), folderId: FOLDERS.web },
    { accountId: member(3), folderId: FOLDERS.dev },
    { accountId: member(4), folderId: null },
  ],
} as const;

export interface WorldOptions {
  /** Accounts ECS knows; omit and every well-formed account exists. */
  knownAccounts?: string[];
  /** IMAGE backs a running instance. */
  inUse?: boolean;
  logger?: Logger;
}

/**
 * A governor over an in-memory store and ECS holding IMAGE, with a manual clock and sequential ids
 * (id000000, id000001, ...) so whole responses can be asserted.
 */
export function domainWorld(policy: Partial<Policy> = {}, options: WorldOptions = {}) {
  const store = new MemoryStore();
  const images = new MemoryImages(OWNER_ACCOUNT, options.knownAccounts ? new Set(options.knownAccounts) : undefined);
  const directory = new MemoryDirectory((regionId, imageId) => images.ownsImage(regionId, imageId));
  directory.setDirectory(TEST_DIRECTORY);
  const clock = new ManualClock();
  let n = 0;
  const newId = (): string => `id${String(n++).padStart(6, '0')}`;
  const deps = resolveDeps({ store, images, directory, clock, policy: testPolicy(policy), newId, ...(options.logger ? { logger: options.logger } : {}) });
  const governor = createGovernor(deps);
  images.addImage({ regionId: REGION, imageId: IMAGE, imageName: 'golden', inUse: options.inUse ?? false });
  const quotaUsed = async (): Promise<number | undefined> => (await store.getImage(REGION, IMAGE))?.quotaUsed;
  const directoryQuotaUsed = async (): Promise<number | undefined> => (await store.getImage(REGION, IMAGE))?.directoryQuotaUsed;
  return { store, images, directory, clock, deps, governor, quotaUsed, directoryQuotaUsed };
}

/** The GovernorError the call is refused with; success or any other error fails the test. */
export async function failure(p: Promise<unknown>): Promise<GovernorError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof GovernorError) return e;
    throw e;
  }
  throw new Error('expected a GovernorError, the call succeeded');
}
