/**
 * The event bus behind the GraphQL subscriptions.
 *
 * - In-process fan-out: publish() hands each event to every local subscriber whose filter accepts it. Each
 *   subscriber is an async iterator with its own bounded queue; one that falls more than `maxQueue` events
 *   behind is ended with an error rather than letting memory grow without bound.
 * - Across replicas (PostgreSQL): publish() also sends the batch with NOTIFY on one channel; every replica
 *   LISTENs on a dedicated connection (not a pool client) and hands what other replicas published to its own
 *   subscribers. A replica skips its own messages (it delivered them locally already). NOTIFY payloads are
 *   limited to 8000 bytes: a batch that does not fit is base64-encoded and split into numbered chunks sent in
 *   one statement (one transaction, so they arrive together and in order); receivers reassemble them.
 *   Each batch is also appended to the store's live-event log (with a sequence number, kept for an hour): a replica
 *   whose LISTEN connection was down reads what it missed from the log as soon as LISTEN is back (reconnecting with
 *   backoff), so its subscribers and its active alerts see every event, late rather than never.
 * - With PGlite there is one process: in-process only.
 * - Duplicates: two replicas that both read a server announce the same transition. Each event may carry a
 *   dedupe key and value (e.g. alert rule+target -> FIRING); an event whose value equals the last value
 *   delivered for its key is dropped, so a state already announced is not announced twice, while a real
 *   change back and forth (FIRING, RESOLVED, FIRING) always gets through.
 */
import { randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import { LRUCache } from 'lru-cache';
import { Client, type Pool } from 'pg';

export interface BusLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

const silent: BusLogger = { info() {}, warn() {} };

/** Carries batches of events between replicas. */
export interface Transport {
  /** Starts receiving; resolves once remote messages will be delivered. */
  start(onRemote: (events: unknown[]) => void): Promise<void>;
  send(events: unknown[]): Promise<void>;
  close(): Promise<void>;
}

export class SubscriberTooSlowError extends Error {
  constructor(max: number) {
    super(`subscription ended: more than ${max} events were waiting to be sent (the client reads too slowly)`);
  }
}

/** One subscriber: an async iterator over the events its filter accepts. */
export class Subscription<T> implements AsyncIterableIterator<T> {
  private readonly queue: T[] = [];
  private waiting: { resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void } | null = null;
  private done = false;
  private failure: Error | null = null;

  constructor(
    readonly filter: (e: T) => boolean,
    private readonly maxQueue: number,
    private readonly onEnd: (s: Subscription<T>) => void,
  ) {}

  /** Called by the bus. */
  push(e: T): void {
    if (this.done) return;
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ value: e, done: false });
      return;
    }
    if (this.queue.length >= this.maxQueue) {
      this.fail(new SubscriberTooSlowError(this.maxQueue));
      return;
    }
    this.queue.push(e);
  }

  fail(err: Error): void {
    if (this.done) return;
    this.queue.length = 0;
    this.finish();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.reject(err);
    } else {
      this.failure = err;
    }
  }

  private finish(): void {
    if (this.done) return;
    this.done = true;
    this.onEnd(this);
  }

  next(): Promise<IteratorResult<T>> {
    if (this.queue.length > 0) return Promise.resolve({ value: this.queue.shift() as T, done: false });
    if (this.failure) {
      const f = this.failure;
      this.failure = null;
      return Promise.reject(f);
    }
    if (this.done) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  return(): Promise<IteratorResult<T>> {
    this.queue.length = 0;
    this.finish();
    if (this.waiting) {
      const w = this.waiting;
      this.waiting = null;
      w.resolve({ value: undefined, done: true });
    }
    return Promise.resolve({ value: undefined, done: true });
  }

  throw(err?: unknown): Promise<IteratorResult<T>> {
    this.return();
    return Promise.reject(err);
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }
}

export interface EventBusOptions<T> {
  transport?: Transport | null;
  /** Key and value identifying the state an event announces, for duplicate suppression (null: never dropped). */
  dedupe?: (e: T) => { key: string; value: string } | null;
  /** Events a subscriber may have waiting before it is ended. Default 10,000. */
  maxQueue?: number;
  logger?: BusLogger;
}

/**
 * Emits 'subscribers' (count) whenever the number of local subscribers changes, and 'event' (event) for every
 * event delivered (local or remote, after duplicate suppression).
 */
export class EventBus<T> extends EventEmitter {
  private readonly subs = new Set<Subscription<T>>();
  private readonly last = new LRUCache<string, string>({ max: 100_000, ttl: 6 * 3600_000 });
  private readonly maxQueue: number;
  private readonly logger: BusLogger;
  private closed = false;
  private started: Promise<void> | null = null;
  /** Counters for metrics. */
  readonly stats = { published: 0, received: 0, delivered: 0, duplicates: 0, sendFailures: 0 };

  constructor(private readonly opts: EventBusOptions<T> = {}) {
    super();
    this.setMaxListeners(0);
    this.maxQueue = opts.maxQueue ?? 10_000;
    this.logger = opts.logger ?? silent;
  }

  /** Starts the transport (LISTEN). Idempotent. */
  start(): Promise<void> {
    if (!this.started) {
      this.started = this.opts.transport
        ? this.opts.transport.start((events) => {
            this.stats.received += events.length;
            for (const e of events) this.deliver(e as T);
          })
        : Promise.resolve();
    }
    return this.started;
  }

  get subscriberCount(): number {
    return this.subs.size;
  }

  subscribe(filter: (e: T) => boolean = () => true): Subscription<T> {
    const s = new Subscription<T>(filter, this.maxQueue, (x) => {
      if (this.subs.delete(x)) this.emit('subscribers', this.subs.size);
    });
    if (this.closed) {
      void s.return();
      return s;
    }
    this.subs.add(s);
    this.emit('subscribers', this.subs.size);
    return s;
  }

  /** Delivers locally at once, then sends to the other replicas (a send failure is logged, not thrown). */
  async publish(events: T[]): Promise<void> {
    if (this.closed || events.length === 0) return;
    this.stats.published += events.length;
    for (const e of events) this.deliver(e);
    const t = this.opts.transport;
    if (!t) return;
    try {
      await t.send(events);
    } catch (err) {
      this.stats.sendFailures++;
      this.logger.warn({ err: (err as Error).message }, 'events: could not send to other replicas');
    }
  }

  private deliver(e: T): void {
    const d = this.opts.dedupe?.(e);
    if (d) {
      if (this.last.get(d.key) === d.value) {
        this.stats.duplicates++;
        return;
      }
      this.last.set(d.key, d.value);
    }
    this.emit('event', e);
    for (const s of this.subs) {
      let ok = false;
      try {
        ok = s.filter(e);
      } catch {
        ok = false;
      }
      if (ok) {
        this.stats.delivered++;
        s.push(e);
      }
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const s of [...this.subs]) await s.return();
    await this.opts.transport?.close();
  }
}

// ---- PostgreSQL LISTEN/NOTIFY ---------------------------------------------------------------------------

/** NOTIFY's payload limit is 8000 bytes; keep a margin for the header. */
export const NOTIFY_MAX_BYTES = 7900;
const PREFIX = 'lg1';

/** Encodes a batch as one or more NOTIFY payloads (pure, exported for tests). */
export function encodeNotify(origin: string, msgId: string, events: unknown[], maxBytes = NOTIFY_MAX_BYTES): string[] {
  const json = JSON.stringify(events);
  const single = `${PREFIX}|${origin}|${msgId}|0|1|${json}`;
  if (Buffer.byteLength(single, 'utf8') <= maxBytes) return [single];
  const b64 = Buffer.from(json, 'utf8').toString('base64');
  const header = `${PREFIX}|${origin}|${msgId}|000000|000000|`.length;
  const size = Math.max(1, maxBytes - header);
  const n = Math.ceil(b64.length / size);
  const out: string[] = [];
  for (let i = 0; i < n; i++) out.push(`${PREFIX}|${origin}|${msgId}|${i}|${n}|${b64.slice(i * size, (i + 1) * size)}`);
  return out;
}

/** Reassembles payloads from encodeNotify (pure apart from its buffer of partial messages). */
export class NotifyDecoder {
  private readonly partial = new Map<string, { parts: (string | undefined)[]; got: number; at: number }>();

  constructor(private readonly maxAgeMs = 60_000) {}

  /** Returns the origin and events when a message is complete, null otherwise (or for foreign/garbled payloads). */
  accept(payload: string, now = Date.now()): { origin: string; msgId: string; events: unknown[] } | null {
    const parts = payload.split('|');
    if (parts.length < 6 || parts[0] !== PREFIX) return null;
    const [, origin, msgId, iText, nText] = parts;
    const data = parts.slice(5).join('|');
    const i = Number(iText);
    const n = Number(nText);
    if (!Number.isInteger(i) || !Number.isInteger(n) || n < 1 || i < 0 || i >= n) return null;
    try {
      if (n === 1) return { origin, msgId, events: JSON.parse(data) as unknown[] };
      for (const [id, p] of this.partial) if (now - p.at > this.maxAgeMs) this.partial.delete(id);
      const key = `${origin}|${msgId}`;
      let p = this.partial.get(key);
      if (!p) {
        p = { parts: new Array<string | undefined>(n), got: 0, at: now };
        this.partial.set(key, p);
      }
      if (p.parts.length !== n) return null;
      if (p.parts[i] === undefined) {
        p.parts[i] = data;
        p.got++;
      }
      if (p.got < n) return null;
      this.partial.delete(key);
      const json = Buffer.from(p.parts.join(''), 'base64').toString('utf8');
      return { origin, msgId, events: JSON.parse(json) as unknown[] };
    } catch {
      return null;
    }
  }
}

/** The store's live-event log (src/store/repositories/live-events.ts). */
export interface LiveEventLog {
  append(origin: string, events: unknown[]): Promise<number>;
  latestId(): Promise<number>;
  since(afterId: number, limit?: number): Promise<Array<{ id: number; origin: string; events: unknown[] }>>;
  prune(before: Date): Promise<number>;
}

/** How long published batches stay in the log, and how often old ones are deleted. */
const LOG_KEEP_MS = 3600_000;
const LOG_PRUNE_EVERY_MS = 600_000;
/** Sequence numbers are taken before commit: catching up re-reads this far back (seen ones are skipped). */
const CATCH_UP_OVERLAP = 100;

/** The log sequence number a message id carries ("s123"), or null. */
function seqOf(msgId: string): number | null {
  if (!msgId.startsWith('s')) return null;
  const n = Number(msgId.slice(1));
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

export interface PgNotifyTransportOptions {
  pool: Pool;
  /** The live-event log; without it, events published while LISTEN is down are lost for this replica. */
  log?: LiveEventLog;
  /** Channel name (an identifier). Default licensegraph_events. */
  channel?: string;
  logger?: BusLogger;
  maxPayloadBytes?: number;
}

export class PgNotifyTransport implements Transport {
  /** This replica's id: its own messages come back through LISTEN and are skipped. */
  readonly origin = randomUUID();
  private readonly channel: string;
  private readonly logger: BusLogger;
  private readonly decoder = new NotifyDecoder();
  private client: Client | null = null;
  private closed = false;
  private retryMs = 500;
  private retryTimer: NodeJS.Timeout | undefined;
  private seq = 0;
  private onRemote: ((events: unknown[]) => void) | null = null;
  /** Highest log sequence number received, and the recent ones (duplicates between NOTIFY and catch-up). */
  private lastSeq = 0;
  private readonly seen = new LRUCache<number, true>({ max: 20_000 });
  private lastPrune = Date.now();
  /** Counters for tests and metrics. */
  readonly stats = { caughtUp: 0, reconnects: 0 };

  constructor(private readonly opts: PgNotifyTransportOptions) {
    this.channel = opts.channel ?? 'licensegraph_events';
    if (!/^[a-z_][a-z0-9_]{0,62}$/.test(this.channel)) throw new Error(`invalid NOTIFY channel name "${this.channel}"`);
    this.logger = opts.logger ?? silent;
  }

  async start(onRemote: (events: unknown[]) => void): Promise<void> {
    this.onRemote = onRemote;
    if (this.opts.log) {
      try {
        this.lastSeq = await this.opts.log.latestId(); // from now on: history before the start is not replayed
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'events: cannot read the live-event log');
      }
    }
    await this.connect();
  }

  /** A batch arrived (by NOTIFY or from the log): deliver it unless it is ours or was delivered already. */
  private receive(seq: number | null, origin: string, events: unknown[]): boolean {
    if (seq !== null) {
      if (this.seen.has(seq)) return false;
      this.seen.set(seq, true);
      if (seq > this.lastSeq) this.lastSeq = seq;
    }
    if (origin === this.origin) return false;
    this.onRemote?.(events);
    return true;
  }

  /** Reads what was published while LISTEN was down (LISTEN is up again, so nothing falls in between). */
  private async catchUp(): Promise<void> {
    const log = this.opts.log;
    if (!log || this.closed) return;
    try {
      let from = Math.max(0, this.lastSeq - CATCH_UP_OVERLAP);
      for (;;) {
        const rows = await log.since(from, 1000);
        for (const r of rows) if (this.receive(r.id, r.origin, r.events)) this.stats.caughtUp++;
        if (rows.length < 1000 || this.closed) break;
        from = rows[rows.length - 1].id;
      }
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'events: cannot catch up from the live-event log');
    }
  }

  private async connect(): Promise<void> {
    if (this.closed) return;
    const client = new Client({ ...this.opts.pool.options, application_name: 'licensegraph-listen' });
    client.on('notification', (msg) => {
      if (msg.channel !== this.channel || !msg.payload) return;
      const got = this.decoder.accept(msg.payload);
      if (!got) return;
      this.receive(seqOf(got.msgId), got.origin, got.events);
    });
    const lost = (err?: Error) => {
      if (this.client !== client) return;
      this.client = null;
      client.removeAllListeners('notification');
      client.end().catch(() => undefined);
      if (this.closed) return;
      this.stats.reconnects++;
      this.logger.warn({ err: err?.message ?? 'connection ended' }, 'events: LISTEN connection lost; reconnecting');
      this.scheduleReconnect();
    };
    client.on('error', lost);
    client.on('end', () => lost());
    try {
      await client.connect();
      await client.query(`LISTEN ${this.channel}`);
    } catch (err) {
      client.removeAllListeners();
      client.on('error', () => undefined);
      await client.end().catch(() => undefined);
      if (this.closed) return;
      this.logger.warn({ err: (err as Error).message }, 'events: cannot LISTEN; retrying');
      this.scheduleReconnect();
      return;
    }
    if (this.closed) {
      await client.end().catch(() => undefined);
      return;
    }
    this.client = client;
    this.retryMs = 500;
    await this.catchUp();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.retryTimer) return;
    const wait = this.retryMs;
    this.retryMs = Math.min(this.retryMs * 2, 15_000);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = undefined;
      void this.connect();
    }, wait);
    this.retryTimer.unref();
  }

  /** True while the LISTEN connection is up. */
  get listening(): boolean {
    return this.client !== null;
  }

  async send(events: unknown[]): Promise<void> {
    if (this.closed) return;
    let msgId = `x${Date.now().toString(36)}${(this.seq++).toString(36)}`;
    const log = this.opts.log;
    if (log) {
      try {
        msgId = `s${await log.append(this.origin, events)}`;
        if (Date.now() - this.lastPrune > LOG_PRUNE_EVERY_MS) {
          this.lastPrune = Date.now();
          void log.prune(new Date(Date.now() - LOG_KEEP_MS)).catch(() => undefined);
        }
      } catch (err) {
        this.logger.warn({ err: (err as Error).message }, 'events: cannot append to the live-event log');
      }
    }
    const payloads = encodeNotify(this.origin, msgId, events, this.opts.maxPayloadBytes);
    await this.opts.pool.query(
      'SELECT pg_notify($1, p) FROM unnest($2::text[]) WITH ORDINALITY AS t(p, i) ORDER BY i',
      [this.channel, payloads],
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retryTimer) clearTimeout(this.retryTimer);
    const c = this.client;
    this.client = null;
    if (c) {
      c.removeAllListeners();
      c.on('error', () => undefined);
      await c.end().catch(() => undefined);
    }
  }
}
