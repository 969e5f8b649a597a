// The Resource Directory adapter: DirectoryPort over Resource Sharing and Resource Manager. Composition roots import from here.
export { createDirectoryPort, MAX_ENTRIES_PER_CALL, type DirectoryPortOptions } from './directory-port.js';
export { RESOURCE_MANAGER_ACTIONS, RESOURCE_SHARING_ACTIONS, STS_ACTIONS } from './api.js';
