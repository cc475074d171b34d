/**
 * The PGlite data directory's safety rules:
 *
 * - A new cluster is created only in an empty directory. A directory holding files but no PG_VERSION is a damaged
 *   or foreign directory: initialising over it would silently replace every user, token and session, so start-up
 *   refuses and says what to do (DataDirError).
 * - A directory PGlite cannot open (corrupt files: "Aborted()" from the WebAssembly runtime) is reported with its
 *   path and how to restore it, not with the runtime's message alone.
 * - Nothing in it is readable by group or others: the directory and its subdirectories are 0700, files 0600.
 *   PGlite writes most files with mode 0666 whatever the umask, so the modes are repaired at start (and logged),
 *   once the cluster is open, and again when it closes.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { LOCK_FILE_NAME } from './lock';

/** Files licensegraph itself keeps in the data directory (not part of the PostgreSQL cluster). */
export const OWN_FILES = new Set([LOCK_FILE_NAME, 'admin.sock', 'children', 'lost+found']);

/** A data directory that cannot be used as it is; the message says which and what to do. */
export class DataDirError extends Error {
  constructor(
    message: string,
    readonly dataDir: string,
  ) {
    super(message);
    this.name = 'DataDirError';
  }
}

const restoreAdvice = (dir: string) =>
  `Restore ${dir} from a backup (stop licensegraph first), or, to start afresh with an empty database, move it aside ` +
  `(mv ${dir} ${dir}.damaged) or point LICENSEGRAPH_DATA_DIR at an empty directory.`;

/**
 * Before a new cluster is created in `dir` (no PG_VERSION): refuse when it holds anything but licensegraph's own
 * files. Never initialise over existing data.
 */
export function assertEmptyForInit(dir: string): void {
  let entries: string[];
  try {
    entries = fs.readdirSync(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw err;
  }
  const foreign = entries.filter((e) => !OWN_FILES.has(e) && !e.startsWith(`${LOCK_FILE_NAME}.stale-`));
  if (foreign.length === 0) return;
  const shown = foreign.slice(0, 5).join(', ') + (foreign.length > 5 ? `, … (${foreign.length} entries)` : '');
  throw new DataDirError(
    `the data directory ${dir} is not empty (${shown}) but has no ${path.join(dir, 'PG_VERSION')}: it is damaged or not a ` +
      `licensegraph database, and licensegraph will not create a new database over existing files. ${restoreAdvice(dir)}`,
    dir,
  );
}

/** The error for a directory PGlite failed to open. */
export function damagedDataDir(dir: string, cause: unknown): DataDirError {
  const detail = cause instanceof Error ? cause.message : String(cause);
  const e = new DataDirError(
    `the data directory ${dir} is damaged: PGlite could not open it (${detail.slice(0, 200)}). ${restoreAdvice(dir)}`,
    dir,
  );
  (e as Error & { cause?: unknown }).cause = cause;
  return e;
}

export interface ModeRepair {
  /** Paths (relative to the directory) whose mode was tightened. */
  repaired: string[];
}

/**
 * Tightens modes under `dir`: directories 0700, files 0600 (sockets too). Symbolic links are left alone (their
 * mode means nothing). Returns what changed.
 */
export function repairDataDirModes(dir: string): ModeRepair {
  const repaired: string[] = [];
  const visit = (p: string, rel: string) => {
    let st: fs.Stats;
    try {
      st = fs.lstatSync(p);
    } catch {
      return; // removed meanwhile
    }
    if (st.isSymbolicLink()) return;
    const want = st.isDirectory() ? 0o700 : 0o600;
    if ((st.mode & 0o077) !== 0 || (st.isDirectory() && (st.mode & 0o700) !== 0o700)) {
      try {
        fs.chmodSync(p, want);
        repaired.push(rel || '.');
      } catch {
        /* removed meanwhile */
      }
    }
    if (st.isDirectory()) {
      let names: string[] = [];
      try {
        names = fs.readdirSync(p);
      } catch {
        names = [];
      }
      for (const n of names) visit(path.join(p, n), rel ? `${rel}/${n}` : n);
    }
  };
  visit(dir, '');
  return { repaired };
}

/** "3 entries (., base, global/pg_control)" for logs. */
export function describeRepair(r: ModeRepair): string {
  const shown = r.repaired.slice(0, 5).join(', ') + (r.repaired.length > 5 ? ', …' : '');
  return `${r.repaired.length} ${r.repaired.length === 1 ? 'entry' : 'entries'} (${shown})`;
}
