/**
 * Parses pushed text on a worker thread, so a large push (megabytes of lmstat, tens of thousands of features) does
 * not stall every other request while it is read: the event loop only receives the finished snapshot. One worker,
 * started at the first push and kept (unref'd: it never holds the process open); requests queue on it in order. A
 * worker that dies fails the requests it held and is replaced at the next push. Where no worker can be started, the
 * parse runs inline.
 */
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { IngestLimitsConfig } from '../../config/types';
import { checkIngest, type CheckedIngest } from './checked';
import type { IngestFormat } from './parse';

export interface ParseRequest {
  id: number;
  text: string;
  format: IngestFormat | 'auto' | undefined;
  serverId: string;
  nowMs: number;
  timeZone?: string;
  limits: Pick<IngestLimitsConfig, 'maxFeatures' | 'maxCheckouts'>;
}

type Reply = { id: number; result: CheckedIngest } | { id: number; error: string };

function startWorker(): Worker {
  const ext = path.extname(__filename);
  const entry = path.join(__dirname, `parse.worker${ext}`);
  if (ext !== '.ts') return new Worker(entry);
  // Running from the TypeScript sources (the tests under ts-jest): compile the worker's modules on load.
  const code = `require('ts-node').register({ transpileOnly: true, compilerOptions: { module: 'commonjs' } }); require(${JSON.stringify(entry)});`;
  return new Worker(code, { eval: true });
}

export class IngestParser {
  private worker: Worker | null = null;
  private next = 1;
  private readonly pending = new Map<number, { resolve: (r: CheckedIngest) => void; reject: (e: Error) => void }>();
  private closed = false;

  constructor(private readonly opts: { inline?: boolean } = {}) {}

  parse(req: Omit<ParseRequest, 'id'>): Promise<CheckedIngest> {
    const worker = this.opts.inline || this.closed ? null : this.ensureWorker();
    if (!worker)
      return Promise.resolve(
        checkIngest(
          req.text,
          req.format,
          { serverId: req.serverId, now: new Date(req.nowMs), timeZone: req.timeZone },
          req.limits,
        ),
      );
    const id = this.next++;
    return new Promise<CheckedIngest>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...req, id } satisfies ParseRequest);
    });
  }

  private ensureWorker(): Worker | null {
    if (this.worker) return this.worker;
    let w: Worker;
    try {
      w = startWorker();
    } catch {
      return null;
    }
    w.unref();
    w.on('message', (m: Reply) => this.settle(m));
    const fail = (err: Error) => {
      if (this.worker === w) this.worker = null;
      for (const p of this.pending.values()) p.reject(err);
      this.pending.clear();
    };
    w.on('error', fail);
    w.on('exit', (code) => fail(new Error(`ingest parser worker exited (code ${code})`)));
    this.worker = w;
    return w;
  }

  private settle(m: Reply): void {
    const p = this.pending.get(m.id);
    if (!p) return;
    this.pending.delete(m.id);
    if (this.pending.size === 0) this.worker?.unref();
    if ('error' in m) p.reject(new Error(`ingest parser failed: ${m.error}`));
    else p.resolve(m.result);
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w) await w.terminate();
  }
}
