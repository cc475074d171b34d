/**
 * Security issue, point 11: a start-up that cannot listen must exit. With PORT taken, `licensegraph serve` used
 * to print EADDRINUSE and hang for ever, holding the data-directory lock, so a corrected restart was refused.
 * Now it closes what it opened and exits non-zero within 2 s, and a second start on a free port with the same
 * data directory works.
 */
import * as fs from 'fs';
import * as net from 'net';
import * as os from 'os';
import * as path from 'path';
import { runCli, type CliProcess } from '../helpers/cli-process';

jest.setTimeout(120_000);

describe('serve on a port that is already taken', () => {
  let dataDir: string;
  let blocker: net.Server;
  let port: number;
  const procs: CliProcess[] = [];

  beforeAll(async () => {
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-sec-listen-'));
    blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    port = (blocker.address() as net.AddressInfo).port;
  });

  afterAll(async () => {
    for (const p of procs) p.kill();
    await new Promise<void>((resolve) => blocker.close(() => resolve()));
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('exits non-zero within 2 s of failing to listen, releasing the data directory for a corrected restart', async () => {
    const env = {
      PORT: String(port),
      HOST: '127.0.0.1',
      LICENSEGRAPH_DATA_DIR: dataDir,
      LOG_LEVEL: 'info',
      DATABASE_URL: '',
    };
    const first = runCli(['serve'], env);
    procs.push(first);
    // The admin token is printed on the first start just before listening: from there, the process must be gone fast.
    expect(await first.waitFor(() => first.stderr().includes('first start, created user "admin"'), 90_000)).toBe(true);
    const bootAt = Date.now();
    const exit = await first.waitExit(30_000);
    expect(exit).not.toBeNull(); // null: it hung and was killed
    expect(exit!.code).toBe(1);
    const exitMs = exit!.at - bootAt;
    console.log(`listen failure: exited ${exitMs} ms after the admin token was printed`);
    expect(exitMs).toBeLessThan(2000);
    expect(first.stderr()).toContain(`cannot listen on 127.0.0.1:${port}: port ${port} is already in use`);
    expect(fs.existsSync(path.join(dataDir, 'licensegraph.lock'))).toBe(false);

    // A corrected restart on a free port, same data directory: it starts, serves, and keeps its data.
    const second = runCli(['serve'], { ...env, PORT: '0' });
    procs.push(second);
    const listening = () => /"msg":"licensegraph listening"/.test(second.stdout());
    expect(await second.waitFor(listening, 90_000)).toBe(true);
    const url = /"url":"(http:\/\/[^"]+)\/graphql"/.exec(second.stdout())![1];
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    // Same cluster: no second "first start" admin.
    expect(second.stderr()).not.toContain('first start');
    second.child.kill('SIGTERM');
    const stopped = await second.waitExit(30_000);
    expect(stopped?.code).toBe(0);
  });
});
