// The DirectoryPort contract on the real adapter (shared/directory, openapi-core) against the ECS
// emulator's Resource Sharing, Resource Manager and STS over a real socket: the reference the
// in-memory fake is held to.
import { afterEach } from 'vitest';
import { createDirectoryPort } from '../../shared/directory/index.js';
import { REGION, directoryPortContract } from '../contract/directory-port-contract.js';
import { DEV_MEMBER, DIRECTORY_ID, type DirectoryStack, FOLDERS, MANAGEMENT, OUTSIDER, WEB_MEMBER, ownImage, startDirectoryStack } from '../support/directory.js';

const RESOURCE_MANAGER_READS = new Set(['GetResourceDirectory', 'GetAccount', 'GetFolder']);

let stack: DirectoryStack | undefined;
afterEach(async () => {
  await stack?.emulator.close();
  stack = undefined;
});

directoryPortContract('DirectoryPort on the ECS emulator', async () => {
  const s = (stack = await startDirectoryStack({ associationDelayMs: 0 }));
  const endpoint = s.emulator.endpoint;
  const port = createDirectoryPort({
    endpoints: { resourceSharing: endpoint, resourceManager: endpoint, sts: endpoint },
    protocol: 'http',
    connectTimeoutMs: 2_000,
    readTimeoutMs: 5_000,
    credentials: () => MANAGEMENT.key,
    // Waits move the emulator's clock, not the test's.
    sleep: async (ms) => {
      s.clock.advance(ms);
    },
  });
  return {
    port,
    directory: {
      directoryId: DIRECTORY_ID,
      rootFolderId: s.rootFolderId,
      folders: FOLDERS,
      owner: MANAGEMENT.accountId,
      webMember: WEB_MEMBER.accountId,
      devMember: DEV_MEMBER.accountId,
      outsider: OUTSIDER.accountId,
    },
    seedImage: () => ownImage(s.admin),
    shareOutOfBand: (images, targets) =>
      s.admin.addResourceShare({
        ownerAccountId: MANAGEMENT.accountId,
        regionId: REGION,
        resources: images.map((resourceId) => ({ resourceType: 'Image' as const, resourceId })),
        targets: [...targets],
      }),
    async failAssociations(entityId, reason) {
      await s.admin.configureResourceSharing({ failures: [{ entityId, reason: reason as 'LimitExceeded' }] });
    },
    lookups: async () => (await s.admin.calls()).filter((call) => call.action !== null && RESOURCE_MANAGER_READS.has(call.action)).length,
  };
});
