/**
 * `licensegraph parse [--format lmstat|lmstat-i|rlmstat|json|flexlm-log] [--server-id ID] [--time-zone TZ] [--now ISO]
 *   [--fallback-date YYYY-MM-DD] [FILE|-]`
 *
 * Reads a captured license-server output (a file, or stdin for "-" or no FILE), parses it with the same pure
 * parsers the server uses, and prints the Foretify Manager LicenseSummary JSON with licensegraph's extra fields (per feature:
 * issues, uncounted, reserved, reservations, queued, pools, expiry, and per checkout display, version, handle,
 * count, startedAt, issues; at the top: issues, server {status, version, capturedAt, hosts, vendorDaemons},
 * warnings). `valid` and `issues` come from validate(). Start times are read against the capture's own time
 * when it states one; --now is only the fallback. lmstat -i (a license-file listing, no usage) prints its own
 * shape: { format: "lmstat-i", features: [{ name, version, count, expiry, vendor, ... }] }.
 *
 * A FlexLM debug log (--format flexlm-log) is not a status output: it prints the log's events instead,
 * `{"events":[...],"unparsed":{count,samples},"summary":{...},"timeZone":..,"warnings":[...]}` with one event object
 * per line (see src/sources/flexlm/debuglog-types.ts), times read in --time-zone and printed as ISO UTC.
 *
 * Without --format the format is detected (and stderr says which and why). Exit 0 whenever the input could be read
 * (a DOWN or invalid report is still a report); exit 2 with one line on stderr when it could not (missing file, a
 * directory, empty stdin on a terminal, invalid --format/--now/--time-zone, JSON that is not a LicenseSummary).
 *
 * Parsers, validation and the mapper load only when the command runs (the CLI's other commands do not pay for them).
 */
import * as fs from 'fs';
import type { Command } from 'commander';
import type { Snapshot } from '../domain/snapshot';
import { CliError } from './errors';

export const INPUT_FORMATS = ['lmstat', 'lmstat-i', 'rlmstat', 'json', 'flexlm-log'] as const;
export type InputFormat = (typeof INPUT_FORMATS)[number];

export interface ParseCommandOptions {
  format?: string;
  serverId?: string;
  timeZone?: string;
  now?: string;
  fallbackDate?: string;
}

export interface ParseIo {
  readStdin(): Promise<string>;
  stdinIsTTY: boolean;
  stdout(text: string): void;
  stderr(text: string): void;
}

/** Guess the format of a captured output, with the reason. Pure. */
export function detectFormat(text: string): { format: InputFormat; why: string } {
  const head = text.slice(0, 256 * 1024);
  const first = /\S/.exec(head)?.[0];
  if (first === '{' || first === '[') return { format: 'json', why: 'the input starts with a JSON object' };
  if (/^\s*Feature\s+Version\s+#licenses\b/m.test(head))
    return { format: 'lmstat-i', why: 'an lmstat -i "Feature Version #licenses" table header' };
  if (
    /^\s*(?:rlmutil v|rlm status on |-+ ISV servers -+|\S+ license pool status on |\S+ license usage status on |Error connecting to "[^"]*" server)/m.test(
      head,
    )
  ) {
    return { format: 'rlmstat', why: 'rlmstat lines (rlm status / ISV servers / license pool status)' };
  }
  const timed = head.match(/^ ?\d{1,2}:\d{2}:\d{2} \([^)\s]+\) /gm);
  if (timed && timed.length >= 2)
    return { format: 'flexlm-log', why: 'FlexLM debug log lines ("H:MM:SS (daemon) ...")' };
  if (
    /^\s*(?:Users of |License server status:|Flexible License Manager status|Vendor daemon status|lmutil - Copyright|\S+: license server (?:UP|DOWN))/m.test(
      head,
    )
  ) {
    return { format: 'lmstat', why: 'lmstat -a lines (License server status / Users of ...)' };
  }
  return { format: 'lmstat', why: 'nothing recognisable; reading it as lmstat -a' };
}

async function readInput(file: string | undefined, io: ParseIo): Promise<{ text: string; name: string }> {
  if (file === undefined || file === '-') {
    if (file === undefined && io.stdinIsTTY)
      throw new CliError('no input: give a FILE, or "-" and pipe the output into stdin', 2);
    return { text: await io.readStdin(), name: 'stdin' };
  }
  let st: fs.Stats;
  try {
    st = fs.statSync(file);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(
      `cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file' : err.code === 'EACCES' ? 'permission denied' : err.message}`,
      2,
    );
  }
  if (st.isDirectory()) throw new CliError(`cannot read ${file}: it is a directory`, 2);
  try {
    return { text: fs.readFileSync(file, 'utf8'), name: file };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new CliError(`cannot read ${file}: ${err.code === 'EACCES' ? 'permission denied' : err.message}`, 2);
  }
}

/** Run the command; returns the exit code (0), or throws CliError (exit 2) when the input cannot be read. */
export async function runParse(file: string | undefined, opts: ParseCommandOptions, io: ParseIo): Promise<number> {
  // options first: a bad option should not wait for stdin
  if (opts.format !== undefined && !INPUT_FORMATS.includes(opts.format as InputFormat)) {
    throw new CliError(`--format must be one of ${INPUT_FORMATS.join(', ')} (got "${opts.format}")`, 2);
  }
  let now = new Date();
  if (opts.now !== undefined) {
    const ms = /^\d{4}-\d{2}-\d{2}/.test(opts.now) ? Date.parse(opts.now) : NaN;
    if (!Number.isFinite(ms))
      throw new CliError(`--now must be an ISO date-time such as 2026-01-20T12:00:00Z (got "${opts.now}")`, 2);
    now = new Date(ms);
  }
  const { isValidTimeZone } = await import('../domain/time');
  if (opts.timeZone !== undefined && !isValidTimeZone(opts.timeZone))
    throw new CliError(`--time-zone must be an IANA time zone such as Europe/Berlin (got "${opts.timeZone}")`, 2);
  const fd = opts.fallbackDate;
  if (
    fd !== undefined &&
    !(
      /^\d{4}-\d{2}-\d{2}$/.test(fd) &&
      Number.isFinite(Date.parse(`${fd}T00:00:00Z`)) &&
      new Date(`${fd}T00:00:00Z`).toISOString().startsWith(fd)
    )
  ) {
    throw new CliError(`--fallback-date must be a date such as 2026-12-01 (got "${opts.fallbackDate}")`, 2);
  }
  const serverId = opts.serverId ?? 'cli';
  if (!serverId.trim()) throw new CliError('--server-id must not be empty', 2);

  const { text, name } = await readInput(file, io);
  let format = opts.format as InputFormat | undefined;
  if (!format) {
    const d = detectFormat(text);
    format = d.format;
    io.stderr(`licensegraph parse: reading ${name} as ${format} (${d.why}); use --format to choose\n`);
  }
  if (format === 'flexlm-log') {
    const { parseDebugLog } = await import('../sources/flexlm/debuglog');
    const { processTimeZone } = await import('../domain/time');
    const r = parseDebugLog(text, { timeZone: opts.timeZone ?? processTimeZone(), fallbackDate: opts.fallbackDate });
    io.stdout(debugLogJson(r));
    return 0;
  }
  const popts = { serverId, now, timeZone: opts.timeZone };
  let snapshot: Snapshot;
  switch (format) {
    case 'lmstat': {
      const { parseLmstat } = await import('../sources/flexlm/parse');
      snapshot = parseLmstat(text, popts);
      snapshot.sourceType = 'flexlm-file';
      break;
    }
    case 'lmstat-i': {
      const { parseLmstatI } = await import('../sources/flexlm/parse-i');
      io.stdout(JSON.stringify(lmstatIOutput(parseLmstatI(text, popts)), null, 2) + '\n');
      return 0;
    }
    case 'rlmstat': {
      const { parseRlmstat } = await import('../sources/rlm/parse');
      snapshot = parseRlmstat(text, { ...popts, sourceType: 'rlm-file' });
      break;
    }
    case 'json': {
      const { tryMapLicenseSummary } = await import('../sources/json/map');
      let value: unknown;
      try {
        value = JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
      } catch (e) {
        throw new CliError(`${name} is not valid JSON: ${(e as Error).message}`, 2);
      }
      const r = tryMapLicenseSummary(value, { ...popts, sourceType: 'json' });
      if (!r.ok) throw new CliError(`${name} is not a LicenseSummary: ${r.message}`, 2);
      snapshot = r.snapshot;
      break;
    }
  }
  const { validate } = await import('../domain/validate');
  const { snapshotToLicenseSummary } = await import('../sources/json/map');
  io.stdout(JSON.stringify(snapshotToLicenseSummary(snapshot, validate(snapshot)), null, 2) + '\n');
  return 0;
}

/**
 * What `parse --format lmstat-i` prints: lmstat -i lists the license file, not usage, so it is not a LicenseSummary
 * (whose checks would all fail for want of an in-use count): one row per license-file line, as printed.
 */
export interface LmstatIOutput {
  format: 'lmstat-i';
  features: Array<{
    name: string;
    version: string | null;
    count: number | null;
    uncounted: boolean;
    expiry: string | null;
    expiryRaw: string | null;
    permanent: boolean;
    vendor: string | null;
  }>;
  warnings: import('../domain/snapshot').ParseWarning[];
  note: string;
}

function lmstatIOutput(r: import('../sources/flexlm/parse-i').LmstatIResult): LmstatIOutput {
  return {
    format: 'lmstat-i',
    features: r.features.map((f) => ({
      name: f.name,
      version: f.version,
      count: f.issued,
      uncounted: f.uncounted,
      expiry: f.expiry,
      expiryRaw: f.expiryRaw,
      permanent: f.permanent,
      vendor: f.vendor,
    })),
    warnings: r.warnings,
    note: 'lmstat -i lists the licenses in the license file, not their use: run lmstat -a for usage',
  };
}

/** The debug-log result as JSON with one event per line (large logs stay greppable and diffable). */
function debugLogJson(r: import('../sources/flexlm/debuglog').DebugLogResult): string {
  const { events, ...rest } = r;
  const lines = events.map((e) => JSON.stringify(e));
  const tail = JSON.stringify(rest);
  return `{"events":[${lines.length ? '\n' + lines.join(',\n') + '\n' : ''}],\n${tail.slice(1)}\n`;
}

function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer | string) => chunks.push(typeof c === 'string' ? Buffer.from(c) : c));
    stream.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    stream.on('error', reject);
  });
}

export function registerParseCommand(program: Command): void {
  program
    .command('parse')
    .description(
      'Parse a captured lmstat / lmstat -i / rlmstat output or LicenseSummary JSON and print the report as JSON, or a FlexLM debug log and print its events',
    )
    .argument('[file]', 'the captured output; "-" or nothing reads stdin')
    .option('--format <format>', `one of ${INPUT_FORMATS.join(', ')} (default: detected)`)
    .option('--server-id <id>', 'server id to report under', 'cli')
    .option(
      '--time-zone <tz>',
      "IANA zone the server prints start times (debug logs: all times) in (default: this machine's)",
    )
    .option(
      '--now <iso>',
      'when the output was captured, if it does not say (lmstat "status on", rlmstat statistics, JSON server.fetchedAt win); start times are inferred before it (default: now)',
    )
    .option('--fallback-date <date>', 'debug logs: the date (YYYY-MM-DD) of the lines before the first date line')
    .action(async (file: string | undefined, opts: ParseCommandOptions) => {
      const code = await runParse(file, opts, {
        readStdin: () => readAll(process.stdin),
        stdinIsTTY: process.stdin.isTTY === true,
        stdout: (t) => process.stdout.write(t),
        stderr: (t) => process.stderr.write(t),
      });
      if (code !== 0) process.exitCode = code;
    });
}
