/**
 * Report benchmark (issue 9): a snapshot of 2,000 features and 20,000 checkouts.
 *   (a) the floor: JSON.stringify of the same response object
 *   (b) the full licenseReport over HTTP, cold (a new snapshot before each request)
 *   (c) the same query warm (same snapshot, repeated)
 *   (d) a small dashboard query (feature names and used/issued only)
 *   (e) HTTP throughput of (d) with autocannon at 50 connections, next to a bare Fastify route returning the same JSON
 *   (f) RSS with the snapshot loaded and 20 open subscriptions (when subscriptions exist)
 * Usage: npm run bench -- report   [env BENCH_FEATURES, BENCH_CHECKOUTS, BENCH_ITER, BENCH_SECONDS]
 */
import 'reflect-metadata';
import autocannon from 'autocannon';
import Fastify from 'fastify';
import pino from 'pino';
import type { AppConfig } from '../src/config/types';
import type { Snapshot } from '../src/domain/snapshot';
import { buildApp } from '../src/server';
import type { LicenseSource } from '../src/sources/source';
import { openStore } from '../src/store';

const FEATURES = Number(process.env.BENCH_FEATURES ?? 2000);
const CHECKOUTS = Number(process.env.BENCH_CHECKOUTS ?? 20000);
const ITER = Number(process.env.BENCH_ITER ?? 30);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);

export const FULL_QUERY = `query Full {
  licenseReport {
    summaryByFeature {
      info { name issued used free }
      checkouts { username hostname startTime serverInfo display version handle count startedAt }
      valid
    }
    valid
  }
}`;
export const SMALL_QUERY = `query Dash { licenseReport { summaryByFeature { info { name issued used } } } }`;

/** Deterministic, realistic field sizes: EDA-like feature names, user.name, ws-123.example.corp hosts. */
export function bigSnapshot(serverId: string, features = FEATURES, checkouts = CHECKOUTS, salt = 0): Snapshot {
  let seed = 12345 + salt;
  const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
  const perFeature = Math.floor(checkouts / features);
  const fs: Snapshot['features'] = [];
  let handle = 1000;
  for (let i = 0; i < features; i++) {
    const n = perFeature + (i < checkouts % features ? 1 : 0);
    const cos = [];
    for (let j = 0; j < n; j++) {
      const user = `user.name${Math.floor(rnd() * 5000)}`;
      const host = `ws-${Math.floor(rnd() * 900) + 100}.eda.example.corp`;
      const h = String(++handle);
      const day = 1 + Math.floor(rnd() * 28);
      const hour = Math.floor(rnd() * 24);
      const min = Math.floor(rnd() * 60);
      cos.push({
        username: user,
        hostname: host,
        display: `${host}:0`,
        version: 'v2023.12',
        serverInfo: `lic1.eda.example.corp/27000 ${h}`,
        serverHost: 'lic1.eda.example.corp',
        serverPort: 27000,
        handle: h,
        count: 1,
        startTime: `Mon 1/${day} ${hour}:${String(min).padStart(2, '0')}`,
        startedAt: new Date(Date.UTC(2026, 0, day, hour, min)).toISOString(),
      });
    }
    fs.push({
      name: `EDA_Feature_${String(i).padStart(4, '0')}_${['Sim', 'Synth', 'Layout', 'Verify'][i % 4]}`,
      vendor: ['snpslmd', 'cdslmd', 'mgcld', 'MLM'][i % 4],
      issued: n + 10 + (i % 50),
      used: n,
      uncounted: false,
      error: null,
      pools: [
        {
          version: 'v2023.12',
          vendor: 'snpslmd',
          type: 'floating',
          issued: n + 10 + (i % 50),
          expiry: '2027-12-31',
          expiryRaw: '31-dec-2027',
          permanent: false,
        },
      ],
      checkouts: cos,
      reservations: [],
      queued: [],
    });
  }
  return {
    serverId,
    sourceType: 'flexlm',
    fetchedAt: new Date().toISOString(),
    status: 'UP',
    version: 'v11.19.6',
    hosts: [{ host: 'lic1.eda.example.corp', port: 27000, status: 'UP', master: true, version: 'v11.19.6' }],
    vendorDaemons: [{ name: 'snpslmd', status: 'UP', version: 'v11.19.6' }],
    features: fs,
    warnings: [],
    error: null,
  };
}

function stats(samples: number[]) {
  const s = [...samples].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.floor(p * s.length))];
  return { median: q(0.5), p99: q(0.99), min: s[0] };
}

const fmt = (n: number) => n.toFixed(2).padStart(9);

async function main() {
  const snap = bigSnapshot('eda');
  class BenchSource implements LicenseSource {
    readonly id = 'eda';
    readonly type = 'flexlm' as const;
    async fetch() {
      return { ...snap, fetchedAt: new Date().toISOString() };
    }
  }
  const config: AppConfig = {
    port: 0,
    host: '127.0.0.1',
    dataDir: ':memory:',
    servers: [
      {
        id: 'eda',
        label: 'EDA',
        type: 'flexlm',
        address: '27000@lic1',
        pollIntervalSeconds: 3600,
        timeoutSeconds: 30,
        maxAgeSeconds: 3600,
        maxOutputBytes: 1 << 26,
      },
    ],
    logLevel: 'silent',
    introspection: true,
    graphiql: false,
    // The benchmark measures the server, not the per-token rate limiter (600/min by default).
    httpLimits: { rateLimitMax: 0 },
  } as AppConfig;
  const store = await openStore({});
  const app = await buildApp({ config, store, sources: { eda: new BenchSource() }, logger: pino({ level: 'silent' }) });
  const boot = (await app.services.auth.bootstrapAdmin())!;
  const url = await app.fastify.listen({ port: 0, host: '127.0.0.1' });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${boot.token}` };
  const post = async (query: string) => {
    const t0 = performance.now();
    const res = await fetch(`${url}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query }) });
    const text = await res.text();
    const ms = performance.now() - t0;
    if (res.status !== 200 || text.includes('"errors"'))
      throw new Error(`bad response ${res.status}: ${text.slice(0, 300)}`);
    return { ms, text };
  };
  const newSnapshot = () => app.services.snapshots.accept('eda', { ...snap, fetchedAt: new Date().toISOString() });

  newSnapshot();
  const first = await post(FULL_QUERY);
  const responseObject = JSON.parse(first.text);
  console.log(
    `snapshot: ${FEATURES} features, ${CHECKOUTS} checkouts; full response ${(first.text.length / 1e6).toFixed(1)} MB`,
  );

  // (a) floor
  const floor: number[] = [];
  for (let i = 0; i < ITER * 3; i++) {
    const t0 = performance.now();
    JSON.stringify(responseObject);
    floor.push(performance.now() - t0);
  }
  // warm-up of the JIT paths
  for (let i = 0; i < 5; i++) {
    newSnapshot();
    await post(FULL_QUERY);
  }
  // (b) cold: a new snapshot (as after a poll) before each request
  const cold: number[] = [];
  for (let i = 0; i < ITER; i++) {
    newSnapshot();
    cold.push((await post(FULL_QUERY)).ms);
  }
  // (c) warm: same snapshot
  newSnapshot();
  await post(FULL_QUERY);
  const warm: number[] = [];
  for (let i = 0; i < ITER; i++) warm.push((await post(FULL_QUERY)).ms);
  // (d) small dashboard query, cold and warm
  const smallCold: number[] = [];
  for (let i = 0; i < ITER; i++) {
    newSnapshot();
    smallCold.push((await post(SMALL_QUERY)).ms);
  }
  const smallWarm: number[] = [];
  for (let i = 0; i < ITER; i++) smallWarm.push((await post(SMALL_QUERY)).ms);
  const smallText = (await post(SMALL_QUERY)).text;

  const f = stats(floor);
  const rows: Array<[string, ReturnType<typeof stats>]> = [
    ['(a) JSON.stringify floor (full)', f],
    ['(b) full report, cold', stats(cold)],
    ['(c) full report, warm', stats(warm)],
    ['(d) dashboard query, cold', stats(smallCold)],
    ['(d) dashboard query, warm', stats(smallWarm)],
  ];
  console.log(`\n${'measure'.padEnd(34)}${'median ms'.padStart(10)}${'p99 ms'.padStart(10)}${'x floor'.padStart(10)}`);
  for (const [name, s] of rows)
    console.log(`${name.padEnd(34)}${fmt(s.median)} ${fmt(s.p99)} ${fmt(s.median / f.median)}`);

  // (e) throughput of the dashboard query vs a bare Fastify route returning the same JSON
  const bare = Fastify({ logger: false });
  const smallObj = JSON.parse(smallText);
  bare.post('/graphql', async () => smallObj);
  const bareUrl = await bare.listen({ port: 0, host: '127.0.0.1' });
  const run = (target: string) =>
    new Promise<autocannon.Result>((resolve, reject) =>
      autocannon(
        {
          url: `${target}/graphql`,
          method: 'POST',
          headers,
          body: JSON.stringify({ query: SMALL_QUERY }),
          connections: 50,
          duration: SECONDS,
        },
        (err, res) => (err ? reject(err) : resolve(res)),
      ),
    );
  const rApp = await run(url);
  const rBare = await run(bareUrl);
  console.log(`\nthroughput, dashboard query, 50 connections, ${SECONDS}s each:`);
  console.log(
    `  licensegraph /graphql : ${rApp.requests.average.toFixed(0)} req/s (p99 ${rApp.latency.p99} ms, non-2xx ${rApp.non2xx}, errors ${rApp.errors})`,
  );
  console.log(`  bare Fastify route   : ${rBare.requests.average.toFixed(0)} req/s (p99 ${rBare.latency.p99} ms)`);
  console.log(
    `  ratio                : ${((100 * rApp.requests.average) / rBare.requests.average).toFixed(0)}% of bare`,
  );
  await bare.close();

  // (f) memory: bench/memory.bench.ts measures a separate server process (this one also holds the floor
  // object, autocannon and the bare Fastify app, so its RSS would not be the server's).

  await app.close();
  await store.close();
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
