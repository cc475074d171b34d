/**
 * Running the server: open the store, build the app, listen, and shut down gracefully on SIGTERM/SIGINT.
 * `licensegraph serve` (and `npm start`) call startServer().
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import pino, { type Logger } from 'pino';
import { ConfigError, loadConfig } from './config/load';
import { DEFAULT_HTTP_LIMITS, type AppConfig } from './config/types';
import { adminSocketPath, startAdminSocket } from './http/admin-socket';
import { buildApp, storeLogger, type App } from './server';
import { reapStaleChildGroups, recordChildGroupsIn } from './sources/command/run';
import { openStore, type Store } from './store';

/** Where running utility process groups are recorded: the PGlite data directory, or a per-user temp directory. */
function childRecordDir(config: AppConfig): string {
  if (!config.databaseUrl) return path.join(config.dataDir, 'children');
  return path.join(
    os.tmpdir(),
    `licensegraph-children-${typeof process.getuid === 'function' ? process.getuid() : 'user'}`,
  );
}

/** How long start-up failures may spend closing what was opened before the process exits anyway. */
const CLOSE_ON_FAILURE_MS = 1500;

/** The server could not listen on HOST:PORT. */
export class ListenError extends Error {
  constructor(host: string, port: number, cause: NodeJS.ErrnoException) {
    const why =
      cause.code === 'EADDRINUSE'
        ? `port ${port} is already in use (set PORT to a free port, or stop the other process)`
        : cause.code === 'EADDRNOTAVAIL'
          ? `${host} is not an address of this machine (set HOST to a local address, e.g. 127.0.0.1 or 0.0.0.0)`
          : cause.message;
    super(`cannot listen on ${host}:${port}: ${why}`);
    this.name = 'ListenError';
  }
}

async function closeWithin(ms: number, fn: () => Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([fn().catch(() => undefined), new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

export interface RunningServer {
  app: App;
  store: Store;
  url: string;
  close(): Promise<void>;
}

export async function startServer(
  config: AppConfig = loadConfig(),
  logger: Logger = pino({ level: config.logLevel }),
): Promise<RunningServer> {
  if (!config.databaseUrl) fs.mkdirSync(config.dataDir, { recursive: true, mode: 0o700 });
  const sharedBuffers = process.env.LICENSEGRAPH_PGLITE_SHARED_BUFFERS;
  if (sharedBuffers !== undefined && !/^\d+(kB|MB|GB)$/.test(sharedBuffers))
    throw new ConfigError('LICENSEGRAPH_PGLITE_SHARED_BUFFERS', 'must be a size like 32MB');
  // Utilities (lmutil) a previous process left hung when it was killed with SIGKILL: kill them, then record ours.
  const children = childRecordDir(config);
  const reaped = reapStaleChildGroups(children);
  if (reaped.length)
    logger.warn(
      { processGroups: reaped, dir: children },
      'killed license-server utilities left running by a previous licensegraph process',
    );
  recordChildGroupsIn(children);
  const store = await openStore({
    databaseUrl: config.databaseUrl,
    dataDir: config.databaseUrl ? undefined : config.dataDir,
    purpose: 'server',
    logger: storeLogger(logger),
    pgliteSharedBuffers: sharedBuffers,
  });
  let app: App;
  try {
    app = await buildApp({ config, logger, store, poller: { start: true } });
  } catch (e) {
    await store.close();
    throw e;
  }
  const boot = await app.services.auth.bootstrapAdmin();
  if (boot) {
    process.stderr.write(
      [
        '',
        'licensegraph: first start, created user "admin" (role ADMIN). Its access token, shown only this once:',
        '',
        `    ${boot.token}`,
        '',
        'Use it as "Authorization: Bearer <token>". Make more users and tokens with:',
        '    npx licensegraph user create --username alice --role VIEWER',
        '    npx licensegraph token generate --username alice',
        '',
      ].join('\n'),
    );
  }
  const admin = config.databaseUrl
    ? null
    : await startAdminSocket(config.dataDir, app.services.auth, app.services.deploymentReports).catch((e: Error) => {
        logger.warn(
          { err: e.message, path: adminSocketPath(config.dataDir) },
          'admin socket unavailable: the CLI cannot manage users while the server runs',
        );
        return null;
      });
  let address: string;
  try {
    address = await app.fastify.listen({ port: config.port, host: config.host });
  } catch (e) {
    // Cannot listen (EADDRINUSE, a HOST that is not local): close what was opened, so the data-directory lock is
    // released, and let the caller exit. Bounded: a close that hangs must not keep the process alive.
    await closeWithin(CLOSE_ON_FAILURE_MS, async () => {
      await admin?.close();
      await app.close();
      await store.close();
    });
    throw new ListenError(config.host, config.port, e as NodeJS.ErrnoException);
  }
  logger.info(
    { url: `${address}/graphql`, servers: config.servers.map((s) => `${s.id} (${s.type})`), store: store.kind },
    'licensegraph listening',
  );
  let closing: Promise<void> | null = null;
  return {
    app,
    store,
    url: address,
    close() {
      if (!closing) {
        closing = (async () => {
          await admin?.close();
          await app.close();
          await store.close();
        })();
      }
      return closing;
    },
  };
}

/**
 * Close on SIGTERM/SIGINT: stop listening, finish in-flight requests, close subscriptions, let the poll in
 * progress commit, then close the store, and exit 0. A second signal, or the shutdown outlasting
 * LICENSEGRAPH_SHUTDOWN_TIMEOUT_SECONDS (default 30), exits 1 at once.
 */
export function installSignalHandlers(server: RunningServer, logger: Logger): void {
  const graceMs =
    (server.app.services.config.httpLimits?.shutdownTimeoutSeconds ?? DEFAULT_HTTP_LIMITS.shutdownTimeoutSeconds) *
    1000;
  let stopping = false;
  const stop = (sig: string) => {
    if (stopping) {
      logger.warn(`${sig} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${sig}: shutting down`);
    setTimeout(() => {
      logger.error(`shutdown took longer than ${graceMs / 1000} s: exiting now`);
      process.exit(1);
    }, graceMs).unref();
    server.close().then(
      () => process.exit(0),
      (err) => {
        logger.error({ err }, 'error during shutdown');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
