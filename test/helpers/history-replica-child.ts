/**
 * Child process for test/e2e/kill9-poller.test.ts: one licensegraph replica (the real app, poller started) on the
 * PostgreSQL database in LG_REPLICA_DB, polling the servers in LG_REPLICA_SERVERS (comma list) every
 * LG_REPLICA_INTERVAL_MS. Each source prints "poll <server>" when the replica reads it, so the parent can count who
 * polls what, and each poll attempt prints "try <server>" as it asks for the server's lock (before "poll" when
 * it gets it), so the parent can count attempts instead of timing them. Prints "ready" once listening.
 */
import 'reflect-metadata';
import pino from 'pino';
import type { AppConfig } from '../../src/config/types';
import { buildApp } from '../../src/server';
import type { LicenseSource } from '../../src/sources/source';
import { openStore } from '../../src/store';
import { historyServer } from './history';
import { checkout, feature, snapshot } from './snapshots';

async function main(): Promise<void> {
  const ids = (process.env.LG_REPLICA_SERVERS ?? 's1').split(',');
  const intervalMs = Number(process.env.LG_REPLICA_INTERVAL_MS ?? 300);
  const store = await openStore({ databaseUrl: process.env.LG_REPLICA_DB, poolMax: 4 });
  const sources: Record<string, LicenseSource> = {};
  for (const id of ids) {
    sources[id] = {
      id,
      type: 'flexlm',
      async fetch() {
        process.stdout.write(`poll ${id}\n`);
        return snapshot(id, [
          feature('F', 10, 1, [checkout('u', 'h', { handle: '1', startedAt: '2026-01-05T00:00:00.000Z' })]),
        ]);
      },
    };
  }
  const config: AppConfig = {
    port: 0,
    host: '127.0.0.1',
    dataDir: ':memory:',
    servers: ids.map((id) => historyServer(id, { pollIntervalSeconds: intervalMs / 1000 })),
    logLevel: 'silent',
    introspection: false,
    graphiql: false,
  };
  const app = await buildApp({
    config,
    store,
    sources,
    logger: pino({ level: 'silent' }),
    poller: { start: true, intervalMs },
  });
  const leases = app.services.poller.leases;
  const acquire = leases.acquire.bind(leases);
  leases.acquire = (serverId: string) => {
    process.stdout.write(`try ${serverId}\n`);
    return acquire(serverId);
  };
  await app.fastify.listen({ port: 0, host: '127.0.0.1' });
  process.stdout.write('ready\n');
  process.on('SIGTERM', () => {
    void app
      .close()
      .then(() => store.close())
      .then(() => process.exit(0));
  });
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
