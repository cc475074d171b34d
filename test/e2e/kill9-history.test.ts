/**
 * kill -9 in the middle of a poll: a child process polls a scripted server into a persistent store and is
 * SIGKILLed inside a poll's transaction (sessions upserted and closed, samples not yet written, nothing
 * committed). Restarted, it re-polls from the step before (a replay, skipped) and carries on. The history must equal
 * that of an uninterrupted run: nothing lost, nothing duplicated, open sessions resumed.
 * PostgreSQL when TEST_DATABASE_URL is set, and a persistent PGlite directory.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { sql } from 'drizzle-orm';
import { openStore, type Store } from '../../src/store';
import { KILL9_STEPS, pollSteps } from '../helpers/history-kill9-child';
import { createTestStore, queryRows, storeDrivers, type TestStore } from '../helpers/store';

const ROOT = path.resolve(__dirname, '../..');
const CHILD = path.join(ROOT, 'test/helpers/history-kill9-child.ts');
const PAUSE_STEP = 9;

interface Run {
  child: ChildProcess;
  lines: string[];
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  waitFor(line: string, timeoutMs?: number): Promise<void>;
}

function runChild(env: Record<string, string>): Run {
  const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', CHILD], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json'), ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  let buf = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      lines.push(line);
      for (const w of waiters.filter((x) => line === x.line || line.startsWith(x.line + ' '))) w.resolve();
    }
  });
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return {
    child,
    lines,
    exit,
    waitFor: (line, timeoutMs = 120_000) =>
      new Promise<void>((resolve, reject) => {
        if (lines.some((l) => l === line || l.startsWith(line + ' '))) return resolve();
        const timer = setTimeout(
          () =>
            reject(new Error(`no "${line}" within ${timeoutMs} ms; got ${JSON.stringify(lines)}; stderr ${stderr}`)),
          timeoutMs,
        );
        waiters.push({ line, resolve: () => (clearTimeout(timer), resolve()) });
        void exit.then((e) => reject(new Error(`child exited (${e.code ?? e.signal}) before "${line}": ${e.stderr}`)));
      }),
  };
}

/** Every history table, without surrogate ids, in a stable order. */
async function dump(store: Store): Promise<Record<string, unknown[]>> {
  const q = (s: ReturnType<typeof sql>) => queryRows(store, s);
  return {
    sessions:
      await q(sql`SELECT server_id, feature, version, username, hostname, display, handle, start_key, started_at::text, count, first_seen::text, last_seen::text, gone_at::text, ended_at::text
                          FROM checkout_sessions ORDER BY server_id, feature, username, handle, start_key`),
    sessionDays: await q(
      sql`SELECT d.day::text, s.username, s.handle FROM checkout_session_days d JOIN checkout_sessions s ON s.id = d.session_id ORDER BY 1, 2, 3`,
    ),
    usageDaily: await q(
      sql`SELECT day::text, server_id, feature, version, username, sessions_started, sessions_carried, license_seconds, first_at::text, last_at::text FROM usage_daily ORDER BY 1, 2, 3, 4, 5`,
    ),
    samples: await q(
      sql`SELECT server_id, feature, at::text, issued, used, reserved, queued, next_at::text FROM usage_samples ORDER BY 1, 2, 3`,
    ),
    users: await q(sql`SELECT username FROM usage_users ORDER BY 1`),
    // the users bitmap decoded to names: ids are internal (a killed transaction may have used some up)
    totals:
      await q(sql`SELECT day::text, server_id, feature, version, sessions_started, sessions_carried, license_seconds, first_at::text, last_at::text,
                               (SELECT array_agg(uu.username ORDER BY uu.username) FROM usage_users uu WHERE uu.id < length(t.users) AND get_bit(t.users, uu.id) = 1) AS users
                        FROM usage_daily_totals t ORDER BY 1, 2, 3, 4`),
    series: await q(
      sql`SELECT server_id, feature, last_at::text, issued, used, reserved, queued FROM usage_series ORDER BY 1, 2`,
    ),
    samplesDaily: await q(
      sql`SELECT day::text, server_id, feature, peak_used, used_seconds, known_seconds, max_issued FROM usage_samples_daily ORDER BY 1, 2, 3`,
    ),
    cursors: await q(
      sql`SELECT server_id, poll_seq::int, last_poll_at::text, last_up_at::text, last_status FROM poll_cursors ORDER BY 1`,
    ),
  };
}

describe.each(storeDrivers())('kill -9 mid-poll on %s', (driver) => {
  const opened: TestStore[] = [];
  afterAll(async () => {
    for (const t of opened) await t.cleanup();
  });

  let template: Blob | null = null;
  let pgliteClass: { create(dir: string, opts: { loadDataDir: Blob }): Promise<{ close(): Promise<void> }> } | null =
    null;
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  /**
   * A fresh, migrated store for a child: a PostgreSQL database of its own, or a PGlite directory (made from a dump of
   * the migrated in-memory template: no initdb) that nobody here keeps open, so the child can take it.
   */
  async function target(): Promise<{ env: Record<string, string>; read(): Promise<Store> }> {
    if (driver === 'postgres') {
      const t = await createTestStore(driver);
      opened.push(t);
      return { env: { LG_KILL9_DB: t.databaseUrl! }, read: async () => t.store };
    }
    if (!template) {
      const mem = await createTestStore('pglite');
      opened.push(mem);
      if (mem.store.driver.kind !== 'pglite') throw new Error('expected PGlite');
      template = await mem.store.driver.client.dumpDataDir('gzip');
      pgliteClass = mem.store.driver.client.constructor as unknown as typeof pgliteClass;
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-kill9-'));
    dirs.push(dir);
    // The PGlite class as the store loaded it (outside jest's module registry, see loadPglite in src/store/store.ts).
    const pg = await pgliteClass!.create(dir, { loadDataDir: template });
    await pg.close();
    let reader: Store | null = null;
    return {
      env: { LG_KILL9_DIR: dir },
      read: async () => {
        if (reader) await reader.close();
        reader = await openStore({ dataDir: dir, purpose: 'cli' });
        readers.push(reader);
        return reader;
      },
    };
  }
  const readers: Store[] = [];
  afterAll(async () => {
    for (const r of readers) await r.close().catch(() => undefined);
  });

  test('the killed poll left nothing; the restarted run ends with exactly the uninterrupted history', async () => {
    const last = KILL9_STEPS - 1;
    const killed = await target();
    const victim = runChild({
      ...killed.env,
      LG_KILL9_FROM: '0',
      LG_KILL9_TO: String(last),
      LG_KILL9_PAUSE_STEP: String(PAUSE_STEP),
    });
    // The uninterrupted reference run, in-process on a store of its own, while the child works.
    const straight = await createTestStore(driver);
    opened.push(straight);
    await pollSteps(straight.store, 0, last);
    await victim.waitFor('paused', 120_000);
    expect(victim.lines.some((l) => l.startsWith(`done ${PAUSE_STEP - 1} `))).toBe(true);
    victim.child.kill('SIGKILL');
    const v = await victim.exit;
    expect(v.signal).toBe('SIGKILL');
    expect(victim.lines.some((l) => l.startsWith(`done ${PAUSE_STEP} `))).toBe(false);

    // Nothing of the killed poll was committed: history stands at step PAUSE_STEP - 1.
    const mid = await dump(await killed.read());
    expect(mid.cursors).toEqual([expect.objectContaining({ server_id: 'kx', poll_seq: PAUSE_STEP - 1 })]);
    expect((mid.sessions as Array<{ username: string }>).map((s) => s.username)).not.toContain('hal');
    if (driver === 'pglite') await readers.pop()!.close();

    // Restart from the step before the kill: that poll is a replay (skipped), then polling carries on.
    const again = runChild({ ...killed.env, LG_KILL9_FROM: String(PAUSE_STEP - 1), LG_KILL9_TO: String(last) });
    await again.waitFor(`done ${PAUSE_STEP - 1}`);
    expect(again.lines.find((l) => l.startsWith(`done ${PAUSE_STEP - 1} `))).toContain('"skipped":true');
    const a = await again.exit;
    expect(a).toMatchObject({ code: 0 });

    const want = await dump(straight.store);
    const got = await dump(await killed.read());
    expect(got).toEqual(want);
    // and the reference is the scenario: 9 sessions, hal still open
    expect(want.sessions).toHaveLength(9);
    expect(
      (want.sessions as Array<{ username: string; ended_at: string | null }>)
        .filter((s) => s.ended_at === null)
        .map((s) => s.username),
    ).toEqual(['hal']);
  }, 360_000); // two child processes starting through ts-node: minutes on a busy machine, and only order is asserted
});
