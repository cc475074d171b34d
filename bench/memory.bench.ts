/**
 * Memory (issue 9): RSS of a real server process (`licensegraph serve`, as `npm start` runs it) reading a
 * 2,000-feature / 20,000-checkout lmstat output, after full-report requests and with 20 open subscriptions.
 * Runs on embedded PGlite, and on PostgreSQL too when TEST_DATABASE_URL is set.
 * Usage: npm run bench -- memory   [env BENCH_FEATURES, BENCH_CHECKOUTS]
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import type { Snapshot } from '../src/domain/snapshot';
import { bigSnapshot, FULL_QUERY } from './report.bench';

const FEATURES = Number(process.env.BENCH_FEATURES ?? 2000);
const CHECKOUTS = Number(process.env.BENCH_CHECKOUTS ?? 20000);
const BIN = path.resolve(__dirname, '../bin/licensegraph.js');

/** The snapshot written back as `lmutil lmstat -a` text. */
export function toLmstat(s: Snapshot): string {
  const host = s.hosts[0].host;
  const out: string[] = [
    'lmutil - Copyright (c) 1989-2024 Flexera. All Rights Reserved.',
    'Flexible License Manager status on Tue 1/20/2026 12:00',
    '',
    `License server status: 27000@${host}`,
    `    License file(s) on ${host}: /opt/flexlm/licenses/eda.lic:`,
    '',
    `${host}: license server UP (MASTER) v11.19.6`,
    '',
    `Vendor daemon status (on ${host}):`,
    '',
    '   snpslmd: UP v11.19.6',
    'Feature usage info:',
    '',
  ];
  for (const f of s.features) {
    out.push(`Users of ${f.name}:  (Total of ${f.issued} licenses issued;  Total of ${f.used} licenses in use)`, '');
    out.push(`  "${f.name}" v2023.12, vendor: snpslmd, expiry: 31-dec-2027`, '  floating license', '');
    for (const c of f.checkouts)
      out.push(
        `    ${c.username} ${c.hostname} ${c.display} (v2023.12) (${host}/27000 ${c.handle}), start ${c.startTime}`,
      );
    out.push('');
  }
  return out.join('\n') + '\n';
}

function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function startServer(
  dir: string,
  env: Record<string, string>,
): Promise<{ child: ChildProcess; url: string; token: string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: {
      ...process.env,
      PORT: '0',
      LOG_LEVEL: 'info',
      LICENSEGRAPH_DATA_DIR: path.join(dir, 'data'),
      LICENSEGRAPH_CONFIG: path.join(dir, 'servers.yaml'),
      LICENSEGRAPH_RATE_LIMIT_MAX: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d) => (out += d));
  child.stderr!.on('data', (d) => (err += d));
  const deadline = Date.now() + 120_000;
  while (Date.now() < deadline) {
    const m = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(out);
    const t = /(lg_[A-Za-z0-9_-]{43})/.exec(err);
    if (m && t) return { child, url: m[1], token: t[1] };
    if (child.exitCode !== null) throw new Error(`server exited: ${err.slice(-500)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error('server did not start');
}

async function measure(label: string, env: Record<string, string>): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-mem-'));
  fs.writeFileSync(path.join(dir, 'eda.txt'), toLmstat(bigSnapshot('eda', FEATURES, CHECKOUTS)));
  fs.writeFileSync(
    path.join(dir, 'servers.yaml'),
    `servers:\n  - id: eda\n    type: flexlm-file\n    path: ${path.join(dir, 'eda.txt')}\n    timeZone: UTC\n    pollIntervalSeconds: 60\n    maxAgeSeconds: 30\n`,
  );
  const { child, url, token } = await startServer(dir, env);
  try {
    const atStart = rssMb(child.pid!);
    const post = (query: string) =>
      fetch(`${url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query }),
      }).then((r) => r.text());
    let size = 0;
    for (let i = 0; i < 5; i++) size = (await post(FULL_QUERY)).length;
    const clients = Array.from({ length: 20 }, () =>
      createClient({
        url: url.replace(/^http/, 'ws') + '/graphql',
        webSocketImpl: WebSocket,
        connectionParams: { Authorization: `Bearer ${token}` },
        retryAttempts: 0,
      }),
    );
    const subs = clients.map((c, i) =>
      c.subscribe(
        {
          query:
            i % 2
              ? 'subscription { featureUsageChanged { feature } }'
              : 'subscription { checkoutEvents { type checkout { username } } }',
        },
        { next: () => undefined, error: () => undefined, complete: () => undefined },
      ),
    );
    await new Promise((r) => setTimeout(r, 3000));
    for (let i = 0; i < 5; i++) await post(FULL_QUERY);
    await new Promise((r) => setTimeout(r, 2000));
    const loaded = rssMb(child.pid!);
    subs.forEach((u) => u());
    await Promise.all(clients.map((c) => c.dispose()));
    console.log(
      `${label.padEnd(34)} RSS after start ${atStart.toFixed(0).padStart(5)} MB; with the ${FEATURES}-feature / ${CHECKOUTS}-checkout snapshot (${(size / 1e6).toFixed(1)} MB report) and 20 subscriptions: ${loaded.toFixed(0).padStart(5)} MB`,
    );
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => child.once('exit', r));
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  const fromDist = fs.existsSync(path.resolve(__dirname, '../dist/.buildstamp'));
  console.log(
    `server process: ${fromDist ? 'dist/ if up to date (npm run build), else ts-node' : 'ts-node (no build)'}; machine: ${os.cpus().length} cores`,
  );
  await measure('embedded PGlite', {});
  const pg = process.env.TEST_DATABASE_URL;
  if (pg) {
    const { Client } = await import('pg');
    const name = `lg_bench_mem_${process.pid}`;
    const admin = new Client({ connectionString: pg });
    await admin.connect();
    await admin.query(`CREATE DATABASE ${name}`);
    try {
      const u = new URL(pg);
      u.pathname = `/${name}`;
      await measure('PostgreSQL (DATABASE_URL)', { DATABASE_URL: u.toString() });
    } finally {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    }
  } else console.log('TEST_DATABASE_URL not set: PostgreSQL variant skipped');
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
