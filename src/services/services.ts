import type { Logger } from 'pino';
import type { AppConfig } from '../config/types';
import type { Store } from '../store';
import type { AuthService } from './auth.service';
import type { SnapshotService } from './snapshot.service';

/** Everything resolvers, REST routes and the CLI call into. Built once per app by buildApp(). */
export interface Services {
  config: AppConfig;
  logger: Logger;
  snapshots: SnapshotService;
  store: Store;
  auth: AuthService;
}
