'use strict';
/**
 * The WebSocket flood of the security issue (point 2), run by hand against a real server process:
 *
 *   node bench/ws-attack.js [ROOT]        (ROOT: the licensegraph checkout to start; default this one)
 *
 * Starts `licensegraph serve` on a free port with a new data directory, makes a VIEWER token, then from this
 * process opens 100 connections x 100 subscriptions with it while /healthz is probed every 50 ms. Prints the
 * /healthz latencies (median, p90, max, probes over 1 s), the server's RSS before and at its peak (from /proc),
 * and what the attack got (connections acked, subscriptions accepted).
 */
const { spawn } = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');
const WebSocket = require(require.resolve('ws', { paths: [path.join(__dirname, '..')] }));

const root = path.resolve(process.argv[2] || path.join(__dirname, '..'));
const CONNS = 100;
const SUBS = 100;
const ATTACK_MS = 20_000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const rssMb = (pid) => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))[1]) / 1024;

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-ws-attack-'));
  const server = spawn(process.execPath, [path.join(root, 'bin/licensegraph.js'), 'serve'], {
    cwd: root,
    env: {
      ...process.env,
      PORT: '0',
      LICENSEGRAPH_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      LICENSEGRAPH_FROM_SOURCE: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  server.stdout.on('data', (d) => (out += d));
  server.stderr.on('data', (d) => (err += d));
  try {
    while (!/"url":"(http:[^"]+)\/graphql"/.test(out)) {
      if (server.exitCode !== null) throw new Error(`server exited: ${err}`);
      await sleep(100);
    }
    const url = /"url":"(http:[^"]+)\/graphql"/.exec(out)[1];
    const admin = /\n\s+(lg_\S+)\n/.exec(err)[1];
    const gql = async (query, token) =>
      (
        await fetch(`${url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
          body: JSON.stringify({ query }),
        })
      ).json();
    await gql('mutation { createUser(username: "attacker", role: VIEWER) { id } }', admin);
    const token = (await gql('mutation { createAccessToken(username: "attacker") { token } }', admin)).data
      .createAccessToken.token;
    await fetch(`${url}/api/licenses/report`, { headers: { authorization: `Bearer ${admin}` } }); // warm the simulator
    await sleep(1000);
    const rssBefore = rssMb(server.pid);
    let rssPeak = rssBefore;
    const times = [];
    let stop = false;
    const probe = (async () => {
      while (!stop) {
        const t0 = performance.now();
        try {
          await (await fetch(`${url}/healthz`, { signal: AbortSignal.timeout(30_000) })).text();
        } catch {
          /* counted as its time */
        }
        times.push(performance.now() - t0);
        rssPeak = Math.max(rssPeak, rssMb(server.pid));
        await sleep(50);
      }
    })();
    const conns = [];
    for (let i = 0; i < CONNS; i++) {
      const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/graphql`, 'graphql-transport-ws');
      const c = { acked: false, errors: 0, code: 0, refused: 0 };
      conns.push({ ws, c });
      ws.on('unexpected-response', (_q, res) => ((c.refused = res.statusCode), ws.terminate()));
      ws.on('open', () =>
        ws.send(JSON.stringify({ type: 'connection_init', payload: { Authorization: `Bearer ${token}` } })),
      );
      ws.on('message', (d) => {
        const m = JSON.parse(String(d));
        if (m.type === 'connection_ack') {
          c.acked = true;
          for (let j = 0; j < SUBS; j++)
            ws.send(
              JSON.stringify({
                id: `s${j}`,
                type: 'subscribe',
                payload: { query: 'subscription { featureUsageChanged { feature } }' },
              }),
            );
        } else if (m.type === 'error') c.errors++;
      });
      ws.on('close', (code) => (c.code = code));
      ws.on('error', () => undefined);
    }
    await sleep(ATTACK_MS);
    const metrics = await (await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${admin}` } })).text();
    stop = true;
    await probe;
    const sorted = [...times].sort((a, b) => a - b);
    const acked = conns.filter(({ c }) => c.acked);
    console.log(
      JSON.stringify(
        {
          root,
          healthz: {
            probes: times.length,
            medianMs: Math.round(sorted[sorted.length >> 1]),
            p90Ms: Math.round(sorted[Math.floor(sorted.length * 0.9)]),
            maxMs: Math.round(sorted[sorted.length - 1]),
            over1s: times.filter((t) => t > 1000).length,
          },
          rssMb: { before: Math.round(rssBefore), peak: Math.round(rssPeak) },
          connections: {
            acked: acked.length,
            stillOpen: acked.filter(({ c }) => !c.code).length,
            refused429: conns.filter(({ c }) => c.refused === 429).length,
            closeCodes: [...new Set(conns.map(({ c }) => c.code))],
          },
          subscriptionErrors: acked.reduce((n, { c }) => n + c.errors, 0),
          wsConnectionsGauge: (/^licensegraph_ws_connections\S*\s+(\d+)/m.exec(metrics) || [])[1],
        },
        null,
        1,
      ),
    );
    for (const { ws } of conns) ws.terminate();
  } finally {
    server.kill('SIGKILL');
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
