/**
 * Graceful shutdown of the real process: `node bin/licensegraph.js serve` on a free port with its own data dir,
 * a request that takes a while (a license server whose lmutil answers only when the test lets it), SIGTERM while
 * it runs: the request completes, new connections are refused, and the process exits 0.
 *
 * Order, not timing: once the test has put a hold file down, the stand-in lmutil writes a file when it starts and
 * waits for a gate file the test creates only once the shutdown has begun. The poller reads the server once at
 * start (then not for an hour) and a first request waits for that, so the held run is the in-flight request's
 * own: "SIGTERM arrives while the request is under way" holds on any machine.
 * Timeouts are generous (a process starting from the TypeScript sources on a loaded machine takes a while).
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURE = path.join(ROOT, 'test/fixtures/hand-made/flexlm/multi-server.txt');

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

function waitFor(proc: ChildProcess, read: () => string, re: RegExp, ms: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`timed out waiting for ${re}; output so far:\n${read()}`)), ms);
    const check = () => {
      const m = re.exec(read());
      if (m) done(null, m);
    };
    const onExit = (code: number | null) => done(new Error(`server exited (${code}) before ${re}:\n${read()}`));
    function done(err: Error | null, m?: RegExpExecArray) {
      clearTimeout(timer);
      proc.stdout!.off('data', check);
      proc.stderr!.off('data', check);
      proc.off('exit', onExit);
      if (err) reject(err);
      else resolve(m!);
    }
    proc.stdout!.on('data', check);
    proc.stderr!.on('data', check);
    proc.once('exit', onExit);
    check();
  });
}

describe('graceful shutdown on SIGTERM', () => {
  let dir: string;
  let proc: ChildProcess | null = null;

  beforeAll(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-shutdown-'));
  });
  afterAll(() => {
    if (proc && proc.exitCode === null) proc.kill('SIGKILL');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('an in-flight request completes, new connections are refused, the process exits 0', async () => {
    const lmutil = path.join(dir, 'lmutil-slow');
    const startedFile = path.join(dir, 'lmutil-started');
    const hold = path.join(dir, 'lmutil-hold');
    const gate = path.join(dir, 'lmutil-gate');
    // while the hold file exists, answers only once the gate exists (bounded: at most 60 s, so it never outlives
    // a failed test for long)
    fs.writeFileSync(
      lmutil,
      `#!/bin/sh\nif [ -e '${hold}' ]; then\n  : > '${startedFile}'\n  i=0\n  while [ ! -e '${gate}' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done\nfi\ncat '${FIXTURE}'\n`,
      { mode: 0o755 },
    );
    const configFile = path.join(dir, 'licensegraph.yaml');
    fs.writeFileSync(
      configFile,
      [
        'servers:',
        '  - id: slow',
        '    type: flexlm',
        '    address: 27000@lic1',
        `    binary: ${lmutil}`,
        '    timeZone: UTC',
        '    timeoutSeconds: 10',
        '    maxAgeSeconds: 0',
        '    pollIntervalSeconds: 3600',
        '',
      ].join('\n'),
    );
    const port = await freePort();
    let out = '';
    proc = spawn(process.execPath, [path.join(ROOT, 'bin/licensegraph.js'), 'serve'], {
      cwd: ROOT,
      env: {
        ...process.env,
        PORT: String(port),
        HOST: '127.0.0.1',
        LICENSEGRAPH_DATA_DIR: path.join(dir, 'data'),
        LICENSEGRAPH_CONFIG: configFile,
        LOG_LEVEL: 'info',
        DATABASE_URL: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
    proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      proc!.once('exit', (code, signal) => resolve({ code, signal })),
    );

    const token = (await waitFor(proc, () => out, /Its access token, shown only this once:\s+(\S+)/, 120_000))[1];
    await waitFor(proc, () => out, /licensegraph listening/, 60_000);
    const url = `http://127.0.0.1:${port}/graphql`;

    const report = () =>
      fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({
          query: '{ licenseReport { servers { id status } summaryByFeature { info { name used } } } }',
        }),
      });
    // the poller's read at start is over once a first request (which joins or follows it) has its answer
    expect((await report()).status).toBe(200);
    fs.writeFileSync(hold, '');
    const inflight = report();
    // the fetch (the stand-in lmutil) is under way when the signal arrives
    for (let i = 0; i < 6000 && !fs.existsSync(startedFile); i++) await new Promise((r) => setTimeout(r, 10));
    expect(fs.existsSync(startedFile)).toBe(true);
    proc.kill('SIGTERM');
    await waitFor(proc, () => out, /SIGTERM: shutting down/, 30_000);

    // new connections are refused while the in-flight request finishes
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();

    // only now may the license server answer
    fs.writeFileSync(gate, '');
    const res = await inflight;
    expect(res.status).toBe(200);
    const body = (await res.json()) as any;
    expect(body.errors).toBeUndefined();
    expect(body.data.licenseReport.servers).toEqual([{ id: 'slow', status: 'UP' }]);
    expect(body.data.licenseReport.summaryByFeature.map((f: { info: { name: string } }) => f.info.name)).toContain(
      'Virtuoso_Schematic',
    );

    const { code, signal } = await exited;
    expect({ code, signal }).toEqual({ code: 0, signal: null });
    proc = null;
  }, 240_000);
});
