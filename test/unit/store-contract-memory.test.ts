// The StorePort contract on the in-memory store the domain unit tests use: the fake must behave
// like the real adapter, or domain tests prove nothing.
import { MemoryStore } from '../support/memory-store.js';
import { storeContract } from '../contract/store-contract.js';

storeContract('MemoryStore', async () => ({ store: new MemoryStore(), close: async () => {} }));
