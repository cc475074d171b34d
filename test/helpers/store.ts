/**
 * Stores for tests, on both drivers. Typical use:
 *
 *   describe.each(storeDrivers())('something on %s', (driver) => {
 *     let t: TestStore;
 *     beforeAll(async () => { t = await createTestStore(driver); });
 *     afterAll(() => t?.cleanup());
 *     it('...', async () => { await t.store.users.create(...) });
 *   });
 *
 * PGlite always runs (in memory, or in a temporary directory with { persistent: true }). PostgreSQL runs
 * when TEST_DATABASE_URL is set (e.g. postgres://postgres@127.0.0.1:5432/test); each createTestStore()
 * gets its own database lg_test_<pid>_<random>, dropped by cleanup(), so parallel jest workers and
 * concurrent runs never see each other's rows.
 */
import { createHash, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { getTableName, is, sql, type SQL } from 'drizzle-orm';
import { PgTable } from 'drizzle-orm/pg-core';
import { Client } from 'pg';
import { migrationsFolder, openStore, type OpenStoreOptions, type Store } from '../../src/store';
import * as schema from '../../src/store/schema';

export type TestStoreDriver = 'pglite' | 'postgres';

export const PG_SKIP_MESSAGE = 'TEST_DATABASE_URL not set: skipping the PostgreSQL store suite';

/** Whether the PostgreSQL suite can run (TEST_DATABASE_URL is set). */
export function pgAvailable(): boolean {
  return Boolean(process.env.TEST_DATABASE_URL);
}

let warned = false;
/** The drivers to run store-backed suites on, for describe.each. Warns (once) when PostgreSQL is skipped. */
export function storeDrivers(): TestStoreDriver[] {
  if (pgAvailable()) return ['pglite', 'postgres'];
  if (!warned) {
    warned = true;
    console.warn(PG_SKIP_MESSAGE);
  }
  return ['pglite'];
}

export interface TestStore {
  driver: TestStoreDriver;
  store: Store;
  /** PostgreSQL: the URL of this test's own database. */
  databaseUrl?: string;
  /** PGlite with { persistent: true }: the temporary data directory. */
  dataDir?: string;
  /**
   * Opens another Store on the same database (PostgreSQL) or data directory (persistent PGlite; close
   * `store` first, since a PGlite directory admits one opener at a time). cleanup() closes it too.
   */
  reopen(extra?: Partial<OpenStoreOptions>): Promise<Store>;
  /** Closes every store opened here, then drops the database / removes the directory. Idempotent. */
  cleanup(): Promise<void>;
}

export interface TestStoreOptions extends Partial<OpenStoreOptions> {
  /** PGlite: use a temporary data directory instead of memory (slower: ~4 s for initdb). */
  persistent?: boolean;
}

export async function createTestStore(driver: TestStoreDriver, opts: TestStoreOptions = {}): Promise<TestStore> {
  const { persistent, ...openOpts } = opts;
  const opened: Store[] = [];
  const track = async (p: Promise<Store>): Promise<Store> => {
    const s = await p;
    opened.push(s);
    return s;
  };
  const closeAll = async (): Promise<void> => {
    await Promise.all(opened.map((s) => s.close().catch(() => undefined)));
  };

  if (driver === 'postgres') {
    const testDb = await createTestDatabase();
    const open = (extra: Partial<OpenStoreOptions> = {}) =>
      track(openStore({ poolMax: 4, ...openOpts, ...extra, databaseUrl: testDb.databaseUrl }));
    let store: Store;
    try {
      store = await open();
    } catch (err) {
      await testDb.drop();
      throw err;
    }
    let done = false;
    return {
      driver,
      store,
      databaseUrl: testDb.databaseUrl,
      reopen: open,
      async cleanup() {
        if (done) return;
        done = true;
        await closeAll();
        await testDb.drop();
      },
    };
  }

  const dataDir = persistent ? fs.mkdtempSync(path.join(os.tmpdir(), 'lg-test-pglite-')) : undefined;
  const open = (extra: Partial<OpenStoreOptions> = {}) =>
    track(openStore({ ...openOpts, ...extra, databaseUrl: undefined, dataDir: dataDir ?? ':memory:' }));
  const removeDir = () => {
    if (dataDir) fs.rmSync(dataDir, { recursive: true, force: true });
  };
  let store: Store;
  try {
    store = dataDir ? await open() : await openInMemoryFromTemplate(open);
  } catch (err) {
    removeDir();
    throw err;
  }
  let done = false;
  return {
    driver,
    store,
    dataDir,
    async reopen(extra) {
      if (!dataDir) throw new Error('reopen() on PGlite needs createTestStore(driver, { persistent: true })');
      return open(extra);
    },
    async cleanup() {
      if (done) return;
      done = true;
      await closeAll();
      removeDir();
    },
  };
}

/**
 * In-memory PGlite runs initdb at every start (~3 s). A migrated data directory, dumped once and kept in
 * the system temp directory (keyed by the PGlite version and the migration files, so a schema change
 * makes a new one), starts in under a second. Test files share it across runs and jest workers.
 */
async function openInMemoryFromTemplate(open: (extra?: Partial<OpenStoreOptions>) => Promise<Store>): Promise<Store> {
  const file = pgliteTemplateFile();
  if (file && fs.existsSync(file)) {
    try {
      const template = new Blob([fs.readFileSync(file)], { type: 'application/x-gzip' });
      return await open({ pgliteTemplate: template });
    } catch {
      fs.rmSync(file, { force: true }); // unreadable: rebuild below
    }
  }
  const store = await open();
  if (file && store.driver.kind === 'pglite') {
    try {
      const dump = await store.driver.client.dumpDataDir('gzip');
      const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(tmp, Buffer.from(await dump.arrayBuffer()));
      fs.renameSync(tmp, file); // atomic: concurrent workers never read a half-written template
    } catch {
      /* no cache this time; the store itself is fine */
    }
  }
  return store;
}

let templateFile: string | null | undefined;
function pgliteTemplateFile(): string | null {
  if (templateFile !== undefined) return templateFile;
  try {
    const hash = createHash('sha256');
    let dir = path.dirname(require.resolve('@electric-sql/pglite'));
    while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
    hash.update(fs.readFileSync(path.join(dir, 'package.json')));
    const migrations = migrationsFolder();
    hash.update(fs.readFileSync(path.join(migrations, 'meta', '_journal.json')));
    for (const f of fs
      .readdirSync(migrations)
      .filter((n) => n.endsWith('.sql'))
      .sort()) {
      hash.update(f).update(fs.readFileSync(path.join(migrations, f)));
    }
    templateFile = path.join(
      os.tmpdir(),
      'licensegraph-test',
      `pglite-template-${hash.digest('hex').slice(0, 16)}.tar.gz`,
    );
  } catch {
    templateFile = null;
  }
  return templateFile;
}

/**
 * An empty PostgreSQL database of its own (no migrations applied), for tests that need to watch
 * openStore() work on a fresh database. Requires TEST_DATABASE_URL.
 */
export async function createTestDatabase(): Promise<{ databaseUrl: string; name: string; drop(): Promise<void> }> {
  const adminUrl = process.env.TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('TEST_DATABASE_URL is not set');
  const name = `lg_test_${process.pid}_${randomBytes(4).toString('hex')}`;
  await withAdmin(adminUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    databaseUrl: url.toString(),
    name,
    async drop() {
      if (dropped) return;
      dropped = true;
      // WITH (FORCE) (PostgreSQL 13+) ends connections a failed test may have left open.
      await withAdmin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

async function withAdmin<T>(adminUrl: string, fn: (c: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Empties every table of the schema (not the migrations table), for suites sharing one store. */
export async function truncateAll(store: Store): Promise<void> {
  const tables = (Object.values(schema) as unknown[]).filter((t): t is PgTable => is(t, PgTable));
  if (tables.length === 0) return;
  const list = sql.join(
    tables.map((t) => sql.identifier(getTableName(t))),
    sql`, `,
  );
  await store.db.execute(sql`TRUNCATE TABLE ${list} CASCADE`);
}

/** Rows of a raw query on either driver (node-postgres and PGlite both expose `rows`). */
export async function queryRows<T = Record<string, unknown>>(store: Store, query: SQL): Promise<T[]> {
  const result = (await store.db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}
