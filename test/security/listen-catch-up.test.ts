/**
 * Security issue, point 12: events were lost while a replica's LISTEN connection was down (PostgreSQL). Two apps
 * on one database; B's LISTEN connection is terminated (pg_terminate_backend); A publishes a SERVER_DOWN alert and
 * usage changes meanwhile. When B's LISTEN is back, B reads what it missed from the store's live-event log: its
 * subscribers get the events and its activeAlerts equal A's. Needs TEST_DATABASE_URL.
 */
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { buildApp, type App } from '../../src/server';
import type { LiveEvent } from '../../src/services/events';
import type { PgNotifyTransport } from '../../src/services/pubsub';
import { serverConfig, testConfig } from '../helpers/app';
import { ScriptedSource, feature, snapshot } from '../helpers/snapshots';
import { createTestStore, pgAvailable, queryRows, type TestStore } from '../helpers/store';
import { until } from '../helpers/raw-ws';

jest.setTimeout(60_000);

const describePg = pgAvailable() ? describe : describe.skip;

describePg('a replica whose LISTEN connection was down catches up from the store', () => {
  let ts: TestStore;
  const apps: App[] = [];
  afterAll(async () => {
    for (const a of apps) await a.close();
    await ts?.cleanup();
  });

  const transportOf = (app: App) =>
    (app.services.events.bus as unknown as { opts: { transport: PgNotifyTransport } }).opts.transport;

  it('delivers the events published meanwhile and agrees on activeAlerts', async () => {
    ts = await createTestStore('postgres');
    const storeB = await ts.reopen();
    let down = false;
    let used = 2;
    const up = snapshot('s1', [feature('MATLAB', 10, 2)]);
    const src = new ScriptedSource('s1', () =>
      down
        ? { ...up, status: 'DOWN', error: 'lmgrd is not running', features: [] }
        : { ...up, features: [feature('MATLAB', 10, used)] },
    );
    const config = testConfig([serverConfig('s1', { maxAgeSeconds: 0 })], {
      alerts: [{ kind: 'SERVER_DOWN', feature: null, server: null, threshold: null }],
    });
    const logger = pino({ level: 'silent' });
    const a = await buildApp({ config, store: ts.store, sources: { s1: src }, logger });
    apps.push(a);
    const b = await buildApp({ config, store: storeB, sources: { s1: ScriptedSource.constant('s1', up) }, logger });
    apps.push(b);

    const got: LiveEvent[] = [];
    const sub = b.services.events.bus.subscribe();
    void (async () => {
      for await (const e of sub) got.push(e);
    })();

    // Live: A reads s1 (the baseline), then a change that B hears through NOTIFY.
    await a.services.snapshots.refresh('s1');
    used = 3;
    await a.services.snapshots.refresh('s1');
    expect(await until(() => got.some((e) => e.kind === 'usage'), 10_000)).toBe(true);

    // Cut B's LISTEN connection and keep it down for a while (reconnect backoff 3 s).
    const tb = transportOf(b);
    (tb as unknown as { retryMs: number }).retryMs = 3000;
    const pid = (tb as unknown as { client: { processID: number } }).client.processID;
    const [killed] = await queryRows<{ ok: boolean }>(ts.store, sql`SELECT pg_terminate_backend(${pid}) AS ok`);
    expect(killed.ok).toBe(true);
    expect(await until(() => !tb.listening, 5000)).toBe(true);

    // Meanwhile A sees MATLAB's usage change, then the server go DOWN (a SERVER_DOWN alert fires).
    const before = await ts.store.liveEvents.latestId();
    got.length = 0;
    used = 5;
    await a.services.snapshots.refresh('s1');
    down = true;
    await a.services.snapshots.refresh('s1');
    expect(await until(() => a.services.alerts.activeAlerts().length === 1, 5000)).toBe(true);
    // Wait for A's publish to be in the log, then check it happened while B was not listening.
    let published = false;
    for (const deadline = Date.now() + 5000; !published && Date.now() < deadline;) {
      published = (await ts.store.liveEvents.latestId()) >= before + 2;
      if (!published) await new Promise((r) => setTimeout(r, 20));
    }
    expect(published).toBe(true);
    expect(tb.listening).toBe(false);
    expect(got).toEqual([]);

    // B reconnects and catches up: the alert and the usage change arrive, and activeAlerts agree.
    expect(await until(() => got.some((e) => e.kind === 'alert'), 20_000)).toBe(true);
    expect(tb.listening).toBe(true);
    expect(tb.stats.caughtUp).toBeGreaterThanOrEqual(1);
    const alert = got.find((e) => e.kind === 'alert');
    expect(alert).toMatchObject({
      kind: 'alert',
      data: { status: 'FIRING', serverId: 's1', rule: { kind: 'SERVER_DOWN' } },
    });
    expect(got.some((e) => e.kind === 'usage' && e.data.feature === 'MATLAB' && e.data.current?.used === 5)).toBe(true);
    const keys = (app: App) =>
      app.services.alerts.activeAlerts().map((x) => `${x.rule.id}/${x.serverId}/${x.status}/${x.id}`);
    expect(keys(b)).toEqual(keys(a));
    expect(keys(b)).toHaveLength(1);
    await sub.return();
  });
});

if (!pgAvailable()) {
  it('skipped: TEST_DATABASE_URL not set', () => undefined);
}
