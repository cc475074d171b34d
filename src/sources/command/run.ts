/**
 * Running a license-server utility (lmutil, rlmutil) safely.
 *
 * - An argument array, never a shell string (spawn with shell: false): nothing in the config is ever interpreted
 *   by a shell.
 * - LANG=C / LC_ALL=C so the output is in the English the parsers read.
 * - The child leads its own process group (detached: true). A timeout, an abort or an output cap kills the whole
 *   group with SIGKILL (process.kill(-pid)), so a wrapper script and anything it started go too. After a normal
 *   exit the group is killed as well, so a straggler that inherited the group cannot outlive the run.
 * - stdout is capped at maxOutputBytes (the run is killed and fails with TOO_LARGE); stderr is kept up to a small
 *   cap (and drained past it, so the child never blocks on a full pipe).
 * - The promise settles only once the child is gone (its pipes closed), with a short grace period after SIGKILL
 *   for a child stuck in the kernel.
 * - Groups still running when this process exits are killed on the way out. A process killed with SIGKILL cannot
 *   do that: the groups it has running are recorded in a file of its own (recordChildGroupsIn: <dir>/<pid>.json,
 *   with each group leader's start time), and the next start kills the groups of recorders that are gone
 *   (reapStaleChildGroups), so hung utilities do not pile up across crashes.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { SourceError } from '../source';

export const DEFAULT_MAX_STDERR_BYTES = 8 * 1024;
/** How long to wait for the pipes to close after SIGKILL before giving up on them. */
const KILL_GRACE_MS = 1000;

export interface RunOptions {
  /** Absolute path (or a name spawn can resolve). */
  binary: string;
  args: string[];
  /** Abort = kill the process group and reject with reason ABORTED. */
  signal?: AbortSignal;
  /** Kill the process group and reject with reason TIMEOUT after this long (none when 0/undefined). */
  timeoutMs?: number;
  /** Bytes of stdout read before the run is killed and fails with TOO_LARGE. */
  maxOutputBytes: number;
  /** Bytes of stderr kept (the rest is drained and dropped). Default 8 KiB. */
  maxStderrBytes?: number;
  /** Extra environment (on top of process.env; LANG and LC_ALL are always C). */
  env?: Record<string, string>;
  cwd?: string;
  /** Name used in messages (default: the binary's base name). */
  label?: string;
}

export interface RunResult {
  stdout: string;
  /** The first maxStderrBytes of stderr. */
  stderr: string;
  /** stderr was longer than what is kept. */
  stderrTruncated: boolean;
  /** null when the child was ended by a signal. */
  exitCode: number | null;
  exitSignal: NodeJS.Signals | null;
  pid: number;
  stdoutBytes: number;
  durationMs: number;
}

/** Process groups this process started and that have not finished yet. */
const liveGroups = new Set<number>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid);
  });
}

function killGroup(pgid: number): void {
  try {
    process.kill(-pgid, 'SIGKILL');
  } catch {
    // ESRCH: the group is already gone
  }
}

let recordDir: string | null = null;

/** The start time of a process (Linux /proc/<pid>/stat field 22), to tell it from a later process with its pid. */
function startTimeOf(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null;
  } catch {
    return null;
  }
}

function writeRecord(): void {
  if (!recordDir) return;
  const file = path.join(recordDir, `${process.pid}.json`);
  try {
    if (liveGroups.size === 0) fs.rmSync(file, { force: true });
    else
      fs.writeFileSync(file, JSON.stringify([...liveGroups].map((pgid) => ({ pgid, start: startTimeOf(pgid) }))), {
        mode: 0o600,
      });
  } catch {
    /* best effort: the exit hook still kills them on a normal exit */
  }
}

/** Keep a record of this process's running groups in `dir` (one file per process). */
export function recordChildGroupsIn(dir: string): void {
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  recordDir = dir;
  writeRecord();
}

/**
 * Kills the process groups recorded in `dir` by processes that no longer run (a server killed with SIGKILL),
 * checking each group leader's start time so an unrelated process that reused the pid is left alone. Returns the
 * process groups killed. Linux only (elsewhere nothing can be verified, so nothing is killed).
 */
export function reapStaleChildGroups(dir: string): number[] {
  const killed: number[] = [];
  let files: string[] = [];
  try {
    files = fs.readdirSync(dir).filter((f) => /^\d+\.json$/.test(f));
  } catch {
    return killed;
  }
  for (const f of files) {
    const owner = Number(f.slice(0, -5));
    if (owner === process.pid || processAlive(owner)) continue;
    let entries: Array<{ pgid?: unknown; start?: unknown }> = [];
    try {
      entries = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as typeof entries;
    } catch {
      entries = [];
    }
    for (const e of Array.isArray(entries) ? entries : []) {
      if (typeof e.pgid !== 'number' || !Number.isInteger(e.pgid) || e.pgid <= 1 || typeof e.start !== 'string')
        continue;
      if (startTimeOf(e.pgid) !== e.start) continue;
      killGroup(e.pgid);
      killed.push(e.pgid);
    }
    fs.rmSync(path.join(dir, f), { force: true });
  }
  return killed;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Process groups started by runCommand that are still running (for tests and diagnostics). */
export function runningGroups(): number[] {
  return [...liveGroups];
}

/** First non-empty line of a text, trimmed and capped. */
export function firstLine(text: string, max = 300): string {
  for (const raw of text.split(/\r?\n|\r/)) {
    const line = raw.trim();
    if (line) return line.length > max ? `${line.slice(0, max)}…` : line;
  }
  return '';
}

/** "exit code 1" / "killed by SIGTERM". */
export function describeExit(r: Pick<RunResult, 'exitCode' | 'exitSignal'>): string {
  if (r.exitSignal) return `killed by ${r.exitSignal}`;
  return `exit code ${r.exitCode ?? 'unknown'}`;
}

/** Find an executable on PATH (like `which`); null when there is none. */
export function findOnPath(name: string, envPath: string | undefined = process.env.PATH): string | null {
  if (!envPath) return null;
  const exts =
    process.platform === 'win32'
      ? ['', ...(process.env.PATHEXT ?? '.EXE;.CMD;.BAT').split(';').map((e) => e.toLowerCase())]
      : [''];
  for (const dir of envPath.split(path.delimiter)) {
    if (!dir) continue;
    for (const ext of exts) {
      const candidate = path.join(dir, name + ext);
      try {
        const st = fs.statSync(candidate);
        if (!st.isFile()) continue;
        fs.accessSync(candidate, fs.constants.X_OK);
        return candidate;
      } catch {
        // not here
      }
    }
  }
  return null;
}

function abortReason(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (typeof r === 'string') return r;
  // not `instanceof Error`: a DOMException (or an error from another realm) is not always one
  if (r && typeof r === 'object' && typeof (r as { message?: unknown }).message === 'string')
    return (r as { message: string }).message;
  return 'aborted';
}

/**
 * Run a binary and collect its output. Resolves with the exit status whatever it is (a non-zero exit is for the
 * caller to judge); rejects with a SourceError: SPAWN (could not start), TIMEOUT, ABORTED, TOO_LARGE.
 */
export function runCommand(opts: RunOptions): Promise<RunResult> {
  const label = opts.label ?? path.basename(opts.binary);
  const maxOut = opts.maxOutputBytes;
  const maxErr = opts.maxStderrBytes ?? DEFAULT_MAX_STDERR_BYTES;
  return new Promise<RunResult>((resolve, reject) => {
    if (opts.signal?.aborted) {
      reject(new SourceError(`${label} was not started: ${abortReason(opts.signal)}`, 'ABORTED'));
      return;
    }
    const started = Date.now();
    let child: ChildProcess;
    try {
      child = spawn(opts.binary, opts.args, {
        shell: false,
        detached: true,
        windowsHide: true,
        stdio: ['ignore', 'pipe', 'pipe'],
        cwd: opts.cwd,
        env: { ...process.env, ...opts.env, LANG: 'C', LC_ALL: 'C' },
      });
    } catch (e) {
      reject(new SourceError(`cannot run ${opts.binary}: ${(e as Error).message}`, 'SPAWN'));
      return;
    }
    const pid = child.pid ?? 0;
    if (pid > 0) {
      liveGroups.add(pid);
      installExitHook();
      writeRecord();
    }

    const out: Buffer[] = [];
    let outBytes = 0;
    const err: Buffer[] = [];
    let errKept = 0;
    let errTotal = 0;
    let exitCode: number | null = null;
    let exitSignal: NodeJS.Signals | null = null;
    let failure: SourceError | null = null;
    let settled = false;
    let timer: NodeJS.Timeout | undefined;
    let graceTimer: NodeJS.Timeout | undefined;

    const kill = () => {
      if (pid > 0) killGroup(pid);
    };
    const fail = (e: SourceError) => {
      if (failure || settled) return;
      failure = e;
      kill();
      // the pipes close once the group is dead; do not wait forever for a child stuck in the kernel
      graceTimer = setTimeout(finish, KILL_GRACE_MS);
      graceTimer.unref?.();
    };
    const onAbort = () =>
      fail(
        new SourceError(`${label} run aborted (${abortReason(opts.signal!)}); killed process group ${pid}`, 'ABORTED'),
      );

    function finish(): void {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      clearTimeout(graceTimer);
      opts.signal?.removeEventListener('abort', onAbort);
      if (pid > 0 && liveGroups.delete(pid)) writeRecord();
      child.stdout?.destroy();
      child.stderr?.destroy();
      if (failure) {
        reject(failure);
        return;
      }
      resolve({
        stdout: Buffer.concat(out, outBytes).toString('utf8'),
        stderr: Buffer.concat(err, errKept).toString('utf8'),
        stderrTruncated: errTotal > errKept,
        exitCode,
        exitSignal,
        pid,
        stdoutBytes: outBytes,
        durationMs: Date.now() - started,
      });
    }

    child.stdout!.on('data', (b: Buffer) => {
      if (failure) return;
      if (outBytes + b.length > maxOut) {
        outBytes += b.length;
        out.length = 0; // the output is not used; free it now
        fail(new SourceError(`${label} printed more than maxOutputBytes (${maxOut} bytes); killed it`, 'TOO_LARGE'));
        return;
      }
      out.push(b);
      outBytes += b.length;
    });
    child.stderr!.on('data', (b: Buffer) => {
      errTotal += b.length;
      if (errKept < maxErr) {
        const part = b.subarray(0, maxErr - errKept);
        err.push(part);
        errKept += part.length;
      }
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      // spawn failures (ENOENT, EACCES): there is no process to wait for
      if (!failure) {
        const hint =
          e.code === 'ENOENT'
            ? 'no such file'
            : e.code === 'EACCES'
              ? 'permission denied (is it executable?)'
              : e.message;
        failure = new SourceError(`cannot run ${opts.binary}: ${hint}`, 'SPAWN');
      }
      finish();
    });
    child.on('exit', (code, sig) => {
      exitCode = code;
      exitSignal = sig;
      // anything the child left behind in its group goes with it
      kill();
    });
    child.on('close', () => finish());

    if (opts.timeoutMs && opts.timeoutMs > 0) {
      const secs = Math.round(opts.timeoutMs) / 1000;
      timer = setTimeout(
        () => fail(new SourceError(`${label} timed out after ${secs} s; killed process group ${pid}`, 'TIMEOUT')),
        opts.timeoutMs,
      );
      timer.unref?.();
    }
    opts.signal?.addEventListener('abort', onAbort, { once: true });
  });
}
