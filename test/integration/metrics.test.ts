/**
 * GET /metrics (Prometheus text, parsed with parse-prometheus-text-format): flexlm_exporter-compatible license
 * gauges equal to the report's numbers, our own HTTP/GraphQL/poll metrics, access control, no extra license-server
 * reads per scrape; and /healthz, /readyz.
 */
import { SimulatorSource } from '../../src/sources/simulator/simulator.source';
import { LicenseReportDocument } from '../generated/graphql';
import { serverConfig, startTestApp, type TestApp } from '../helpers/app';
import { ScriptedSource } from '../helpers/snapshots';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const parsePrometheus = require('parse-prometheus-text-format') as (text: string) => Family[];

interface Family {
  name: string;
  help: string;
  type: string;
  metrics: Array<{ value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }>;
}

const T0 = new Date('2026-01-20T12:00:00Z');

/** Prometheus numbers: "+Inf", "-Inf", "NaN" or a float. */
const num = (v: string | undefined) => (v === '+Inf' ? Infinity : v === '-Inf' ? -Infinity : Number(v));

function series(families: Family[], name: string): Array<{ value: number; labels: Record<string, string> }> {
  const f = families.find((x) => x.name === name);
  if (!f) throw new Error(`no metric family ${name}`);
  return f.metrics.map((m) => ({ value: num(m.value ?? m.count), labels: m.labels ?? {} }));
}

function value(families: Family[], name: string, labels: Record<string, string>): number | undefined {
  return series(families, name).find((s) => Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
}

describe('/metrics, /healthz, /readyz', () => {
  let t: TestApp;
  let sim: SimulatorSource;
  beforeAll(async () => {
    sim = new SimulatorSource({ id: 'simulator', randomSeed: 7, startAt: T0, now: () => T0, timeZone: 'UTC' });
    const down = new ScriptedSource('lic9', () => {
      throw new Error('Cannot connect to license server system (-15,570:115)');
    });
    t = await startTestApp({
      servers: [
        serverConfig('simulator', { timeZone: 'UTC', maxAgeSeconds: 30 }),
        serverConfig('lic9', { type: 'flexlm', address: '27000@lic9.example.com', maxAgeSeconds: 30 }),
      ],
      sources: { simulator: sim, lic9: down },
      config: { metricsToken: 'prometheus-scrape-secret-0123456789' },
    });
  });
  afterAll(() => t?.close());

  test('/healthz is always 200; /readyz is 503 until every server has been read, then 200', async () => {
    const h = await t.get('/healthz', null);
    expect(h.status).toBe(200);
    expect(await h.json()).toEqual({ status: 'ok' });
    const before = await t.get('/readyz', null);
    expect(before.status).toBe(503);
    expect(await before.json()).toEqual({
      status: 'not ready',
      store: 'ok',
      servers: [
        { id: 'simulator', polled: false },
        { id: 'lic9', polled: false },
      ],
    });
    await t.gql(LicenseReportDocument, {});
    const after = await t.get('/readyz', null);
    expect(after.status).toBe(200);
    expect(await after.json()).toMatchObject({ status: 'ready', store: 'ok' });
  });

  test('a token is needed: an access token or LICENSEGRAPH_METRICS_TOKEN', async () => {
    const anon = await t.get('/metrics', null);
    expect(anon.status).toBe(401);
    expect(anon.headers.get('www-authenticate')).toBe('Bearer realm="licensegraph"');
    expect((await t.get('/metrics', 'lg_wrongwrongwrongwrongwrongwrongwrongwrong')).status).toBe(401);
    expect((await t.get('/metrics', 'prometheus-scrape-secret-0123456789')).status).toBe(200);
    const viewer = await t.get('/metrics', await t.tokenFor('VIEWER'));
    expect(viewer.status).toBe(200);
    expect(viewer.headers.get('content-type')).toContain('text/plain');
  });

  test('flexlm_feature_issued / flexlm_feature_used equal the report, feature by feature', async () => {
    const report = (await t.gql(LicenseReportDocument, {})).data!.licenseReport;
    const text = await (await t.get('/metrics', 'prometheus-scrape-secret-0123456789')).text();
    const m = parsePrometheus(text);
    const counted = report.summaryByFeature.filter((f) => f.server.id === 'simulator' && f.info.issued !== null);
    expect(counted.length).toBeGreaterThanOrEqual(19);
    expect(series(m, 'flexlm_feature_issued').filter((s) => s.labels.app === 'simulator')).toHaveLength(counted.length);
    expect(series(m, 'flexlm_feature_used').filter((s) => s.labels.app === 'simulator')).toHaveLength(counted.length);
    for (const f of counted) {
      expect([f.info.name, value(m, 'flexlm_feature_issued', { app: 'simulator', name: f.info.name })]).toEqual([
        f.info.name,
        f.info.issued,
      ]);
      expect([f.info.name, value(m, 'flexlm_feature_used', { app: 'simulator', name: f.info.name })]).toEqual([
        f.info.name,
        f.info.used,
      ]);
    }
    expect(value(m, 'flexlm_feature_issued', { app: 'simulator', name: 'FTX_DEVELOPER' })).toBe(100);
    expect(value(m, 'flexlm_feature_used', { app: 'simulator', name: 'FTX_DEVELOPER' })).toBe(25);
    // uncounted features have no issued/used series
    expect(value(m, 'flexlm_feature_issued', { app: 'simulator', name: 'TMW_Archive' })).toBeUndefined();

    // per user: licenses held, labelled with the start time in unix seconds
    const ftx = report.summaryByFeature.find((f) => f.info.name === 'FTX_DEVELOPER')!;
    const users = series(m, 'flexlm_feature_used_users').filter(
      (s) => s.labels.app === 'simulator' && s.labels.name === 'FTX_DEVELOPER',
    );
    expect(users.reduce((n, s) => n + s.value, 0)).toBe(ftx.checkedOut);
    const john = ftx.checkouts.find((c) => c.username === 'john.doe' && c.hostname === 'workstation-123')!;
    expect(
      users.find((s) => s.labels.user === 'john.doe' && s.labels.since === String(Date.parse(john.startedAt!) / 1000)),
    ).toBeDefined();
    expect(Object.keys(users[0].labels).sort()).toEqual(['app', 'name', 'since', 'user']);

    // reservations, expiry
    expect(
      value(m, 'flexlm_feature_reserved_groups', { app: 'simulator', name: 'VCSRuntime_Net', group: 'verification' }),
    ).toBe(2);
    const analyzer = report.summaryByFeature.find((f) => f.info.name === 'FTX_ANALYZER')!;
    const exp = series(m, 'flexlm_feature_expiration_seconds').find(
      (s) => s.labels.app === 'simulator' && s.labels.name === 'FTX_ANALYZER',
    )!;
    expect(exp.value).toBe(Date.parse(`${analyzer.expiry}T00:00:00Z`) / 1000);
    expect(Object.keys(exp.labels).sort()).toEqual(['app', 'index', 'licenses', 'name', 'vendor', 'version']);
    expect(series(m, 'flexlm_feature_expiration_seconds').find((s) => s.labels.name === 'FTX_DEVELOPER')!.value).toBe(
      Infinity,
    );
  });

  test('server, vendor and scrape-error gauges, named and labelled as flexlm_exporter', async () => {
    const m = parsePrometheus(await (await t.get('/metrics')).text());
    expect(series(m, 'flexlm_server_status')).toEqual([
      {
        value: 1,
        labels: {
          app: 'simulator',
          fqdn: 'sim.licensegraph.local',
          master: 'true',
          port: '27000',
          version: 'v11.19.6',
        },
      },
      { value: 0, labels: { app: 'lic9', fqdn: 'lic9.example.com', master: 'false', port: '27000', version: '' } },
    ]);
    expect(series(m, 'flexlm_vendor_status').map((s) => [s.labels.app, s.labels.name, s.value])).toEqual([
      ['simulator', 'ftxlmd', 1],
      ['simulator', 'snpslmd', 1],
      ['simulator', 'MLM', 1],
      ['simulator', 'cdslmd', 1],
    ]);
    expect(value(m, 'flexlm_scrape_error', { collector: 'lmstat', name: 'simulator' })).toBe(0);
    expect(value(m, 'flexlm_scrape_error', { collector: 'lmstat', name: 'lic9' })).toBe(1);
    expect(value(m, 'licensegraph_server_up', { server: 'lic9' })).toBe(0);
  });

  test('our own metrics: HTTP requests by route and status, GraphQL operations, polls and failures, process', async () => {
    await t.raw('query Named { licenseServers { id } }');
    await t.raw('{ nope }');
    const text = await (await t.get('/metrics')).text();
    const m = parsePrometheus(text);
    expect(
      value(m, 'licensegraph_http_requests_total', { method: 'POST', route: '/graphql', status: '200' }),
    ).toBeGreaterThanOrEqual(2);
    expect(value(m, 'licensegraph_http_requests_total', { method: 'GET', route: '/readyz', status: '503' })).toBe(1);
    expect(value(m, 'licensegraph_graphql_operations_total', { type: 'query', name: 'Named', outcome: 'ok' })).toBe(1);
    expect(value(m, 'licensegraph_graphql_errors_total', { code: 'GRAPHQL_VALIDATION_FAILED' })).toBeGreaterThanOrEqual(
      1,
    );
    expect(value(m, 'licensegraph_polls_total', { server: 'simulator', outcome: 'ok' })).toBeGreaterThanOrEqual(1);
    expect(value(m, 'licensegraph_poll_failures_total', { server: 'lic9' })).toBeGreaterThanOrEqual(1);
    // (this parser keeps no labels on histograms: read the _count line itself)
    expect(
      Number(/^licensegraph_poll_duration_seconds_count\{server="simulator"\} (\d+)$/m.exec(text)?.[1]),
    ).toBeGreaterThanOrEqual(1);
    expect(m.find((f) => f.name === 'licensegraph_poll_duration_seconds')?.type).toBe('HISTOGRAM');
    expect(series(m, 'process_cpu_user_seconds_total')[0].value).toBeGreaterThan(0);
    expect(m.find((f) => f.name === 'nodejs_eventloop_lag_seconds')).toBeDefined();
  });

  test('scrapes read license servers through the max-age cache only', async () => {
    const before = sim.fetchCount;
    await Promise.all([t.get('/metrics'), t.get('/metrics'), t.get('/metrics')]);
    await t.get('/metrics');
    expect(sim.fetchCount - before).toBeLessThanOrEqual(1);
  });
});

describe('/metrics on a trusted network', () => {
  test('LICENSEGRAPH_METRICS_PUBLIC serves it without a token', async () => {
    const t = await startTestApp({ config: { metricsPublic: true } });
    try {
      const res = await t.get('/metrics', null);
      expect(res.status).toBe(200);
      const m = parsePrometheus(await res.text());
      expect(value(m, 'flexlm_feature_issued', { app: 'simulator', name: 'FTX_DEVELOPER' })).toBe(100);
    } finally {
      await t.close();
    }
  });
});
