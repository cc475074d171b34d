/**
 * Parse benchmark (issue 3): parser throughput on a generated ~20 MB `lmutil lmstat -a` output, next to the
 * time to merely split the same text into lines, all in ONE process and run (same heap, same JIT state).
 *
 *   split '\n'                 text.split('\n')                     <- the floor every ratio is taken against
 *   split /\r?\n/              text.split(/\r?\n/)
 *   scan lines (indexOf only)  the lines found with indexOf('\n'), no string made (how the parsers walk the text)
 *   read every char            one charCodeAt loop over the whole text: the least any parser written in
 *                              JavaScript that looks at every character pays
 *   objects floor              split('\n') + as many result objects (features, pools, checkouts, reservations,
 *                              queued) as the parser returns, of the same shapes, with only the strings that must
 *                              be new on each line (a checkout's "host/port handle" and handle), without looking at
 *                              the text (the line kinds come from the generator): building the result, no reading
 *   parseLmstat                the real parser, returning a Snapshot
 * and the same for parseRlmstat on a generated ~20 MB `rlmutil rlmstat -a` output.
 *
 * Every measure is run BENCH_RUNS times (default 9) after BENCH_WARMUP warm-up rounds (default 3), round-robin
 * (one run of each measure per round, so a slow phase of a shared machine hits all of them alike), with a forced
 * GC before each run (not timed). Reported: wall-clock median/min/max, the median CPU time of the main thread
 * (Linux /proc schedstat; not inflated by other processes waiting for the CPU, but without GC helper threads), the
 * median GC pause time inside a run, MB/s (from the median), and ratio = split time / measure time from the
 * medians, the minimums and the CPU medians (1.00 = as fast as splitting; the issue aims at >= 0.33 for
 * parseLmstat). Then the heap a parse result keeps alive.
 *
 * Usage: npm run bench -- parse     [env BENCH_MB (default 20), BENCH_RUNS, BENCH_WARMUP, BENCH_ONLY=lmstat|rlm]
 * The generators are exported (generateLmstat, generateRlmstat) for profiling scripts.
 */
import * as fs from 'fs';
import { PerformanceObserver } from 'perf_hooks';
import type { Snapshot } from '../src/domain/snapshot';
import { parseLmstat } from '../src/sources/flexlm/parse';
import { parseRlmstat } from '../src/sources/rlm/parse';

const TARGET_MB = Number(process.env.BENCH_MB ?? 20);
const RUNS = Number(process.env.BENCH_RUNS ?? 9);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const ONLY = process.env.BENCH_ONLY ?? '';

/** The poll instant and zone every parse uses (start times are inferred relative to it). */
export const BENCH_NOW = new Date('2026-03-16T17:58:00Z');
export const BENCH_TZ = 'America/Chicago';

// ---------------------------------------------------------------------------------------------------------
// deterministic generators

/** Line kinds recorded by the generators, so the objects floor can build the right objects without parsing. */
export const K_OTHER = 0;
export const K_FEATURE = 1;
export const K_POOL = 2;
export const K_CHECKOUT = 3;
export const K_RESERVATION = 4;
export const K_QUEUED = 5;

export interface Generated {
  text: string;
  /** one kind per line of text.split('\n') */
  kinds: Uint8Array;
  counts: { lines: number; features: number; pools: number; checkouts: number; reservations: number; queued: number };
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1103515245) + 12345) >>> 0;
    return (s >>> 8) / 0x1000000;
  };
}

const DOW = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const pad2 = (n: number) => (n < 10 ? `0${n}` : String(n));

class LineSink {
  readonly parts: string[] = [];
  kinds = new Uint8Array(1 << 16);
  n = 0;
  bytes = 0;
  push(line: string, kind = K_OTHER): void {
    if (this.n === this.kinds.length) {
      const k = new Uint8Array(this.kinds.length * 2);
      k.set(this.kinds);
      this.kinds = k;
    }
    this.kinds[this.n++] = kind;
    this.parts.push(line);
    this.bytes += line.length + 1;
  }
  done(counts: Omit<Generated['counts'], 'lines'>): Generated {
    // join() gives one flat string, as fs.readFileSync / a child's collected stdout would
    const text = this.parts.join('\n');
    return { text, kinds: this.kinds.slice(0, this.n), counts: { lines: this.n, ...counts } };
  }
}

/**
 * A realistic `lmutil lmstat -a` output of about `targetMb` MB: two license servers (a triad with three vendor
 * daemons each followed by its own "Feature usage info:", and a single server listing two daemons together
 * plus one that is down), thousands of features (a third with nobody on them, some uncounted, some with two
 * pools and vendor strings), and ~7,500 checkout lines per MB in every real variant: with and without a display
 * (X, /dev/tty, /dev/pts/N, the host again), user names with spaces or non-ASCII letters, "2023.12 (v2023.12)"
 * and feature=/VENDOR:SUB tokens, ", N licenses", ", PID: n" (sometimes with a trailing space), "(linger: N)",
 * "(linger: a / b)", reservations interleaved with checkouts, and "queued for N licenses" lines. Start times
 * lie in the two weeks before BENCH_NOW (in BENCH_TZ), weekday consistent with the date.
 */
export function generateLmstat(targetMb = TARGET_MB, seed = 1): Generated {
  const rnd = lcg(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const out = new LineSink();
  const target = targetMb * 1e6;
  const users = Array.from({ length: 4000 }, (_, i) => {
    if (i % 250 === 7) return pick(['jürgen.müller', 'josé.garcía', 'søren.ålund', 'françois.lefèvre']) + i;
    if (i % 300 === 11) return pick(['John Doe', 'Jane Doe Jr.', 'Administrator Team']);
    if (i % 97 === 5) return String(100000 + i); // digits only
    return `${pick(['ajones', 'bsmith', 'cwu', 'dpatel', 'ekim', 'fgarcia', 'gnguyen', 'hmüller', 'user', 'eng'])}${i}`;
  });
  const hosts = Array.from({ length: 2500 }, (_, i) =>
    i % 5 === 0
      ? `WS${String(40000 + i)}`
      : `${pick(['ws', 'node', 'sim', 'lx'])}-${String(i).padStart(4, '0')}.eda.example.corp`,
  );
  const nowMs = BENCH_NOW.getTime() - 5 * 3600_000; // wall clock of America/Chicago in March (UTC-5)
  let handle = 100;
  let features = 0;
  let pools = 0;
  let checkouts = 0;
  let reservations = 0;
  let queued = 0;

  out.push('lmutil - Copyright (c) 1989-2023 Flexera. All Rights Reserved.');
  out.push('Flexible License Manager status on Mon 3/16/2026 12:58');
  out.push('');
  const servers = [
    {
      port: 27000,
      hosts: ['lic1.eda.example.corp', 'lic2.eda.example.corp', 'lic3.eda.example.corp'],
      master: 1,
      daemons: ['snpslmd', 'cdslmd', 'mgcld'],
      together: false,
    },
    { port: 1717, hosts: ['LICSRV02'], master: 0, daemons: ['MLM', 'ansyslmd'], together: true },
  ];
  for (let si = 0; si < servers.length; si++) {
    const sv = servers[si];
    const sizeGoal = target * (si === 0 ? 0.75 : 1); // the triad gets three quarters of the text
    if (si > 0) {
      out.push('----------------------------------------------------------------------------');
    }
    out.push('[Detecting lmgrd processes...]');
    out.push(`License server status: ${sv.hosts.map((h) => `${sv.port}@${h}`).join(',')}`);
    out.push(`    License file(s) on ${sv.hosts[sv.master]}: /opt/flexlm/licenses/site.lic:`);
    out.push('');
    for (let h = 0; h < sv.hosts.length; h++)
      out.push(`${sv.hosts[h]}: license server UP${h === sv.master ? ' (MASTER)' : ''} v11.19.6`);
    out.push('');
    out.push(`Vendor daemon status (on ${sv.hosts[sv.master]}):`);
    out.push('');
    const serverTag = `${sv.hosts[sv.master]}/${sv.port}`;
    const perDaemonGoal = (sizeGoal - out.bytes) / sv.daemons.length;
    const daemonGroups = sv.together ? [sv.daemons] : sv.daemons.map((d) => [d]);
    for (let g = 0; g < daemonGroups.length; g++) {
      for (const d of daemonGroups[g]) out.push(`  ${d}: UP v11.19.${g + 2}`);
      if (sv.together) out.push('  lmgrd_old: The desired vendor daemon is down. (-97,121)');
      out.push('');
      out.push('Feature usage info:');
      out.push('');
      const groupGoal =
        si === servers.length - 1 && g === daemonGroups.length - 1
          ? target
          : out.bytes + perDaemonGoal * daemonGroups[g].length;
      while (out.bytes < groupGoal) {
        const vendor = pick(daemonGroups[g]);
        const fname = `${pick(['Sim', 'Synth', 'Layout', 'Verify', 'Timing', 'DRC', 'LVS', 'Extract', 'MATLAB', 'Toolbox'])}_${pick(['Base', 'Pro', 'Adv', 'Ultra', 'Std'])}_${features}`;
        features++;
        const shape = rnd();
        const version = pick(['v2023.12', 'v2024.03', 'v31.000000', 'v61.9', 'v44', 'v2017.06']);
        // who is on it: a third of the features nobody, most a few, some many (heavy tail)
        const nUsers = shape < 0.33 ? 0 : Math.min(3000, Math.floor(Math.exp(rnd() * 6.2)));
        const uncounted = shape > 0.985;
        if (uncounted) {
          out.push(`Users of ${fname}:  (Uncounted, node-locked)`, K_FEATURE);
        } else {
          const issued = nUsers + Math.floor(rnd() * 100) + 1;
          const lic = (n: number) => (n === 1 ? 'license' : 'licenses');
          out.push(
            `Users of ${fname}:  (Total of ${issued} ${lic(issued)} issued;  Total of ${nUsers} ${lic(nUsers)} in use)`,
            K_FEATURE,
          );
        }
        out.push('');
        const nPools = shape > 0.9 ? 2 : 1;
        for (let p = 0; p < nPools; p++) {
          const expiry =
            rnd() < 0.2
              ? '01-jan-0000'
              : `${1 + Math.floor(rnd() * 28)}-${pick(['jan', 'mar', 'jun', 'sep', 'dec'])}-${2026 + Math.floor(rnd() * 3)}`;
          out.push(`  "${fname}" ${version}, vendor: ${vendor}, expiry: ${expiry}`, K_POOL);
          pools++;
          if (p === 1) out.push(`  vendor_string: SITE=eda;POOL=${p}`);
          out.push(
            uncounted
              ? `  nodelocked license, locked to "HOSTID=ID_STRING=${(1234567 + features).toString(16)}"`
              : '  floating license',
          );
          out.push('');
        }
        const nRes = nUsers > 0 && rnd() < 0.1 ? 1 + Math.floor(rnd() * 12) : 0;
        const resAt = new Set<number>();
        for (let r = 0; r < nRes; r++) resAt.add(Math.floor(rnd() * (nUsers + 1)));
        let user = pick(users);
        let host = pick(hosts);
        const vBare = version.slice(1);
        for (let u = 0; u <= nUsers; u++) {
          if (resAt.has(u)) {
            const kind = pick(['GROUP', 'GROUP', 'HOST', 'USER', 'PROJECT']);
            const n = 1 + Math.floor(rnd() * 48);
            out.push(
              `\t${n} RESERVATION${n === 1 ? '' : 's'} for ${kind} ${kind}${Math.floor(rnd() * 40)} (${serverTag})`,
              K_RESERVATION,
            );
            reservations++;
          }
          if (u === nUsers) break;
          if (rnd() > 0.35) {
            // the same user on the same host often holds several checkouts in a row
            user = pick(users);
            host = pick(hosts);
          }
          const dv = rnd();
          let left: string;
          if (dv < 0.3) left = `${user} ${host} ${host}:0.0`;
          else if (dv < 0.45) left = `${user} ${host} /dev/pts/${Math.floor(rnd() * 40)}`;
          else if (dv < 0.55) left = `${user} ${host} /dev/tty`;
          else if (dv < 0.75) left = `${user} ${host} ${host}`;
          else if (dv < 0.93) left = `${user} ${host}`;
          else if (dv < 0.97) left = `${user} ${host} ${host}:0 ${vBare}`;
          else if (dv < 0.985) left = `${user} ${host} ${host}:0.0 feature=${fname}`;
          else left = `${user} ${host} ${host} ${vendor.toUpperCase()}:${fname}`;
          const h = handle++;
          if (rnd() < 0.004) {
            const n = 1 + Math.floor(rnd() * 4);
            out.push(
              `    ${left} (${version}) (${serverTag} ${h}) queued for ${n} license${n === 1 ? '' : 's'}`,
              K_QUEUED,
            );
            queued++;
            continue;
          }
          const t = new Date(nowMs - Math.floor(rnd() * 14 * 86400) * 1000);
          const start = `${DOW[t.getUTCDay()]} ${t.getUTCMonth() + 1}/${t.getUTCDate()} ${t.getUTCHours()}:${pad2(t.getUTCMinutes())}`;
          const sx = rnd();
          let suffix = '';
          if (sx < 0.2) suffix = `, ${2 + Math.floor(rnd() * 30)} licenses`;
          else if (sx < 0.33) suffix = `, PID: ${1000 + Math.floor(rnd() * 3_000_000)}`;
          else if (sx < 0.35) suffix = `, PID: ${1000 + Math.floor(rnd() * 3_000_000)} `;
          else if (sx < 0.36) suffix = ` (linger: ${Math.floor(rnd() * 20_000_000)})`;
          else if (sx < 0.37) suffix = ` (linger: ${Math.floor(rnd() * 900_000)} / ${Math.floor(rnd() * 1_400_000)})`;
          else if (sx < 0.375) suffix = `, 16 licenses (linger: ${Math.floor(rnd() * 900_000)} / 1340160)`;
          out.push(`    ${left} (${version}) (${serverTag} ${h}), start ${start}${suffix}`, K_CHECKOUT);
          checkouts++;
        }
        out.push('');
      }
    }
  }
  return out.done({ features, pools, checkouts, reservations, queued });
}

/**
 * A realistic `rlmutil rlmstat -a` output of about `targetMb` MB: the rlm status block, an ISV table, then per
 * ISV (four of them) its status block, its pool section (products with count/reservations/inuse/exp lines,
 * some "pool: N" and UNCOUNTED ones) and its usage section, one checkout line per handle ("n/m at mm/dd hh:mm
 * (handle: x)"), with inuse equal to the sum of the checkout counts.
 */
export function generateRlmstat(targetMb = TARGET_MB, seed = 2): Generated {
  const rnd = lcg(seed);
  const pick = <T>(a: readonly T[]): T => a[Math.floor(rnd() * a.length)];
  const out = new LineSink();
  const target = targetMb * 1e6;
  const isvs = ['csci', 'foundry', 'altair', 'ansys'];
  const users = Array.from(
    { length: 4000 },
    (_, i) => `${pick(['asdj', 'cddcp', 'rkumar', 'lzhang', 'mrossi', 'user'])}${i}`,
  );
  const hosts = Array.from({ length: 2500 }, (_, i) => `${pick(['ws', 'node', 'render'])}${i}.example.com`);
  const nowMs = BENCH_NOW.getTime() - 5 * 3600_000;
  let features = 0;
  let pools = 0;
  let checkouts = 0;
  let handle = 0x100;
  out.push('Setting license file path to 5053@rlm1.example.com');
  out.push('rlmutil v15.1');
  out.push('Copyright (C) 2006-2023, Reprise Software, Inc. All rights reserved.');
  out.push('');
  out.push('');
  out.push('\trlm status on rlm1.example.com (port 5053), up 99d 11:08:25');
  out.push('\trlm software version v15.1 (build:2)');
  out.push('\trlm comm version: v1.2');
  out.push('\tStartup time: Tue Dec  9 01:40:13 2025');
  out.push('\tTodays Statistics (13:48:32), init time: Mon Mar 16 00:00:06 2026');
  out.push('\tRecent Statistics (00:16:08), init time: Mon Mar 16 12:32:30 2026');
  out.push('');
  out.push('\t             Recent Stats         Todays Stats         Total Stats');
  out.push('\t             00:16:08             13:48:32         97d 11:08:25');
  out.push('\tMessages:    582 (0/sec)           28937 (0/sec)          777647 (0/sec)');
  out.push('\tConnections: 463 (0/sec)           23147 (0/sec)          622164 (0/sec)');
  out.push('');
  out.push('\t--------- ISV servers ----------');
  out.push('\t   Name           Port Running Restarts');
  for (let i = 0; i < isvs.length; i++) out.push(`\t   ${isvs[i].padEnd(14)}${63133 + i}   Yes      0`);
  out.push('');
  out.push('\t------------------------');
  for (let i = 0; i < isvs.length; i++) {
    const isv = isvs[i];
    const port = 63133 + i;
    const goal = (target * (i + 1)) / isvs.length;
    out.push('');
    out.push(`\t${isv} ISV server status on rlm1.example.com (port ${port}), up 99d 11:08:18`);
    out.push(`\t${isv} software version v15.1 (build: 2)`);
    out.push(`\t${isv} comm version: v1.2`);
    out.push(`\t${isv} Debug log filename: /var/log/rlm/${isv}.dlog`);
    out.push('\tStartup time: Tue Dec  9 01:40:20 2025');
    out.push('\tCheckouts:   0 (0/sec)           1 (0/sec)          937 (0/sec)');
    out.push(`\tDenials:     0 (0/sec)           0 (0/sec)          ${Math.floor(rnd() * 500)} (0/sec)`);
    out.push('\tRemovals:    0 (0/sec)           0 (0/sec)          0 (0/sec)');
    out.push('');
    out.push('\t------------------------');
    out.push('');
    // decide the products and their checkouts first (the pool section comes before the usage section)
    const products: Array<{ name: string; version: string; pool: number | null; users: number[]; uncounted: boolean }> =
      [];
    let est = out.bytes;
    while (est < goal) {
      const name = `${pick(['converge', 'nuke', 'hyperworks', 'fluent', 'mari', 'katana'])}_${pick(['super', 'gui', 'r', 'i', 'solver'])}_${features++}`;
      const shape = rnd();
      const n = shape < 0.3 ? 0 : Math.min(4000, Math.floor(Math.exp(rnd() * 6.5)));
      const counts = Array.from({ length: n }, () => (rnd() < 0.85 ? 1 : 2 + Math.floor(rnd() * 30)));
      products.push({
        name,
        version: pick(['v3.0', 'v1.0', 'v2024.0701', 'v15.0']),
        pool: shape > 0.95 ? Math.floor(rnd() * 20) : null,
        users: counts,
        uncounted: shape > 0.99,
      });
      est += 170 + n * 80;
    }
    out.push(`\t${isv} license pool status on rlm1.example.com (port ${port})`);
    out.push('');
    for (const p of products) {
      const inuse = p.users.reduce((a, b) => a + b, 0);
      out.push(`\t${p.name} ${p.version}${p.pool !== null ? `, pool: ${p.pool}` : ''}`, K_FEATURE);
      if (p.uncounted) out.push(`\t    UNCOUNTED, inuse: ${inuse}, exp: permanent`, K_POOL);
      else
        out.push(
          `\t    count: ${inuse + 1 + Math.floor(rnd() * 200)}, # reservations: ${rnd() < 0.1 ? Math.floor(rnd() * 5) : 0}, inuse: ${inuse}, exp: ${1 + Math.floor(rnd() * 28)}-jan-${2026 + Math.floor(rnd() * 3)}`,
          K_POOL,
        );
      out.push(`\t    obsolete: 0, min_remove: 120, total checkouts: ${Math.floor(rnd() * 10000)}`);
      pools++;
    }
    out.push('');
    out.push('');
    out.push('\t------------------------');
    out.push('');
    out.push(`\t${isv} license usage status on rlm1.example.com (port ${port})`);
    out.push('');
    for (const p of products) {
      let user = pick(users);
      let host = pick(hosts);
      for (const c of p.users) {
        if (rnd() > 0.35) {
          user = pick(users);
          host = pick(hosts);
        }
        const t = new Date(nowMs - Math.floor(rnd() * 14 * 86400) * 1000);
        const at = `${pad2(t.getUTCMonth() + 1)}/${pad2(t.getUTCDate())} ${pad2(t.getUTCHours())}:${pad2(t.getUTCMinutes())}`;
        out.push(
          `\t${p.name} ${p.version}: ${user}@${host} ${c}/0 at ${at}  (handle: ${(handle++).toString(16)})`,
          K_CHECKOUT,
        );
        checkouts++;
      }
    }
    out.push('');
  }
  return out.done({ features, pools, checkouts, reservations: 0, queued: 0 });
}

// ---------------------------------------------------------------------------------------------------------
// the objects floor

let _sink: unknown = null;

/**
 * split('\n') and, per line, the result object its kind calls for, with the shape the parser returns (same
 * properties in the same order, so the same hidden classes), pushed into per-feature arrays. No reading: the line
 * kinds come from the generator, and only the strings that are necessarily new on every line are made (a checkout's
 * "host/port handle" and its handle, as slices at fixed offsets); user, host, display, version and start time are
 * shared constants, as if every one of them had been found in a cache. A lower bound for any parser that splits
 * the text and returns this Snapshot.
 */
function objectsFloor(g: Generated): number {
  const lines = g.text.split('\n');
  const kinds = g.kinds;
  const features: Array<{
    name: string;
    pools: unknown[];
    checkouts: unknown[];
    reservations: unknown[];
    queued: unknown[];
  }> = [];
  let f = {
    name: '',
    pools: [] as unknown[],
    checkouts: [] as unknown[],
    reservations: [] as unknown[],
    queued: [] as unknown[],
  };
  const shared = [
    'user',
    'host.example.com',
    'host.example.com:0.0',
    'v2023.12',
    'lic1.example.com',
    'Mon 3/16 9:12',
    '2026-03-16T14:12:00.000Z',
  ];
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const k = kinds[i];
    if (k === K_OTHER) continue;
    const l = lines[i];
    switch (k) {
      case K_FEATURE:
        f = { name: l.slice(9, 20), pools: [], checkouts: [], reservations: [], queued: [] };
        features.push(f);
        break;
      case K_POOL:
        f.pools.push({
          name: f.name,
          version: shared[3],
          vendor: shared[0],
          type: 'floating',
          expiry: null,
          expiryRaw: shared[3],
          permanent: false,
        });
        break;
      case K_CHECKOUT:
        f.checkouts.push({
          username: shared[0],
          hostname: shared[1],
          display: shared[2],
          version: shared[3],
          serverInfo: l.slice(40, 67),
          serverHost: shared[4],
          serverPort: 27000,
          handle: l.slice(61, 66),
          count: 1,
          startTime: shared[5],
          startedAt: shared[6],
          linger: null,
          borrowed: false,
          pid: null,
          detail: null,
        });
        n++;
        break;
      case K_RESERVATION:
        f.reservations.push({ count: 1, kind: 'GROUP', target: shared[0], serverInfo: shared[4] });
        break;
      case K_QUEUED:
        f.queued.push({
          username: shared[0],
          hostname: shared[1],
          display: shared[2],
          count: 1,
          serverInfo: l.slice(40, 67),
          handle: l.slice(61, 66),
          startTime: null,
          startedAt: null,
        });
        break;
    }
  }
  _sink = features;
  return n;
}

// ---------------------------------------------------------------------------------------------------------
// timing

interface Measure {
  name: string;
  bytes: number;
  run: () => unknown;
  /** wall-clock ms per run */
  times: number[];
  /** CPU ms of the main thread per run (Linux; NaN elsewhere): unlike wall time, not inflated by other processes */
  cpu: number[];
  /** ms of GC pauses that began inside the run */
  gcMs: number[];
  /** [start, end] of each timed run, to attribute GC entries afterwards */
  spans: Array<[number, number]>;
}

const SCHEDSTAT = `/proc/self/task/${process.pid}/schedstat`;
const haveSchedstat = fs.existsSync(SCHEDSTAT);
/** CPU time of this (the main) thread in ms: the first field of schedstat, in ns. */
function threadCpuMs(): number {
  return haveSchedstat ? Number(fs.readFileSync(SCHEDSTAT, 'latin1').split(' ', 1)[0]) / 1e6 : NaN;
}

function median(a: number[]): number {
  const s = [...a].sort((x, y) => x - y);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function runAll(measures: Measure[]): Promise<void> {
  const gc = (global as { gc?: () => void }).gc;
  if (!gc) console.log('(run with --expose-gc for a forced GC between runs; npm run bench does)');
  const gcEntries: Array<{ startTime: number; duration: number }> = [];
  const obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcEntries.push({ startTime: e.startTime, duration: e.duration });
  });
  obs.observe({ entryTypes: ['gc'] });
  for (let round = 0; round < WARMUP + RUNS; round++) {
    for (const m of measures) {
      _sink = null;
      gc?.();
      const c0 = threadCpuMs();
      const t0 = performance.now();
      _sink = m.run();
      const t1 = performance.now();
      const c1 = threadCpuMs();
      if (round >= WARMUP) {
        m.times.push(t1 - t0);
        m.cpu.push(c1 - c0);
        m.spans.push([t0, t1]);
      }
    }
    await new Promise((r) => setTimeout(r, 20)); // let the GC entries of the round arrive
  }
  obs.disconnect();
  _sink = null;
  for (const m of measures) {
    m.gcMs = m.spans.map(([a, b]) =>
      gcEntries.filter((e) => e.startTime >= a && e.startTime < b).reduce((x, e) => x + e.duration, 0),
    );
  }
}

const f1 = (n: number, w = 8) => (Number.isFinite(n) ? n.toFixed(1) : '-').padStart(w);
const f2 = (n: number, w = 7) => (Number.isFinite(n) ? n.toFixed(2) : '-').padStart(w);

function table(title: string, measures: Measure[], floor: Measure): void {
  const fm = median(floor.times);
  const fmin = Math.min(...floor.times);
  const fc = median(floor.cpu);
  console.log(`\n${title}`);
  console.log(
    `${'measure'.padEnd(37)}${'median ms'.padStart(10)}${'min'.padStart(8)}${'max'.padStart(8)}${'cpu ms'.padStart(8)}${'gc ms'.padStart(8)}${'MB/s'.padStart(8)}` +
      `${'ratio'.padStart(7)}${'r(min)'.padStart(7)}${'r(cpu)'.padStart(7)}`,
  );
  for (const m of measures) {
    const med = median(m.times);
    const min = Math.min(...m.times);
    console.log(
      `${m.name.padEnd(37)}${f1(med, 10)}${f1(min)}${f1(Math.max(...m.times))}${f1(median(m.cpu))}${f1(median(m.gcMs))}${f1(m.bytes / 1e6 / (med / 1000))}` +
        `${f2(fm / med)}${f2(fmin / min)}${f2(fc / median(m.cpu))}`,
    );
  }
}

function describe(g: Generated): string {
  const c = g.counts;
  return `${(Buffer.byteLength(g.text) / 1e6).toFixed(1)} MB, ${c.lines} lines, ${c.features} features, ${c.pools} pools, ${c.checkouts} checkouts, ${c.reservations} reservations, ${c.queued} queued`;
}

/** The parser read what the generator wrote (else the numbers would mean nothing). */
function check(name: string, s: Snapshot, g: Generated): void {
  let co = 0;
  let res = 0;
  let q = 0;
  let pools = 0;
  for (const f of s.features) {
    co += f.checkouts.length;
    res += f.reservations.length;
    q += f.queued.length;
    pools += f.pools.length;
  }
  const c = g.counts;
  const ok =
    s.features.length === c.features &&
    co === c.checkouts &&
    res === c.reservations &&
    q === c.queued &&
    pools === c.pools &&
    s.status === 'UP';
  const warn = s.warnings.map((w) => w.code).join(',') || 'none';
  console.log(
    `${name}: status ${s.status}, ${s.features.length} features, ${pools} pools, ${co} checkouts, ${res} reservations, ${q} queued; warnings: ${warn}${ok ? '' : '   <-- MISMATCH with the generator'}`,
  );
  if (!ok) process.exitCode = 1;
}

/** Lines found with indexOf, no string made: the walk an index-based parser does before reading a line. */
function scanLines(text: string): number {
  let n = 0;
  for (let start = 0; ; n++) {
    const end = text.indexOf('\n', start);
    if (end < 0) return n + 1;
    start = end + 1;
  }
}

/** Every character read once by JavaScript: what any parser written in JavaScript pays at the least. */
function readChars(text: string): number {
  let x = 0;
  for (let i = 0; i < text.length; i++) x = (x + text.charCodeAt(i)) | 0;
  return x;
}

function measuresFor(label: string, g: Generated, parse: () => Snapshot): Measure[] {
  const bytes = Buffer.byteLength(g.text);
  const text = g.text;
  const m = (name: string, run: () => unknown): Measure => ({
    name: `${label}${name}`,
    bytes,
    run,
    times: [],
    cpu: [],
    gcMs: [],
    spans: [],
  });
  return [
    m("split '\\n'", () => text.split('\n')),
    m('split /\\r?\\n/', () => text.split(/\r?\n/)),
    m('scan lines (indexOf only)', () => scanLines(text)),
    m('read every char (charCodeAt)', () => readChars(text)),
    m('objects floor (split + objects)', () => objectsFloor(g)),
    m(label ? 'parseRlmstat' : 'parseLmstat', parse),
  ];
}

/** Heap in use after full GCs, once the (concurrent) sweeping they started has had time to finish. */
async function settledHeap(): Promise<number> {
  const gc = (global as { gc?: () => void }).gc!;
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 100));
  }
  return process.memoryUsage().heapUsed;
}

/** MB of heap a parse result keeps alive (heap with it minus heap without it), and per checkout. */
async function retained(parse: () => Snapshot): Promise<string> {
  if (!(global as { gc?: () => void }).gc) return 'unknown (needs --expose-gc)';
  let snap: Snapshot | null = parse();
  const withIt = await settledHeap();
  let checkouts = 0;
  for (const f of snap.features) checkouts += f.checkouts.length;
  snap = null;
  const bytes = withIt - (await settledHeap());
  return `${(bytes / 1e6).toFixed(1)} MB (${Math.round(bytes / checkouts)} bytes per checkout)`;
}

async function main() {
  const lm = ONLY === 'rlm' ? null : generateLmstat();
  const rl = ONLY === 'lmstat' ? null : generateRlmstat();
  const opts = { now: BENCH_NOW, timeZone: BENCH_TZ, serverId: 'bench' };
  console.log(
    `parse benchmark: ${RUNS} runs (+${WARMUP} warm-up) of each measure, round-robin, forced GC before each run`,
  );
  console.log(`start times inferred for ${BENCH_NOW.toISOString()} in ${BENCH_TZ}`);
  const lmMeasures = lm ? measuresFor('', lm, () => parseLmstat(lm.text, opts)) : [];
  const rlMeasures = rl ? measuresFor('rlm: ', rl, () => parseRlmstat(rl.text, opts)) : [];
  if (lm) {
    console.log(`lmstat -a text: ${describe(lm)}`);
    check('parseLmstat', parseLmstat(lm.text, opts), lm);
  }
  if (rl) {
    console.log(`rlmstat -a text: ${describe(rl)}`);
    check('parseRlmstat', parseRlmstat(rl.text, opts), rl);
  }
  await runAll([...lmMeasures, ...rlMeasures]);
  if (lm) {
    table('lmstat -a', lmMeasures, lmMeasures[0]);
    console.log(`heap kept by the parseLmstat Snapshot: ${await retained(() => parseLmstat(lm.text, opts))}`);
  }
  if (rl) {
    table('rlmstat -a', rlMeasures, rlMeasures[0]);
    console.log(`heap kept by the parseRlmstat Snapshot: ${await retained(() => parseRlmstat(rl.text, opts))}`);
  }
  console.log(
    '\nms: wall clock, median/min/max of the runs; cpu ms: median CPU time of the main thread (GC helper threads not\n' +
      "included); gc ms: median GC pause time inside a run. ratio = split '\\n' time / measure time, from the\n" +
      'medians, the minimums and the cpu medians (1.00 = as fast as the split).',
  );
  for (const ms of [lmMeasures, rlMeasures]) {
    if (!ms.length) continue;
    const split = ms[0];
    const p = ms[ms.length - 1];
    const r = median(split.times) / median(p.times);
    const rMin = Math.min(...split.times) / Math.min(...p.times);
    const rCpu = median(split.cpu) / median(p.cpu);
    console.log(
      `${p.name}: ${r.toFixed(3)} of the split speed (medians), ${rMin.toFixed(3)} (minimums), ${Number.isFinite(rCpu) ? rCpu.toFixed(3) : '-'} (cpu); ` +
        `aim >= 0.333: ${r >= 1 / 3 ? 'met' : 'NOT met'}`,
    );
  }
}

if (require.main === module) {
  main().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}
