/**
 * Security issue, point 10: the small ones, each reproduced against the real server (port 0, real PGlite).
 * (Hung lmutil processes surviving kill -9: stale-lmutil.test.ts.)
 */
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { loadConfig } from '../../src/config/load';
import { DEFAULT_HTTP_LIMITS } from '../../src/config/types';
import { serverConfig, startTestApp, type TestApp } from '../helpers/app';
import { runCli } from '../helpers/cli-process';
import { openRawWs, until } from '../helpers/raw-ws';
import { ScriptedSource, feature, snapshot } from '../helpers/snapshots';
import { queryRows } from '../helpers/store';

jest.setTimeout(120_000);

const REPORT = 'query Report($f: ReportFilter) { licenseReport(filter: $f) { valid } }';

describe('GraphQL requests that are the client’s fault are 400, never logged as internal errors', () => {
  let t: TestApp;
  const logs: Array<{ level: number; msg: string }> = [];
  let used = 1;
  beforeAll(async () => {
    const src = new ScriptedSource('s1', () => snapshot('s1', [feature('MATLAB', 10, used)]));
    const logger = pino({ level: 'warn' }, { write: (line: string) => void logs.push(JSON.parse(line)) });
    t = await startTestApp({
      servers: [serverConfig('s1', { maxAgeSeconds: 60 })],
      sources: { s1: src },
      config: { introspection: false },
      build: { logger },
    });
    await t.app.services.snapshots.get('s1'); // fresh snapshots: the response cache computes keys
  });
  afterAll(() => t?.close());
  beforeEach(() => (logs.length = 0));
  const errorsLogged = () => logs.filter((l) => l.level >= 50).map((l) => l.msg);

  const post = async (body: string) => {
    const res = await fetch(`${t.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
      body,
    });
    return {
      status: res.status,
      body: (await res.json()) as { errors?: Array<{ message: string; extensions: Record<string, unknown> }> },
    };
  };

  it('deeply nested variables (20,000 levels): 400 BAD_USER_INPUT', async () => {
    const n = 20_000;
    for (const f of [`{"features":${'['.repeat(n)}"x"${']'.repeat(n)}}`, `${'{"a":'.repeat(n)}1${'}'.repeat(n)}`]) {
      const r = await post(`{"query":${JSON.stringify(REPORT)},"variables":{"f":${f}}}`);
      expect(r.status).toBe(400);
      expect(r.body.errors?.[0]).toMatchObject({
        message: 'Variables are nested deeper than 32 levels',
        extensions: { code: 'BAD_USER_INPUT' },
      });
    }
    expect(errorsLogged()).toEqual([]);
  });

  it('a persisted query whose hash does not match: 400 BAD_REQUEST', async () => {
    const r = await post(
      JSON.stringify({
        query: '{ licenseReport { valid } }',
        extensions: { persistedQuery: { version: 1, sha256Hash: 'abc' } },
      }),
    );
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]).toMatchObject({
      message: 'provided sha does not match query',
      extensions: { code: 'BAD_REQUEST' },
    });
    expect(errorsLogged()).toEqual([]);
  });

  it('an unknown operationName: 400 OPERATION_RESOLUTION_FAILURE', async () => {
    const r = await post(JSON.stringify({ query: 'query A { licenseReport { valid } }', operationName: 'B' }));
    expect(r.status).toBe(400);
    expect(r.body.errors?.[0]).toMatchObject({
      message: 'Unknown operation named "B".',
      extensions: { code: 'OPERATION_RESOLUTION_FAILURE' },
    });
    expect(errorsLogged()).toEqual([]);
  });

  it('a WebSocket client dropping its subscriptions logs nothing', async () => {
    const c = await openRawWs(t.url, t.adminToken);
    for (let i = 0; i < 5; i++)
      c.subscribe(`s${i}`, 'subscription { featureUsageChanged { feature current { used } } }');
    const bus = t.app.services.events.bus;
    expect(await until(() => bus.subscriberCount === 5, 10_000)).toBe(true);
    c.ws.terminate();
    for (used = 2; used <= 4; used++) await t.app.services.snapshots.refresh('s1');
    expect(await until(() => bus.subscriberCount === 0, 10_000)).toBe(true);
    expect(logs.filter((l) => l.level >= 40).map((l) => l.msg)).toEqual([]);
  });

  it('WebSocket errors suggest no field names with introspection off', async () => {
    const c = await openRawWs(t.url, t.adminToken);
    c.subscribe('typo', 'subscription { featureUsageChangd { feature } }');
    expect(await until(() => c.errors.has('typo'), 10_000)).toBe(true);
    const message = c.errors.get('typo')![0].message;
    expect(message).toBe('Cannot query field "featureUsageChangd" on type "Subscription".');
    c.close();
  });

  it('a burst past the per-connection limit: exactly the limit is served, the rest refused', async () => {
    const max = DEFAULT_HTTP_LIMITS.wsMaxSubscriptionsPerConnection;
    const c = await openRawWs(t.url, t.adminToken);
    const bus = t.app.services.events.bus;
    const before = bus.subscriberCount;
    for (let i = 0; i < max + 5; i++) c.subscribe(`b${i}`, 'subscription { featureUsageChanged { feature } }');
    expect(await until(() => bus.subscriberCount - before + c.errors.size === max + 5, 10_000)).toBe(true);
    expect(bus.subscriberCount - before).toBe(max);
    expect([...c.errors.keys()].sort()).toEqual(['b20', 'b21', 'b22', 'b23', 'b24']);
    c.close();
  });
});

describe('rate limits on /metrics and on failed authentication', () => {
  it('/metrics counts against the rate limit; a bad-token flood is cut off without slowing accepted tokens', async () => {
    const t = await startTestApp({ config: { httpLimits: { rateLimitMax: 40, rateLimitWindowSeconds: 60 } } });
    try {
      const viewer = await t.tokenFor('VIEWER');
      expect((await t.get('/metrics', viewer)).status).toBe(200); // accepted: a budget of its own
      const statuses: number[] = [];
      for (let i = 0; i < 35; i++) statuses.push((await t.get('/metrics', `lg_bad${i}`)).status);
      expect(statuses.slice(0, 30).every((s) => s === 401)).toBe(true);
      expect(statuses.slice(30)).toEqual([429, 429, 429, 429, 429]);
      expect((await t.get('/metrics', viewer)).status).toBe(200);
      // /metrics itself is budgeted: 40 per token (its first request counted against the address, before the
      // token was accepted), so the 41st of these is refused.
      const own: number[] = [];
      for (let i = 0; i < 41; i++) own.push((await t.get('/metrics', viewer)).status);
      expect(own.slice(0, 39).every((s) => s === 200)).toBe(true);
      expect(own.slice(39)).toEqual([429, 429]);
    } finally {
      await t.close();
    }
  });
});

describe('start-up errors do not print a DATABASE_URL password', () => {
  it('?password= is redacted', async () => {
    const p = runCli(['serve'], {
      PORT: '0',
      DATABASE_URL: 'postgres://postgres@127.0.0.1:1/x?password=hunter2&sslmode=disable',
      LOG_LEVEL: 'warn',
    });
    const exit = await p.waitExit(90_000);
    expect(exit?.code).toBe(1);
    expect(p.stderr()).toContain(
      'cannot connect to PostgreSQL at postgres://postgres@127.0.0.1:1/x?password=***&sslmode=disable',
    );
    expect(p.stderr() + p.stdout()).not.toContain('hunter2');
  });
});

describe('LICENSEGRAPH_RESPONSE_CACHE_MB', () => {
  it('is read: 0 turns the live-report response cache off', async () => {
    expect(loadConfig({ LICENSEGRAPH_RESPONSE_CACHE_MB: '0' }).responseCacheBytes).toBe(0);
    expect(loadConfig({ LICENSEGRAPH_RESPONSE_CACHE_MB: '8' }).responseCacheBytes).toBe(8 * 1024 * 1024);
    const t = await startTestApp({
      config: { responseCacheBytes: loadConfig({ LICENSEGRAPH_RESPONSE_CACHE_MB: '0' }).responseCacheBytes },
    });
    try {
      const ask = async () =>
        (
          await fetch(`${t.url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${t.adminToken}` },
            body: JSON.stringify({ query: '{ licenseReport { valid } }' }),
          })
        ).headers.get('x-cache');
      await ask();
      expect(await ask()).toBeNull();
      expect(t.app.responseCache.stats.stores).toBe(0);
    } finally {
      await t.close();
    }
  });
});

describe('REST error messages', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp({ servers: [serverConfig('isolated', { type: 'ingest' })] });
  });
  afterAll(() => t?.close());

  it('ingest: invalid JSON is reported without echoing the body', async () => {
    const res = await fetch(`${t.url}/api/v1/ingest?server=isolated&format=json`, {
      method: 'POST',
      headers: { authorization: `Bearer ${t.adminToken}`, 'content-type': 'text/plain' },
      body: 'SECRET-lmgrd-password{',
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^Invalid request body: is not valid JSON( at position \d+)?$/);
    expect(body.error.message).not.toContain('SECRET');
  });

  it('resource_usage: too many rows names its own parameters, not group_by', async () => {
    const start = '2026-01-01T00:00:00Z';
    await queryRows(
      t.testStore.store,
      sql`INSERT INTO checkout_sessions (server_id, feature, username, hostname, start_key, started_at, count, first_seen, last_seen, gone_at, ended_at)
          SELECT 'isolated', 'F' || g, 'u', 'h', 'k', ${start}::timestamptz, 1, ${start}::timestamptz, ${start}::timestamptz + interval '1 hour', ${start}::timestamptz + interval '2 hours', ${start}::timestamptz + interval '90 minutes'
          FROM generate_series(1, 50001) g`,
    );
    // Within one day: read from the sessions themselves (no daily rollup).
    const res = await t.get(
      `/api/v1/license-service/resource_usage?start_time=${Date.parse(start) / 1000}&end_time=${Date.parse(start) / 1000 + 12 * 3600}`,
    );
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toBe(
      'Invalid parameter start_time: the result would have more than 50000 rows: narrow the window (start_time, end_time) or the servers',
    );
    expect(body.error.message).not.toContain('group_by');
  });
});
