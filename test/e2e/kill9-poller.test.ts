/**
 * licensegraph server processes on one PostgreSQL: only one polls each server (counted from what each process's
 * sources print). kill -9 the one that polls s1 and another takes over within two intervals; stop that one
 * gracefully (SIGTERM) and the last takes over the same way. Needs TEST_DATABASE_URL.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { createTestStore, pgAvailable, type TestStore } from '../helpers/store';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(ROOT, 'test/helpers/history-replica-child.ts');
const INTERVAL = 300;
const IDS = ['s1', 's2'];

interface Replica {
  child: ChildProcess;
  polls: Map<string, number[]>;
  ready: Promise<void>;
  exited: Promise<void>;
  count(id: string): number;
}

function replica(databaseUrl: string): Replica {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), LG_REPLICA_DB: databaseUrl, LG_REPLICA_SERVERS: IDS.join(','), LG_REPLICA_INTERVAL_MS: String(INTERVAL) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const polls = new Map<string, number[]>(IDS.map((id) => [id, []]));
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
      const m = /^poll (\S+)$/.exec(line);
      if (m) polls.get(m[1])?.push(Date.now());
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  void exited.then(() => onReady());
  return {
    child,
    polls,
    ready: ready.then(() => {
      if (child.exitCode !== null) throw new Error(`replica exited: ${stderr}`);
    }),
    exited,
    count: (id) => polls.get(id)!.length,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function waitFor(cond: () => boolean, timeoutMs: number): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error(`not within ${timeoutMs} ms`);
    await sleep(10);
  }
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
    await waitFor(() => IDS.every((id) => all.some((r) => r.count(id) >= 3)), 10_000);
    const counts = () => IDS.map((id) => all.map((r) => r.count(id)));
    const owner = (id: string, among: Replica[]) => {
      const polling = among.filter((r) => r.count(id) > 0);
      expect(polling).toHaveLength(1); // exactly one replica reads each license server
      return polling[0];
    };
    for (const id of IDS) owner(id, all);

    // kill -9 the replica polling s1: its connection dies, PostgreSQL releases its locks, another takes over.
    const first = owner('s1', all);
    const killedAt = Date.now();
    const before = counts();
    first.child.kill('SIGKILL');
    await first.exited;
    const rest = all.filter((r) => r !== first);
    await waitFor(() => rest.some((r) => r.polls.get('s1')!.some((at) => at > killedAt)), 5000);
    const second = rest.find((r) => r.polls.get('s1')!.some((at) => at > killedAt))!;
    const takeover = second.polls.get('s1')!.find((at) => at > killedAt)! - killedAt;
    expect(takeover).toBeLessThanOrEqual(2 * INTERVAL);
    expect(Math.max(...first.polls.get('s1')!)).toBeLessThanOrEqual(killedAt);
    await sleep(INTERVAL * 3);
    // still exactly one per server among the survivors (the one that had s1 before never polled it)
    for (const id of IDS) expect(rest.filter((r) => r.polls.get(id)!.some((at) => at > killedAt))).toHaveLength(1);
    expect(before[0].filter((n, i) => all[i] !== first && n > 0)).toEqual([]);

    // SIGTERM the new poller of s1: a graceful stop gives up the locks; the last replica takes over.
    const last = rest.find((r) => r !== second)!;
    const stoppedAt = Date.now();
    second.child.kill('SIGTERM');
    await second.exited;
    const releasedAt = Date.now();
    await waitFor(() => IDS.every((id) => last.polls.get(id)!.some((at) => at > stoppedAt)), 5000);
    for (const id of IDS) expect(last.polls.get(id)!.find((at) => at > stoppedAt)! - releasedAt).toBeLessThanOrEqual(2 * INTERVAL);
  }, 60_000);
});
