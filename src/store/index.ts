export { openStore, migrationsFolder, redactUrl } from './store';
export type { Store, OpenStoreOptions, StoreLogger, StoreDriver } from './store';
export type { Database } from './db';
export * from './errors';
export * from './lock';
export { DataDirError, repairDataDirModes } from './data-dir';
export * from './repositories';
export * as schema from './schema';
