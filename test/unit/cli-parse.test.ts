/**
 * `licensegraph parse`: the real CLI spawned on real fixtures (numbers from MANIFEST.tsv) and on bad input
 * (exit 2 with a message), plus format detection and the output shape in-process.
 */
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { detectFormat, runParse, type ParseIo } from '../../src/cli/parse.command';
import { CliError } from '../../src/cli/errors';
import type { LicenseSummary } from '../../src/sources/json/map';
import { FIXTURES_DIR, loadManifest, readFixture } from '../helpers/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/licensegraph.js');
const APP3 = 'lmstat/mjtrangoni__flexlm_exporter__lmstat_app3.txt';
const RLM = 'rlmstat/omnivector-solutions__license-manager__conftest_rlm_output.txt';
const LMSTAT_I = 'lmstat/mjtrangoni__flexlm_exporter__lmstat_i_app1.txt';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-cli-parse-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [BIN, 'parse', ...args], { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TZ: 'UTC' } }, (err, stdout, stderr) => {
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
    });
    if (input !== undefined) child.stdin!.end(input);
    else child.stdin!.end();
  });
}

function counts(name: string, file: string): { issued: number; used: number } {
  const row = loadManifest().find((r) => r.file === file)!;
  const f = row.features.find((x) => x.name === name || x.name.split(' ')[0] === name)!;
  if (f.kind !== 'counts') throw new Error(`${name} has no counts in the manifest`);
  return { issued: f.issued, used: f.used };
}

describe('spawned: node bin/licensegraph.js parse', () => {
  const runs: Record<string, Run> = {};
  beforeAll(async () => {
    const jobs: Record<string, Promise<Run>> = {
      app3: cli([path.join(FIXTURES_DIR, APP3), '--time-zone', 'UTC', '--now', '2017-10-21T00:00:00Z']),
      rlmStdin: cli(['-', '--server-id', 'cfd'], readFixture(RLM)),
      missing: cli([path.join(tmp, 'no-such.txt')]),
      directory: cli([tmp]),
      badFormat: cli(['--format', 'xml', path.join(FIXTURES_DIR, APP3)]),
    };
    const names = Object.keys(jobs);
    const done = await Promise.all(Object.values(jobs));
    names.forEach((n, i) => (runs[n] = done[i]));
  }, 240_000); // five CLI processes at once (from the TypeScript sources when dist/ is stale): slow on a loaded machine

  test('an lmstat -a fixture: the manifest numbers, the detected format on stderr, exit 0', () => {
    const r = runs.app3;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(`licensegraph parse: reading ${path.join(FIXTURES_DIR, APP3)} as lmstat (lmstat -a lines (License server status / Users of ...)); use --format to choose\n`);
    const out = JSON.parse(r.stdout) as LicenseSummary;
    const info = (name: string) => out.summaryByFeature.find((f) => f.info.name === name)!.info;
    for (const name of ['feature7', 'feature9', 'feature12']) {
      const m = counts(name, APP3);
      expect(info(name)).toEqual({ name, issued: m.issued, used: m.used, free: m.issued - m.used });
    }
    expect(info('feature7')).toEqual({ name: 'feature7', issued: 600, used: 163, free: 437 });
    expect(out.summaryByFeature).toHaveLength(loadManifest().find((x) => x.file === APP3)!.features.length);
    expect(out.server).toMatchObject({ id: 'cli', status: 'UP' });
    const c = out.summaryByFeature.find((f) => f.info.name === 'feature5')!.checkouts[0];
    expect(c).toEqual({
      username: 'USER1',
      hostname: 'SERVER60036',
      startTime: 'Fri 10/20 14:12',
      serverInfo: 'host1/1999 27843',
      display: 'SERVER078011',
      version: 'v2017.06',
      handle: '27843',
      count: 1,
      startedAt: '2017-10-20T14:12:00.000Z',
    });
    expect(typeof out.valid).toBe('boolean');
    expect(out.summaryByFeature.every((f) => Array.isArray(f.issues) && typeof f.valid === 'boolean')).toBe(true);
  });

  test('rlmstat on stdin: converge_super as the manifest says', () => {
    const r = runs.rlmStdin;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^licensegraph parse: reading stdin as rlmstat /);
    const out = JSON.parse(r.stdout) as LicenseSummary;
    const m = counts('converge_super', RLM);
    expect(m).toEqual({ issued: 1000, used: 93 });
    const f = out.summaryByFeature.find((x) => x.info.name === 'converge_super')!;
    expect(f.info).toEqual({ name: 'converge_super', issued: m.issued, used: m.used, free: 907 });
    expect(f.checkouts.reduce((n, c) => n + (c.count ?? 1), 0)).toBe(93);
    expect(f.valid).toBe(true);
    expect(out.server).toMatchObject({ id: 'cfd', status: 'UP', version: 'v12.2' });
    expect(out.server!.vendorDaemons.map((d) => d.name)).toEqual(['csci']);
  });

  test('unreadable input and invalid options: exit 2 with one clear line', () => {
    expect(runs.missing).toEqual({ code: 2, stdout: '', stderr: `licensegraph: cannot read ${path.join(tmp, 'no-such.txt')}: no such file\n` });
    expect(runs.directory).toEqual({ code: 2, stdout: '', stderr: `licensegraph: cannot read ${tmp}: it is a directory\n` });
    expect(runs.badFormat).toEqual({ code: 2, stdout: '', stderr: 'licensegraph: --format must be one of lmstat, lmstat-i, rlmstat, json (got "xml")\n' });
  });
});

describe('in-process', () => {
  function io(stdin = '', tty = false) {
    const out: string[] = [];
    const err: string[] = [];
    const x: ParseIo = { readStdin: async () => stdin, stdinIsTTY: tty, stdout: (t) => out.push(t), stderr: (t) => err.push(t) };
    return { io: x, out: () => out.join(''), err: () => err.join('') };
  }

  test('detectFormat recognises every fixture kind of the manifest', () => {
    const expected: Record<string, string> = { 'lmstat-a': 'lmstat', 'lmstat-i': 'lmstat-i', rlmstat: 'rlmstat', 'lmstat-v': 'lmstat' };
    for (const row of loadManifest().filter((r) => expected[r.kind])) {
      expect([row.file, detectFormat(readFixture(row.file)).format]).toEqual([row.file, expected[row.kind]]);
    }
    expect(detectFormat('  {"summaryByFeature": []}')).toEqual({ format: 'json', why: 'the input starts with a JSON object' });
    expect(detectFormat('hello')).toEqual({ format: 'lmstat', why: "nothing recognisable; reading it as lmstat -a" });
  });

  test('lmstat -i is detected: issued per feature, usage unknown', async () => {
    const t = io();
    expect(await runParse(path.join(FIXTURES_DIR, LMSTAT_I), {}, t.io)).toBe(0);
    expect(t.err()).toMatch(/as lmstat-i \(an lmstat -i "Feature Version #licenses" table header\)/);
    const out = JSON.parse(t.out()) as LicenseSummary;
    expect(out.summaryByFeature.find((f) => f.info.name === 'feature7')!.info).toEqual({ name: 'feature7', issued: 600, used: null, free: null });
    expect(out.summaryByFeature.find((f) => f.info.name === 'feature12')!.info.issued).toBe(52); // listed twice: 50 + 2
    expect(out.server!.status).toBe('UNKNOWN');
    expect(out.valid).toBe(false);
  });

  test('invalid --now and --time-zone: exit 2 naming the option', async () => {
    const file = path.join(FIXTURES_DIR, APP3);
    await expect(runParse(file, { now: 'yesterday' }, io().io)).rejects.toEqual(new CliError('--now must be an ISO date-time such as 2026-01-20T12:00:00Z (got "yesterday")', 2));
    await expect(runParse(file, { timeZone: 'Mars/Base' }, io().io)).rejects.toEqual(new CliError('--time-zone must be an IANA time zone such as Europe/Berlin (got "Mars/Base")', 2));
    await expect(runParse(file, { serverId: ' ' }, io().io)).rejects.toEqual(new CliError('--server-id must not be empty', 2));
  });

  test('JSON in, the same JSON (plus the extra fields) out', async () => {
    const doc = {
      summaryByFeature: [
        {
          info: { name: 'FTX_DEVELOPER', issued: 100, used: 1, free: 99 },
          checkouts: [{ username: 'john.doe', hostname: 'workstation-123', startTime: 'Mon 1/20 10:30', serverInfo: 'license02.foretellix.local/30001 48856' }],
          valid: true,
        },
      ],
      valid: true,
    };
    const t = io(JSON.stringify(doc));
    expect(await runParse('-', { now: '2025-01-21T00:00:00Z', timeZone: 'UTC' }, t.io)).toBe(0);
    const out = JSON.parse(t.out()) as LicenseSummary;
    expect(out.summaryByFeature[0]).toEqual({
      info: { name: 'FTX_DEVELOPER', issued: 100, used: 1, free: 99 },
      checkouts: [
        {
          username: 'john.doe',
          hostname: 'workstation-123',
          startTime: 'Mon 1/20 10:30',
          serverInfo: 'license02.foretellix.local/30001 48856',
          display: null,
          version: null,
          handle: '48856',
          count: 1,
          startedAt: '2025-01-20T10:30:00.000Z',
        },
      ],
      valid: true,
      issues: [],
      uncounted: false,
    });
    expect(out).toMatchObject({ valid: true, issues: [], warnings: [], server: { id: 'cli', type: 'json', status: 'UP' } });
    expect(t.err()).toMatch(/reading stdin as json/);
  });

  test('--format wins over detection and is not announced; invalid counts are reported, not hidden', async () => {
    const text = 'Users of F:  (Total of 2 licenses issued;  Total of 5 licenses in use)\n';
    const t = io(text);
    expect(await runParse(undefined, { format: 'lmstat' }, t.io)).toBe(0);
    expect(t.err()).toBe('');
    const out = JSON.parse(t.out()) as LicenseSummary;
    expect(out.summaryByFeature[0].info).toEqual({ name: 'F', issued: 2, used: 5, free: -3 });
    expect(out.summaryByFeature[0].valid).toBe(false);
    expect(out.summaryByFeature[0].issues!.map((i) => i.code)).toEqual(expect.arrayContaining(['FREE_MISMATCH', 'CHECKOUTS_MISMATCH']));
  });

  test('a DOWN server is a report (exit 0), JSON that is not a LicenseSummary is exit 2', async () => {
    const down = io(readFixture('rlmstat/omnivector-solutions__license-manager__conftest_rlm_output_bad.txt'));
    expect(await runParse('-', {}, down.io)).toBe(0);
    expect(JSON.parse(down.out())).toMatchObject({ valid: false, summaryByFeature: [], server: { status: 'DOWN' } });
    const bad = io('{"summaryByFeature": [{"info": {"name": "A", "issued": "x", "used": 1}}]}');
    await expect(runParse('-', {}, bad.io)).rejects.toEqual(new CliError('stdin is not a LicenseSummary: summaryByFeature[0].info.issued must be a number (got the string "x")', 2));
    await expect(runParse('-', { format: 'json' }, io('{oops').io)).rejects.toMatchObject({ exitCode: 2, message: expect.stringMatching(/^stdin is not valid JSON: /) });
  });

  test('no FILE and a terminal on stdin: exit 2 rather than waiting', async () => {
    await expect(runParse(undefined, {}, io('', true).io)).rejects.toEqual(new CliError('no input: give a FILE, or "-" and pipe the output into stdin', 2));
  });
});
