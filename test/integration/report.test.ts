/**
 * The live report over HTTP on port 0: numbers, validity, filters, the LicenseSummary-shaped REST JSON, single-flight,
 * and sources that fail or hang.
 */
import { SimulatorSource } from '../../src/sources/simulator/simulator.source';
import { FeatureDocument, LicenseReportDocument, LicenseServersDocument } from '../generated/graphql';
import { serverConfig, startTestApp, type TestApp } from '../helpers/app';
import { deferred, track, until } from '../helpers/clock';
import { checkout, feature, hang, ScriptedSource, snapshot } from '../helpers/snapshots';

const T0 = new Date('2026-01-20T12:00:00Z');

describe('live report from the simulator', () => {
  let t: TestApp;
  let sim: SimulatorSource;
  beforeAll(async () => {
    sim = new SimulatorSource({ id: 'simulator', randomSeed: 7, startAt: T0, now: () => T0, timeZone: 'UTC' });
    t = await startTestApp({ servers: [serverConfig('simulator', { timeZone: 'UTC' })], sources: { simulator: sim } });
  });
  afterAll(() => t.close());

  test("the report's numbers equal the simulator snapshot", async () => {
    const expected = sim.snapshot(T0);
    const res = await t.gql(LicenseReportDocument, {});
    expect(res.status).toBe(200);
    expect(res.errors).toBeUndefined();
    const r = res.data!.licenseReport;
    expect(r.summaryByFeature).toHaveLength(expected.features.length);
    expect(r.summaryByFeature.length).toBeGreaterThanOrEqual(20);
    for (const [i, f] of expected.features.entries()) {
      const got = r.summaryByFeature[i];
      expect(got.info.name).toBe(f.name);
      expect(got.info.issued).toBe(f.uncounted ? null : f.issued);
      expect(got.info.used).toBe(f.uncounted ? null : f.used);
      expect(got.info.free).toBe(f.uncounted ? null : f.issued! - f.used!);
      expect(got.checkouts.map((c) => [c.username, c.hostname, c.count, c.startTime, c.serverInfo])).toEqual(
        f.checkouts.map((c) => [c.username, c.hostname, c.count, c.startTime, c.serverInfo]),
      );
    }
    expect(r.valid).toBe(true);
    const ftx = r.summaryByFeature.find((f) => f.info.name === 'FTX_DEVELOPER')!;
    expect(ftx.info).toEqual({ name: 'FTX_DEVELOPER', issued: 100, used: 25, free: 75 });
    expect(ftx.checkouts[0]).toMatchObject({
      username: 'john.doe',
      hostname: 'workstation-123',
      startTime: 'Tue 1/20 8:30',
      startedAt: '2026-01-20T08:30:00.000Z',
    });
    const pool = r.summaryByFeature.find((f) => f.info.name === 'shared_runtime_pool')!;
    expect(pool.info.issued).toBe(10000);
    // realism the issue asks for: a reservation, a queued request, an uncounted feature, an expiring pool, multi-license checkouts
    expect(r.summaryByFeature.find((f) => f.info.name === 'VCSRuntime_Net')!.reservations).toEqual([
      { count: 2, kind: 'GROUP', target: 'verification' },
    ]);
    expect(r.summaryByFeature.find((f) => f.info.name === 'Distrib_Computing_Toolbox')!.queued).toHaveLength(1);
    expect(r.summaryByFeature.find((f) => f.info.name === 'TMW_Archive')!.uncounted).toBe(true);
    expect(r.summaryByFeature.find((f) => f.info.name === 'FTX_ANALYZER')!.daysToExpiry).toBe(12);
    expect(r.summaryByFeature.some((f) => f.checkouts.some((c) => c.count > 1))).toBe(true);
  });

  test('feature(name) and licenseServers', async () => {
    const f = await t.gql(FeatureDocument, { name: 'FTX_DEVELOPER' });
    expect(f.data!.feature!.info).toEqual({ name: 'FTX_DEVELOPER', issued: 100, used: 25, free: 75 });
    expect(f.data!.feature!.server).toEqual({ id: 'simulator', status: 'UP' });
    expect((await t.gql(FeatureDocument, { name: 'NO_SUCH' })).data!.feature).toBeNull();
    const nf = await t.gql(FeatureDocument, { name: 'FTX_DEVELOPER', server: 'nope' });
    expect(nf.errors![0].extensions!.code).toBe('NOT_FOUND');
    const s = await t.gql(LicenseServersDocument);
    expect(s.data!.licenseServers[0]).toMatchObject({
      id: 'simulator',
      type: 'SIMULATOR',
      status: 'UP',
      version: 'v11.19.6',
      valid: true,
      stale: false,
      featureCount: 20,
    });
    expect(s.data!.licenseServers[0].vendorDaemons.map((d) => d.name)).toEqual(['ftxlmd', 'snpslmd', 'MLM', 'cdslmd']);
  });

  test('feature filters: exact names, globs, in use only', async () => {
    const exact = await t.gql(LicenseReportDocument, { filter: { features: ['MATLAB', 'Spectre'] } });
    expect(exact.data!.licenseReport.summaryByFeature.map((f) => f.info.name)).toEqual(['MATLAB', 'Spectre']);
    const glob = await t.gql(LicenseReportDocument, { filter: { features: ['FTX_*'] } });
    expect(glob.data!.licenseReport.summaryByFeature.map((f) => f.info.name)).toEqual([
      'FTX_DEVELOPER',
      'FTX_RUNTIME',
      'FTX_COVERAGE',
      'FTX_ANALYZER',
    ]);
    const q = await t.gql(LicenseReportDocument, { filter: { features: ['?ATLAB'] } });
    expect(q.data!.licenseReport.summaryByFeature.map((f) => f.info.name)).toEqual(['MATLAB']);
    const inUse = await t.gql(LicenseReportDocument, { filter: { inUse: true } });
    const all = sim
      .snapshot(T0)
      .features.filter((f) => (f.used ?? 0) > 0 || f.checkouts.length > 0)
      .map((f) => f.name);
    expect(inUse.data!.licenseReport.summaryByFeature.map((f) => f.info.name)).toEqual(all);
  });

  test('checkout filters: username, hostname, startedAfter/startedBefore', async () => {
    const snap = sim.snapshot(T0).features.find((f) => f.name === 'FTX_DEVELOPER')!;
    const byUser = await t.gql(LicenseReportDocument, {
      filter: { features: ['FTX_DEVELOPER'] },
      checkouts: { usernames: ['john.doe'] },
    });
    expect(byUser.data!.licenseReport.summaryByFeature[0].checkouts.map((c) => c.username)).toEqual(
      snap.checkouts.filter((c) => c.username === 'john.doe').map((c) => c.username),
    );
    const byHost = await t.gql(LicenseReportDocument, {
      filter: { features: ['FTX_DEVELOPER'] },
      checkouts: { hostnames: ['ws-*'] },
    });
    expect(byHost.data!.licenseReport.summaryByFeature[0].checkouts.map((c) => c.hostname)).toEqual(
      snap.checkouts.filter((c) => c.hostname.startsWith('ws-')).map((c) => c.hostname),
    );
    const after = '2026-01-20T10:00:00Z';
    const before = '2026-01-20T11:00:00Z';
    const win = await t.gql(LicenseReportDocument, {
      filter: { features: ['FTX_DEVELOPER'] },
      checkouts: { startedAfter: after, startedBefore: before },
    });
    const expected = snap.checkouts.filter(
      (c) => c.startedAt! >= '2026-01-20T10:00:00.000Z' && c.startedAt! < '2026-01-20T11:00:00.000Z',
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(win.data!.licenseReport.summaryByFeature[0].checkouts.map((c) => c.handle)).toEqual(
      expected.map((c) => c.handle),
    );
  });

  test('invalid arguments give BAD_USER_INPUT naming the field, without echoing the value', async () => {
    const r = await t.gql(LicenseReportDocument, { filter: { servers: ['Bad Server!'] } });
    expect(r.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['filter.servers'] });
    expect(r.errors![0].message).toContain('filter.servers');
    expect(r.errors![0].message).not.toContain('Bad Server!');
    const unknown = await t.gql(LicenseReportDocument, { filter: { servers: ['nope'] } });
    expect(unknown.errors![0]).toMatchObject({
      extensions: expect.objectContaining({ code: 'BAD_USER_INPUT', field: 'filter.servers' }),
    });
    const order = await t.gql(LicenseReportDocument, {
      filter: { features: ['FTX_DEVELOPER'] },
      checkouts: { startedAfter: '2026-01-20T11:00:00Z', startedBefore: '2026-01-20T10:00:00Z' },
    });
    expect(order.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'filter.startedBefore' });
    const date = await t.raw(
      '{ licenseReport { summaryByFeature { checkouts(filter: { startedAfter: "yesterday" }) { username } } } }',
    );
    expect(date.errors![0].message).toContain('DateTime must be an ISO-8601 date-time');
  });

  test('REST /api/licenses/report returns the LicenseSummary shape, with the same numbers', async () => {
    const res = await t.get('/api/licenses/report?feature=FTX_DEVELOPER');
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(Object.keys(body)).toEqual(['summaryByFeature', 'valid']);
    expect(Object.keys(body.summaryByFeature[0])).toEqual(['info', 'checkouts', 'valid']);
    expect(Object.keys(body.summaryByFeature[0].info)).toEqual(['name', 'issued', 'used', 'free']);
    expect(Object.keys(body.summaryByFeature[0].checkouts[0])).toEqual([
      'username',
      'hostname',
      'startTime',
      'serverInfo',
    ]);
    expect(body.summaryByFeature[0].info).toEqual({ name: 'FTX_DEVELOPER', issued: 100, used: 25, free: 75 });
    expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const bad = await t.get('/api/licenses/report?server=nope');
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ error: { code: 'BAD_USER_INPUT' } });
  });
});

describe('the Foretify Manager LicenseSummary example, byte for byte', () => {
  test('REST JSON deep-equals the Foretify Manager LicenseSummary example', async () => {
    const seedSnap = snapshot('license02', [
      feature('FTX_DEVELOPER', 100, 25, [
        checkout('john.doe', 'workstation-123', {
          count: 25,
          startTime: 'Mon 1/20 10:30',
          serverInfo: 'license02.foretellix.local/30001 48856',
        }),
      ]),
    ]);
    const t = await startTestApp({
      servers: [serverConfig('license02', { type: 'flexlm' })],
      sources: { license02: ScriptedSource.constant('license02', seedSnap) },
    });
    try {
      const res = await t.get('/api/licenses/report');
      expect(await res.json()).toEqual({
        summaryByFeature: [
          {
            info: { name: 'FTX_DEVELOPER', issued: 100, used: 25, free: 75 },
            checkouts: [
              {
                username: 'john.doe',
                hostname: 'workstation-123',
                startTime: 'Mon 1/20 10:30',
                serverInfo: 'license02.foretellix.local/30001 48856',
              },
            ],
            valid: true,
          },
        ],
        valid: true,
      });
    } finally {
      await t.close();
    }
  });
});

describe('valid is false, with the right issue, for snapshots breaking each check', () => {
  const cases: Array<[string, ReturnType<typeof feature>, string]> = [
    ['checkouts do not match used', feature('F', 10, 5, [checkout('a', 'h')]), 'CHECKOUTS_MISMATCH'],
    ['free would be negative', feature('F', 1, 2, [checkout('a', 'h', { count: 2 })]), 'FREE_MISMATCH'],
    ['negative used', feature('F', 10, -1, []), 'NEGATIVE_USED'],
    ['negative issued', feature('F', -5, 0, []), 'NEGATIVE_ISSUED'],
    [
      'feature unavailable',
      feature('F', null, null, [], {
        error: { code: 'CANNOT_GET_USERS', message: 'No such feature exists. (-5,222)' },
      }),
      'FEATURE_UNAVAILABLE',
    ],
  ];
  let t: TestApp;
  let src: ScriptedSource;
  let current = snapshot('s1', []);
  beforeAll(async () => {
    src = new ScriptedSource('s1', () => current);
    t = await startTestApp({
      servers: [serverConfig('s1', { type: 'flexlm', maxAgeSeconds: 0 })],
      sources: { s1: src },
    });
  });
  afterAll(() => t.close());

  test.each(cases)('%s', async (_name, f, code) => {
    current = snapshot('s1', [f, feature('OK', 3, 1, [checkout('b', 'h')])]);
    const r = (await t.gql(LicenseReportDocument, {})).data!.licenseReport;
    expect(r.valid).toBe(false);
    expect(r.summaryByFeature[0].valid).toBe(false);
    expect(r.summaryByFeature[0].issues.map((i) => i.code)).toContain(code);
    expect(r.summaryByFeature[1].valid).toBe(true);
    // data is returned whatever valid says
    expect(r.summaryByFeature[0].info.name).toBe('F');
  });
});

describe('single-flight and failing sources', () => {
  test('50 concurrent report requests cause exactly one source fetch', async () => {
    const src = new ScriptedSource('s1', async () => {
      await new Promise((r) => setTimeout(r, 200));
      return snapshot('s1', [feature('F', 10, 1, [checkout('a', 'h')])]);
    });
    const t = await startTestApp({
      servers: [serverConfig('s1', { type: 'flexlm', maxAgeSeconds: 60 })],
      sources: { s1: src },
    });
    try {
      const results = await Promise.all(Array.from({ length: 50 }, () => t.gql(LicenseReportDocument, {})));
      expect(src.calls).toBe(1);
      for (const r of results)
        expect(r.data!.licenseReport.summaryByFeature[0].info).toEqual({ name: 'F', issued: 10, used: 1, free: 9 });
    } finally {
      await t.close();
    }
  });

  test('a source that throws with no previous data gives a DOWN server, not an error', async () => {
    const src = new ScriptedSource('s1', () => {
      throw new Error('lmgrd is not running');
    });
    const t = await startTestApp({
      servers: [serverConfig('s1', { type: 'flexlm', maxAgeSeconds: 0 })],
      sources: { s1: src },
    });
    try {
      const r = await t.gql(LicenseReportDocument, {});
      expect(r.errors).toBeUndefined();
      const rep = r.data!.licenseReport;
      expect(rep.valid).toBe(false);
      expect(rep.servers[0]).toMatchObject({ status: 'DOWN', error: 'lmgrd is not running', valid: false });
      expect(rep.issues[0]).toMatchObject({ code: 'SERVER_DOWN' });
      expect(rep.summaryByFeature).toEqual([]);
    } finally {
      await t.close();
    }
  });

  test('a source that hangs past its timeout serves the last good data marked stale', async () => {
    const good = snapshot('s1', [feature('F', 10, 1, [checkout('a', 'h')])]);
    const src = new ScriptedSource('s1', (call, signal) => (call === 1 ? good : hang(signal)));
    const t = await startTestApp({
      servers: [serverConfig('s1', { type: 'flexlm', maxAgeSeconds: 0, timeoutSeconds: 0.3 })],
      sources: { s1: src },
    });
    try {
      const first = (await t.gql(LicenseReportDocument, {})).data!.licenseReport;
      expect(first).toMatchObject({ valid: true, stale: false });
      // answered when the 0.3 s timeout ran out (the reason below says so), however long that took here
      const r = await t.gql(LicenseReportDocument, {});
      const rep = r.data!.licenseReport;
      expect(rep.stale).toBe(true);
      expect(rep.valid).toBe(false);
      expect(rep.issues.map((i) => i.code)).toEqual(['SOURCE_UNAVAILABLE']);
      expect(rep.issues[0].message).toContain('timed out after 0.3 s');
      expect(rep.servers[0]).toMatchObject({ stale: true, error: 'timed out after 0.3 s' });
      expect(rep.summaryByFeature[0].info).toEqual({ name: 'F', issued: 10, used: 1, free: 9 });
    } finally {
      await t.close();
    }
  });

  test("a hanging server never blocks another server's report", async () => {
    // the slow server answers only when the test says (well within its timeout)
    const answer = deferred();
    const slow = new ScriptedSource('slow', () => answer.promise.then(() => snapshot('slow', [feature('S', 1, 0)])));
    const fast = ScriptedSource.constant('fast', snapshot('fast', [feature('G', 2, 0)]));
    const t = await startTestApp({
      servers: [serverConfig('slow', { type: 'flexlm', timeoutSeconds: 60 }), serverConfig('fast', { type: 'flexlm' })],
      sources: { slow, fast },
    });
    try {
      const everything = track(t.gql(LicenseReportDocument, {}));
      await until(
        () => slow.calls === 1,
        () => 'the slow server was not asked',
      );
      // while the slow server's fetch is under way, the fast server's report comes back
      const r = await t.gql(LicenseReportDocument, { filter: { servers: ['fast'] } });
      expect(r.data!.licenseReport.summaryByFeature[0].info.name).toBe('G');
      expect(everything.settled()).toBe(false);
      answer.resolve();
      expect((await everything.promise).data!.licenseReport.summaryByFeature.map((f) => f.info.name)).toEqual([
        'S',
        'G',
      ]);
    } finally {
      await t.close();
    }
  });
});
