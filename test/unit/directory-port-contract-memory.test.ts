// The DirectoryPort contract on the in-memory fake the domain tests use: the fake must answer as the
// real adapter on the ECS emulator does, or domain tests prove nothing.
import { directoryPortContract } from '../contract/directory-port-contract.js';
import { MemoryDirectory } from '../support/memory-directory.js';
import { MemoryImages } from '../support/memory-images.js';

const OWNER = '1000000000000001';
const DIRECTORY = {
  directoryId: 'rd-test01',
  rootFolderId: 'r-root01',
  folders: { prod: 'fd-prod00001', web: 'fd-web000001', dev: 'fd-dev000001' },
  owner: OWNER,
  webMember: '1000000000000002',
  devMember: '1000000000000003',
  outsider: '1000000000000009',
};

directoryPortContract('MemoryDirectory', async () => {
  const images = new MemoryImages(OWNER);
  const port = new MemoryDirectory((regionId, imageId) => images.ownsImage(regionId, imageId));
  const { folders } = DIRECTORY;
  port.setDirectory({
    directoryId: DIRECTORY.directoryId,
    rootFolderId: DIRECTORY.rootFolderId,
    managementAccountId: OWNER,
    folders: [
      { folderId: folders.prod, parentFolderId: null },
      { folderId: folders.web, parentFolderId: folders.prod },
      { folderId: folders.dev, parentFolderId: null },
    ],
    members: [
      { accountId: DIRECTORY.webMember, folderId: folders.web },
      { accountId: DIRECTORY.devMember, folderId: folders.dev },
    ],
  });
  return {
    port,
    directory: DIRECTORY,
    seedImage: async () => images.addImage().imageId,
    shareOutOfBand: async (imageIds, targets) => port.addOutOfBandShare({ images: imageIds, targets }),
    async failAssociations(entity, reason) {
      port.failAssociations(entity, reason);
    },
    lookups: async () => port.callsOf('lookup').length,
  };
});
