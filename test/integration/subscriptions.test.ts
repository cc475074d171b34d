/**
 * Subscriptions over a real WebSocket (graphql-ws on /graphql, same port as HTTP): usage changes and checkout
 * events for a scripted checkout within one poll interval, refusal of unauthenticated and bad-token connections,
 * argument validation, license alerts that fire once and resolve, and (with TEST_DATABASE_URL) two app instances
 * on one PostgreSQL database where a subscriber on B receives what A produced.
 *
 * Time: live polling runs on a ManualClock, so "within one poll interval" is "moving the clock one interval
 * brings the events", not a stopwatch. Waits for events are bounded loops with generous timeouts; that no
 * extra event came is shown by what arrives next (one connection delivers in order), not by sleeping.
 */
import type { TypedDocumentNode } from '@graphql-typed-document-node/core';
import { print } from 'graphql';
import { createClient, type Client } from 'graphql-ws';
import pino from 'pino';
import WebSocket from 'ws';
import { buildApp, type App } from '../../src/server';
import { formatLmstatTime } from '../../src/domain/time';
import { SimulatorSource } from '../../src/sources/simulator/simulator.source';
import {
  ActiveAlertsDocument,
  AlertRulesDocument,
  CheckoutEventsDocument,
  CreateAlertRuleDocument,
  DeleteAlertRuleDocument,
  FeatureUsageChangedDocument,
  LicenseAlertsDocument,
} from '../generated/graphql';
import { serverConfig, startTestApp, testConfig, type TestApp } from '../helpers/app';
import { ManualClock } from '../helpers/clock';
import { checkout, feature, ScriptedSource, snapshot } from '../helpers/snapshots';
import { pgAvailable } from '../helpers/store';

const T0 = new Date('2026-01-20T12:00:00Z');

const wsUrl = (httpUrl: string) => `${httpUrl.replace(/^http/, 'ws')}/graphql`;

function client(url: string, token: string): Client {
  return createClient({
    url: wsUrl(url),
    webSocketImpl: WebSocket,
    connectionParams: { Authorization: `Bearer ${token}` },
    lazy: true,
    retryAttempts: 0,
  });
}

interface Feed<R> {
  items: R[];
  errors: unknown[];
  completed: boolean;
  /** Resolves once `n` items arrived (rejects after timeoutMs). */
  until(n: number, timeoutMs?: number): Promise<R[]>;
  /** Resolves once the feed errored or completed. */
  ended(timeoutMs?: number): Promise<void>;
  dispose(): void;
}

function feed<R, V extends Record<string, unknown>>(c: Client, doc: TypedDocumentNode<R, V>, variables: V): Feed<R> {
  const f: Feed<R> = {
    items: [],
    errors: [],
    completed: false,
    until: (n, timeoutMs = WAIT_MS) =>
      waitFor(
        () => f.items.length >= n,
        timeoutMs,
        () => `${f.items.length}/${n} events, errors ${JSON.stringify(f.errors)}`,
      ).then(() => f.items.slice()),
    ended: (timeoutMs = WAIT_MS) =>
      waitFor(
        () => f.completed || f.errors.length > 0,
        timeoutMs,
        () => 'the subscription did not end',
      ),
    dispose: () => undefined,
  };
  f.dispose = c.subscribe<R>(
    { query: print(doc), variables },
    {
      next: (r) => {
        if (r.errors) f.errors.push(...r.errors);
        else if (r.data) f.items.push(r.data as R);
      },
      error: (e) => {
        if (Array.isArray(e)) f.errors.push(...e);
        else f.errors.push(e);
      },
      complete: () => {
        f.completed = true;
      },
    },
  );
  return f;
}

/** How long a wait for something that will happen may take on a loaded machine (a bound on a hang, not a latency). */
const WAIT_MS = 15_000;

async function waitFor(
  cond: () => boolean,
  timeoutMs = WAIT_MS,
  what: () => string = () => 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms: ${what()}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** Opens a raw graphql-transport-ws connection, sends connection_init, reports the first message or the close. */
function rawInit(
  url: string,
  payload?: Record<string, unknown>,
): Promise<{ code?: number; reason?: string; message?: { type: string } }> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl(url), 'graphql-transport-ws');
    ws.on('open', () => ws.send(JSON.stringify({ type: 'connection_init', ...(payload ? { payload } : {}) })));
    ws.on('message', (data) => {
      resolve({ message: JSON.parse(String(data)) as { type: string } });
      ws.close();
    });
    ws.on('close', (code, reason) => resolve({ code, reason: reason.toString() }));
    ws.on('error', reject);
  });
}

describe('featureUsageChanged and checkoutEvents from the simulator (live polling)', () => {
  const POLL_MS = 1000;
  /** Live polling's timers: the test moves them. */
  const clock = new ManualClock();
  let t: TestApp;
  let sim: SimulatorSource;
  let ws: Client;
  beforeAll(async () => {
    sim = new SimulatorSource({ id: 'simulator', randomSeed: 7, startAt: T0, now: () => T0, timeZone: 'UTC' });
    t = await startTestApp({
      servers: [
        serverConfig('simulator', { timeZone: 'UTC', pollIntervalSeconds: POLL_MS / 1000, maxAgeSeconds: 0.2 }),
      ],
      sources: { simulator: sim },
      build: { timers: clock },
    });
    ws = client(t.url, await t.tokenFor('VIEWER'));
  });
  afterAll(async () => {
    await ws?.dispose();
    await t?.close();
  });

  test('a scripted checkout and check-in arrive within one poll interval, with the right numbers', async () => {
    await t.app.services.snapshots.get('simulator'); // the baseline
    const usage = feed(ws, FeatureUsageChangedDocument, { features: ['FTX_DEVELOPER'] });
    const outs = feed(ws, CheckoutEventsDocument, { features: ['FTX_*'], users: ['alice', 'john.*'] });
    await waitFor(() => t.app.services.events.bus.subscriberCount === 2);

    // the next live read is due one poll interval after the latest reading
    expect(clock.nextIn()).toBe(POLL_MS);
    const handle = sim.checkout('FTX_DEVELOPER', 'alice', 'ws-alice');
    expect(clock.advance(POLL_MS)).toBe(1);
    const [u] = await usage.until(1);
    const [c] = await outs.until(1);
    expect(u.featureUsageChanged).toMatchObject({
      serverId: 'simulator',
      feature: 'FTX_DEVELOPER',
      vendor: 'ftxlmd',
      previous: { issued: 100, used: 25, free: 75 },
      current: { issued: 100, used: 26, free: 74 },
      usedDelta: 1,
    });
    expect(c.checkoutEvents).toEqual({
      type: 'CHECKED_OUT',
      serverId: 'simulator',
      feature: 'FTX_DEVELOPER',
      at: T0.toISOString(),
      checkout: {
        username: 'alice',
        hostname: 'ws-alice',
        display: 'ws-alice',
        handle,
        startTime: formatLmstatTime(T0, 'UTC'),
        startedAt: T0.toISOString(),
        count: 1,
        serverInfo: `sim.licensegraph.local/27000 ${handle}`,
      },
    });
    // the report agrees with the event
    expect((await t.raw('{ feature(name: "FTX_DEVELOPER") { info { used free } } }')).data.feature.info).toEqual({
      used: 26,
      free: 74,
    });

    sim.checkin('FTX_DEVELOPER', { handle });
    expect(clock.nextIn()).toBeLessThanOrEqual(POLL_MS);
    clock.advance(POLL_MS);
    await usage.until(2);
    await outs.until(2);
    expect(usage.items[1].featureUsageChanged).toMatchObject({
      previous: { used: 26 },
      current: { used: 25, free: 75 },
      usedDelta: -1,
    });
    expect(outs.items[1].checkoutEvents).toMatchObject({ type: 'CHECKED_IN', checkout: { username: 'alice', handle } });
    usage.dispose();
    outs.dispose();
    await waitFor(() => t.app.services.events.bus.subscriberCount === 0);
  });

  test('a server going DOWN checks nothing in; on its return only what really changed is announced', async () => {
    const outs = feed(ws, CheckoutEventsDocument, { servers: ['simulator'] });
    const usage = feed(ws, FeatureUsageChangedDocument, {});
    await waitFor(() => t.app.services.events.bus.subscriberCount === 2);
    const john = sim
      .snapshot(T0)
      .features.find((f) => f.name === 'FTX_DEVELOPER')!
      .checkouts.find((c) => c.username === 'john.doe' && c.hostname === 'workstation-123')!;
    sim.setDown('lmgrd is not running');
    await t.app.services.snapshots.refresh('simulator');
    expect(t.app.services.snapshots.peek('simulator')!.snapshot.status).toBe('DOWN');
    expect(sim.checkin('FTX_DEVELOPER', { handle: john.handle! })).toBe(1); // ends during the outage
    const downVersion = t.app.services.snapshots.peek('simulator')!.version;
    clock.advance(POLL_MS); // a live poll while DOWN
    await waitFor(
      () => t.app.services.snapshots.peek('simulator')!.version > downVersion,
      WAIT_MS,
      () => 'no live poll',
    );
    expect(t.app.services.snapshots.peek('simulator')!.snapshot.status).toBe('DOWN');
    expect(outs.items).toEqual([]);
    expect(usage.items).toEqual([]);

    sim.setDown(null);
    await t.app.services.snapshots.refresh('simulator');
    // a sentinel change after it: whatever else the return had announced would arrive before the sentinel
    sim.checkout('FTX_DEVELOPER', 'sentinel', 'ws-sentinel');
    await t.app.services.snapshots.refresh('simulator');
    await outs.until(2);
    await usage.until(2);
    expect(outs.items[1].checkoutEvents).toMatchObject({ type: 'CHECKED_OUT', checkout: { username: 'sentinel' } });
    expect(usage.items[1].featureUsageChanged).toMatchObject({
      feature: 'FTX_DEVELOPER',
      previous: { used: 24 },
      current: { used: 25 },
    });
    outs.items.pop();
    usage.items.pop();
    expect(
      outs.items.map((e) => [
        e.checkoutEvents.type,
        e.checkoutEvents.feature,
        e.checkoutEvents.checkout.username,
        e.checkoutEvents.checkout.handle,
      ]),
    ).toEqual([['CHECKED_IN', 'FTX_DEVELOPER', 'john.doe', john.handle]]);
    expect(
      usage.items.map((e) => [
        e.featureUsageChanged.feature,
        e.featureUsageChanged.previous?.used,
        e.featureUsageChanged.current?.used,
      ]),
    ).toEqual([['FTX_DEVELOPER', 25, 24]]);
    outs.dispose();
    usage.dispose();
  });

  test('filter arguments are validated: bad and unknown server ids are BAD_USER_INPUT', async () => {
    const unknown = feed(ws, FeatureUsageChangedDocument, { servers: ['nope'] });
    await unknown.ended();
    expect(unknown.errors[0]).toMatchObject({
      message: 'Invalid argument servers: unknown server id "nope"',
      extensions: { code: 'BAD_USER_INPUT', field: 'servers' },
    });
    const bad = feed(ws, CheckoutEventsDocument, { servers: ['Bad Server!'], features: [''] });
    await bad.ended();
    expect(bad.errors[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT', fields: ['features', 'servers'] } });
    expect(JSON.stringify(bad.errors[0])).not.toContain('Bad Server!');
    const query = feed(ws, AlertRulesDocument, {});
    await query.ended();
    expect(query.errors[0]).toMatchObject({ extensions: { code: 'BAD_REQUEST' } });
    expect(t.app.services.events.bus.subscriberCount).toBe(0);
  });
});

describe('WebSocket authentication', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startTestApp();
  });
  afterAll(() => t?.close());

  test('no credentials: closed with 4401; a bad token: 4403; a good one (either form) is acknowledged', async () => {
    expect(await rawInit(t.url)).toMatchObject({ code: 4401 });
    expect(await rawInit(t.url, {})).toMatchObject({ code: 4401 });
    expect(await rawInit(t.url, { Authorization: 'Bearer lg_notarealtokenatallxxxxxxxxxxxxxxxxxxxxxx' })).toMatchObject(
      { code: 4403 },
    );
    expect(await rawInit(t.url, { Authorization: 'Basic dXNlcjpwYXNz' })).toMatchObject({ code: 4403 });
    expect(await rawInit(t.url, { Authorization: `Bearer ${t.adminToken}` })).toEqual({
      message: { type: 'connection_ack' },
    });
    expect(await rawInit(t.url, { token: t.adminToken })).toEqual({ message: { type: 'connection_ack' } });
  });

  test('the graphql-ws client sees the refusal; a token revoked after connecting closes the connection at the next subscribe', async () => {
    const closed: number[] = [];
    const anon = createClient({
      url: wsUrl(t.url),
      webSocketImpl: WebSocket,
      lazy: true,
      retryAttempts: 0,
      on: { closed: (e) => closed.push((e as { code: number }).code) },
    });
    const f = feed(anon, FeatureUsageChangedDocument, {});
    await f.ended();
    expect(closed).toEqual([4401]);
    await anon.dispose();

    const token = await t.tokenFor('VIEWER');
    const info = (await t.app.services.auth.listTokens({ userId: '', username: '', role: 'ADMIN', tokenId: '' })).find(
      (x) => token.startsWith(x.prefix),
    )!;
    const codes: number[] = [];
    const c = createClient({
      url: wsUrl(t.url),
      webSocketImpl: WebSocket,
      connectionParams: { token },
      lazy: true,
      retryAttempts: 0,
      on: { closed: (e) => codes.push((e as { code: number }).code) },
    });
    const first = feed(c, FeatureUsageChangedDocument, {});
    await waitFor(() => t.app.services.events.bus.subscriberCount === 1);
    await t.app.services.auth.revokeToken(info.id, { userId: '', username: 'admin', role: 'ADMIN', tokenId: '' });
    const second = feed(c, CheckoutEventsDocument, {});
    await second.ended();
    await waitFor(() => codes.length > 0);
    expect(codes).toEqual([4403]);
    first.dispose();
    await c.dispose();
  });
  test('the HTTP query limits hold over WebSocket too (aliases, size)', async () => {
    const c = client(t.url, t.adminToken);
    const run = (query: string) =>
      new Promise<{ code?: unknown; limit?: unknown }>((resolve) => {
        c.subscribe(
          { query },
          {
            next: () => undefined,
            error: (e) =>
              resolve(
                ((e as Array<{ extensions?: { code?: unknown; limit?: unknown } }>)[0]?.extensions ?? {}) as never,
              ),
            complete: () => resolve({}),
          },
        );
      });
    const aliased = `subscription { featureUsageChanged { ${Array.from({ length: 20 }, (_, i) => `a${i}: feature`).join(' ')} } }`;
    expect(await run(aliased)).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED' });
    const huge = `subscription { featureUsageChanged { feature ${'__typename '.repeat(3000)} } }`;
    expect(await run(huge)).toMatchObject({ code: 'QUERY_LIMIT_EXCEEDED' });
    await c.dispose();
  });
});

describe('licenseAlerts', () => {
  let t: TestApp;
  let current = snapshot('s1', [feature('F', 10, 5, [checkout('a', 'h', { count: 5 })])]);
  let fail: string | null = null;
  beforeAll(async () => {
    const src = new ScriptedSource('s1', () => {
      if (fail) throw new Error(fail);
      return current;
    });
    t = await startTestApp({
      servers: [serverConfig('s1', { type: 'flexlm', maxAgeSeconds: 0, pollIntervalSeconds: 3600 })],
      sources: { s1: src },
      config: { alerts: [{ kind: 'SERVER_DOWN', server: 's1' }] },
    });
  });
  afterAll(() => t?.close());

  const used = (n: number) => {
    current = snapshot('s1', [feature('F', 10, n, [checkout('a', 'h', { count: n })])]);
    return t.app.services.snapshots.refresh('s1');
  };

  test('rules: config rules are listed, API rules need ADMIN and valid arguments', async () => {
    const viewer = await t.tokenFor('VIEWER');
    const denied = await t.gql(CreateAlertRuleDocument, { kind: 'FREE_BELOW', feature: 'F', threshold: 3 }, viewer);
    expect(denied.errors![0].extensions!.code).toBe('FORBIDDEN');
    const noThreshold = await t.gql(CreateAlertRuleDocument, { kind: 'FREE_BELOW', feature: 'F' });
    expect(noThreshold.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'threshold' });
    const badServer = await t.gql(CreateAlertRuleDocument, { kind: 'SERVER_DOWN', server: 'nope' });
    expect(badServer.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'server' });
    const rules = (await t.gql(AlertRulesDocument, {}, viewer)).data!.alertRules;
    expect(rules).toEqual([
      {
        id: 'config-1',
        kind: 'SERVER_DOWN',
        feature: null,
        server: 's1',
        threshold: null,
        source: 'CONFIG',
        createdBy: null,
        createdAt: null,
      },
    ]);
    const del = await t.gql(DeleteAlertRuleDocument, { id: 'config-1' });
    expect(del.errors![0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', field: 'id' });
    const missing = await t.gql(DeleteAlertRuleDocument, { id: '00000000-0000-4000-8000-000000000000' });
    expect(missing.errors![0].extensions!.code).toBe('NOT_FOUND');
  });

  test('free below N fires once when it becomes true, resolves once; SERVER_DOWN fires and resolves with the server', async () => {
    const created = await t.gql(CreateAlertRuleDocument, {
      kind: 'FREE_BELOW',
      feature: 'F',
      server: 's1',
      threshold: 3,
    });
    expect(created.errors).toBeUndefined();
    const rule = created.data!.createAlertRule;
    expect(rule).toMatchObject({
      kind: 'FREE_BELOW',
      feature: 'F',
      server: 's1',
      threshold: 3,
      source: 'API',
      createdBy: 'admin',
    });

    const ws = client(t.url, await t.tokenFor('VIEWER'));
    const alerts = feed(ws, LicenseAlertsDocument, { servers: ['s1'] });
    await waitFor(() => t.app.services.events.bus.subscriberCount === 1);
    try {
      await used(5); // 5 free: nothing
      await used(8); // 2 free: FIRING
      await alerts.until(1);
      await used(9); // 1 free: still firing, nothing new (the full list below shows nothing came in between)
      await used(8);
      expect(alerts.items).toHaveLength(1);
      expect((await t.gql(ActiveAlertsDocument)).data!.activeAlerts).toEqual([
        expect.objectContaining({
          status: 'FIRING',
          serverId: 's1',
          feature: 'F',
          value: 2,
          rule: { id: rule.id, kind: 'FREE_BELOW' },
        }),
      ]);
      await used(6); // 4 free: RESOLVED
      await alerts.until(2);
      await used(7);
      fail = 'lmgrd is not running'; // stale: SERVER_DOWN fires
      await t.app.services.snapshots.refresh('s1');
      await alerts.until(3);
      await t.app.services.snapshots.refresh('s1'); // still down: nothing new
      fail = null;
      await used(7); // back: SERVER_DOWN resolves
      await alerts.until(4);
      expect(
        alerts.items.map((a) => [
          a.licenseAlerts.status,
          a.licenseAlerts.rule.kind,
          a.licenseAlerts.feature,
          a.licenseAlerts.value,
        ]),
      ).toEqual([
        ['FIRING', 'FREE_BELOW', 'F', 2],
        ['RESOLVED', 'FREE_BELOW', 'F', null],
        ['FIRING', 'SERVER_DOWN', null, null],
        ['RESOLVED', 'SERVER_DOWN', null, null],
      ]);
      expect(alerts.items[0].licenseAlerts.message).toBe('F on s1: 2 free (8/10 in use), below 3');
      expect(alerts.items[1].licenseAlerts.message).toBe('F on s1: 4 free (6/10 in use) again');
      expect(alerts.items[2].licenseAlerts.message).toContain('License server s1 cannot be read');
      expect((await t.gql(ActiveAlertsDocument)).data!.activeAlerts).toEqual([]);

      // deleting a rule while it fires resolves its alert
      await used(9);
      await alerts.until(5);
      expect(alerts.items[4].licenseAlerts).toMatchObject({ status: 'FIRING', rule: { id: rule.id }, value: 1 }); // the next one: nothing extra came before
      const del = await t.gql(DeleteAlertRuleDocument, { id: rule.id });
      expect(del.data!.deleteAlertRule).toEqual({ id: rule.id, kind: 'FREE_BELOW' });
      await alerts.until(6);
      expect(alerts.items[5].licenseAlerts).toMatchObject({ status: 'RESOLVED', rule: { id: rule.id } });
      expect(alerts.items[5].licenseAlerts.message).toMatch(/^Rule .* was deleted/);
    } finally {
      alerts.dispose();
      await ws.dispose();
    }
  });
});

const pgDescribe = pgAvailable() ? describe : describe.skip;
if (!pgAvailable())
  console.warn('TEST_DATABASE_URL not set: skipping the cross-replica (PostgreSQL LISTEN/NOTIFY) subscription test');

pgDescribe('across replicas: two app instances on one PostgreSQL database', () => {
  let a: TestApp;
  let b: App;
  let bUrl: string;
  let current = snapshot('lic', [feature('F', 1000, 0)]);
  beforeAll(async () => {
    a = await startTestApp({
      driver: 'postgres',
      servers: [serverConfig('lic', { type: 'flexlm', maxAgeSeconds: 0, pollIntervalSeconds: 3600 })],
      sources: { lic: new ScriptedSource('lic', () => current) },
    });
    // B: another replica on the same database, whose own reads of the server never change.
    const store = await a.testStore.reopen();
    const config = testConfig([serverConfig('lic', { type: 'flexlm', pollIntervalSeconds: 3600 })]);
    b = await buildApp({
      config,
      store,
      sources: { lic: ScriptedSource.constant('lic', snapshot('lic', [feature('F', 1000, 0)])) },
      logger: pino({ level: config.logLevel }),
    });
    bUrl = await b.fastify.listen({ port: 0, host: '127.0.0.1' });
  });
  afterAll(async () => {
    await b?.close();
    await a?.close();
  });

  test("a subscriber on B receives checkout and usage events produced on A, even past NOTIFY's 8000-byte limit", async () => {
    await a.app.services.snapshots.refresh('lic'); // A's baseline
    const ws = client(bUrl, a.adminToken); // same database: A's token works on B
    const outs = feed(ws, CheckoutEventsDocument, { features: ['F'] });
    const usage = feed(ws, FeatureUsageChangedDocument, {});
    await waitFor(() => b.services.events.bus.subscriberCount === 2);
    try {
      const many = Array.from({ length: 300 }, (_, i) =>
        checkout(`user${i}`, `host-${i}.example.com`, { handle: String(5000 + i) }),
      );
      current = snapshot('lic', [feature('F', 1000, 300, many)]);
      await a.app.services.snapshots.refresh('lic');
      await outs.until(300, 30_000);
      await usage.until(1);
      expect(outs.items.map((e) => e.checkoutEvents.checkout.username)).toEqual(many.map((c) => c.username));
      expect(
        outs.items.every((e) => e.checkoutEvents.type === 'CHECKED_OUT' && e.checkoutEvents.serverId === 'lic'),
      ).toBe(true);
      expect(usage.items[0].featureUsageChanged).toMatchObject({
        serverId: 'lic',
        feature: 'F',
        previous: { used: 0 },
        current: { used: 300, free: 700 },
      });
    } finally {
      outs.dispose();
      usage.dispose();
      await ws.dispose();
    }
  });

  test('an alert rule made on A is known to B at once', async () => {
    const created = await a.gql(CreateAlertRuleDocument, { kind: 'FREE_PERCENT_BELOW', feature: 'F', threshold: 50 });
    const id = created.data!.createAlertRule.id;
    await waitFor(() => b.services.alerts.list().some((r) => r.id === id));
    await a.gql(DeleteAlertRuleDocument, { id });
    await waitFor(() => !b.services.alerts.list().some((r) => r.id === id));
  });
});
