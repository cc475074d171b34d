/**
 * The poller: timers poll each server every interval into the history; push-mode servers are left alone. With two
 * replicas on one PostgreSQL exactly one polls each server (counted at the sources); stop it and the other takes
 * over within two intervals; kill its connection and polling carries on without a second poller.
 */
import { sql } from 'drizzle-orm';
import { HistoryService } from '../../src/services/history.service';
import { Poller, type PollOutcome } from '../../src/services/poller';
import { SnapshotService } from '../../src/services/snapshot.service';
import type { Store } from '../../src/store';
import { historyServer } from '../helpers/history';
import { checkout, feature, ScriptedSource, snapshot } from '../helpers/snapshots';
import { createTestStore, pgAvailable, queryRows, type TestStore } from '../helpers/store';

const INTERVAL = 250;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function replica(store: Store, ids: string[]) {
  const sources = Object.fromEntries(ids.map((id) => [id, new ScriptedSource(id, () => snapshot(id, [feature('F', 10, 1, [checkout('u', 'h', { handle: '1', startedAt: '2026-01-05T00:00:00.000Z' })])]))]));
  const snapshots = new SnapshotService(ids.map((id) => ({ config: historyServer(id, { pollIntervalSeconds: INTERVAL / 1000 }), source: sources[id] })));
  const history = new HistoryService(store, snapshots);
  const poller = new Poller(snapshots, history, store, { intervalMs: INTERVAL });
  const polls: Array<{ at: number; outcome: PollOutcome }> = [];
  poller.on('poll', (outcome: PollOutcome) => polls.push({ at: Date.now(), outcome }));
  return { sources, snapshots, poller, polls, calls: (id: string) => sources[id].calls };
}

async function waitFor(cond: () => boolean, timeoutMs: number): Promise<number> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
  return Date.now() - start;
}

describe('poller on PGlite', () => {
  let t: TestStore;
  beforeAll(async () => {
    t = await createTestStore('pglite');
  });
  afterAll(() => t?.cleanup());

  test('polls every server each interval into the history; push-mode servers are not polled', async () => {
    const r = replica(t.store, ['a', 'b']);
    const pushed = new ScriptedSource('p', () => snapshot('p', []));
    const snapshots = new SnapshotService([
      ...['a', 'b'].map((id) => ({ config: historyServer(id), source: r.sources[id] })),
      { config: historyServer('p', { type: 'ingest' }), source: pushed },
    ]);
    const poller = new Poller(snapshots, new HistoryService(t.store, snapshots), t.store, { intervalMs: INTERVAL });
    poller.start();
    try {
      await waitFor(() => r.calls('a') >= 3 && r.calls('b') >= 3, 5000);
    } finally {
      await poller.stop();
    }
    expect(pushed.calls).toBe(0);
    const cursors = await t.store.history.cursors();
    expect(cursors.map((c) => c.serverId)).toEqual(['a', 'b']);
    expect(cursors[0].pollSeq).toBeGreaterThanOrEqual(3);
    expect((await t.store.usage.sessions('a')).length).toBe(1);
    const after = r.calls('a');
    await sleep(INTERVAL * 2);
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

  test('exactly one polls each server; stop it and the other takes over within two intervals', async () => {
    const ids = ['s1', 's2', 's3'];
    const A = replica(storeA, ids);
    const B = replica(storeB, ids);
    A.poller.start();
    B.poller.start();
    try {
      await waitFor(() => ids.every((id) => A.calls(id) + B.calls(id) >= 4), 5000);
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
      const stoppedAt = Date.now();
      await stopping.poller.stop();
      const took = await waitFor(() => moving.every((id) => other.calls(id) > before[id]), 5000);
      expect(took).toBeLessThanOrEqual(2 * INTERVAL + 100);
      expect(Date.now() - stoppedAt).toBeLessThan(2 * INTERVAL + 200);
      for (const id of ids) expect(other.poller.owns(id)).toBe(true);
      // History stayed single: one session per server, cursors moving.
      const rows = await queryRows<{ n: number }>(storeA, sql`SELECT count(*)::int AS n FROM checkout_sessions`);
      expect(rows[0].n).toBe(3);
    } finally {
      await A.poller.stop();
      await B.poller.stop();
    }
  });

  test('the holder\'s connection dies: its lock goes with it, polling carries on, never two pollers at once', async () => {
    const ids = ['k1'];
    const A = replica(storeA, ids);
    A.poller.start();
    await waitFor(() => A.calls('k1') >= 2, 5000);
    const B = replica(storeB, ids);
    B.poller.start();
    try {
      await sleep(INTERVAL * 2);
      expect(B.calls('k1')).toBe(0);
      // Kill A's lock connection from outside (what a crashed host or a network cut does).
      const killed = await queryRows<{ ok: boolean }>(
        storeB,
        sql`SELECT pg_terminate_backend(pid) AS ok FROM pg_locks WHERE locktype = 'advisory' AND classid = ${0x6c67706c}::oid AND pid <> pg_backend_pid()`,
      );
      expect(killed.length).toBe(1);
      const countBefore = A.calls('k1') + B.calls('k1');
      await waitFor(() => A.calls('k1') + B.calls('k1') >= countBefore + 3, 5000);
      // At any moment one holder: the two never both own the server.
      expect(A.poller.owns('k1') && B.poller.owns('k1')).toBe(false);
      const lockHolders = await queryRows<{ n: number }>(storeB, sql`SELECT count(*)::int AS n FROM pg_locks WHERE locktype = 'advisory' AND classid = ${0x6c67706c}::oid AND granted`);
      expect(lockHolders[0].n).toBe(1);
    } finally {
      await A.poller.stop();
      await B.poller.stop();
    }
  });
});
