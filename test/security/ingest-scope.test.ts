/**
 * Security point 1: an UPLOADER could overwrite any server. One push to the polled simulator replaced its live
 * report with a fake feature, emitted CHECKED_IN events and left a fake session in history for good.
 *
 * Now: pushes are accepted for servers of type ingest only (others: 403 / FORBIDDEN naming the server and its type),
 * and a token may be scoped to the servers it may push to (createAccessToken(servers:), `licensegraph token create
 * --server ID`, stored in access_tokens.servers); a scoped token pushing elsewhere gets 403 / FORBIDDEN. Unscoped
 * UPLOADER tokens may push to every ingest-type server.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import pino from 'pino';
import { DEFAULT_SIMULATOR } from '../../src/config/load';
import { buildApp } from '../../src/server';
import { openStore } from '../../src/store';
import { startTestApp, testConfig, type TestApp } from '../helpers/app';
import { readFixture } from '../helpers/fixtures';
import { historyServer, TestClock } from '../helpers/history';
import { createTestDatabase, pgAvailable, storeDrivers } from '../helpers/store';

const LMSTAT = readFixture('lmstat/mjtrangoni__flexlm_exporter__lmstat_app2.txt');
/** The simulator's features are FTX_*, MATLAB...: this one exists only in the pushed text. */
const FAKE = LMSTAT.replace(/feature2\b/g, 'FAKE_FEATURE');
const BIN = path.resolve(__dirname, '../../bin/licensegraph.js');
const INGEST_MUTATION =
  'mutation($server: String!, $text: String!) { ingestLicenseStatus(server: $server, format: LMSTAT, text: $text) { server features checkouts sessionsOpened } }';

const push = (url: string, token: string, server: string, body: string) =>
  fetch(`${url}/api/v1/ingest?server=${server}&format=lmstat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'text/plain' },
    body,
  });

describe.each(storeDrivers())('push scope on %s', (driver) => {
  let t: TestApp;
  const clock = new TestClock(Date.UTC(2017, 9, 20, 17, 5));

  beforeAll(async () => {
    t = await startTestApp({
      driver,
      servers: [
        { ...DEFAULT_SIMULATOR },
        historyServer('isolated', { type: 'ingest', address: undefined }),
        historyServer('remote', { type: 'ingest', address: undefined }),
      ],
      build: { now: clock.now },
    });
  });
  afterAll(() => t?.close());

  const featureNames = async (server: string) => {
    const r = await t.raw(
      'query($s: [String!]) { licenseReport(filter: { servers: $s }) { summaryByFeature { info { name } } } }',
      { s: [server] },
    );
    return r.data.licenseReport.summaryByFeature.map((f: { info: { name: string } }) => f.info.name) as string[];
  };

  test('a push to a polled server is 403 FORBIDDEN naming it and its type, and changes neither the live report nor history', async () => {
    const uploader = await t.tokenFor('UPLOADER');
    const before = await featureNames('simulator');
    expect(before.length).toBeGreaterThan(0);
    expect(before).not.toContain('FAKE_FEATURE');

    const rest = await push(t.url, uploader, 'simulator', FAKE);
    expect(rest.status).toBe(403);
    const body = (await rest.json()) as { error: { code: string; message: string } };
    expect(body.error.code).toBe('FORBIDDEN');
    expect(body.error.message).toContain('"simulator" is of type simulator');

    const gql = await t.raw(INGEST_MUTATION, { server: 'simulator', text: FAKE }, uploader);
    expect(gql.data).toBeNull();
    expect(gql.errors![0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'server' });
    expect(gql.errors![0].message).toContain('"simulator" is of type simulator');
    // ADMIN tokens cannot either: polled servers never take pushed status.
    expect((await push(t.url, t.adminToken, 'simulator', FAKE)).status).toBe(403);

    expect(await featureNames('simulator')).not.toContain('FAKE_FEATURE');
    expect(await t.app.services.store.usage.sessions('simulator')).toEqual([]);
  });

  test('an unscoped UPLOADER pushes to every ingest-type server', async () => {
    const uploader = await t.tokenFor('UPLOADER');
    for (const server of ['isolated', 'remote']) {
      const r = await push(t.url, uploader, server, LMSTAT);
      expect(r.status).toBe(200);
      expect(await r.json()).toMatchObject({ server, features: 10, checkouts: 38, sessionsOpened: 38 });
    }
  });

  test('a token scoped with createAccessToken(servers:) pushes to its servers only', async () => {
    await t.app.services.auth.createUser({ username: 'agent-isolated', role: 'UPLOADER' });
    const created = await t.raw(
      'mutation { createAccessToken(username: "agent-isolated", servers: ["isolated"]) { token accessToken { servers } } }',
    );
    expect(created.errors).toBeUndefined();
    expect(created.data.createAccessToken.accessToken.servers).toEqual(['isolated']);
    const scoped: string = created.data.createAccessToken.token;
    const rows = await t.raw('{ accessTokens { username servers } }');
    expect(rows.data.accessTokens.filter((r: { username: string }) => r.username === 'agent-isolated')).toEqual([
      { username: 'agent-isolated', servers: ['isolated'] },
    ]);

    clock.set(clock.ms + 60_000);
    expect((await push(t.url, scoped, 'isolated', LMSTAT)).status).toBe(200);
    const other = await push(t.url, scoped, 'remote', FAKE);
    expect(other.status).toBe(403);
    expect(((await other.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: 'FORBIDDEN',
      message: 'This token may push to "isolated" only, not to license server "remote"',
    });
    const gql = await t.raw(INGEST_MUTATION, { server: 'remote', text: FAKE }, scoped);
    expect(gql.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(await featureNames('remote')).not.toContain('FAKE_FEATURE');
  });

  test('a scope must name configured ingest-type servers', async () => {
    const polled = await t.raw(
      'mutation { createAccessToken(username: "agent-isolated", servers: ["simulator"]) { token } }',
    );
    expect(polled.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'servers' });
    expect(polled.errors![0].message).toContain('"simulator" is of type simulator');
    const unknown = await t.raw(
      'mutation { createAccessToken(username: "agent-isolated", servers: ["nowhere"]) { token } }',
    );
    expect(unknown.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'servers' });
  });
});

describe('licensegraph token create --server (CLI)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-scope-cli-'));
  // PostgreSQL when available (no initdb per CLI run), else a PGlite data directory.
  let db: Awaited<ReturnType<typeof createTestDatabase>> | undefined;
  afterAll(async () => {
    await db?.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('stores the scope, repeatable; the token then pushes to those servers only', async () => {
    if (pgAvailable()) db = await createTestDatabase();
    const config = path.join(dir, 'servers.yaml');
    fs.writeFileSync(
      config,
      'servers:\n  - { id: isolated, type: ingest }\n  - { id: lab, type: ingest }\n  - { id: remote, type: ingest }\n  - { id: sim, type: simulator }\n',
    );
    const env = {
      ...process.env,
      LICENSEGRAPH_CONFIG: config,
      LICENSEGRAPH_DATA_DIR: path.join(dir, 'data'),
      DATABASE_URL: db?.databaseUrl ?? '',
    };
    const cli = (...args: string[]) => spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', env });
    expect(cli('user', 'create', '--username', 'agent', '--role', 'UPLOADER').status).toBe(0);
    const bad = cli('token', 'create', '--username', 'agent', '--server', 'sim');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('"sim" is of type simulator');
    const made = cli('token', 'create', '--username', 'agent', '--server', 'lab', '--server', 'isolated');
    expect(made.status).toBe(0);
    expect(made.stderr).toContain('may push to isolated, lab');
    const token = made.stdout.trim();

    const store = await openStore(db ? { databaseUrl: db.databaseUrl } : { dataDir: path.join(dir, 'data') });
    const app = await buildApp({
      config: testConfig([
        historyServer('isolated', { type: 'ingest' }),
        historyServer('lab', { type: 'ingest' }),
        historyServer('remote', { type: 'ingest' }),
      ]),
      store,
      logger: pino({ level: 'silent' }),
    });
    try {
      expect((await store.tokens.list()).map((i) => i.servers)).toEqual([['isolated', 'lab']]);
      const url = await app.fastify.listen({ port: 0, host: '127.0.0.1' });
      expect((await push(url, token, 'isolated', LMSTAT)).status).toBe(200);
      expect((await push(url, token, 'lab', LMSTAT)).status).toBe(200);
      expect((await push(url, token, 'remote', LMSTAT)).status).toBe(403);
    } finally {
      await app.close();
      await store.close();
    }
  }, 180_000);
});
