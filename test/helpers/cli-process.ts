/**
 * The real CLI as a child process (`node bin/licensegraph.js ...`, from the TypeScript sources so that the code
 * under test is what runs, never a stale dist/), with its output collected and bounded waits on it.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';

export const ROOT = path.resolve(__dirname, '../..');

export interface CliProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with the exit code (or the signal's name) once the process has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;
  /** Polls until `cond` holds (true) or the process exits / the time is up (false). */
  waitFor(cond: () => boolean, timeoutMs: number): Promise<boolean>;
  /** Waits for exit up to timeoutMs; SIGKILLs it past that (and returns null). */
  waitExit(timeoutMs: number): Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number } | null>;
  kill(): void;
}

export function runCli(args: string[], env: Record<string, string | undefined>): CliProcess {
  const merged: Record<string, string | undefined> = {
    ...process.env,
    LICENSEGRAPH_FROM_SOURCE: '1',
    JEST_WORKER_ID: undefined,
    ...env,
  };
  for (const k of Object.keys(merged)) if (merged[k] === undefined) delete merged[k];
  const child = spawn(process.execPath, [path.join(ROOT, 'bin/licensegraph.js'), ...args], {
    cwd: ROOT,
    env: merged as NodeJS.ProcessEnv,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
  );
  let done = false;
  void exited.then(() => (done = true));
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  return {
    child,
    stdout: () => out,
    stderr: () => err,
    exited,
    async waitFor(cond, timeoutMs) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        if (cond()) return true;
        if (done) return cond();
        await sleep(25);
      }
      return cond();
    },
    async waitExit(timeoutMs) {
      let timer: NodeJS.Timeout | undefined;
      const r = await Promise.race([
        exited,
        new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs))),
      ]);
      clearTimeout(timer);
      if (r === null) {
        child.kill('SIGKILL');
        await exited;
      }
      return r;
    },
    kill() {
      if (!done) child.kill('SIGKILL');
    },
  };
}

/** Every file and directory under `dir` (relative paths) whose mode lets group or others in. */
export function looseModes(dir: string): string[] {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const fs = require('fs') as typeof import('fs');
  const out: string[] = [];
  const visit = (p: string, rel: string) => {
    const st = fs.lstatSync(p);
    if (st.isSymbolicLink()) return;
    if ((st.mode & 0o077) !== 0) out.push(`${rel || '.'} ${(st.mode & 0o777).toString(8)}`);
    if (st.isDirectory()) for (const n of fs.readdirSync(p)) visit(path.join(p, n), rel ? `${rel}/${n}` : n);
  };
  visit(dir, '');
  return out;
}
