/**
 * licensegraph server processes on one PostgreSQL: only one polls each server (counted from what each process's
 * sources print). kill -9 the one that polls s1 and another takes over within two intervals; stop that one
 * gracefully (SIGTERM) and the last takes over the same way. Needs TEST_DATABASE_URL.
 *
 * Order, not timing: every line the replicas print gets a sequence number as it arrives. "Within two intervals"
 * is counted in the new poller's own attempts: once PostgreSQL has ended the old holder's session (the lock is
 * free), the replica that takes over polls at its first or second attempt after that, however slow the machine.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { sql } from 'drizzle-orm';
import { POLL_LOCK_CLASS, serverLockKey } from '../../src/store/repositories/history';
import { until } from '../helpers/clock';
import { createTestStore, pgAvailable, queryRows, type TestStore } from '../helpers/store';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(ROOT, 'test/helpers/history-replica-child.ts');
const INTERVAL = 300;
const IDS = ['s1', 's2'];

/** Arrival order of every line from every replica. */
let seq = 0;

interface Replica {
  child: ChildProcess;
  /** Sequence numbers of this replica's "poll <id>" and "try <id>" lines. */
  polls: Map<string, number[]>;
  tries: Map<string, number[]>;
  ready: Promise<void>;
  exited: Promise<void>;
  count(id: string): number;
}

function replica(databaseUrl: string): Replica {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD], {
    cwd: ROOT,
    env: {
      ...process.env,
      TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'),
      LG_REPLICA_DB: databaseUrl,
      LG_REPLICA_SERVERS: IDS.join(','),
      LG_REPLICA_INTERVAL_MS: String(INTERVAL),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const polls = new Map<string, number[]>(IDS.map((id) => [id, []]));
  const tries = new Map<string, number[]>(IDS.map((id) => [id, []]));
  let buf = '';
  let stderr = '';
  let onReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (onReady = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (line === 'ready') onReady();
      const m = /^(poll|try) (\S+)$/.exec(line);
      if (m) (m[1] === 'poll' ? polls : tries).get(m[2])?.push(++seq);
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  // 'close': exited and every line it printed has been read
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  void exited.then(() => onReady());
  return {
    child,
    polls,
    tries,
    ready: ready.then(() => {
      if (child.exitCode !== null) throw new Error(`replica exited: ${stderr}`);
    }),
    exited,
    count: (id) => polls.get(id)!.length,
  };
}

/** The backend pid holding a server's polling lock in this database (null when free). */
async function lockHolder(t: TestStore, id: string): Promise<number | null> {
  const rows = await queryRows<{ pid: number }>(
    t.store,
    sql`SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = ${POLL_LOCK_CLASS}::oid AND objid = ${serverLockKey(id) >>> 0}::oid AND objsubid = 2
        AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) AND granted`,
  );
  return rows[0]?.pid ?? null;
}

async function backendGone(t: TestStore, pid: number): Promise<boolean> {
  return (
    (
      await queryRows<{ n: number }>(t.store, sql`SELECT count(*)::int AS n FROM pg_stat_activity WHERE pid = ${pid}`)
    )[0].n === 0
  );
}

/** How many attempts at `id` the replica made after `mark` up to and including the one that polled it. */
function attemptsUntilPoll(r: Replica, id: string, mark: number): number {
  const poll = r.polls.get(id)!.find((n) => n > mark)!;
  return r.tries.get(id)!.filter((n) => n > mark && n < poll).length;
}

(pgAvailable() ? describe : describe.skip)('two server processes on one PostgreSQL', () => {
  let t: TestStore;
  const replicas: Replica[] = [];
  beforeAll(async () => {
    t = await createTestStore('postgres');
  });
  afterAll(async () => {
    for (const r of replicas) if (r.child.exitCode === null) r.child.kill('SIGKILL');
    await Promise.all(replicas.map((r) => r.exited));
    await t?.cleanup();
  });

  test('one polls each server; kill -9 it and another takes over within two intervals; SIGTERM likewise', async () => {
    // Three replicas start together; whoever takes a server's lock first polls it.
    const all = [replica(t.databaseUrl!), replica(t.databaseUrl!), replica(t.databaseUrl!)];
    replicas.push(...all);
    await Promise.all(all.map((r) => r.ready));
    await until(
      () => IDS.every((id) => all.some((r) => r.count(id) >= 3)),
      () => 'not every server polled 3 times',
      60_000,
    );
    const counts = () => IDS.map((id) => all.map((r) => r.count(id)));
    const owner = (id: string, among: Replica[]) => {
      const polling = among.filter((r) => r.count(id) > 0);
      expect(polling).toHaveLength(1); // exactly one replica reads each license server
      return polling[0];
    };
    for (const id of IDS) owner(id, all);

    // kill -9 the replica polling s1: its connection dies, PostgreSQL releases its locks, another takes over.
    const first = owner('s1', all);
    const firstPid = (await lockHolder(t, 's1'))!;
    expect(firstPid).not.toBeNull();
    const before = counts();
    first.child.kill('SIGKILL');
    await first.exited;
    const killedAt = seq; // every line it printed has been read
    const firstPolls = first.count('s1');
    const rest = all.filter((r) => r !== first);
    await until(
      () => backendGone(t, firstPid),
      () => "PostgreSQL still has the killed replica's session",
      30_000,
    );
    const released = seq;
    await until(
      () => rest.some((r) => r.polls.get('s1')!.some((n) => n > killedAt)),
      () => 'nobody took s1 over',
      30_000,
    );
    const second = rest.find((r) => r.polls.get('s1')!.some((n) => n > killedAt))!;
    // took over at its first or second attempt once the lock was free (or even before we saw it free)
    if (second.polls.get('s1')!.some((n) => n > released))
      expect(attemptsUntilPoll(second, 's1', released)).toBeLessThanOrEqual(2);
    // three more polls of every server, then: still exactly one per server among the survivors (the one that had
    // s1 before never polled it), and nothing more from the killed one
    const mark = seq;
    await until(
      () => IDS.every((id) => rest.some((r) => r.polls.get(id)!.filter((n) => n > mark).length >= 3)),
      () => 'polling did not carry on',
      30_000,
    );
    for (const id of IDS) expect(rest.filter((r) => r.polls.get(id)!.some((n) => n > killedAt))).toHaveLength(1);
    expect(before[0].filter((n, i) => all[i] !== first && n > 0)).toEqual([]);
    expect(first.count('s1')).toBe(firstPolls);

    // SIGTERM the new poller of s1: a graceful stop gives up the locks; the last replica takes over.
    const last = rest.find((r) => r !== second)!;
    const heldBySecond = IDS.filter((id) => second.polls.get(id)!.some((n) => n > killedAt));
    const secondPids = (await Promise.all(heldBySecond.map((id) => lockHolder(t, id)))).filter(
      (p): p is number => p !== null,
    );
    second.child.kill('SIGTERM');
    await second.exited;
    const stoppedAt = seq;
    for (const pid of secondPids)
      await until(
        () => backendGone(t, pid),
        () => "the stopped replica's session is still there",
        30_000,
      );
    const releasedAt = seq;
    await until(
      () => IDS.every((id) => last.polls.get(id)!.some((n) => n > stoppedAt)),
      () => 'the last replica did not take over',
      30_000,
    );
    for (const id of IDS)
      if (last.polls.get(id)!.some((n) => n > releasedAt))
        expect(attemptsUntilPoll(last, id, releasedAt)).toBeLessThanOrEqual(2);
  }, 180_000);
});
