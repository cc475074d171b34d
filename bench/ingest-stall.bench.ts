/**
 * How long a large push stalls other requests: GET /healthz every 10 ms while one push is processed, on embedded
 * PGlite. Prints the push's status and duration and the /healthz latencies (p50, p99, max) meanwhile.
 *
 *   npm run bench -- ingest-stall
 *   INGEST_FEATURES=100000 npx ts-node --transpile-only bench/ingest-stall.bench.ts [repository root]
 *
 * The optional root runs another checkout's sources (to compare before and after a change).
 */
import { spawn } from 'child_process';
import * as path from 'path';
import pino from 'pino';
import { bigLmstat } from '../test/helpers/big-lmstat';

const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..'));
/* eslint-disable @typescript-eslint/no-require-imports */
const { buildApp } = require(path.join(root, 'src/server'));
const { openStore } = require(path.join(root, 'src/store'));

/** GET the URL back to back (10 ms apart) until stdin closes; print the latencies (ms) as JSON. */
const PROBER = `
const lat = []; let on = true;
process.stdin.on('end', () => { on = false; }); process.stdin.resume();
(async () => { while (on) { const t0 = performance.now(); await fetch(process.argv[1]).then((r) => r.text()); lat.push(performance.now() - t0); await new Promise((r) => setTimeout(r, 10)); }
  process.stdout.write(JSON.stringify(lat)); })();`;

const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function measure(features: number, checkouts: boolean): Promise<void> {
  const store = await openStore({ dataDir: ':memory:' });
  const servers = [
    {
      id: 'isolated',
      label: 'isolated',
      type: 'ingest',
      timeZone: 'UTC',
      pollIntervalSeconds: 600,
      timeoutSeconds: 5,
      maxAgeSeconds: 0,
      maxOutputBytes: 1 << 20,
    },
  ];
  const config = {
    port: 0,
    host: '127.0.0.1',
    dataDir: ':memory:',
    servers,
    logLevel: 'silent',
    introspection: true,
    graphiql: false,
  };
  const app = await buildApp({
    config,
    store,
    logger: pino({ level: 'silent' }),
    now: () => new Date('2017-10-20T17:05:00Z'),
  });
  const token = (await app.services.auth.bootstrapAdmin()).token as string;
  const url: string = await app.fastify.listen({ port: 0, host: '127.0.0.1' });
  const text = checkouts ? bigLmstat(features) : bigLmstat(features).replace(/^ {4}user.*\n/gm, '');
  // The health checks run in another process: a stalled event loop here must not also stall the clock measuring it.
  const prober = spawn(process.execPath, ['-e', PROBER, `${url}/healthz`], { stdio: ['pipe', 'pipe', 'inherit'] });
  let out = '';
  prober.stdout.on('data', (d) => (out += d));
  await new Promise((r) => setTimeout(r, 300));
  const t0 = performance.now();
  const res = await fetch(`${url}/api/v1/ingest?server=isolated&format=lmstat`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}` },
    body: text,
  });
  const body = await res.text();
  const pushMs = performance.now() - t0;
  prober.stdin.end();
  await new Promise((r) => prober.on('close', r));
  const lat = JSON.parse(out) as number[];
  const mb = (Buffer.byteLength(text) / 1048576).toFixed(1);
  console.log(
    `${features} features${checkouts ? ' and checkouts' : ''} (${mb} MB): push ${res.status} in ${pushMs.toFixed(0)} ms; /healthz during it: n=${lat.length} p50=${pct(lat, 50).toFixed(1)} ms p99=${pct(lat, 99).toFixed(1)} ms max=${Math.max(...lat).toFixed(0)} ms` +
      (res.status === 200 ? '' : ` — ${body.slice(0, 160)}`),
  );
  await app.close();
  await store.close();
}

async function main(): Promise<void> {
  // The push was 100,000 features in 8 MB: features without checkouts come closest.
  const sizes = process.env.INGEST_FEATURES ? process.env.INGEST_FEATURES.split(',').map(Number) : [10_000, 100_000];
  for (const n of sizes) await measure(n, n <= 10_000);
}

void main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
