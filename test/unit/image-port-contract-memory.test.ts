// The ImagePort contract on the in-memory fake the domain tests use: the fake must answer as the real
// adapter on the ECS emulator does, or domain tests prove nothing.
import { imagePortContract } from '../contract/image-port-contract.js';
import { MemoryImages } from '../support/memory-images.js';

const OWNER = '1000000000000001';
const OTHER_OWNER = '1000000000000002';
const ACCOUNTS = Array.from({ length: 60 }, (_, i) => String(2_000_000_000_000_001 + i));

imagePortContract('MemoryImages', async () => {
  const images = new MemoryImages(OWNER, new Set(ACCOUNTS));
  return {
    port: images,
    owner: OWNER,
    otherOwner: OTHER_OWNER,
    accounts: ACCOUNTS,
    async seedImage(seed = {}) {
      const kind = seed.kind ?? 'custom';
      const theirs = kind === 'shared-to-us' || kind === 'community';
      return images.addImage({ ...seed, kind, ...(theirs ? { ownerAccountId: OTHER_OWNER } : {}) }).imageId;
    },
    async shareOutOfBand(imageId, accountId) {
      images.shareOutOfBand('cn-hangzhou', imageId, accountId);
    },
  };
});
