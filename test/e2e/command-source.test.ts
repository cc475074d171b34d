/**
 * Spawning sources end to end: the real server (port 0, real in-memory store) with flexlm/rlm servers whose
 * `binary` is a stand-in script (test/helpers/fake-lmutil), asserted over HTTP GraphQL. Also: file sources,
 * one process per source however many fetch at once, aborts, and nothing left running afterwards.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { ServerConfig } from '../../src/config/types';
import { FileSource } from '../../src/sources/file/file.source';
import { FlexlmSource } from '../../src/sources/flexlm/flexlm.source';
import { runningGroups } from '../../src/sources/command/run';
import { SourceError } from '../../src/sources/source';
import { SourceReportDocument } from '../generated/graphql';
import { serverConfig, startTestApp, type TestApp } from '../helpers/app';
import { FIXTURES_DIR } from '../helpers/fixtures';

const FAKE = path.resolve(__dirname, '../helpers/fake-lmutil');
const STATE = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-fake-lmutil-'));
process.env.FAKE_LMUTIL_STATE = STATE;

function flexlm(id: string, script: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  return serverConfig(id, {
    type: 'flexlm',
    address: `27000@${id}.example.com`,
    binary: path.join(FAKE, script),
    timeZone: 'UTC',
    timeoutSeconds: 0.6,
    maxAgeSeconds: 0,
    maxOutputBytes: 1024 * 1024,
    ...extra,
  });
}

function readPid(name: string): number {
  return Number(fs.readFileSync(path.join(STATE, name), 'utf8').trim());
}

/** kill(pid, 0) fails with ESRCH: no such process. */
function noSuchProcess(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/**
 * Not running: gone, or a zombie. A grandchild (the stand-in's `sleep`) is re-parented to PID 1 when its group is
 * killed; where PID 1 does not reap orphans (minimal VM/container inits) it stays a zombie: dead, holding nothing.
 */
function notRunning(pid: number): boolean {
  if (noSuchProcess(pid)) return true;
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2).charAt(0);
    return state === 'Z' || state === 'X';
  } catch {
    return true;
  }
}

/** A bounded polling loop for what real processes make true (generous: a bound on a hang, not a latency). */
async function waitFor(cond: () => boolean, ms = 15_000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return cond();
}

const abortAfter = (ms: number) => {
  const ac = new AbortController();
  setTimeout(() => ac.abort(new Error('test abort')), ms).unref();
  return ac.signal;
};

afterAll(() => {
  fs.rmSync(STATE, { recursive: true, force: true });
});

describe('flexlm and rlm sources over GraphQL', () => {
  let t: TestApp;
  let captureFile: string;
  beforeAll(async () => {
    captureFile = path.join(STATE, 'capture.txt');
    fs.copyFileSync(path.join(FIXTURES_DIR, 'lmstat/mjtrangoni__flexlm_exporter__lmstat_app3.txt'), captureFile);
    t = await startTestApp({
      servers: [
        flexlm('app3', 'lmutil-app3'),
        flexlm('down', 'lmutil-down'),
        flexlm('fail', 'lmutil-fail'),
        flexlm('hang', 'lmutil-hang'),
        flexlm('flaky', 'lmutil-flaky'),
        flexlm('garbage', 'lmutil-garbage'),
        flexlm('huge', 'lmutil-huge', { maxOutputBytes: 64 * 1024, timeoutSeconds: 5 }),
        flexlm('missing', 'no-such-lmutil'),
        flexlm('converge', 'rlmutil-converge', { type: 'rlm', address: '5053@licserv.example.com' }),
        serverConfig('capture', { type: 'flexlm-file', path: captureFile, timeZone: 'UTC', maxAgeSeconds: 0 }),
        serverConfig('nofile', { type: 'rlm-file', path: path.join(STATE, 'nope', 'rlmstat.txt'), maxAgeSeconds: 0 }),
      ],
    });
  });
  afterAll(() => t.close());

  const report = async (server: string) => {
    const res = await t.gql(SourceReportDocument, { server });
    expect(res.errors).toBeUndefined();
    const r = res.data!.licenseReport;
    return { r, s: r.servers[0], feature: (name: string) => r.summaryByFeature.find((f) => f.info.name === name) };
  };

  test('lmutil output: UP with the fixture numbers, and the process is gone', async () => {
    const { s, feature, r } = await report('app3');
    expect(s).toMatchObject({ id: 'app3', type: 'FLEXLM', status: 'UP', stale: false, error: null });
    expect(feature('feature7')!.info).toEqual({ name: 'feature7', issued: 600, used: 163, free: 437 });
    expect(feature('feature9')!.info).toEqual({ name: 'feature9', issued: 100, used: 39, free: 61 });
    expect(r.summaryByFeature).toHaveLength(46);
    expect(feature('feature7')!.checkouts.length).toBeGreaterThan(0);
    expect(noSuchProcess(readPid('lmutil-app3.pid'))).toBe(true);
    expect(runningGroups()).toEqual([]);
  });

  test('rlmutil output: converge_super 1000 issued, 93 in use', async () => {
    const { s, feature } = await report('converge');
    expect(s).toMatchObject({ type: 'RLM', status: 'UP', version: 'v12.2' });
    expect(feature('converge_super')!.info).toEqual({ name: 'converge_super', issued: 1000, used: 93, free: 907 });
    expect(feature('converge_super')!.valid).toBe(true);
    expect(feature('converge_gui')!.info).toEqual({ name: 'converge_gui', issued: 45, used: 0, free: 45 });
  });

  test('non-zero exit with status text: DOWN with the parser reason, the exit code and stderr', async () => {
    const { s, r } = await report('down');
    expect(s.status).toBe('DOWN');
    expect(s.error).toContain('Cannot connect to license server system. (-15,10:111 "Connection refused")');
    expect(s.error).toContain('exit code 1');
    expect(s.error).toContain('lmgrd is not running on 27000@down.example.com');
    expect(r.valid).toBe(false);
    expect(r.summaryByFeature).toEqual([]);
  });

  test('non-zero exit and no status at all: DOWN with the exit code and stderr first line', async () => {
    const { s } = await report('fail');
    expect(s.status).toBe('DOWN');
    expect(s.error).toBe(
      'lmutil-fail exit code 3: lmutil: cannot find license file for 27000@fail.example.com (-1,359:2 "No such file or directory")',
    );
  });

  test('a hang: DOWN with a timeout reason; the stand-in and the child it started are gone', async () => {
    const { s } = await report('hang');
    expect(s.status).toBe('DOWN');
    expect(s.error).toMatch(/timed out after 0\.6 s/);
    const pid = readPid('lmutil-hang.pid');
    const child = readPid('lmutil-hang-child.pid');
    expect(await waitFor(() => noSuchProcess(pid))).toBe(true);
    expect(await waitFor(() => notRunning(child))).toBe(true);
    expect(await waitFor(() => runningGroups().length === 0)).toBe(true);
  });

  test('a hang after a good read: the last good data, stale, with the timeout reason', async () => {
    const good = await report('flaky');
    expect(good.s).toMatchObject({ status: 'UP', stale: false });
    fs.writeFileSync(path.join(STATE, 'flaky-hang'), '');
    try {
      const { s, r, feature } = await report('flaky');
      expect(s).toMatchObject({ status: 'UP', stale: true, valid: false });
      expect(s.error).toMatch(/timed out/);
      expect(r.stale).toBe(true);
      expect(s.issues.find((i) => i.code === 'SOURCE_UNAVAILABLE')!.message).toMatch(/timed out/);
      expect(feature('feature7')!.info).toEqual({ name: 'feature7', issued: 600, used: 163, free: 437 });
      expect(await waitFor(() => noSuchProcess(readPid('lmutil-flaky.pid')))).toBe(true);
      expect(await waitFor(() => notRunning(readPid('lmutil-flaky-child.pid')))).toBe(true);
    } finally {
      fs.rmSync(path.join(STATE, 'flaky-hang'));
    }
  });

  test('garbage on stdout: UNKNOWN and invalid with warnings, never zeros', async () => {
    const { s, r } = await report('garbage');
    expect(s.status).toBe('UNKNOWN');
    expect(s.valid).toBe(false);
    expect(s.error).toMatch(/no lmstat status output/);
    expect(s.warnings.length).toBeGreaterThan(0);
    expect(s.issues.map((i) => i.code)).toContain('SERVER_UNKNOWN');
    expect(r.summaryByFeature).toEqual([]);
    expect(r.valid).toBe(false);
  });

  test('output without end: capped at maxOutputBytes with TOO_LARGE, the process killed', async () => {
    const { s } = await report('huge');
    expect(s.status).toBe('DOWN');
    expect(s.error).toBe('lmutil-huge printed more than maxOutputBytes (65536 bytes); killed it');
    expect(await waitFor(() => noSuchProcess(readPid('lmutil-huge.pid')))).toBe(true);
  });

  test('a binary that does not exist: DOWN saying so', async () => {
    const { s } = await report('missing');
    expect(s.status).toBe('DOWN');
    expect(s.error).toBe(`cannot run ${path.join(FAKE, 'no-such-lmutil')}: no such file`);
  });

  test('flexlm-file: re-read at each fetch', async () => {
    const first = await report('capture');
    expect(first.s).toMatchObject({ type: 'FLEXLM_FILE', status: 'UP' });
    expect(first.feature('feature7')!.info).toEqual({ name: 'feature7', issued: 600, used: 163, free: 437 });
    fs.writeFileSync(
      captureFile,
      fs
        .readFileSync(captureFile, 'utf8')
        .replace(
          'Users of feature7:  (Total of 600 licenses issued',
          'Users of feature7:  (Total of 700 licenses issued',
        ),
    );
    const second = await report('capture');
    expect(second.feature('feature7')!.info).toEqual({ name: 'feature7', issued: 700, used: 163, free: 537 });
  });

  test('rlm-file: a missing file is DOWN with the path and errno', async () => {
    const { s } = await report('nofile');
    expect(s.status).toBe('DOWN');
    expect(s.error).toBe(
      `cannot read ${path.join(STATE, 'nope', 'rlmstat.txt')}: ENOENT: no such file or directory, open '${path.join(STATE, 'nope', 'rlmstat.txt')}'`,
    );
  });
});

describe('one process per source, aborts', () => {
  const slow = () => new FlexlmSource(flexlm('slow', 'lmutil-slow', { timeoutSeconds: 5 }));
  const runsOf = (name: string) =>
    fs.existsSync(path.join(STATE, 'runs.log'))
      ? fs
          .readFileSync(path.join(STATE, 'runs.log'), 'utf8')
          .split('\n')
          .filter((l) => l.startsWith(`${name} `)).length
      : 0;

  test('overlapping fetches join the run in flight; the next fetch starts a new one', async () => {
    const src = slow();
    const before = runsOf('lmutil-slow');
    const [a, b, c] = await Promise.all([
      src.fetch(new AbortController().signal),
      src.fetch(new AbortController().signal),
      src.fetch(new AbortController().signal),
    ]);
    expect(a).toBe(b);
    expect(b).toBe(c);
    expect(a.features.find((f) => f.name === 'feature7')).toMatchObject({ issued: 600, used: 163 });
    expect(src.runs).toBe(1);
    expect(runsOf('lmutil-slow') - before).toBe(1);
    await src.fetch(new AbortController().signal);
    expect(src.runs).toBe(2);
  });

  test('one caller aborting does not kill a run others still wait for', async () => {
    const src = slow();
    const ac = new AbortController();
    const first = src.fetch(ac.signal);
    const second = src.fetch(new AbortController().signal);
    ac.abort();
    await expect(first).rejects.toMatchObject({ reason: 'ABORTED' });
    const snap = await second;
    expect(snap.status).toBe('UP');
    expect(src.runs).toBe(1);
  });

  test('abort kills the whole process group at once', async () => {
    const src = new FlexlmSource(flexlm('hang2', 'lmutil-hang', { timeoutSeconds: 30 }));
    const pidFile = path.join(STATE, 'lmutil-hang-child.pid');
    fs.rmSync(pidFile, { force: true });
    const ac = new AbortController();
    const p = src.fetch(ac.signal);
    expect(await waitFor(() => fs.existsSync(pidFile) && fs.readFileSync(pidFile, 'utf8').trim() !== '')).toBe(true);
    ac.abort(new Error('client went away'));
    // ABORTED, not its 30 s TIMEOUT, and the stand-in already gone when the fetch rejects: "at once" as an order
    await expect(p).rejects.toBeInstanceOf(SourceError);
    await expect(p).rejects.toMatchObject({ reason: 'ABORTED' });
    expect(noSuchProcess(readPid('lmutil-hang.pid'))).toBe(true);
    expect(await waitFor(() => notRunning(readPid('lmutil-hang-child.pid')))).toBe(true);
    expect(runningGroups()).toEqual([]);
  });

  test('the source enforces its own timeout too (no caller signal needed)', async () => {
    const src = new FlexlmSource(flexlm('hang3', 'lmutil-hang', { timeoutSeconds: 0.3 }));
    await expect(src.fetch(new AbortController().signal)).rejects.toMatchObject({
      reason: 'TIMEOUT',
      message: expect.stringMatching(/lmutil-hang timed out after 0\.3 s; killed process group \d+/),
    });
    expect(noSuchProcess(readPid('lmutil-hang.pid'))).toBe(true);
  });

  test('no binary configured and none on PATH: a clear reason', async () => {
    const config = flexlm('nopath', 'x');
    delete config.binary;
    const src = new FlexlmSource(config, { envPath: path.join(STATE, 'empty-bin') });
    await expect(src.fetch(abortAfter(5000))).rejects.toMatchObject({
      reason: 'SPAWN',
      message:
        'lmutil not found on PATH; set servers[].binary (the full path to lmutil) for server "nopath" in the config',
    });
  });

  test('a file source caps what it reads', async () => {
    const file = path.join(STATE, 'big.txt');
    fs.writeFileSync(file, 'x'.repeat(5000));
    const src = new FileSource(serverConfig('big', { type: 'flexlm-file', path: file, maxOutputBytes: 4096 }));
    await expect(src.fetch(abortAfter(5000))).rejects.toMatchObject({
      reason: 'TOO_LARGE',
      message: `${file} is 5000 bytes, more than maxOutputBytes (4096 bytes)`,
    });
    await expect(
      new FileSource(serverConfig('dir', { type: 'rlm-file', path: STATE })).fetch(abortAfter(5000)),
    ).rejects.toMatchObject({ reason: 'IO', message: `cannot read ${STATE}: EISDIR: it is a directory` });
  });
});
