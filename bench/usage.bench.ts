/**
 * Usage-history benchmark (issue 5): load N synthetic checkout sessions spread over a year (PGlite: 1,000,000;
 * PostgreSQL: 10,000,000), with the samples they imply and the rollups, then time
 *   usage(groupBy: [FEATURE, TIME], bucket: DAY)   selecting every row field
 * for a 30-day and a 365-day window, over HTTP against the real app (GraphQL, same store), and the same call on
 * UsageService alone. Two flavours of window: aligned (UTC midnights, the rollup alone) and ending "now" mid-day
 * (the rollup plus the partial day computed from the sessions, as a dashboard asks). Targets: PostgreSQL < 300 ms
 * (30 days) and < 2 s (365 days) at 10M; PGlite < 1 s (30 days) at 1M.
 *
 * Data (deterministic: pseudo-random numbers hashed from the row number): 4 servers, 60 features (15 per server),
 * 800 users using 3 features each from 2 hosts each; starts spread evenly over 2025 and inserted in start order (as
 * polls write them); durations 1 min + U^2 x 8 h (mean 2.7 h), 1-4 licenses. Samples are derived from the sessions:
 * `used` at every minute it changed (as a 1-minute poll would record it).
 *
 * Usage: npm run bench -- usage
 *   BENCH_USAGE_DRIVERS    pglite,postgres (default: pglite, plus postgres when BENCH_DATABASE_URL or
 *                          TEST_DATABASE_URL is set)
 *   BENCH_SESSIONS_PGLITE  default 1000000 (the issue's size; about 3 minutes to load)
 *   BENCH_SESSIONS_PG      default 1000000; the issue's size is 10000000 (about 10 minutes to load, so not the
 *                          default: BENCH_SESSIONS_PG=10000000 BENCH_USAGE_KEEP=1 loads it once and reuses it)
 *   BENCH_DATABASE_URL     an admin URL (default TEST_DATABASE_URL); the bench makes database lg_bench_usage_<N>
 *   BENCH_USAGE_KEEP=1     keep (and reuse next time) the PostgreSQL database instead of dropping it
 *   BENCH_RUNS             timed runs per query (default 7; the median is reported, after one cold run)
 */
import 'reflect-metadata';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import pino from 'pino';
import type { AppConfig } from '../src/config/types';
import { buildApp } from '../src/server';
import { UsageService } from '../src/services/usage.service';
import type { LicenseSource } from '../src/sources/source';
import { openStore, type Store } from '../src/store';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL;
const DRIVERS = (process.env.BENCH_USAGE_DRIVERS ?? (ADMIN_URL ? 'pglite,postgres' : 'pglite'))
  .split(',')
  .map((s) => s.trim())
  .filter(Boolean);
const N_PGLITE = Number(process.env.BENCH_SESSIONS_PGLITE ?? 1_000_000);
/** The issue's PostgreSQL size is 10,000,000 (about 10 minutes to load on 2 cores): BENCH_SESSIONS_PG=10000000. */
const N_PG = Number(process.env.BENCH_SESSIONS_PG ?? 1_000_000);
const KEEP = process.env.BENCH_USAGE_KEEP === '1';

const YEAR_START = '2025-01-01T00:00:00Z';
const YEAR_END = new Date('2026-01-01T00:00:00Z');
/** "now" for the unaligned windows: mid-afternoon on the last day. */
const NOW = new Date('2025-12-31T15:37:00Z');
const DAY = 86_400_000;
/** The 60 synthetic series (feature f on server s(f % 4)). */
const FEATURES = Array.from({ length: 60 }, (_, f) => ({
  serverId: `s${f % 4}`,
  feature: `FEAT_${String(f).padStart(2, '0')}`,
}));

const USAGE_QUERY = `query Usage($filter: UsageFilter) {
  usage(groupBy: [FEATURE, TIME], bucket: DAY, filter: $filter) {
    bucketStart server feature version user host sessions licenseSeconds licenseHours
    peakInUse averageInUse distinctUsers firstSeen lastSeen
  }
}`;

const ms = (n: number) => `${n.toFixed(n < 10 ? 1 : 0)} ms`;
const now = () => performance.now();
async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t = now();
  const r = await fn();
  return [r, now() - t];
}
function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Loads the synthetic year: sessions (closed), samples, series, cursors; then the rollups. Returns row counts. */
async function load(store: Store, n: number): Promise<Record<string, number>> {
  const db = store.db;
  const step = async (label: string, q: ReturnType<typeof sql>) => {
    const [, t] = await timed(() => db.execute(q));
    console.log(`  ${label.padEnd(34)} ${(t / 1000).toFixed(1)} s`);
  };
  // r(a, k): a deterministic pseudo-random number in [0, 1) hashed from the row number (the same on both drivers).
  const r = (a: number, k: number) => sql.raw(`(abs(sin(i * ${a}) * ${k}) - floor(abs(sin(i * ${a}) * ${k})))`);
  // Bulk load without the secondary indexes, then build them once (what a restore would do).
  const indexes = (await db.execute(sql`
    SELECT indexname, indexdef FROM pg_indexes
    WHERE schemaname = 'public' AND tablename IN ('checkout_sessions', 'usage_samples') AND indexname NOT LIKE '%_pkey' AND indexname NOT LIKE '%_pk'`)) as unknown as {
    rows: Array<{ indexname: string; indexdef: string }>;
  };
  for (const ix of indexes.rows) await db.execute(sql.raw(`DROP INDEX "${ix.indexname}"`));
  await db.execute(sql`ALTER TABLE usage_samples DROP CONSTRAINT usage_samples_pk`);
  const chunk = 1_000_000;
  for (let from = 0; from < n; from += chunk) {
    const to = Math.min(n, from + chunk);
    await step(
      `sessions ${from}..${to}`,
      sql`
      INSERT INTO checkout_sessions (server_id, feature, version, username, hostname, display, handle, start_key, started_at, count, first_seen, last_seen, gone_at, ended_at)
      SELECT 's' || (f % 4), 'FEAT_' || lpad(f::text, 2, '0'), 'v' || (1 + f % 2), 'user' || u, 'host' || h, '', i::text, st::text, st,
             cnt, st + interval '30 seconds', en - interval '30 seconds', en + interval '30 seconds', en
      FROM (
        SELECT i, u, (u * 7 + (floor(r1 * 3)::int) * 13) % 60 AS f, (u + (floor(r2 * 2)::int) * 400) % 1200 AS h,
               ${YEAR_START}::timestamptz + ((i - 1 + r3) / ${n}::float8) * interval '365 days' AS st,
               ${YEAR_START}::timestamptz + ((i - 1 + r3) / ${n}::float8) * interval '365 days' + (60 + r4 * r4 * 28800) * interval '1 second' AS en,
               CASE WHEN r5 < 0.85 THEN 1 WHEN r5 < 0.95 THEN 2 ELSE 4 END AS cnt
        FROM (
          SELECT i, (floor(abs(sin(i * 12.9898) * 43758.5453))::bigint % 800)::int AS u,
                 ${r(78.233, 12345.678)} AS r1, ${r(39.3468, 54321.123)} AS r2, ${r(11.135, 98765.4321)} AS r3,
                 ${r(91.7, 45678.9)} AS r4, ${r(3.3, 7777.77)} AS r5
          FROM generate_series(${from + 1}::int, ${to}::int) AS i
        ) r
      ) x`,
    );
  }
  // Samples as a 1-minute poll would record them: used per (server, feature) at each minute it changed.
  await step(
    'samples (derived from sessions)',
    sql`
    INSERT INTO usage_samples (server_id, feature, at, issued, used, reserved, queued, next_at)
    SELECT server_id, feature, minute, 100, used, 0, 0, next_at FROM (
      SELECT server_id, feature, minute, sum(d) OVER (PARTITION BY server_id, feature ORDER BY minute) AS used,
             lead(minute) OVER (PARTITION BY server_id, feature ORDER BY minute) AS next_at
      FROM (
        SELECT server_id, feature, minute, sum(d)::int AS d FROM (
          SELECT server_id, feature, date_trunc('minute', started_at) + interval '1 minute' AS minute, count AS d FROM checkout_sessions
          UNION ALL
          SELECT server_id, feature, date_trunc('minute', ended_at) + interval '1 minute', -count FROM checkout_sessions
        ) e GROUP BY 1, 2, 3
      ) g WHERE d <> 0
    ) s`,
  );
  const [, ti] = await timed(async () => {
    await db.execute(
      sql`ALTER TABLE usage_samples ADD CONSTRAINT usage_samples_pk PRIMARY KEY (server_id, feature, at)`,
    );
    for (const ix of indexes.rows) await db.execute(sql.raw(ix.indexdef));
  });
  console.log(`  ${'indexes'.padEnd(34)} ${(ti / 1000).toFixed(1)} s`);
  await step(
    'series + cursors',
    sql`
    WITH l AS (SELECT DISTINCT ON (server_id, feature) server_id, feature, at, issued, used FROM usage_samples ORDER BY server_id, feature, at DESC),
    ser AS (INSERT INTO usage_series (server_id, feature, last_at, issued, used, reserved, queued) SELECT server_id, feature, at, issued, used, 0, 0 FROM l)
    INSERT INTO poll_cursors (server_id, poll_seq, last_poll_at, last_up_at, last_status)
    SELECT server_id, 525600, ${YEAR_END.toISOString()}::timestamptz, ${YEAR_END.toISOString()}::timestamptz, 'UP' FROM l GROUP BY server_id`,
  );
  const [, tr] = await timed(() => store.history.rebuildRollups());
  console.log(`  ${'rollups (rebuildRollups)'.padEnd(34)} ${(tr / 1000).toFixed(1)} s`);
  await step('analyze', sql`ANALYZE`);
  const counts: Record<string, number> = {};
  for (const t of [
    'checkout_sessions',
    'checkout_session_days',
    'usage_daily',
    'usage_daily_totals',
    'usage_samples',
    'usage_samples_daily',
  ]) {
    const r = (await db.execute(sql.raw(`SELECT count(*)::float8 AS n FROM ${t}`))) as unknown as {
      rows: Array<{ n: number }>;
    };
    counts[t] = Number(r.rows[0].n);
  }
  return counts;
}

async function bench(driver: 'pglite' | 'postgres', n: number): Promise<void> {
  console.log(`\n--- ${driver}: ${n.toLocaleString('en-US')} sessions over 2025 ---`);
  let store: Store;
  let dropDb: (() => Promise<void>) | null = null;
  let reused = false;
  if (driver === 'postgres') {
    if (!ADMIN_URL) throw new Error('postgres needs BENCH_DATABASE_URL or TEST_DATABASE_URL');
    const name = `lg_bench_usage_${n}`;
    const admin = new Client({ connectionString: ADMIN_URL });
    await admin.connect();
    const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
    if (exists && !KEEP) await admin.query(`DROP DATABASE "${name}" WITH (FORCE)`);
    if (!exists || !KEEP) await admin.query(`CREATE DATABASE "${name}"`);
    await admin.end();
    const url = new URL(ADMIN_URL);
    url.pathname = `/${name}`;
    store = await openStore({ databaseUrl: url.toString(), poolMax: 4 });
    const have = (await store.db.execute(sql`SELECT count(*)::float8 AS n FROM checkout_sessions`)) as unknown as {
      rows: Array<{ n: number }>;
    };
    reused = KEEP && Number(have.rows[0].n) === n;
    if (!KEEP) {
      dropDb = async () => {
        const a = new Client({ connectionString: ADMIN_URL });
        await a.connect();
        await a.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
        await a.end();
      };
    } else if (!reused && Number(have.rows[0].n) > 0) {
      await store.db.execute(
        sql`TRUNCATE checkout_sessions, checkout_session_days, usage_daily, usage_samples, usage_series, usage_samples_daily, poll_cursors`,
      );
    }
  } else {
    store = await openStore({});
  }
  try {
    const version = await store.dbVersion();
    console.log(`  ${version}${reused ? ' (reusing the loaded database)' : ''}`);
    let counts: Record<string, number>;
    if (reused) {
      counts = {};
      const totals = (await store.db.execute(sql`SELECT count(*)::float8 AS n FROM usage_daily_totals`)) as unknown as {
        rows: Array<{ n: number }>;
      };
      if (Number(totals.rows[0].n) === 0) {
        const [, t] = await timed(() => store.history.rebuildRollups());
        await store.db.execute(sql`ANALYZE`);
        console.log(`  (load skipped; rollups rebuilt in ${(t / 1000).toFixed(1)} s)`);
      } else console.log('  (load skipped)');
    } else {
      const [c, t] = await timed(() => load(store, n));
      counts = c;
      console.log(
        `  load total ${(t / 1000).toFixed(1)} s; rows: ${Object.entries(counts)
          .map(([k, v]) => `${k} ${v.toLocaleString('en-US')}`)
          .join(', ')}`,
      );
    }

    const usage = new UsageService(store, () => NOW);
    const config: AppConfig = {
      port: 0,
      host: '127.0.0.1',
      dataDir: ':memory:',
      servers: [],
      logLevel: 'silent',
      introspection: false,
      graphiql: false,
      httpLimits: { rateLimitMax: 0 },
    };
    const app = await buildApp({
      config,
      store,
      logger: pino({ level: 'silent' }),
      sources: {} as Record<string, LicenseSource>,
      now: () => NOW,
    });
    const boot = await app.services.auth.bootstrapAdmin();
    const token =
      boot?.token ??
      (await app.services.auth.issueToken({ userId: (await store.users.findByUsername('admin'))!.id })).token;
    const address = await app.fastify.listen({ port: 0, host: '127.0.0.1' });
    const http = async (filter: Record<string, string>) => {
      const res = await fetch(`${address}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: USAGE_QUERY, variables: { filter } }),
      });
      const body = (await res.json()) as { data?: { usage: unknown[] }; errors?: unknown[] };
      if (body.errors) throw new Error(JSON.stringify(body.errors));
      return body.data!.usage.length;
    };
    const windows: Array<[string, Date, Date]> = [
      ['30 days, aligned', new Date(YEAR_END.getTime() - 30 * DAY), YEAR_END],
      ['30 days, ending now', new Date(NOW.getTime() - 30 * DAY), NOW],
      ['365 days, aligned', new Date(YEAR_END.getTime() - 365 * DAY), YEAR_END],
      ['365 days, ending now', new Date(NOW.getTime() - 365 * DAY), NOW],
    ];
    console.log(`  usage(groupBy: [FEATURE, TIME], bucket: DAY), all row fields; median of ${RUNS} after 1 cold run`);
    console.log(
      `  ${'window'.padEnd(22)} ${'rows'.padStart(6)} ${'HTTP cold'.padStart(10)} ${'HTTP median'.padStart(12)} ${'min'.padStart(9)} ${'max'.padStart(9)} ${'service median'.padStart(15)}`,
    );
    try {
      for (const [label, from, to] of windows) {
        const filter = { earliestTime: from.toISOString(), latestTime: to.toISOString() };
        const [rows, cold] = await timed(() => http(filter));
        const hot: number[] = [];
        for (let i = 0; i < RUNS; i++) hot.push((await timed(() => http(filter)))[1]);
        const svc: number[] = [];
        for (let i = 0; i < RUNS; i++)
          svc.push(
            (
              await timed(() =>
                usage.usage({
                  groupBy: ['FEATURE', 'TIME'],
                  bucket: 'DAY',
                  filter: { earliestTime: from, latestTime: to },
                }),
              )
            )[1],
          );
        console.log(
          `  ${label.padEnd(22)} ${String(rows).padStart(6)} ${ms(cold).padStart(10)} ${ms(median(hot)).padStart(12)} ${ms(Math.min(...hot)).padStart(9)} ${ms(Math.max(...hot)).padStart(9)} ${ms(median(svc)).padStart(15)}`,
        );
      }
      // Other questions, on UsageService (one run each after a warm-up run): what the rollups do not cover costs more.
      const m30 = new Date(NOW.getTime() - 30 * DAY);
      const others: Array<[string, () => Promise<unknown>]> = [
        [
          'FEATURE x DAY, 30 d, no rollup (raw)',
          () =>
            usage.usage({
              groupBy: ['FEATURE', 'TIME'],
              bucket: 'DAY',
              filter: { earliestTime: new Date(YEAR_END.getTime() - 30 * DAY), latestTime: YEAR_END },
              forceRaw: true,
            }),
        ],
        [
          'USER, 30 d (per-user rollup)',
          () => usage.usage({ groupBy: ['USER'], filter: { earliestTime: m30, latestTime: NOW } }),
        ],
        [
          'SERVER x FEATURE x MONTH, 365 d',
          () =>
            usage.usage({
              groupBy: ['SERVER', 'FEATURE', 'TIME'],
              bucket: 'MONTH',
              filter: { earliestTime: new Date(NOW.getTime() - 365 * DAY), latestTime: NOW },
            }),
        ],
        [
          'FEATURE x DAY Europe/Berlin, 30 d (raw)',
          () =>
            usage.usage({
              groupBy: ['FEATURE', 'TIME'],
              bucket: 'DAY',
              timeZone: 'Europe/Berlin',
              filter: { earliestTime: m30, latestTime: NOW },
            }),
        ],
        [
          'FEATURE x HOUR, 1 d (raw)',
          () =>
            usage.usage({
              groupBy: ['FEATURE', 'TIME'],
              bucket: 'HOUR',
              filter: { earliestTime: new Date(NOW.getTime() - DAY), latestTime: NOW },
            }),
        ],
        [
          'HOST, 1 d (raw)',
          () =>
            usage.usage({
              groupBy: ['HOST'],
              filter: { earliestTime: new Date(NOW.getTime() - DAY), latestTime: NOW },
            }),
        ],
        [
          'Feature.history x 60, 7 d, HOUR',
          () => usage.history(FEATURES, new Date(NOW.getTime() - 7 * DAY), NOW, 'HOUR'),
        ],
        ['Feature.utilizationHistogram x 60, 30 d', () => usage.histograms(FEATURES, m30, NOW)],
      ];
      for (const [label, fn] of others) {
        await fn();
        const [, t] = await timed(fn);
        console.log(`  ${label.padEnd(44)} ${ms(t).padStart(9)}`);
      }
      // Writing a poll into the full history: 1,000 open checkouts on one server; the next poll closes 100 and opens 100.
      const checkouts = (from: number, n: number) =>
        Array.from({ length: n }, (_, k) => ({
          feature: FEATURES[(from + k) % 60].feature,
          version: 'v1',
          username: `user${(from + k) % 800}`,
          hostname: `host${(from + k) % 1200}`,
          display: '',
          handle: `p${from + k}`,
          startKey: `p${from + k}`,
          startedAt: YEAR_END.toISOString(),
          count: 1,
        }));
      const poll = (
        db: Parameters<typeof store.history.recordPoll>[1],
        minute: number,
        sessions: ReturnType<typeof checkouts>,
      ) =>
        store.history.recordPoll(
          {
            serverId: 's0',
            at: new Date(YEAR_END.getTime() + minute * 60_000),
            status: 'UP',
            sessions,
            closableFeatures: [...new Set(sessions.map((x) => x.feature))],
            presentFeatures: FEATURES.filter((f) => f.serverId === 's0').map((f) => f.feature),
            closeAbsent: false,
            samples: [],
            sampleEvery: 10,
          },
          db,
        );
      // In a transaction rolled back at the end (the polls nest as savepoints), so a kept database stays as loaded.
      const rollback = new Error('rollback');
      await store.db
        .transaction(async (tx) => {
          const [r1, w1] = await timed(() => poll(tx, 1, checkouts(0, 1000)));
          const [r2, w2] = await timed(() => poll(tx, 2, checkouts(100, 1000)));
          const [, w3] = await timed(() => poll(tx, 3, checkouts(100, 1000)));
          console.log(
            `  poll write, 1,000 new checkouts: ${ms(w1)} (${r1.opened} opened); 100 closed + 100 opened: ${ms(w2)} (${r2.closed} closed); unchanged: ${ms(w3)}`,
          );
          throw rollback;
        })
        .catch((e: unknown) => {
          if (e !== rollback) throw e;
        });
    } finally {
      await app.close();
    }
  } finally {
    await store.close();
    await dropDb?.();
  }
}

async function main(): Promise<void> {
  for (const d of DRIVERS) {
    if (d !== 'pglite' && d !== 'postgres') throw new Error(`unknown driver ${d}`);
    await bench(d, d === 'pglite' ? N_PGLITE : N_PG);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
