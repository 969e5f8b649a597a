// The StorePort contract on the Tablestore adapter, through the real `tablestore` SDK, against the
// project's Tablestore emulator on a free port.
import { startTablestoreEmulator } from '../../emulators/tablestore/index.js';
import { createTablestoreStore } from '../../shared/tablestore/store.js';
import { ensureTables } from '../../shared/tablestore/tables.js';
import { createSdkClient } from '../../shared/tablestore/sdk.js';
import { storeContract } from '../contract/store-contract.js';

storeContract('TablestoreStore', async () => {
  let now = new Date();
  const emulator = await startTablestoreEmulator({ port: 0, now: () => now });
  const credentials = { accessKeyId: emulator.accessKeyId, accessKeySecret: emulator.accessKeySecret };
  const client = createSdkClient({ endpoint: emulator.endpoint, instance: emulator.instance, credentials });
  await ensureTables(client, 'isg_', { pollMs: 20 });
  const store = createTablestoreStore({
    endpoint: emulator.endpoint,
    instance: emulator.instance,
    tablePrefix: 'isg_',
    credentials: () => credentials,
  });
  return {
    store,
    clock: {
      set(d: Date) {
        now = d;
      },
    },
    close: () => emulator.close(),
  };
});
