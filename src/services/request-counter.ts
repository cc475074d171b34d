/**
 * Counts the API requests this instance serves, per calendar month (UTC), for the deployment report. Counting is
 * in memory; the counts reach the store in one upsert per month bucket every flushIntervalMs and on close, so no
 * request pays a database write and a restart keeps every flushed count. Also keeps this replica's heartbeat.
 */
import { createHash, randomUUID } from 'crypto';
import * as os from 'os';
import { bucketOf } from '../store/repositories/counters';
import type { Store } from '../store';

export interface RequestCounterOptions {
  flushIntervalMs?: number;
  instanceId?: string;
  now?: () => Date;
  onError?: (err: unknown) => void;
}

export class RequestCounter {
  readonly instanceId: string;
  private pending = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly now: () => Date;

  constructor(
    private readonly store: Store,
    private readonly opts: RequestCounterOptions = {},
  ) {
    this.instanceId = opts.instanceId ?? `${os.hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.now = opts.now ?? (() => new Date());
  }

  start(): void {
    if (this.timer) return;
    const every = this.opts.flushIntervalMs ?? 30_000;
    this.timer = setInterval(() => void this.flush(), every);
    this.timer.unref();
    void this.heartbeat();
  }

  /** One served request. */
  count(at: Date = this.now()): void {
    const b = bucketOf(at);
    this.pending.set(b, (this.pending.get(b) ?? 0) + 1);
  }

  /** Counts not yet written (for tests and the report of this instance's own live numbers). */
  unflushed(): Map<string, number> {
    return new Map(this.pending);
  }

  /** Write the pending counts (serialised: one flush at a time; a failed flush keeps its counts for the next). */
  flush(): Promise<void> {
    this.flushing = this.flushing.then(async () => {
      const batch = this.pending;
      this.pending = new Map();
      for (const [bucket, n] of batch) {
        try {
          await this.store.counters.add(bucket, this.instanceId, n);
        } catch (err) {
          this.pending.set(bucket, (this.pending.get(bucket) ?? 0) + n);
          this.opts.onError?.(err);
        }
      }
      await this.heartbeat();
    });
    return this.flushing;
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.store.replicas.heartbeat(
        this.instanceId,
        createHash('sha256').update(os.hostname()).digest('hex').slice(0, 16),
        this.now(),
      );
    } catch (err) {
      this.opts.onError?.(err);
    }
  }

  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
  }
}
