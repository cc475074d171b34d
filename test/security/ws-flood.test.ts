/**
 * Security issue, point 2: one VIEWER token could stall the server over WebSocket (100 connections x 100
 * subscriptions: /healthz over 10 s, RSS 704 MB -> 1.2 GB). Now connections are capped per token and per address,
 * subscriptions per connection, WebSocket operations count against the token's rate limit, and /healthz keeps
 * answering during the attack.
 */
import { spawn } from 'child_process';
import * as path from 'path';
import { DEFAULT_HTTP_LIMITS } from '../../src/config/types';
import { startTestApp, type TestApp } from '../helpers/app';
import { openRawWs, until, type RawWs } from '../helpers/raw-ws';

jest.setTimeout(120_000);

const SUB = 'subscription { featureUsageChanged { feature } }';

async function healthProbe(url: string, stop: () => boolean): Promise<number[]> {
  const times: number[] = [];
  while (!stop()) {
    const t0 = performance.now();
    const res = await fetch(`${url}/healthz`);
    await res.text();
    times.push(performance.now() - t0);
    if (res.status !== 200) throw new Error(`/healthz answered ${res.status}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return times;
}

describe('one token flooding the WebSocket endpoint', () => {
  let t: TestApp;
  const sockets: RawWs[] = [];
  afterAll(async () => {
    for (const s of sockets) s.close();
    await t?.close();
  });

  it('100 connections x 100 subscriptions from another process: the caps hold and /healthz answers throughout', async () => {
    t = await startTestApp();
    const token = await t.tokenFor('VIEWER');
    const { wsMaxConnectionsPerToken: perToken, wsMaxSubscriptionsPerConnection: perConn } = DEFAULT_HTTP_LIMITS;
    // Warm: the process's first request and the simulator's first reading (it simulates up to now) are slow anyway.
    await (await fetch(`${t.url}/healthz`)).text();
    await t.app.services.snapshots.get('simulator');
    let done = false;
    const probe = healthProbe(t.url, () => done);
    const attacker = spawn(
      process.execPath,
      [path.join(__dirname, '../helpers/ws-attacker.js'), t.url, token, '100', '100'],
      { stdio: ['pipe', 'pipe', 'inherit'] },
    );
    let last: { settled: boolean; acked: number; closed4429: number; refused429: number; errors: number } | null = null;
    let buf = '';
    attacker.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      const lines = buf.split('\n');
      buf = lines.pop()!;
      if (lines.length) last = JSON.parse(lines[lines.length - 1]);
    });
    const bus = t.app.services.events.bus;
    let peak = 0;
    bus.on('subscribers', (n: number) => (peak = Math.max(peak, n)));
    try {
      // Each connection the token may hold gets its maxOps subscriptions, then, asking for as many again, is closed.
      const ok = await until(
        () => last !== null && last.settled && last.acked === 0 && bus.subscriberCount === 0 && peak > 0,
        60_000,
      );
      done = true;
      const times = await probe;
      expect(ok).toBe(true);
      const summary = last!;
      expect(peak).toBeLessThanOrEqual(perToken * perConn);
      // Every connection ends closed with 4429 (over the token cap, or flooding subscribes) or refused at the
      // upgrade (HTTP 429) while the address already held its maximum of open connections.
      expect(summary.closed4429 + summary.refused429).toBe(100);
      const sorted = [...times].sort((a, b) => a - b);
      const max = sorted[sorted.length - 1];
      const p90 = sorted[Math.floor(sorted.length * 0.9)];
      console.log(
        `ws flood: ${times.length} /healthz probes, median ${sorted[Math.floor(sorted.length / 2)].toFixed(1)} ms, p90 ${p90.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
      );
      // Unprotected, /healthz took over 10 s. The bounds leave room for a shared 2-core CI machine, where an idle
      // server already sees a few hundred ms now and then.
      expect(times.length).toBeGreaterThan(5);
      expect(p90).toBeLessThan(1000);
      expect(max).toBeLessThan(5000);
    } finally {
      done = true;
      attacker.stdin!.end();
      attacker.kill('SIGKILL');
    }
  });

  it('connections per address are capped at the upgrade, whatever the tokens', async () => {
    const capped = await startTestApp({ config: { httpLimits: { wsMaxConnectionsPerAddress: 4 } } });
    try {
      const conns: RawWs[] = [];
      for (let i = 0; i < 6; i++) conns.push(await openRawWs(capped.url, await capped.tokenFor('VIEWER')));
      sockets.push(...conns);
      expect(conns.map((c) => (c.acked ? 'ok' : c.refusedStatus))).toEqual(['ok', 'ok', 'ok', 'ok', 429, 429]);
      conns[0].close();
      expect(await until(() => conns[0].closed !== undefined, 5000)).toBe(true);
      // A slot freed: the next connection gets in (once the server has seen the close).
      let again: RawWs | null = null;
      const deadline = Date.now() + 10_000;
      while (Date.now() < deadline) {
        again = await openRawWs(capped.url, capped.adminToken);
        if (again.acked) break;
        await until(() => false, 20);
      }
      expect(again?.acked).toBe(true);
      sockets.push(again!);
    } finally {
      await capped.close();
    }
  });

  it('WebSocket operations draw on the token rate limit shared with HTTP', async () => {
    const small = await startTestApp({ config: { httpLimits: { rateLimitMax: 12, rateLimitWindowSeconds: 60 } } });
    try {
      const token = await small.tokenFor('VIEWER');
      const c = await openRawWs(small.url, token); // connection_init: 1
      sockets.push(c);
      expect(c.acked).toBe(true);
      for (let j = 0; j < 15; j++) c.subscribe(`r${j}`, SUB); // 11 more fit the budget of 12
      const bus = small.app.services.events.bus;
      expect(await until(() => bus.subscriberCount + c.errors.size === 15, 20_000)).toBe(true);
      expect(bus.subscriberCount).toBe(11);
      const limited = [...c.errors.values()].map((e) => e[0].extensions?.code);
      expect(limited).toEqual(['RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED', 'RATE_LIMITED']);
      // The same budget over HTTP: the token is spent.
      const res = await small.get('/api/licenses/report', token);
      expect(res.status).toBe(429);
    } finally {
      await small.close();
    }
  });
});
