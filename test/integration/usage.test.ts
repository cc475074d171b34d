/**
 * Usage over the real server (port 0, real store, PGlite and PostgreSQL): GraphQL usage / resourceUsage /
 * Feature.history / Feature.utilizationHistogram (batched), the Instabase-shaped REST routes with their 400s, and
 * push mode (mutation and POST /api/v1/ingest) by role.
 */
import {
  FeatureChartsDocument,
  IngestLicenseStatusDocument,
  ResourceUsageDocument,
  UsageDocument,
} from '../generated/graphql';
import { startTestApp, type TestApp } from '../helpers/app';
import { USAGE_CSV_COLUMNS, usageCsv } from '../../src/http/usage.routes';
import {
  at,
  ClockedSource,
  historyServer,
  MIN,
  scenarioAnswer,
  SCENARIO_POLLS,
  T0,
  TestClock,
} from '../helpers/history';
import { storeDrivers } from '../helpers/store';

const secs = (d: Date) => String(Math.floor(d.getTime() / 1000));
const JAN4 = new Date(Date.UTC(2026, 0, 4));
const JAN6 = new Date(Date.UTC(2026, 0, 6));

const LMSTAT = (lines: string[], time = '01:00') =>
  [
    'lmutil - Copyright (c) 1989-2023 Flexera. All Rights Reserved.',
    `Flexible License Manager status on Mon 1/5/2026 ${time}`,
    '',
    'License server status: 27000@lic7',
    '    License file(s) on lic7: /opt/lic/license.dat:',
    '',
    '      lic7: license server UP (MASTER) v11.19.6',
    '',
    'Vendor daemon status (on lic7):',
    '',
    '      vend: UP v11.19.6',
    '',
    'Feature usage info:',
    '',
    `Users of FEAT_P:  (Total of 5 licenses issued;  Total of ${lines.length === 2 ? 3 : 1} licenses in use)`,
    '',
    '  "FEAT_P" v1.0, vendor: vend, expiry: permanent',
    '  floating license',
    '',
    ...lines,
    '',
  ].join('\n');
const GINA = '    gina ws7 ws7:0 (v1.0) (lic7/27000 301), start Mon 1/5 0:30';
const HANK = '    hank ws8 ws8:0 (v1.0) (lic7/27000 302), start Mon 1/5 0:45, 2 licenses';

describe.each(storeDrivers())('usage over HTTP on %s', (driver) => {
  let t: TestApp;
  let clock: TestClock;
  let source: ClockedSource;

  beforeAll(async () => {
    clock = new TestClock(T0);
    source = new ClockedSource('eda', clock, scenarioAnswer('eda'));
    t = await startTestApp({
      driver,
      servers: [historyServer('eda'), historyServer('pushed', { type: 'ingest', address: undefined })],
      sources: { eda: source },
      build: { now: clock.now, poller: { sampleEvery: 3 } },
    });
    for (const m of SCENARIO_POLLS) {
      clock.set(at(m));
      expect((await t.app.services.poller.pollOnce('eda')).polled).toBe(true);
    }
    expect((await t.app.services.poller.pollOnce('pushed')).polled).toBe(false);
  });
  afterAll(() => t?.close());

  test('usage(groupBy: [FEATURE, TIME], bucket: DAY) with every row field', async () => {
    const res = await t.gql(UsageDocument, {
      groupBy: ['FEATURE', 'TIME'],
      bucket: 'DAY',
      filter: { earliestTime: JAN4.toISOString(), latestTime: JAN6.toISOString() },
    });
    expect(res.errors).toBeUndefined();
    const rows = res.data!.usage;
    expect(rows).toEqual([
      {
        bucketStart: '2026-01-04T00:00:00.000Z',
        server: null,
        feature: 'FEAT_A',
        version: null,
        user: null,
        host: null,
        sessions: 1,
        licenseSeconds: 300,
        licenseHours: 300 / 3600,
        peakInUse: null,
        averageInUse: null,
        distinctUsers: 1,
        firstSeen: at(-5).toISOString(),
        lastSeen: at(0).toISOString(),
      },
      {
        bucketStart: '2026-01-05T00:00:00.000Z',
        server: null,
        feature: 'FEAT_A',
        version: null,
        user: null,
        host: null,
        sessions: 2,
        licenseSeconds: 7260,
        licenseHours: 7260 / 3600,
        peakInUse: 3,
        averageInUse: rows[1].averageInUse,
        distinctUsers: 2,
        firstSeen: at(0).toISOString(),
        lastSeen: at(60).toISOString(),
      },
      {
        bucketStart: '2026-01-05T00:00:00.000Z',
        server: null,
        feature: 'FEAT_B',
        version: null,
        user: null,
        host: null,
        sessions: 1,
        licenseSeconds: 1140,
        licenseHours: 1140 / 3600,
        peakInUse: 1,
        averageInUse: rows[2].averageInUse,
        distinctUsers: 1,
        firstSeen: at(31).toISOString(),
        lastSeen: at(50).toISOString(),
      },
    ]);
    expect(rows[1].averageInUse).toBeCloseTo(110 / 60, 10);
    expect(rows[2].averageInUse).toBeCloseTo(20 / 60, 10);
    const single = await t.gql(UsageDocument, {
      groupBy: ['SERVER', 'USER'],
      filter: { servers: ['eda'], earliestTime: JAN4.toISOString() },
    });
    expect(single.data!.usage.map((r) => [r.server, r.user, r.sessions, r.licenseSeconds])).toEqual([
      ['eda', 'alice', 2, 2940],
      ['eda', 'bob', 1, 5760],
    ]);
  });

  test('usage arguments are validated: BAD_USER_INPUT naming the field', async () => {
    const dup = await t.gql(UsageDocument, { groupBy: ['FEATURE', 'FEATURE'] });
    expect(dup.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['groupBy'] });
    const zone = await t.gql(UsageDocument, { groupBy: ['TIME'], timeZone: 'Mars/Olympus' });
    expect(zone.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['timeZone'] });
    expect(zone.errors![0].message).toContain('timeZone');
    const order = await t.gql(UsageDocument, {
      groupBy: [],
      filter: { earliestTime: at(10).toISOString(), latestTime: at(0).toISOString() },
    });
    expect(order.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['filter.latestTime'] });
    const bucket = await t.gql(UsageDocument, { groupBy: ['FEATURE'], bucket: 'DAY' });
    expect(bucket.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'bucket' });
  });

  test('resourceUsage: totals per feature', async () => {
    const res = await t.gql(ResourceUsageDocument, { startTime: JAN4.toISOString(), endTime: JAN6.toISOString() });
    expect(
      res.data!.resourceUsage.map((r) => [r.feature, r.sessions, r.licenseSeconds, r.distinctUsers, r.peakInUse]),
    ).toEqual([
      ['FEAT_A', 2, 7560, 2, 3],
      ['FEAT_B', 1, 1140, 1, 1],
    ]);
    const bad = await t.gql(ResourceUsageDocument, { startTime: JAN6.toISOString(), endTime: JAN4.toISOString() });
    expect(bad.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', fields: ['endTime'] });
  });

  test('Feature.history and utilizationHistogram: one SQL query for all features of a request', async () => {
    const history = jest.spyOn(t.app.services.store.usage, 'history');
    const histogram = jest.spyOn(t.app.services.store.usage, 'histogram');
    try {
      const res = await t.gql(FeatureChartsDocument, {
        filter: { servers: ['eda'] },
        since: at(-60).toISOString(),
        until: at(60).toISOString(),
        bucket: 'HOUR',
      });
      expect(res.errors).toBeUndefined();
      const [a, b] = res.data!.licenseReport.summaryByFeature;
      expect(a.info.name).toBe('FEAT_A');
      expect(a.history).toEqual([
        {
          bucketStart: at(0).toISOString(),
          issued: 4,
          used: a.history[0].used,
          peak: 3,
          peakQueued: 0,
          knownSeconds: 3600,
        },
      ]);
      expect(a.history[0].used).toBeCloseTo(110 / 60, 10);
      expect(a.utilizationHistogram).toEqual({
        since: at(-60).toISOString(),
        until: at(60).toISOString(),
        knownSeconds: 3600,
        issued: 4,
        bins: [
          { inUse: 1, seconds: 1200, share: 1 / 3 },
          { inUse: 2, seconds: 1800, share: 0.5 },
          { inUse: 3, seconds: 600, share: 1 / 6 },
        ],
      });
      expect(b.utilizationHistogram.bins).toEqual([
        { inUse: 0, seconds: 2400, share: 2 / 3 },
        { inUse: 1, seconds: 1200, share: 1 / 3 },
      ]);
      expect(history).toHaveBeenCalledTimes(1);
      expect(history.mock.calls[0][0]).toHaveLength(2);
      expect(histogram).toHaveBeenCalledTimes(1);
      const tooMany = await t.gql(FeatureChartsDocument, {
        filter: { servers: ['eda'], features: ['FEAT_A'] },
        since: '2020-01-01T00:00:00Z',
        until: at(0).toISOString(),
        bucket: 'HOUR',
      });
      expect(tooMany.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'bucket' });
    } finally {
      history.mockRestore();
      histogram.mockRestore();
    }
  });

  test('REST /api/v1/license-service/usage: the Instabase-style string fields, group_by mapping, single license', async () => {
    const res = await t.get(
      `/api/v1/license-service/usage?group_by=ProductName,TimestampInSecs,CreditID&earliest_time=${secs(JAN4)}&latest_time=${secs(JAN6)}`,
    );
    expect(res.status).toBe(200);
    const body = (await res.json()) as { usage_metrics: Array<Record<string, string>> };
    expect(body.usage_metrics).toHaveLength(3);
    const m = body.usage_metrics[1];
    expect(Object.keys(m).slice(0, 17)).toEqual([
      'ib_license_id',
      'product_name',
      'resource_name',
      'product_resource_id',
      'credit_id',
      'timestamp_in_secs',
      'usage_amount',
      'credit_cost',
      'solution_id',
      'solution_name',
      'user_account_id',
      'product_version',
      'assignment_id',
      'job_id',
      'tags',
      'solution_version',
      'solution_owner',
    ]);
    expect(Object.values(m).every((v) => typeof v === 'string')).toBe(true);
    expect(m).toMatchObject({
      ib_license_id: '',
      product_name: 'FEAT_A',
      resource_name: 'FEAT_A',
      timestamp_in_secs: secs(new Date(T0)),
      usage_amount: '7260',
      credit_cost: '0',
      product_version: 'ANY',
      user_account_id: '',
      sessions: '2',
      peak_in_use: '3',
      distinct_users: '2',
    });
    const one = await t.get(
      `/api/v1/license-service/usage/eda?group_by=IBLicenseID,UserAccountID,ProductVersion&product_name=FEAT_*&user_account_id=alice`,
    );
    expect(one.status).toBe(200);
    expect(
      ((await one.json()) as { usage_metrics: Array<Record<string, string>> }).usage_metrics.map((r) => [
        r.ib_license_id,
        r.user_account_id,
        r.product_version,
        r.usage_amount,
      ]),
    ).toEqual([
      ['eda', 'alice', 'v2.0', '1800'],
      ['eda', 'alice', 'v3.1', '1140'],
    ]);
    const dflt = (await (
      await t.get(`/api/v1/license-service/usage?earliest_time=${secs(JAN4)}&latest_time=${secs(JAN6)}`)
    ).json()) as { usage_metrics: Array<Record<string, string>> };
    expect(dflt.usage_metrics.map((r) => [r.ib_license_id, r.usage_amount])).toEqual([['eda', String(7560 + 1140)]]);
  });

  test('REST usage as CSV (?format=csv or Accept: text/csv): a header row and one row per group, the same numbers as GraphQL usage', async () => {
    const window = `earliest_time=${secs(JAN4)}&latest_time=${secs(JAN6)}`;
    const res = await t.get(`/api/v1/license-service/usage?group_by=ProductName,UserAccountID&${window}&format=csv`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="usage.csv"');
    const text = await res.text();
    const lines = text.split('\r\n').filter(Boolean);
    const header = lines[0].split(',');
    expect(header).toEqual(USAGE_CSV_COLUMNS);
    const rows = lines.slice(1).map((l) => Object.fromEntries(l.split(',').map((v, i) => [header[i], v])));

    const gql = await t.gql(UsageDocument, {
      groupBy: ['FEATURE', 'USER'],
      filter: { earliestTime: JAN4.toISOString(), latestTime: JAN6.toISOString() },
    });
    expect(gql.errors).toBeUndefined();
    const want = gql.data!.usage.map((r) => ({
      product_name: r.feature,
      user_account_id: r.user,
      usage_amount: String(Math.round(r.licenseSeconds)),
      sessions: String(r.sessions),
      peak_in_use: r.peakInUse === null ? '' : String(r.peakInUse),
      distinct_users: String(r.distinctUsers),
    }));
    expect(want.length).toBeGreaterThan(1);
    expect(
      rows.map((r) => ({
        product_name: r.product_name,
        user_account_id: r.user_account_id,
        usage_amount: r.usage_amount,
        sessions: r.sessions,
        peak_in_use: r.peak_in_use,
        distinct_users: r.distinct_users,
      })),
    ).toEqual(want);

    // the same through the Accept header; JSON stays the default, and ?format names its rule
    const byAccept = await t.get(
      `/api/v1/license-service/usage?group_by=ProductName,UserAccountID&${window}`,
      undefined,
      {
        accept: 'text/csv',
      },
    );
    expect(await byAccept.text()).toBe(text);
    const json = await t.get(`/api/v1/license-service/usage?group_by=ProductName,UserAccountID&${window}`);
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const bad = await t.get(`/api/v1/license-service/usage?format=xml`);
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toBe(
      'Invalid parameter format: must be csv or json',
    );
  });

  test('REST usage CSV: a user name a spreadsheet would run as a formula is written as text', () => {
    const csv = usageCsv([
      {
        ...Object.fromEntries(USAGE_CSV_COLUMNS.map((c) => [c, ''])),
        user_account_id: '=HYPERLINK("http://x","y")',
        host_name: 'ws,1',
      },
    ]);
    const [, row] = csv.split('\r\n');
    expect(row).toContain(`"'=HYPERLINK(""http://x"",""y"")"`);
    expect(row).toContain('"ws,1"');
  });

  test('REST usage: 400 naming the parameter, 404 for an unknown license, 401 without a token', async () => {
    const cases: Array<[string, string]> = [
      ['/api/v1/license-service/usage?group_by=ProductName,Bogus', 'group_by'],
      ['/api/v1/license-service/usage?earliest_time=yesterday', 'earliest_time'],
      ['/api/v1/license-service/usage?latest_time=12.5', 'latest_time'],
      [`/api/v1/license-service/usage?earliest_time=${secs(JAN6)}&latest_time=${secs(JAN4)}`, 'latest_time'],
      ['/api/v1/license-service/usage?group_by=TimestampInSecs&time_zone=Nowhere/City', 'time_zone'],
      ['/api/v1/license-service/usage?group_by=TimestampInSecs&bucket=fortnight', 'bucket'],
      ['/api/v1/license-service/resource_usage?start_time=2024-01-01', 'start_time'],
      [`/api/v1/license-service/resource_usage?start_time=${secs(JAN6)}&end_time=${secs(JAN4)}`, 'end_time'],
    ];
    for (const [path, param] of cases) {
      const res = await t.get(path);
      expect(res.status).toBe(400);
      const body = (await res.json()) as { error: { code: string; message: string } };
      expect(body.error.code).toBe('BAD_USER_INPUT');
      expect(body.error.message).toContain(`parameter ${param}`);
    }
    expect((await t.get('/api/v1/license-service/usage/nope')).status).toBe(404);
    expect((await t.get('/api/v1/license-service/usage', null)).status).toBe(401);
  });

  test('REST resource_usage: the Instabase-style breakdown, nanosecond times read too', async () => {
    const res = await t.get(`/api/v1/license-service/resource_usage?start_time=${secs(JAN4)}&end_time=${secs(JAN6)}`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ license_resource_usages: { FEAT_A: '7560', FEAT_B: '1140' } });
    const ns = await t.get(
      `/api/v1/license-service/resource_usage?start_time=${BigInt(T0) * 1_000_000n}&end_time=${BigInt(T0 + 30 * MIN) * 1_000_000n}`,
    );
    expect(await ns.json()).toEqual({ license_resource_usages: { FEAT_A: String(1500 + 18 * 60 * 2), FEAT_B: '0' } });
  });

  test('push mode: UPLOADER pushes lmstat text over REST, then closes a checkout; usage sees it', async () => {
    const uploader = await t.tokenFor('UPLOADER');
    clock.set(at(60));
    const first = await fetch(`${t.url}/api/v1/ingest?server=pushed&format=lmstat`, {
      method: 'POST',
      headers: { authorization: `Bearer ${uploader}`, 'content-type': 'text/plain' },
      body: LMSTAT([GINA, HANK]),
    });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      server: 'pushed',
      format: 'lmstat',
      status: 'UP',
      features: 1,
      checkouts: 2,
      sessionsOpened: 2,
      sessionsClosed: 0,
      skipped: false,
    });
    clock.set(at(70));
    const second = await t.gql(
      IngestLicenseStatusDocument,
      { server: 'pushed', text: LMSTAT([GINA], '01:10') },
      uploader,
    );
    expect(second.errors).toBeUndefined();
    expect(second.data!.ingestLicenseStatus).toMatchObject({
      server: 'pushed',
      format: 'LMSTAT',
      checkouts: 1,
      sessionsOpened: 0,
      sessionsClosed: 1,
      valid: true,
    });
    const sessions = await t.app.services.store.usage.sessions('pushed');
    // both started more than one poll interval (10 min) before the server's first observation (the first push's
    // capture time, 01:00): their reported starts are kept, license-hours count from 01:00
    expect(
      sessions.map((s) => [
        s.username,
        s.count,
        s.reportedStart?.toISOString(),
        s.startedAt.toISOString(),
        s.endedAt?.toISOString() ?? null,
      ]),
    ).toEqual([
      ['gina', 1, at(30).toISOString(), at(60).toISOString(), null],
      ['hank', 2, at(45).toISOString(), at(60).toISOString(), at(65).toISOString()],
    ]);
    const u = await t.gql(UsageDocument, { groupBy: ['USER'], filter: { servers: ['pushed'] } });
    expect(u.data!.usage.map((r) => [r.user, r.licenseSeconds])).toEqual([
      ['gina', 10 * 60],
      ['hank', 5 * 60 * 2],
    ]);
    // The pushed state is the server's live state too.
    const live = await t.raw('{ feature(name: "FEAT_P", server: "pushed") { info { issued used } } }');
    expect(live.data.feature.info).toEqual({ issued: 5, used: 1 });
  });

  test('push mode: JSON auto-detected; VIEWER gets 403 / FORBIDDEN; bad input 400 / 404', async () => {
    const admin = t.adminToken;
    clock.set(at(80));
    const json = JSON.stringify({
      summaryByFeature: [{ info: { name: 'FEAT_P', issued: 5, used: 0, free: 5 }, checkouts: [], valid: true }],
      valid: true,
    });
    const ok = await t.gql(IngestLicenseStatusDocument, { server: 'pushed', format: 'AUTO', text: json }, admin);
    expect(ok.data!.ingestLicenseStatus).toMatchObject({
      format: 'JSON',
      features: 1,
      checkouts: 0,
      sessionsClosed: 1,
    });

    const viewer = await t.tokenFor('VIEWER');
    const rest = await fetch(`${t.url}/api/v1/ingest?server=pushed`, {
      method: 'POST',
      headers: { authorization: `Bearer ${viewer}` },
      body: json,
    });
    expect(rest.status).toBe(403);
    expect(await rest.json()).toMatchObject({ error: { code: 'FORBIDDEN' } });
    const gql = await t.gql(IngestLicenseStatusDocument, { server: 'pushed', text: json }, viewer);
    expect(gql.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect((await fetch(`${t.url}/api/v1/ingest?server=pushed`, { method: 'POST', body: json })).status).toBe(401);

    const post = (q: string, body: string) =>
      fetch(`${t.url}/api/v1/ingest${q}`, { method: 'POST', headers: { authorization: `Bearer ${admin}` }, body });
    const garbage = await post('?server=pushed', 'hello world');
    expect(garbage.status).toBe(400);
    expect(((await garbage.json()) as { error: { message: string } }).error.message).toContain('parameter format');
    expect((await post('?server=pushed&format=xml', json)).status).toBe(400);
    expect((await post('', json)).status).toBe(400);
    expect((await post('?server=nope', json)).status).toBe(404);
    const badJson = await t.gql(
      IngestLicenseStatusDocument,
      { server: 'pushed', format: 'JSON', text: '{"summaryByFeature": 3}' },
      admin,
    );
    expect(badJson.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'text' });
    const big = await post('?server=pushed&format=lmstat', 'x'.repeat(16 * 1024 * 1024 + 1));
    expect(big.status).toBe(413);
  });
});
