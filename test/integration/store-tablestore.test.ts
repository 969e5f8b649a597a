// The StorePort contract on the Tablestore adapter, through the real `tablestore` SDK, against the
// project's Tablestore emulator on a free port.
import { createTablestoreStore } from '../../shared/tablestore/store.js';
import { ensureTables } from '../../shared/tablestore/tables.js';
import { createSdkClient } from '../../shared/tablestore/sdk.js';
import { storeContract } from '../contract/store-contract.js';
import { storeOnEmulator } from '../support/tablestore.js';

storeContract('TablestoreStore', () => storeOnEmulator({ createTablestoreStore, createSdkClient, ensureTables }));
