/**
 * `npm run soak`: the real server (startServer: embedded PGlite in a temporary data dir, the built-in
 * simulator) in a child process, driven by autocannon at a fixed request rate with a dashboard query and a
 * bearer token, while the child's memory is sampled.
 *
 *   npm run soak -- [--rate 200] [--duration 600] [--warmup 60] [--connections 10] [--sample 10] [--json file]
 *
 * Prints throughput, p50/p99 latency, errors (connection errors, timeouts, non-2xx, GraphQL errors), and the
 * child's RSS at the start (after the warm-up and a GC) and at the end (after a GC), with the growth in per cent.
 * The rate limit stays on, set above the offered load (the soak measures the server, not the limiter's 429s).
 * Exit status 1 when there were errors or RSS grew by --max-growth per cent (default 10) or more.
 */
import { fork, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const DASHBOARD_QUERY = 'query Dashboard { licenseReport { summaryByFeature { info { name issued used } } } }';

interface Mem {
  rss: number;
  heapUsed: number;
  external: number;
}

type ChildMsg =
  { type: 'ready'; url: string; token: string } | ({ type: 'mem' } & Mem) | { type: 'error'; message: string };

// ---------------------------------------------------------------------------------------------------------------
// Child: the server

async function serve(): Promise<void> {
  const { loadConfig } = await import('../src/config/load');
  const { startServer } = await import('../src/main');
  const { default: pino } = await import('pino');
  const config = loadConfig(process.env);
  const logger = pino({ level: config.logLevel });
  const server = await startServer(config, logger);
  const user = await server.app.services.auth.createUser({ username: 'soak', role: 'VIEWER' });
  const { token } = await server.app.services.auth.issueToken({ userId: user.id, name: 'soak' });
  process.on('message', (m: { type: string; gc?: boolean }) => {
    if (m.type === 'mem') {
      if (m.gc) (globalThis as { gc?: () => void }).gc?.();
      const u = process.memoryUsage();
      process.send!({ type: 'mem', rss: u.rss, heapUsed: u.heapUsed, external: u.external });
    } else if (m.type === 'stop') {
      server.close().then(
        () => process.exit(0),
        () => process.exit(1),
      );
    }
  });
  process.send!({ type: 'ready', url: server.url, token });
}

// ---------------------------------------------------------------------------------------------------------------
// Parent: the load

function flag(name: string, dflt: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return dflt;
  const v = Number(process.argv[i + 1]);
  if (!Number.isFinite(v) || v < 0) throw new Error(`--${name} must be a non-negative number`);
  return v;
}

function strFlag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i < 0 ? undefined : process.argv[i + 1];
}

const mb = (b: number) => `${(b / 1024 / 1024).toFixed(1)} MiB`;

class Child {
  private waiters: Array<{ resolve: (m: ChildMsg) => void; reject: (e: Error) => void }> = [];
  stderr = '';
  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: ChildMsg) => this.waiters.shift()?.resolve(m));
    proc.stderr?.on('data', (b: Buffer) => {
      this.stderr = (this.stderr + b.toString()).slice(-20_000);
    });
    proc.once('exit', (code) => {
      const err = new Error(`server exited with ${code}:\n${this.stderr}`);
      for (const w of this.waiters.splice(0)) w.reject(err);
    });
  }
  next(): Promise<ChildMsg> {
    if (this.proc.exitCode !== null)
      return Promise.reject(new Error(`server exited with ${this.proc.exitCode}:\n${this.stderr}`));
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }
  async mem(gc = false): Promise<Mem> {
    const p = this.next();
    this.proc.send({ type: 'mem', gc });
    const m = await p;
    if (m.type !== 'mem') throw new Error(`unexpected message ${m.type}`);
    return m;
  }
}

async function main(): Promise<void> {
  const rate = flag('rate', 200);
  const duration = flag('duration', 600);
  const warmup = flag('warmup', 60);
  const connections = flag('connections', 10);
  const sampleEvery = flag('sample', 10);
  const maxGrowth = flag('max-growth', 10);
  const jsonOut = strFlag('json');

  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-soak-'));
  const env = {
    ...process.env,
    PORT: '0',
    HOST: '127.0.0.1',
    DATABASE_URL: '',
    LICENSEGRAPH_CONFIG: '',
    LICENSEGRAPH_DATA_DIR: dataDir,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'warn',
    // above the offered load, so the limiter runs on every request without rejecting any
    LICENSEGRAPH_RATE_LIMIT_MAX: String(Math.ceil(rate * 60 * 1.5)),
    LICENSEGRAPH_RATE_LIMIT_WINDOW_SECONDS: '60',
    TS_NODE_PROJECT: path.join(__dirname, '..', 'tsconfig.json'),
  };
  const proc = fork(__filename, ['--serve'], {
    env,
    execArgv: ['--expose-gc', '-r', 'ts-node/register/transpile-only'],
    stdio: ['ignore', 'inherit', 'pipe', 'ipc'],
  });
  const child = new Child(proc);
  const stopChild = async () => {
    if (proc.exitCode !== null) return;
    proc.send({ type: 'stop' });
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        proc.kill('SIGKILL');
        resolve();
      }, 10_000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
    });
  };

  try {
    const ready = await child.next();
    if (ready.type !== 'ready') throw new Error(`server did not start: ${JSON.stringify(ready)}`);
    const { default: autocannon } = await import('autocannon');
    const url = `${ready.url}/graphql`;
    const body = JSON.stringify({ query: DASHBOARD_QUERY, operationName: 'Dashboard' });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${ready.token}` };
    const run = (seconds: number) =>
      autocannon({
        url,
        method: 'POST',
        headers,
        body,
        connections,
        overallRate: rate,
        duration: seconds,
        timeout: 10,
        verifyBody: (b: unknown) =>
          typeof b === 'string' && b.startsWith('{"data":{"licenseReport":') && !b.includes('"errors"'),
      });

    const cpu = os.cpus();
    console.log(
      `soak: ${rate} req/s over ${connections} connections for ${duration} s (after ${warmup} s warm-up); ${cpu.length} cores (${cpu[0]?.model ?? '?'}), node ${process.version}`,
    );
    console.log(`query: ${DASHBOARD_QUERY}`);
    if (warmup > 0) await run(warmup);
    const start = await child.mem(true);
    console.log(`RSS at start (after warm-up, after GC): ${mb(start.rss)}  heap ${mb(start.heapUsed)}`);

    const samples: Array<{ t: number; rss: number; heapUsed: number }> = [];
    const t0 = Date.now();
    const sampler = setInterval(() => {
      child.mem(false).then(
        (m) => {
          const t = Math.round((Date.now() - t0) / 1000);
          samples.push({ t, rss: m.rss, heapUsed: m.heapUsed });
          console.log(`  t=${String(t).padStart(4)} s  RSS ${mb(m.rss)}  heap ${mb(m.heapUsed)}`);
        },
        () => undefined,
      );
    }, sampleEvery * 1000);
    const r = await run(duration);
    clearInterval(sampler);
    await new Promise((res) => setTimeout(res, 200));
    const end = await child.mem(true);
    const growth = ((end.rss - start.rss) / start.rss) * 100;
    const peak = Math.max(start.rss, end.rss, ...samples.map((s) => s.rss));
    const graphqlErrors = r.mismatches;
    const errors = r.errors + r.timeouts + r.non2xx + graphqlErrors;

    const summary = {
      rate,
      duration,
      warmup,
      connections,
      cores: cpu.length,
      node: process.version,
      requests: r.requests.total,
      throughput: Math.round((r.requests.total / r.duration) * 10) / 10,
      latencyMs: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max },
      errors: { connection: r.errors, timeouts: r.timeouts, non2xx: r.non2xx, graphql: graphqlErrors },
      rss: { start: start.rss, end: end.rss, peak, growthPercent: Math.round(growth * 10) / 10 },
      heapUsed: { start: start.heapUsed, end: end.heapUsed },
    };
    console.log('');
    console.log(`requests      ${summary.requests} in ${r.duration} s  (${summary.throughput} req/s)`);
    console.log(
      `latency       p50 ${r.latency.p50} ms  p90 ${r.latency.p90} ms  p99 ${r.latency.p99} ms  max ${r.latency.max} ms`,
    );
    console.log(
      `errors        ${errors}  (connection ${r.errors}, timeouts ${r.timeouts}, non-2xx ${r.non2xx}, GraphQL errors/bad bodies ${graphqlErrors})`,
    );
    console.log(
      `RSS           start ${mb(start.rss)}  end ${mb(end.rss)}  peak ${mb(peak)}  growth ${summary.rss.growthPercent}%`,
    );
    console.log(`heap used     start ${mb(start.heapUsed)}  end ${mb(end.heapUsed)}`);
    if (jsonOut) fs.writeFileSync(jsonOut, JSON.stringify({ ...summary, samples }, null, 2));
    process.exitCode = errors > 0 || growth >= maxGrowth ? 1 : 0;
  } finally {
    await stopChild();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

if (process.argv.includes('--serve')) {
  serve().catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
} else {
  main().catch((e: unknown) => {
    console.error(e instanceof Error ? e.message : e);
    process.exit(1);
  });
}
