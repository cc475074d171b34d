/**
 * The poller: timers poll each server every interval into the history; push-mode servers are left alone. With two
 * replicas on one PostgreSQL exactly one polls each server (counted at the sources); stop it and the other takes
 * over within two intervals; kill its connection and polling carries on without a second poller.
 *
 * Time: the pollers run on a ManualClock. `round()` moves it one interval, which fires each due poll timer, then
 * waits (a bounded loop on real I/O) until every fired poll has finished and re-armed its timer. So "each
 * interval" is counted in rounds, exactly, however slow the machine is.
 */
import { sql } from 'drizzle-orm';
import { HistoryService } from '../../src/services/history.service';
import { Poller, type PollOutcome } from '../../src/services/poller';
import { SnapshotService } from '../../src/services/snapshot.service';
import type { Store } from '../../src/store';
import { ManualClock, until } from '../helpers/clock';
import { historyServer } from '../helpers/history';
import { checkout, feature, ScriptedSource, snapshot } from '../helpers/snapshots';
import { createTestStore, pgAvailable, queryRows, type TestStore } from '../helpers/store';

const INTERVAL = 250;
/** pg_locks is cluster-wide: only this test's database counts (other test runs share the server). */
const THIS_DB = sql`(SELECT oid FROM pg_database WHERE datname = current_database())`;

/** Moves the clock by ms and waits until the polls it fired have finished and `armed` timers are set again. */
async function round(clock: ManualClock, armed: number, ms = INTERVAL): Promise<void> {
  clock.advance(ms);
  await until(
    () => clock.pending() === armed,
    () => `${clock.pending()} of ${armed} poll timers re-armed`,
  );
}

function replica(store: Store, ids: string[], clock: ManualClock) {
  const sources = Object.fromEntries(
    ids.map((id) => [
      id,
      new ScriptedSource(id, () =>
        snapshot(id, [
          feature('F', 10, 1, [checkout('u', 'h', { handle: '1', startedAt: '2026-01-05T00:00:00.000Z' })]),
        ]),
      ),
    ]),
  );
  const snapshots = new SnapshotService(
    ids.map((id) => ({ config: historyServer(id, { pollIntervalSeconds: INTERVAL / 1000 }), source: sources[id] })),
  );
  const history = new HistoryService(store, snapshots);
  const poller = new Poller(snapshots, history, store, { intervalMs: INTERVAL, now: clock.now, timers: clock });
  const polls: Array<{ at: number; outcome: PollOutcome }> = [];
  poller.on('poll', (outcome: PollOutcome) => polls.push({ at: clock.now().getTime(), outcome }));
  return { sources, snapshots, poller, polls, calls: (id: string) => sources[id].calls };
}

describe('poller on PGlite', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore('pglite');
  });
  afterAll(() => t?.cleanup());

  test('polls every server each interval into the history; push-mode servers are not polled', async () => {
    const clock = new ManualClock();
    const r = replica(t.store, ['a', 'b'], clock);
    const pushed = new ScriptedSource('p', () => snapshot('p', []));
    const snapshots = new SnapshotService([
      ...['a', 'b'].map((id) => ({ config: historyServer(id), source: r.sources[id] })),
      { config: historyServer('p', { type: 'ingest' }), source: pushed },
    ]);
    const poller = new Poller(snapshots, new HistoryService(t.store, snapshots), t.store, {
      intervalMs: INTERVAL,
      now: clock.now,
      timers: clock,
    });
    poller.start();
    try {
      // the first poll at once, then one per interval: exactly one poll of each server per round
      await round(clock, 2, 0);
      for (let n = 1; n <= 3; n++) {
        if (n > 1) await round(clock, 2);
        expect([r.calls('a'), r.calls('b')]).toEqual([n, n]);
      }
      expect(clock.nextIn()).toBe(INTERVAL);
    } finally {
      await poller.stop();
    }
    expect(pushed.calls).toBe(0);
    const cursors = await t.store.history.cursors();
    expect(cursors.map((c) => c.serverId)).toEqual(['a', 'b']);
    expect(cursors[0].pollSeq).toBeGreaterThanOrEqual(3);
    expect((await t.store.usage.sessions('a')).length).toBe(1);
    // stopped: no timer left, and time passing polls nothing
    expect(clock.pending()).toBe(0);
    const after = r.calls('a');
    clock.advance(INTERVAL * 2);
    expect(r.calls('a')).toBe(after);
    expect(await poller.pollOnce('a')).toMatchObject({ polled: false, reason: 'stopped' });
  });
});

(pgAvailable() ? describe : describe.skip)('two replicas on one PostgreSQL', () => {
  let t: TestStore;
  let storeA: Store;
  let storeB: Store;
  beforeAll(async () => {
    t = await createTestStore('postgres');
    storeA = t.store;
    storeB = await t.reopen();
  });
  afterAll(() => t?.cleanup());

  const grantedLocks = async () =>
    (
      await queryRows<{ n: number }>(
        storeA,
        sql`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = ${0x6c67706c}::oid AND database = ${THIS_DB} AND granted`,
      )
    )[0].n;

  test('exactly one polls each server; stop it and the other takes over within two intervals', async () => {
    const ids = ['s1', 's2', 's3'];
    const clock = new ManualClock();
    const A = replica(storeA, ids, clock);
    const B = replica(storeB, ids, clock);
    A.poller.start();
    B.poller.start();
    try {
      // both replicas try every server every interval (6 timers); four rounds, four polls of each server
      await round(clock, 6, 0);
      for (let n = 2; n <= 4; n++) await round(clock, 6);
      for (const id of ids) expect(A.calls(id) + B.calls(id)).toBe(4);
      for (const id of ids) {
        // one of the two, never both
        expect([A.calls(id) === 0, B.calls(id) === 0].filter(Boolean)).toHaveLength(1);
        expect(A.poller.owns(id)).toBe(A.calls(id) > 0);
        expect(B.poller.owns(id)).toBe(B.calls(id) > 0);
      }
      // Make A own something (whoever won each lock), then stop A.
      const ownedByA = ids.filter((id) => A.calls(id) > 0);
      const [stopping, other] = ownedByA.length > 0 ? [A, B] : [B, A];
      const moving = ids.filter((id) => stopping.calls(id) > 0);
      const before = Object.fromEntries(moving.map((id) => [id, other.calls(id)]));
      await stopping.poller.stop();
      // PostgreSQL releases the stopped replica's locks when its session ends (real I/O, waited for) ...
      await until(
        async () => (await grantedLocks()) === ids.length - moving.length,
        () => "the stopped replica's locks were not released",
      );
      // ... and the other takes them over at its next interval
      await round(clock, 3);
      for (const id of moving) expect(other.calls(id)).toBe(before[id] + 1);
      for (const id of ids) expect(other.poller.owns(id)).toBe(true);
      // History stayed single: one session per server, cursors moving.
      const rows = await queryRows<{ n: number }>(storeA, sql`SELECT count(*)::int AS n FROM checkout_sessions`);
      expect(rows[0].n).toBe(3);
    } finally {
      await A.poller.stop();
      await B.poller.stop();
    }
  });

  test("the holder's connection dies: its lock goes with it, polling carries on, never two pollers at once", async () => {
    const ids = ['k1'];
    const clock = new ManualClock();
    const A = replica(storeA, ids, clock);
    A.poller.start();
    await round(clock, 1, 0);
    await round(clock, 1);
    expect(A.calls('k1')).toBe(2);
    const B = replica(storeB, ids, clock);
    B.poller.start();
    try {
      // two intervals with both replicas trying: A keeps polling, B never does
      await round(clock, 2);
      await round(clock, 2);
      expect(B.calls('k1')).toBe(0);
      expect(A.calls('k1')).toBe(4);
      // Kill A's lock connection from outside (what a crashed host or a network cut does).
      const killed = await queryRows<{ ok: boolean }>(
        storeB,
        sql`SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND classid = ${0x6c67706c}::oid AND database = ${THIS_DB} AND pid <> pg_backend_pid()`,
      );
      expect(killed.length).toBe(1);
      // A hears of it (its connection errors and it drops what it held)
      await until(
        () => !A.poller.owns('k1'),
        () => 'A still believes it holds the lock',
      );
      const countBefore = A.calls('k1') + B.calls('k1');
      for (let i = 0; i < 10 && A.calls('k1') + B.calls('k1') < countBefore + 3; i++) {
        await round(clock, 2);
        // After each interval one holder: the two never both own the server.
        expect(A.poller.owns('k1') && B.poller.owns('k1')).toBe(false);
      }
      expect(A.calls('k1') + B.calls('k1')).toBeGreaterThanOrEqual(countBefore + 3);
      const lockHolders = await queryRows<{ n: number }>(
        storeB,
        sql`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = ${0x6c67706c}::oid AND database = ${THIS_DB} AND granted`,
      );
      expect(lockHolders[0].n).toBe(1);
    } finally {
      await A.poller.stop();
      await B.poller.stop();
    }
  });
});
