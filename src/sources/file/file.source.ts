/**
 * File sources (types 'flexlm-file', 'rlm-file'): a captured `lmstat -a` / `rlmstat -a` output that something
 * else (cron, an agent) keeps up to date. The file is re-read at each fetch, at most maxOutputBytes of it, and
 * parsed with the matching parser.
 *
 * Start times are inferred against the file's modification time (when the capture was written; the poll time
 * when the mtime is in the future), not against the poll time: a capture written an hour ago says "10:30" about
 * a checkout that started before the capture. fetchedAt is the poll time.
 *
 * Errors: a missing or unreadable file (or a directory) -> SourceError IO naming the path and errno; a file larger
 * than maxOutputBytes -> TOO_LARGE.
 */
import * as fs from 'fs';
import type { ServerConfig } from '../../config/types';
import type { Snapshot } from '../../domain/snapshot';
import { SingleRun } from '../command/single-run';
import { parseLmstat } from '../flexlm/parse';
import { parseRlmstat } from '../rlm/parse';
import { SourceError, type LicenseSource } from '../source';

export interface FileSourceOptions {
  now?: () => Date;
}

export interface CappedRead {
  text: string;
  bytes: number;
  mtime: Date;
}

function ioError(file: string, e: unknown): SourceError {
  const err = e as NodeJS.ErrnoException;
  const code = err?.code ? `${err.code}: ` : '';
  const msg = String(err?.message ?? e).replace(/^[A-Z]+: /, '');
  return new SourceError(`cannot read ${file}: ${code}${msg}`, 'IO');
}

/** Read at most maxBytes of a file (TOO_LARGE past that). Checks the signal between steps. */
export async function readFileCapped(file: string, maxBytes: number, signal?: AbortSignal): Promise<CappedRead> {
  const aborted = () => {
    if (signal?.aborted) throw new SourceError(`reading ${file} aborted`, 'ABORTED');
  };
  aborted();
  let fh: fs.promises.FileHandle;
  try {
    fh = await fs.promises.open(file, 'r');
  } catch (e) {
    throw ioError(file, e);
  }
  try {
    let st: fs.Stats;
    try {
      st = await fh.stat();
    } catch (e) {
      throw ioError(file, e);
    }
    if (st.isDirectory()) throw new SourceError(`cannot read ${file}: EISDIR: it is a directory`, 'IO');
    if (st.size > maxBytes)
      throw new SourceError(`${file} is ${st.size} bytes, more than maxOutputBytes (${maxBytes} bytes)`, 'TOO_LARGE');
    // read one byte more than allowed, in case the file grew after the stat
    const buf = Buffer.allocUnsafe(Math.min(maxBytes + 1, Math.max(st.size + 1, 64 * 1024)));
    let n = 0;
    for (;;) {
      aborted();
      if (n === buf.length) break;
      let r: { bytesRead: number };
      try {
        r = await fh.read(buf, n, buf.length - n, n);
      } catch (e) {
        throw ioError(file, e);
      }
      if (r.bytesRead === 0) break;
      n += r.bytesRead;
    }
    if (n > maxBytes) throw new SourceError(`${file} is more than maxOutputBytes (${maxBytes} bytes)`, 'TOO_LARGE');
    return { text: buf.toString('utf8', 0, n), bytes: n, mtime: st.mtime };
  } finally {
    await fh.close().catch(() => undefined);
  }
}

export class FileSource implements LicenseSource {
  readonly id: string;
  readonly type: 'flexlm-file' | 'rlm-file';
  private readonly single = new SingleRun<Snapshot>();
  private readonly now: () => Date;

  constructor(
    readonly config: ServerConfig,
    opts: FileSourceOptions = {},
  ) {
    if (config.type !== 'flexlm-file' && config.type !== 'rlm-file')
      throw new Error(`FileSource cannot read type ${config.type}`);
    if (!config.path) throw new Error(`server ${config.id}: type ${config.type} needs a path`);
    this.id = config.id;
    this.type = config.type;
    this.now = opts.now ?? (() => new Date());
  }

  fetch(signal: AbortSignal): Promise<Snapshot> {
    return this.single.run(signal, (s) => this.readOnce(s));
  }

  private async readOnce(signal: AbortSignal): Promise<Snapshot> {
    const polledAt = this.now();
    const { text, mtime } = await readFileCapped(this.config.path!, this.config.maxOutputBytes, signal);
    const capturedAt = mtime.getTime() <= polledAt.getTime() ? mtime : polledAt;
    const opts = { serverId: this.id, now: capturedAt, timeZone: this.config.timeZone };
    const snap =
      this.type === 'rlm-file' ? parseRlmstat(text, { ...opts, sourceType: 'rlm-file' }) : parseLmstat(text, opts);
    snap.serverId = this.id;
    snap.sourceType = this.type;
    snap.fetchedAt = polledAt.toISOString();
    return snap;
  }
}
