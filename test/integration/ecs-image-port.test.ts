// The ImagePort contract on the real adapter (shared/ecs, the ECS SDK) against the ECS emulator over a
// real socket: the reference the in-memory fake is held to.
import { afterAll, beforeAll } from 'vitest';
import { startEcsEmulator } from '../../emulators/ecs/index.js';
import { createEcsImagePort } from '../../shared/ecs/index.js';
import { REGION, imagePortContract } from '../contract/image-port-contract.js';
import { ecsAdmin, type EcsAdmin } from '../support/ecs.js';

const OWNER = '1000000000000001';
const OTHER_OWNER = '1000000000000002';
const OWNER_KEY = { accessKeyId: 'contract-owner-ak', accessKeySecret: 'contract-owner-secret' };
const ACCOUNTS = Array.from({ length: 60 }, (_, i) => String(2_000_000_000_000_001 + i));

let emulator: { endpoint: string; close(): Promise<void> };
let admin: EcsAdmin;
beforeAll(async () => {
  emulator = await startEcsEmulator({ port: 0 });
  admin = ecsAdmin(emulator.endpoint);
});
afterAll(async () => {
  await emulator?.close();
});

imagePortContract('EcsImagePort on the ECS emulator', async () => {
  await admin.reset();
  await admin.addAccount(OWNER, [OWNER_KEY]);
  await admin.addAccount(OTHER_OWNER);
  for (const accountId of ACCOUNTS) await admin.addAccount(accountId);
  const port = createEcsImagePort({
    ecs: { endpoint: emulator.endpoint, protocol: 'http', connectTimeoutMs: 2_000, readTimeoutMs: 5_000, ratePerApi: {} },
    credentials: () => OWNER_KEY,
    // Refusals are definitive; nothing here needs the adapter's backoff.
    sleep: async () => {},
  });
  return {
    port,
    owner: OWNER,
    otherOwner: OTHER_OWNER,
    accounts: ACCOUNTS,
    async seedImage(seed = {}) {
      const { kind = 'custom', inUse, ...rest } = seed;
      const common = { regionId: REGION, ...rest, ...(inUse !== undefined ? { inUseByInstances: inUse } : {}) };
      if (kind === 'system') return admin.addImage({ ...common, kind: 'system' });
      if (kind === 'custom' || kind === 'marketplace-derived') return admin.addImage({ ...common, ownerAccountId: OWNER, kind });
      // Another account's image the owner sees: shared with it (and, for a community image, published).
      const imageId = await admin.addImage({ ...common, ownerAccountId: OTHER_OWNER, ...(kind === 'community' ? { isPublic: true } : {}) });
      await admin.shareOutOfBand(REGION, imageId, OWNER);
      return imageId;
    },
    shareOutOfBand: (imageId, accountId) => admin.shareOutOfBand(REGION, imageId, accountId),
  };
});
