/**
 * Child process for test/e2e/kill9-history.test.ts: polls a scripted server step by step (injected clock: step k
 * is T0 + k minutes) into a store (PostgreSQL URL in LG_KILL9_DB, or a PGlite data directory in LG_KILL9_DIR).
 *
 *   LG_KILL9_FROM / LG_KILL9_TO   steps to poll (inclusive)
 *   LG_KILL9_PAUSE_STEP           at this step, stop for good inside the poll's transaction, just before the samples
 *                                 are written (sessions already upserted and closed, uncommitted), after printing
 *                                 "paused": the parent SIGKILLs us there.
 * Prints "step k" before and "done k <json>" after each poll.
 */
import 'reflect-metadata';
import { PgDatabase } from 'drizzle-orm/pg-core';
import type { SQL } from 'drizzle-orm';
import type { ServerConfig } from '../../src/config/types';
import type { Checkout, Snapshot } from '../../src/domain/snapshot';
import { HistoryService } from '../../src/services/history.service';
import { Poller } from '../../src/services/poller';
import { SnapshotService } from '../../src/services/snapshot.service';
import { openStore, type Store } from '../../src/store';
import { ClockedSource, historyServer, MIN, T0, TestClock } from './history';
import { feature, snapshot } from './snapshots';

/** [user, host, handle, first step, step it is gone at, licenses] */
export const KILL9_SESSIONS: Array<[string, string, string, number, number, number]> = [
  ['ann', 'h1', '1', 0, 5, 1],
  ['ben', 'h2', '2', 1, 9, 2],
  ['cat', 'h3', '3', 3, 4, 1],
  ['dan', 'h4', '4', 4, 12, 1],
  ['eli', 'h5', '5', 6, 7, 3],
  ['fox', 'h6', '6', 6, 11, 1],
  ['gus', 'h7', '7', 8, 10, 1],
  ['hal', 'h8', '8', 9, 30, 3],
  ['ivy', 'h9', '9', 10, 13, 1],
];
export const KILL9_DOWN_STEPS = [7];
export const KILL9_STEPS = 14;

export function kill9Snapshot(serverId: string, step: number): Snapshot {
  if (KILL9_DOWN_STEPS.includes(step))
    return snapshot(serverId, [], { status: 'DOWN', hosts: [], vendorDaemons: [], error: 'down' });
  const list: Checkout[] = KILL9_SESSIONS.filter(([, , , from, to]) => step >= from && step < to).map(
    ([user, host, handle, from, , count]) => ({
      username: user,
      hostname: host,
      display: null,
      version: 'v1',
      serverInfo: `lic/27000 ${handle}`,
      handle,
      count,
      startTime: 'x',
      // started a little before the poll that first saw it
      startedAt: new Date(T0 + from * MIN - 20_000).toISOString(),
    }),
  );
  const used = list.reduce((n, c) => n + c.count, 0);
  return snapshot(serverId, [feature('KX', 10, used, list), feature('QUIET', 3, 0)]);
}

async function main(): Promise<void> {
  const from = Number(process.env.LG_KILL9_FROM ?? 0);
  const to = Number(process.env.LG_KILL9_TO ?? KILL9_STEPS - 1);
  const pauseStep = process.env.LG_KILL9_PAUSE_STEP === undefined ? null : Number(process.env.LG_KILL9_PAUSE_STEP);
  let pausing = false;
  if (pauseStep !== null) {
    const execute = PgDatabase.prototype.execute;
    PgDatabase.prototype.execute = function (this: PgDatabase<never>, query: SQL) {
      if (pausing) {
        const text = (this as unknown as { dialect: { sqlToQuery(q: SQL): { sql: string } } }).dialect.sqlToQuery(
          query,
        ).sql;
        if (text.includes('INSERT INTO usage_samples (')) {
          process.stdout.write('paused\n');
          return new Promise(() => undefined) as never; // never resumes: we are killed here
        }
      }
      return execute.call(this, query as never) as never;
    } as typeof execute;
  }

  const store = await openStore(
    process.env.LG_KILL9_DB
      ? { databaseUrl: process.env.LG_KILL9_DB, poolMax: 3 }
      : { dataDir: process.env.LG_KILL9_DIR, purpose: 'server' },
  );
  await pollSteps(store, from, to, {
    before: (k) => {
      process.stdout.write(`step ${k}\n`);
      pausing = k === pauseStep;
    },
    after: (k, result) => process.stdout.write(`done ${k} ${JSON.stringify(result)}\n`),
  });
  await store.close();
}

/** Polls steps from..to of the kill9 script into a store (what the child does; the test runs the reference in-process). */
export async function pollSteps(
  store: Store,
  from: number,
  to: number,
  hooks: { before?(k: number): void; after?(k: number, result: unknown): void } = {},
): Promise<void> {
  const clock = new TestClock(T0);
  const config: ServerConfig = historyServer('kx');
  const source = new ClockedSource('kx', clock, (now) => kill9Snapshot('kx', Math.round((now.getTime() - T0) / MIN)));
  const snapshots = new SnapshotService([{ config, source }], { now: clock.now });
  const history = new HistoryService(store, snapshots, { sampleEvery: 4, now: clock.now });
  const poller = new Poller(snapshots, history, store);
  try {
    for (let k = from; k <= to; k++) {
      clock.set(T0 + k * MIN);
      hooks.before?.(k);
      const o = await poller.pollOnce('kx');
      if (!o.polled) throw new Error(`step ${k} not polled: ${o.reason} ${o.error ?? ''}`);
      hooks.after?.(k, o.result);
    }
  } finally {
    await poller.stop();
    await snapshots.close();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err) => {
      process.stderr.write(`${(err as Error).stack ?? err}\n`);
      process.exit(1);
    },
  );
}
