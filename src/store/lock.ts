/**
 * One process per PGlite data directory. PGlite is PostgreSQL compiled to WebAssembly and running
 * inside this process, with no postmaster to arbitrate: two processes opening the same directory
 * corrupt it. acquireDataDirLock() claims `<dataDir>/licensegraph.lock` (created with O_EXCL) and
 * explains what to do when someone else has it. A lock left by a dead process is taken over.
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

export type LockPurpose = 'server' | 'cli';

export const LOCK_FILE_NAME = 'licensegraph.lock';

export interface LockInfo {
  pid: number;
  purpose: LockPurpose;
  startedAt: string;
  hostname?: string;
  /** Random per acquisition: lets release() recognise its own file. */
  nonce?: string;
}

export interface DataDirLock {
  readonly lockFile: string;
  /** Removes the lock file if it is still ours. Idempotent. */
  release(): void;
}

export class DataDirLockedError extends Error {
  constructor(
    message: string,
    readonly dataDir: string,
    readonly lockFile: string,
    readonly holder: LockInfo,
  ) {
    super(message);
    this.name = 'DataDirLockedError';
  }
}

/** Lock files held by this process (resolved path -> nonce), so a reused pid is not mistaken for a live holder. */
const heldHere = new Map<string, string>();

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readLock(file: string): LockInfo | null {
  try {
    const parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<LockInfo>;
    if (typeof parsed.pid !== 'number' || !Number.isInteger(parsed.pid) || parsed.pid <= 0) return null;
    return {
      pid: parsed.pid,
      purpose: parsed.purpose === 'cli' ? 'cli' : 'server',
      startedAt: String(parsed.startedAt ?? ''),
      hostname: parsed.hostname,
      nonce: parsed.nonce,
    };
  } catch {
    return null; // missing, half-written or garbage: treat as no live holder
  }
}

/** Whether the holder named in the file still runs (a lock written by this process counts only if we still hold it). */
function holderAlive(file: string, info: LockInfo): boolean {
  if (info.pid === process.pid) return heldHere.get(file) === info.nonce;
  return isAlive(info.pid);
}

function justCreated(file: string): boolean {
  try {
    return Date.now() - fs.statSync(file).mtimeMs < 2000;
  } catch {
    return false;
  }
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function lockedMessage(dataDir: string, lockFile: string, holder: LockInfo, purpose: LockPurpose): string {
  const who =
    holder.purpose === 'server' ? `the server (pid ${holder.pid})` : `a licensegraph command (pid ${holder.pid})`;
  let advice: string;
  if (holder.purpose === 'server' && purpose === 'cli') {
    advice = 'stop it or run the command against the running server with --url/--token, or use DATABASE_URL';
  } else if (holder.purpose === 'server') {
    advice =
      'stop it, or give this server its own LICENSEGRAPH_DATA_DIR, or use DATABASE_URL (PostgreSQL) to run several replicas';
  } else {
    advice = 'wait for it to finish (or stop it) and try again, or use DATABASE_URL';
  }
  return (
    `${who} holds ${dataDir}; ${advice}. ` +
    `(Embedded PGlite allows one process per data directory. If pid ${holder.pid} is not licensegraph, delete ${lockFile}.)`
  );
}

/**
 * Claims the data directory for this process (creating the directory if needed).
 * @throws DataDirLockedError when a live process holds it.
 */
export function acquireDataDirLock(dataDir: string, purpose: LockPurpose): DataDirLock {
  const dir = path.resolve(dataDir);
  fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  const lockFile = path.join(dir, LOCK_FILE_NAME);
  const nonce = randomBytes(8).toString('hex');
  const mine: LockInfo = {
    pid: process.pid,
    purpose,
    startedAt: new Date().toISOString(),
    hostname: os.hostname(),
    nonce,
  };

  for (let attempt = 0; attempt < 20; attempt++) {
    let fd: number;
    try {
      fd = fs.openSync(lockFile, 'wx', 0o600); // O_CREAT | O_EXCL: exactly one process wins
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const holder = readLock(lockFile);
      if (!holder && justCreated(lockFile)) {
        sleepSync(50); // another process created it an instant ago and is still writing its pid
        continue;
      }
      if (holder && holderAlive(lockFile, holder)) {
        throw new DataDirLockedError(lockedMessage(dir, lockFile, holder, purpose), dir, lockFile, holder);
      }
      takeOverStale(lockFile, dir, purpose);
      continue;
    }
    try {
      fs.writeSync(fd, JSON.stringify(mine) + '\n');
    } finally {
      fs.closeSync(fd);
    }
    heldHere.set(lockFile, nonce);
    return makeHandle(lockFile, nonce);
  }
  throw new Error(`could not acquire ${lockFile}: it keeps changing hands`);
}

/**
 * Moves a stale lock out of the way. Renaming (atomic) rather than unlinking means that if another
 * process replaced the stale file with a live lock in the meantime, we notice and put it back.
 */
function takeOverStale(lockFile: string, dir: string, purpose: LockPurpose): void {
  const aside = `${lockFile}.stale-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    fs.renameSync(lockFile, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return; // someone else cleared it; retry
    throw err;
  }
  const moved = readLock(aside);
  if (moved && holderAlive(lockFile, moved)) {
    // We raced with a process that had just taken the lock: give it back.
    try {
      fs.linkSync(aside, lockFile);
    } catch {
      /* a third process got in; it holds the lock now */
    }
    fs.rmSync(aside, { force: true });
    throw new DataDirLockedError(lockedMessage(dir, lockFile, moved, purpose), dir, lockFile, moved);
  }
  fs.rmSync(aside, { force: true });
}

function makeHandle(lockFile: string, nonce: string): DataDirLock {
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    process.removeListener('exit', release);
    if (heldHere.get(lockFile) === nonce) heldHere.delete(lockFile);
    if (readLock(lockFile)?.nonce === nonce) fs.rmSync(lockFile, { force: true });
  };
  // Clean up on a normal exit; after a crash the pid check recognises the lock as stale.
  process.on('exit', release);
  return { lockFile, release };
}
