/**
 * `licensegraph parse`: the real CLI spawned on real fixtures (numbers from MANIFEST.tsv) and on bad input
 * (exit 2 with a message), plus format detection and the output shape in-process.
 */
import type { LmstatIOutput } from '../../src/cli/parse.command';
import { execFile } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { detectFormat, runParse, type ParseIo } from '../../src/cli/parse.command';
import { CliError } from '../../src/cli/errors';
import type { LicenseSummary } from '../../src/sources/json/map';
import type { DebugLogResult } from '../../src/sources/flexlm/debuglog';
import { FIXTURES_DIR, loadManifest, readFixture } from '../helpers/fixtures';

const ROOT = path.resolve(__dirname, '../..');
const BIN = path.join(ROOT, 'bin/licensegraph.js');
const APP3 = 'lmstat/mjtrangoni__flexlm_exporter__lmstat_app3.txt';
const RLM = 'rlmstat/omnivector-solutions__license-manager__conftest_rlm_output.txt';
const LMSTAT_I = 'lmstat/mjtrangoni__flexlm_exporter__lmstat_i_app1.txt';
const DEBUGLOG = 'debuglog/ImSukh__FlexLM-Log-Parser__debug.log.txt';
const HAND_LOG = 'hand-made/flexlm-log/cdslmd-midnight.log';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-cli-parse-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, 'parse', ...args],
      { cwd: ROOT, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, TZ: 'UTC' } },
      (err, stdout, stderr) => {
        resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
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
      debugLog: cli([path.join(FIXTURES_DIR, DEBUGLOG), '--time-zone', 'America/New_York']),
    };
    const names = Object.keys(jobs);
    const done = await Promise.all(Object.values(jobs));
    names.forEach((n, i) => (runs[n] = done[i]));
  }, 240_000); // five CLI processes at once (from the TypeScript sources when dist/ is stale): slow on a loaded machine

  test('an lmstat -a fixture: the manifest numbers, the detected format on stderr, exit 0', () => {
    const r = runs.app3;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `licensegraph parse: reading ${path.join(FIXTURES_DIR, APP3)} as lmstat (lmstat -a lines (License server status / Users of ...)); use --format to choose\n`,
    );
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
    expect(runs.missing).toEqual({
      code: 2,
      stdout: '',
      stderr: `licensegraph: cannot read ${path.join(tmp, 'no-such.txt')}: no such file\n`,
    });
    expect(runs.directory).toEqual({
      code: 2,
      stdout: '',
      stderr: `licensegraph: cannot read ${tmp}: it is a directory\n`,
    });
    expect(runs.badFormat).toEqual({
      code: 2,
      stdout: '',
      stderr: 'licensegraph: --format must be one of lmstat, lmstat-i, rlmstat, json, flexlm-log (got "xml")\n',
    });
  });

  test('a FlexLM debug log: detected, one event per line, the MANIFEST totals, instants in UTC', () => {
    const r = runs.debugLog;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      `licensegraph parse: reading ${path.join(FIXTURES_DIR, DEBUGLOG)} as flexlm-log (FlexLM debug log lines ("H:MM:SS (daemon) ...")); use --format to choose\n`,
    );
    const out = JSON.parse(r.stdout) as DebugLogResult;
    const lines = r.stdout.split('\n');
    expect(lines[0]).toBe('{"events":[');
    expect(lines.filter((l) => l.startsWith('{"id":"')).length).toBe(340);
    expect(out.summary.byType).toEqual({ OUT: 170, IN: 168, DENIED: 2, QUEUED: 0, DEQUEUED: 0, UNSUPPORTED: 0 });
    expect(out.events.find((e) => e.type === 'DENIED')).toMatchObject({
      feature: '64300ACD_F',
      user: 'TonyMontana',
      host: 'ANOTHERONE',
      count: 1,
      at: '2018-07-30T19:28:58.000Z',
      vendor: 'adskflex',
      errorCode: '-4,342',
    });
    expect(out).toMatchObject({ unparsed: { count: 0, samples: [] }, timeZone: 'America/New_York', warnings: [] });
  });
});

describe('in-process', () => {
  function io(stdin = '', tty = false) {
    const out: string[] = [];
    const err: string[] = [];
    const x: ParseIo = {
      readStdin: async () => stdin,
      stdinIsTTY: tty,
      stdout: (t) => out.push(t),
      stderr: (t) => err.push(t),
    };
    return { io: x, out: () => out.join(''), err: () => err.join('') };
  }

  test('detectFormat recognises every fixture kind of the manifest', () => {
    const expected: Record<string, string> = {
      'lmstat-a': 'lmstat',
      'lmstat-i': 'lmstat-i',
      rlmstat: 'rlmstat',
      'lmstat-v': 'lmstat',
      debuglog: 'flexlm-log',
    };
    for (const row of loadManifest().filter((r) => expected[r.kind])) {
      expect([row.file, detectFormat(readFixture(row.file)).format]).toEqual([row.file, expected[row.kind]]);
    }
    expect(detectFormat('  {"summaryByFeature": []}')).toEqual({
      format: 'json',
      why: 'the input starts with a JSON object',
    });
    expect(detectFormat('hello')).toEqual({ format: 'lmstat', why: 'nothing recognisable; reading it as lmstat -a' });
  });

  test('lmstat -i is detected and printed as what it is: license-file rows (no usage, no failed checks)', async () => {
    const t = io();
    expect(await runParse(path.join(FIXTURES_DIR, LMSTAT_I), {}, t.io)).toBe(0);
    expect(t.err()).toMatch(/as lmstat-i \(an lmstat -i "Feature Version #licenses" table header\)/);
    const out = JSON.parse(t.out()) as LmstatIOutput;
    expect(out.format).toBe('lmstat-i');
    expect(out.features).toHaveLength(17);
    expect(out.features[0]).toEqual({
      name: 'feature1',
      version: '2018.12',
      count: 2,
      uncounted: false,
      expiry: '2018-12-31',
      expiryRaw: '31-dec-2018',
      permanent: false,
      vendor: 'vendor1',
    });
    expect(out.features.filter((f) => f.name === 'feature12').map((f) => f.count)).toEqual([50, 2]); // listed twice
    expect(JSON.stringify(out)).not.toContain('MISSING_USED');
  });

  test('app1: every extra field the capture states (queued, reservations, pools, capture time)', async () => {
    const t = io();
    expect(
      await runParse(
        path.join(FIXTURES_DIR, 'lmstat/mjtrangoni__flexlm_exporter__lmstat_app1.txt'),
        { timeZone: 'UTC', now: '2026-12-03T18:00:00Z' },
        t.io,
      ),
    ).toBe(0);
    const out = JSON.parse(t.out()) as LicenseSummary;
    expect(out.server!.capturedAt).toBe('2017-10-20T17:02:00.000Z');
    const f = (name: string) => out.summaryByFeature.find((x) => x.info.name === name)!;
    expect(f('feature5').queued).toEqual([
      { username: 'user3', hostname: 'server6u065', count: 1, startTime: null, startedAt: null },
      { username: 'user3', hostname: 'server6u065', count: 1, startTime: null, startedAt: null },
    ]);
    expect(f('feature1').reserved).toBe(132);
    expect(f('feature1').reservations!.length).toBe(11);
    expect(f('feature1').pools).toEqual([
      {
        version: 'v61.9',
        vendor: 'VENDOR1',
        type: 'floating',
        issued: null,
        expiry: null,
        expiryRaw: null,
        permanent: false,
      },
    ]);
    expect(f('feature1').expiry).toBeNull(); // app1's pool lines print no expiry
    const starts = out.summaryByFeature.flatMap((x) => x.checkouts.map((c) => c.startedAt!));
    expect(starts.every((s) => s < '2018')).toBe(true);
  });

  test('invalid --now and --time-zone: exit 2 naming the option', async () => {
    const file = path.join(FIXTURES_DIR, APP3);
    await expect(runParse(file, { now: 'yesterday' }, io().io)).rejects.toEqual(
      new CliError('--now must be an ISO date-time such as 2026-01-20T12:00:00Z (got "yesterday")', 2),
    );
    await expect(runParse(file, { timeZone: 'Mars/Base' }, io().io)).rejects.toEqual(
      new CliError('--time-zone must be an IANA time zone such as Europe/Berlin (got "Mars/Base")', 2),
    );
    await expect(runParse(file, { serverId: ' ' }, io().io)).rejects.toEqual(
      new CliError('--server-id must not be empty', 2),
    );
  });

  test('JSON in, the same JSON (plus the extra fields) out', async () => {
    const doc = {
      summaryByFeature: [
        {
          info: { name: 'FTX_DEVELOPER', issued: 100, used: 1, free: 99 },
          checkouts: [
            {
              username: 'john.doe',
              hostname: 'workstation-123',
              startTime: 'Mon 1/20 10:30',
              serverInfo: 'license02.foretellix.local/30001 48856',
            },
          ],
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
      reserved: 0,
      reservations: [],
      queued: [],
      pools: [],
      expiry: null,
    });
    expect(out).toMatchObject({
      valid: true,
      issues: [],
      warnings: [],
      server: { id: 'cli', type: 'json', status: 'UP', capturedAt: null },
    });
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
    expect(out.summaryByFeature[0].issues!.map((i) => i.code)).toEqual(
      expect.arrayContaining(['FREE_MISMATCH', 'CHECKOUTS_MISMATCH']),
    );
  });

  test('a DOWN server is a report (exit 0), JSON that is not a LicenseSummary is exit 2', async () => {
    const down = io(readFixture('rlmstat/omnivector-solutions__license-manager__conftest_rlm_output_bad.txt'));
    expect(await runParse('-', {}, down.io)).toBe(0);
    expect(JSON.parse(down.out())).toMatchObject({ valid: false, summaryByFeature: [], server: { status: 'DOWN' } });
    const bad = io('{"summaryByFeature": [{"info": {"name": "A", "issued": "x", "used": 1}}]}');
    await expect(runParse('-', {}, bad.io)).rejects.toEqual(
      new CliError(
        'stdin is not a LicenseSummary: summaryByFeature[0].info.issued must be a number (got the string "x")',
        2,
      ),
    );
    await expect(runParse('-', { format: 'json' }, io('{oops').io)).rejects.toMatchObject({
      exitCode: 2,
      message: expect.stringMatching(/^stdin is not valid JSON: /),
    });
  });

  test('--format flexlm-log: every event of a hand-made log, the unparsed lines sampled, exit 0', async () => {
    const t = io(readFixture(HAND_LOG));
    expect(
      await runParse('-', { format: 'flexlm-log', timeZone: 'Europe/Berlin', fallbackDate: '2026-11-30' }, t.io),
    ).toBe(0);
    expect(t.err()).toBe('');
    const out = JSON.parse(t.out()) as DebugLogResult;
    expect(out.events).toHaveLength(14);
    const { id, ...denied } = out.events.find((e) => e.type === 'DENIED')!;
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    expect(denied).toEqual({
      type: 'DENIED',
      feature: 'Spectre',
      user: 'tom',
      host: 'farm-02',
      count: 1,
      at: '2026-11-30T08:52:09.000Z',
      time: '9:52:09',
      vendor: 'cdslmd',
      reason: 'Licensed number of users already reached. (-4,342:10054 "")',
      reasonKind: 'ERROR',
      errorCode: '-4,342:10054',
      token: null,
      detail: null,
      line: 9,
    });
    expect(out.events[0].at).toBe('2026-11-30T08:00:01.000Z'); // dated by --fallback-date
    expect(out.unparsed).toEqual({
      count: 2,
      samples: [
        { line: 13, text: '10:30:00 (cdslmd) OUT: Spectre tom@farm-02', why: 'bad-event' },
        { line: 14, text: 'continued text of a wrapped line', why: 'no-time' },
      ],
    });
    expect(out.summary).toMatchObject({
      lines: 22,
      events: 14,
      dateLines: 2,
      ignored: 3,
      blank: 1,
      unparsed: 2,
      undated: 0,
    });
    // the same text without --format: detected, and said so
    const d = io(readFixture(HAND_LOG));
    expect(await runParse('-', { timeZone: 'Europe/Berlin' }, d.io)).toBe(0);
    expect(d.err()).toBe(
      'licensegraph parse: reading stdin as flexlm-log (FlexLM debug log lines ("H:MM:SS (daemon) ...")); use --format to choose\n',
    );
    expect((JSON.parse(d.out()) as DebugLogResult).events[0].at).toBeNull();
  });

  test('an empty debug log is an empty result; a bad --fallback-date is exit 2', async () => {
    const t = io('');
    expect(await runParse('-', { format: 'flexlm-log', timeZone: 'UTC' }, t.io)).toBe(0);
    expect(JSON.parse(t.out())).toMatchObject({
      events: [],
      unparsed: { count: 0, samples: [] },
      summary: { lines: 0, events: 0 },
    });
    for (const bad of ['2026-02-30', '1/12/2026', 'tomorrow']) {
      await expect(runParse('-', { format: 'flexlm-log', fallbackDate: bad }, io('').io)).rejects.toEqual(
        new CliError(`--fallback-date must be a date such as 2026-12-01 (got "${bad}")`, 2),
      );
    }
  });

  test('no FILE and a terminal on stdin: exit 2 rather than waiting', async () => {
    await expect(runParse(undefined, {}, io('', true).io)).rejects.toEqual(
      new CliError('no input: give a FILE, or "-" and pipe the output into stdin', 2),
    );
  });
});
