// The Resource Directory adapter: DirectoryPort over Resource Sharing and Resource Manager. Composition roots import from here.
export { createDirectoryPort, MAX_ENTRIES_PER_CALL, type DirectoryPortOptions } from './directory-port.js';
