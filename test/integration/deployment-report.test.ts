/**
 * The exportable deployment report (Kong-style /license/report): every field's value for a store seeded with known
 * history, counters across a month boundary and a restart, the checksum, the TAR, `report verify`, and roles.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import pino from 'pino';
import { checksumOf, canonicalJson } from '../../src/domain/canonical';
import { buildApp, type App } from '../../src/server';
import { testConfig } from '../helpers/app';
import { ClockedSource, historyServer, TestClock } from '../helpers/history';
import { checkout, feature, snapshot } from '../helpers/snapshots';
import { createTestStore, type TestStore } from '../helpers/store';

const BIN = path.resolve(__dirname, '../../bin/licensegraph.js');
const VERSION = require('../../package.json').version;

describe('deployment report', () => {
  let ts: TestStore;
  let clock: TestClock;
  let app: App;
  let url: string;
  let token: string;
  let report: any;
  let reportText: string;
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-depl-'));

  // alice holds FEAT_A from Jan 31 22:30 until it disappears between the 00:30 and 01:00 polls (ends 00:45). Her
  // reported start predates the first poll (23:00) by more than an interval, so history counts her hours from 23:00.
  const held = (now: Date) => now.getTime() < Date.UTC(2026, 1, 1, 1, 0);
  const answer = (now: Date) =>
    snapshot('eda', [
      feature(
        'FEAT_A',
        5,
        held(now) ? 1 : 0,
        held(now)
          ? [
              checkout('alice', 'ws1', {
                handle: '101',
                startTime: 'Sat 1/31 22:30',
                startedAt: '2026-01-31T22:30:00.000Z',
              }),
            ]
          : [],
        {
          pools: [
            {
              version: 'v1.0',
              vendor: 'vend',
              type: 'floating',
              issued: 5,
              expiry: '2026-03-01',
              expiryRaw: '1-mar-2026',
              permanent: false,
            },
          ],
        },
      ),
      feature('FEAT_B', 2, 0, [], {
        pools: [
          {
            version: 'v1.0',
            vendor: 'vend',
            type: 'floating',
            issued: 2,
            expiry: null,
            expiryRaw: 'permanent',
            permanent: true,
          },
        ],
      }),
    ]);

  const start = async (source: ClockedSource) => {
    const a = await buildApp({
      config: testConfig([historyServer('eda')]),
      store: ts.store,
      sources: { eda: source },
      logger: pino({ level: 'silent' }),
      now: clock.now,
    });
    const u = await a.fastify.listen({ port: 0, host: '127.0.0.1' });
    return { a, u };
  };
  const gqlAt = (u: string, tok: string, query: string, variables?: unknown) =>
    fetch(`${u}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tok}` },
      body: JSON.stringify({ query, variables }),
    }).then(async (r) => ({ status: r.status, body: (await r.json()) as any }));

  beforeAll(async () => {
    ts = await createTestStore('pglite');
    clock = new TestClock(Date.UTC(2026, 0, 31, 22, 0));
    const source = new ClockedSource('eda', clock, answer);
    // first run: three API requests in January, polls across midnight, two requests in February
    let { a, u } = await start(source);
    token = (await a.services.auth.bootstrapAdmin())!.token;
    for (let i = 0; i < 3; i++) expect((await gqlAt(u, token, '{ licenseServers { id } }')).status).toBe(200);
    for (const t of [
      Date.UTC(2026, 0, 31, 23, 0),
      Date.UTC(2026, 0, 31, 23, 30),
      Date.UTC(2026, 1, 1, 0, 0),
      Date.UTC(2026, 1, 1, 0, 30),
      Date.UTC(2026, 1, 1, 1, 0),
    ]) {
      clock.set(t);
      const o = await a.services.poller!.pollOnce('eda');
      expect(o.polled).toBe(true);
    }
    for (let i = 0; i < 2; i++) await gqlAt(u, token, '{ me { username } }');
    await a.close(); // flushes the counters
    // restart on the same store: one more request in February
    clock.set(Date.UTC(2026, 1, 1, 2, 0));
    ({ a, u } = await start(source));
    app = a;
    url = u;
    await gqlAt(url, token, '{ licenseServers { id status } }');
    const res = await fetch(`${url}/license/report`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    reportText = await res.text();
    report = JSON.parse(reportText);
  });
  afterAll(async () => {
    await app?.close();
    await ts?.cleanup();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test('counters: months across the boundary survive a restart, and the total is their sum', () => {
    expect(report.counters).toEqual({
      buckets: [
        { bucket: '2026-01', requestCount: 3 },
        { bucket: '2026-02', requestCount: 3 },
      ],
      totalRequests: 6,
    });
  });

  test('usage per month and feature from the recorded history', () => {
    const a = report.usage.filter((u: any) => u.feature === 'FEAT_A');
    expect(a).toEqual([
      {
        month: '2026-01',
        server: 'eda',
        feature: 'FEAT_A',
        sessions: 1,
        licenseHours: 1,
        peakInUse: 1,
        distinctUsers: 1,
        issued: 5,
      },
      {
        month: '2026-02',
        server: 'eda',
        feature: 'FEAT_A',
        sessions: 1,
        licenseHours: 0.75,
        peakInUse: 1,
        distinctUsers: 1,
        issued: 5,
      },
    ]);
  });

  test('licenses, servers and counts', () => {
    expect(report.licenses).toEqual([
      { server: 'eda', feature: 'FEAT_A', issued: 5, expiry: '2026-03-01', daysToExpiry: 28, uncounted: false },
      { server: 'eda', feature: 'FEAT_B', issued: 2, expiry: null, daysToExpiry: null, uncounted: false },
    ]);
    expect(report.servers).toEqual([
      {
        id: 'eda',
        label: 'eda',
        type: 'flexlm',
        status: 'UP',
        version: 'v11.19.6',
        vendorDaemons: [{ name: 'vend', status: 'UP', version: 'v11.19.6' }],
      },
    ]);
    expect(report).toMatchObject({
      featuresCount: 2,
      usersCount: 1,
      serversCount: 1,
      version: VERSION,
      timestamp: '2026-02-01T02:00:00.000Z',
    });
    expect(report.period).toEqual({ from: '2025-03-01T00:00:00.000Z', to: '2026-02-01T02:00:00.000Z' });
    expect(report.dbVersion).toMatch(/^PGlite \d+\.\d+\.\d+ \(PostgreSQL \d+/);
    expect(report.deploymentInfo).toEqual({ type: 'embedded', replicas: 1 });
  });

  test('system info: cores and uname, and the hostname only as a keyed hash', () => {
    expect(report.systemInfo.cores).toBe(os.cpus().length);
    expect(report.systemInfo.uname).toBe(`${os.type()} ${os.release()} ${os.arch()}`);
    expect(report.systemInfo.hostname).toMatch(/^[0-9a-f]{64}$/);
    expect(reportText).not.toContain(os.hostname());
    expect(reportText.toLowerCase()).not.toContain(os.hostname().toLowerCase());
  });

  test('the checksum is sha256 of the canonical JSON of everything else', () => {
    const { checksum, ...rest } = report;
    expect(checksum).toBe(checksumOf(rest));
    expect(canonicalJson({ b: 1, a: [{ d: 'x"y', c: null }] })).toBe('{"a":[{"c":null,"d":"x\\"y"}],"b":1}');
  });

  test('the GraphQL face gives the same report, and the same checksum', async () => {
    const r = await gqlAt(
      url,
      token,
      '{ deploymentReport { checksum json counters { totalRequests buckets { bucket requestCount } } systemInfo { hostname } } }',
    );
    const d = r.body.data.deploymentReport;
    const fromGraphql = JSON.parse(d.json);
    // the extra request made above is counted: the report is regenerated, not cached
    expect(d.counters.totalRequests).toBe(d.counters.buckets.reduce((n: number, b: any) => n + b.requestCount, 0));
    expect(d.checksum).toBe(checksumOf((({ checksum: _c, ...rest }) => rest)(fromGraphql)));
    expect(d.systemInfo.hostname).toBe(report.systemInfo.hostname);
  });

  test('TAR export unpacks with the system tar to the same JSON, under the Kong-style file name', async () => {
    const res = await fetch(`${url}/license/report?format=tar`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/x-tar');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="report-2026_02_01_02_00_AM.tar"');
    const file = path.join(tmp, 'r.tar');
    fs.writeFileSync(file, Buffer.from(await res.arrayBuffer()));
    expect(execFileSync('tar', ['-tf', file], { encoding: 'utf8' }).trim()).toBe('report.json');
    const dir = path.join(tmp, 'x');
    fs.mkdirSync(dir);
    execFileSync('tar', ['-xf', file, '-C', dir]);
    const unpacked = JSON.parse(fs.readFileSync(path.join(dir, 'report.json'), 'utf8'));
    const again = await fetch(`${url}/license/report`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/json' },
    }).then((r) => r.json() as any);
    // Identical but for the counters (each request in between was counted) and hence the checksum.
    const strip = (r: any) => ({ ...r, counters: undefined, checksum: undefined });
    expect(strip(unpacked)).toEqual(strip(again));
    const { checksum: claimed, ...content } = unpacked;
    expect(claimed).toBe(checksumOf(content));
    expect(again.counters.totalRequests).toBe(unpacked.counters.totalRequests + 1);
    const viaAccept = await fetch(`${url}/license/report`, {
      headers: { authorization: `Bearer ${token}`, accept: 'application/x-tar' },
    });
    expect(viaAccept.headers.get('content-type')).toBe('application/x-tar');
  });

  test('report verify accepts an untouched export and rejects one changed byte (json and tar)', async () => {
    const good = path.join(tmp, 'good.json');
    fs.writeFileSync(good, reportText);
    const ok = spawnSync(process.execPath, [BIN, 'report', 'verify', good], { encoding: 'utf8' });
    expect(ok.status).toBe(0);
    expect(ok.stdout).toContain(`checksum OK: ${report.checksum}`);
    const bad = path.join(tmp, 'bad.json');
    const i = reportText.indexOf('"requestCount":3') + '"requestCount":'.length;
    fs.writeFileSync(bad, reportText.slice(0, i) + '4' + reportText.slice(i + 1));
    const no = spawnSync(process.execPath, [BIN, 'report', 'verify', bad], { encoding: 'utf8' });
    expect(no.status).toBe(1);
    expect(no.stderr).toContain('checksum MISMATCH');
    const tarFile = path.join(tmp, 'good.tar');
    const res = await fetch(`${url}/license/report?format=tar`, { headers: { authorization: `Bearer ${token}` } });
    fs.writeFileSync(tarFile, Buffer.from(await res.arrayBuffer()));
    expect(spawnSync(process.execPath, [BIN, 'report', 'verify', tarFile], { encoding: 'utf8' }).status).toBe(0);
    const missing = spawnSync(process.execPath, [BIN, 'report', 'verify', path.join(tmp, 'nope.json')], {
      encoding: 'utf8',
    });
    expect(missing.status).toBe(2);
  }, 240_000); // four CLI processes (from the TypeScript sources when dist/ is stale): slow on a loaded machine

  test('bad periods are 400/BAD_USER_INPUT naming the parameter', async () => {
    const r = await fetch(`${url}/license/report?from=yesterday`, { headers: { authorization: `Bearer ${token}` } });
    expect(r.status).toBe(400);
    expect(((await r.json()) as any).error.message).toContain('from');
    const g = await gqlAt(
      url,
      token,
      '{ deploymentReport(period: { from: "2026-02-01T00:00:00Z", to: "2026-01-01T00:00:00Z" }) { checksum } }',
    );
    expect(g.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'period.to' });
  });

  test('VIEWER and UPLOADER get FORBIDDEN on both faces', async () => {
    for (const role of ['VIEWER', 'UPLOADER'] as const) {
      const u = await app.services.auth.createUser({ username: `r-${role.toLowerCase()}`, role });
      const tok = (await app.services.auth.issueToken({ userId: u.id })).token;
      const rest = await fetch(`${url}/license/report`, { headers: { authorization: `Bearer ${tok}` } });
      expect(rest.status).toBe(403);
      expect(((await rest.json()) as any).error.code).toBe('FORBIDDEN');
      const g = await gqlAt(url, tok, '{ deploymentReport { checksum } }');
      expect(g.body.errors[0].extensions.code).toBe('FORBIDDEN');
    }
  });
});
