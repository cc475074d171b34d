/**
 * Debug-log benchmark: parseDebugLog on a generated ~100 MB FlexLM debug log, against reading the same file and
 * splitting it into lines.
 *
 *   read + split     fs.readFileSync(file, 'utf8').split('\n')   <- the floor the ratio is taken against
 *   parseDebugLog    the parser on the text already read (the same text)
 *
 * The log is written to a temporary directory (removed at the end): a realistic mix, per the real captures in
 * test/fixtures/debuglog, of about 55 % event lines (OUT/IN in pairs with "(N licenses)", token lines
 * "[VENDOR:SUB]", INACTIVE and SHUTDOWN reasons, DENIED with error codes, a few QUEUED/DEQUEUED/UNSUPPORTED) and
 * 45 % daemon chatter (SLOG statistics blocks, "Acquired N licenses", TCP_NODELAY, feature lists), a TIMESTAMP line
 * every 6 hours, seconds advancing through several weeks in America/New_York (DST changes included), LF endings.
 *
 * Each measure runs BENCH_RUNS times (default 5) after one warm-up, alternating, with a forced GC before each run
 * (not timed). Reported: median and min wall-clock ms, MB/s from the median, and ratio = read+split time /
 * parse time (the target is >= 0.5: parsing at least half as fast as reading and splitting).
 *
 * Usage: npm run bench -- debuglog     [env BENCH_MB (default 100), BENCH_RUNS]
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { parseDebugLog } from '../src/sources/flexlm/debuglog';

const TARGET_MB = Number(process.env.BENCH_MB ?? 100);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const TZ = 'America/New_York';

function lcg(start: number): () => number {
  let s = start >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) / 0x1000000;
  };
}

const FEATURES = [
  'Spectre',
  'Virtuoso_XL',
  'MATLAB',
  'Simulink',
  '86815AECCOL_T_F',
  '86718CIV3D_2017_0F',
  'solidedge2ddraftingm',
  'NASTRAN',
  'ANSYS_CFD',
  'Calibre_DRC',
];
const VENDORS = ['cdslmd', 'MLM', 'adskflex', 'ugslmd'];
const CHATTER = [
  '(@cdslmd-SLOG@) 00000016 ms at Fri Jul 27 2018 15:49:22 Eastern Daylight Time,#3,(4304K),(JohnDoe,PC01,548)',
  '(@cdslmd-SLOG@) === Last 10 Client Requests Processing Time (in ms) ===',
  '(@cdslmd-SLOG@) Request processing time, when, #concurrent clients, (private bytes (in KB)), client info (user, node, FD)',
  'Acquired 13 licenses for Group MSCONE (MSC Nastran)',
  'TCP_NODELAY NOT enabled',
  'A,APP=SCASystem;connection_check,1c2e3c,cf4ad',
  '86830ACD_2018_0F 86604ACD_2017_0F 86445ACD_2016_0F ',
  'SLOG: Statistics Log Frequency is 240 minute(s).',
];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Writes the log to `file` in chunks; returns its size in bytes, line and event counts. */
function generate(file: string, targetBytes: number): { bytes: number; lines: number; events: number } {
  const rnd = lcg(7);
  const fd = fs.openSync(file, 'w');
  let bytes = 0;
  let lines = 0;
  let events = 0;
  let t = Date.UTC(2026, 9, 20, 4, 0, 0) / 1000; // Oct 20 2026, 00:00 in New York: the window crosses Nov 1
  let nextStamp = t;
  const open: string[] = [];
  let chunk: string[] = [];
  const emit = (sec: number, daemon: string, msg: string) => {
    const local = new Date((sec - (sec < Date.UTC(2026, 10, 1, 6) / 1000 ? 4 : 5) * 3600) * 1000);
    const line = `${String(local.getUTCHours()).padStart(2, ' ')}:${pad2(local.getUTCMinutes())}:${pad2(local.getUTCSeconds())} (${daemon}) ${msg}\n`;
    chunk.push(line);
    bytes += line.length;
    lines++;
  };
  while (bytes < targetBytes) {
    t += Math.floor(rnd() * 3);
    if (t >= nextStamp) {
      const local = new Date((t - (t < Date.UTC(2026, 10, 1, 6) / 1000 ? 4 : 5) * 3600) * 1000);
      emit(t, 'lmgrd', `TIMESTAMP ${local.getUTCMonth() + 1}/${local.getUTCDate()}/${local.getUTCFullYear()}`);
      nextStamp = t + 6 * 3600;
    }
    const v = VENDORS[Math.floor(rnd() * VENDORS.length)];
    const r = rnd();
    if (r < 0.45) {
      emit(t, v, CHATTER[Math.floor(rnd() * CHATTER.length)]);
    } else if (r < 0.73 || open.length === 0) {
      const f = FEATURES[Math.floor(rnd() * FEATURES.length)];
      const who = `user${Math.floor(rnd() * 400)}@ws-${Math.floor(rnd() * 200)}`;
      const n = rnd() < 0.3 ? `  (${1 + Math.floor(rnd() * 12)} licenses)` : '  ';
      const tok = rnd() < 0.15 ? ` [MSCONE:${f}]` : '';
      const body = `"${f}" ${who}${tok}${n}`;
      emit(t, v, `OUT: ${body}`);
      open.push(body);
      events++;
    } else if (r < 0.99) {
      const body = open.splice(Math.floor(rnd() * open.length), 1)[0];
      const why = rnd() < 0.1 ? ' (INACTIVE)' : rnd() < 0.02 ? ' (SHUTDOWN)' : '';
      emit(t, v, `IN: ${body}${why}`);
      events++;
    } else {
      const f = FEATURES[Math.floor(rnd() * FEATURES.length)];
      const kind = ['DENIED', 'QUEUED', 'DEQUEUED', 'UNSUPPORTED'][Math.floor(rnd() * 4)];
      emit(
        t,
        v,
        `${kind}: "${f}" user${Math.floor(rnd() * 400)}@farm-${Math.floor(rnd() * 50)}  (Licensed number of users already reached. (-4,342:10054 ""))`,
      );
      events++;
    }
    if (chunk.length >= 10_000) {
      fs.writeSync(fd, chunk.join(''));
      chunk = [];
    }
  }
  fs.writeSync(fd, chunk.join(''));
  fs.closeSync(fd);
  return { bytes, lines, events };
}

function gc(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.floor(s.length / 2)];
}

function main(): void {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lg-bench-debuglog-'));
  try {
    const file = path.join(dir, 'debug.log');
    const g = generate(file, TARGET_MB * 1024 * 1024);
    const mb = g.bytes / (1024 * 1024);
    console.log(
      `generated ${mb.toFixed(1)} MB: ${g.lines.toLocaleString('en')} lines, ${g.events.toLocaleString('en')} event lines (zone ${TZ})`,
    );
    const text = fs.readFileSync(file, 'utf8');
    const times = { split: [] as number[], parse: [] as number[] };
    let events = 0;
    for (let round = 0; round <= RUNS; round++) {
      gc();
      let t0 = performance.now();
      const lines = fs.readFileSync(file, 'utf8').split('\n');
      const split = performance.now() - t0;
      if (lines.length === 0) throw new Error('no lines');
      gc();
      t0 = performance.now();
      const r = parseDebugLog(text, { timeZone: TZ });
      const parse = performance.now() - t0;
      events = r.events.length;
      if (r.summary.unparsed !== 0 || r.summary.undated !== 0)
        throw new Error(`unexpected: ${JSON.stringify(r.summary)}`);
      if (round === 0) continue; // warm-up
      times.split.push(split);
      times.parse.push(parse);
    }
    if (events !== g.events) throw new Error(`parsed ${events} events, generated ${g.events}`);
    const ms = { split: median(times.split), parse: median(times.parse) };
    console.log('measure              median ms   min ms    MB/s');
    for (const k of ['split', 'parse'] as const) {
      const name = k === 'split' ? 'read + split' : 'parseDebugLog';
      console.log(
        `${name.padEnd(20)} ${ms[k].toFixed(0).padStart(9)} ${Math.min(...times[k])
          .toFixed(0)
          .padStart(8)} ${(mb / (ms[k] / 1000)).toFixed(1).padStart(7)}`,
      );
    }
    const ratio = ms.split / ms.parse;
    console.log(
      `ratio (parse speed / read+split speed): ${ratio.toFixed(2)} (target >= 0.50: ${ratio >= 0.5 ? 'met' : 'NOT met'}); ${events.toLocaleString('en')} events`,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main();
