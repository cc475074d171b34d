/**
 * The built-in simulator: a deterministic license server for `npm start`, demos and tests.
 *
 * Time advances in ticks (default 5 s). The state after N ticks depends only on the random start value and N, so two
 * simulators with the same randomSeed and start agree whenever they are read. Each tick, every checkout ends with a
 * probability that gives a mean session length, and new checkouts arrive at the rate that keeps each feature
 * near its mean load (Little's law). Tests and demos can also check out and in by hand, or take the server down.
 */
import type { Checkout, Feature, Pool, Snapshot } from '../../domain/snapshot';
import { formatLmstatTime } from '../../domain/time';
import type { LicenseSource } from '../source';
import { SIM_FEATURES, SIM_HOSTS, SIM_USERS, SIM_VENDORS, type SimFeatureSpec } from './catalog';

export interface SimulatorOptions {
  id: string;
  randomSeed?: number;
  tickMs?: number;
  /** Mean checkout length in ticks (default 36: three minutes at 5 s ticks, so the demo moves). */
  meanSessionTicks?: number;
  startAt?: Date;
  now?: () => Date;
  timeZone?: string;
  host?: string;
  port?: number;
  features?: SimFeatureSpec[];
}

interface SimCheckout {
  username: string;
  hostname: string;
  display: string;
  count: number;
  handle: number;
  startedAtMs: number;
  pinned: boolean;
}

interface SimFeature {
  spec: SimFeatureSpec;
  checkouts: SimCheckout[];
  queued: SimCheckout[];
  expiry: string | null;
}

/** mulberry32: small, fast, good enough for a simulation, and deterministic. */
function prng(start: number): () => number {
  let a = start >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MAX_TICKS_PER_FETCH = 20_000;

export class SimulatorSource implements LicenseSource {
  readonly type = 'simulator' as const;
  readonly id: string;
  private readonly rand: () => number;
  private readonly tickMs: number;
  private readonly meanSessionTicks: number;
  private readonly startMs: number;
  private readonly now: () => Date;
  private readonly timeZone?: string;
  private readonly host: string;
  private readonly port: number;
  private readonly features: SimFeature[];
  private tick = 0;
  private nextHandle = 101;
  private down: string | null = null;
  /** Number of fetch() calls, for tests that count source reads. */
  fetchCount = 0;

  constructor(opts: SimulatorOptions) {
    this.id = opts.id;
    this.rand = prng(opts.randomSeed ?? 20240120);
    this.tickMs = opts.tickMs ?? 5000;
    this.meanSessionTicks = opts.meanSessionTicks ?? 36;
    this.now = opts.now ?? (() => new Date());
    this.startMs = (opts.startAt ?? this.now()).getTime();
    this.timeZone = opts.timeZone;
    this.host = opts.host ?? 'sim.licensegraph.local';
    this.port = opts.port ?? 27000;
    const startDay = new Date(this.startMs);
    this.features = (opts.features ?? SIM_FEATURES).map((spec) => ({
      spec,
      checkouts: [],
      queued: [],
      expiry:
        spec.expiresInDays !== undefined
          ? new Date(
              Date.UTC(startDay.getUTCFullYear(), startDay.getUTCMonth(), startDay.getUTCDate() + spec.expiresInDays),
            )
              .toISOString()
              .slice(0, 10)
          : null,
    }));
    this.populate();
  }

  /** Initial state: each feature near its mean load, started over the last four hours. */
  private populate(): void {
    for (const f of this.features) {
      const s = f.spec;
      if (s.name === 'FTX_DEVELOPER') {
        // The Foretify Manager example's two users, long-running.
        this.add(f, 'john.doe', 'workstation-123', 1, this.startMs - 3.5 * 3600_000, true);
        this.add(f, 'jane.smith', 'dev-machine', 1, this.startMs - 2.25 * 3600_000, true);
      }
      if (s.uncounted) {
        this.add(f, SIM_USERS[4], SIM_HOSTS[5], 1, this.startMs - 3600_000, true);
        continue;
      }
      const target = Math.round(s.issued * s.load) - this.reserved(f);
      while (this.inUse(f) + 1 <= target) {
        const count = Math.min(1 + Math.floor(this.rand() * s.maxPerCheckout), target - this.inUse(f));
        this.add(
          f,
          this.pickUser(),
          this.pickHost(),
          count,
          this.startMs - Math.floor(this.rand() * 4 * 3600_000),
          !!s.saturatedQueue,
        );
      }
      for (let i = 0; i < (s.saturatedQueue ?? 0); i++) {
        f.queued.push(this.make(this.pickUser(), this.pickHost(), 1, this.startMs - 600_000, true));
      }
    }
  }

  private pickUser(): string {
    return SIM_USERS[Math.floor(this.rand() * SIM_USERS.length)];
  }
  private pickHost(): string {
    return SIM_HOSTS[Math.floor(this.rand() * SIM_HOSTS.length)];
  }
  private reserved(f: SimFeature): number {
    return f.spec.reservation?.count ?? 0;
  }
  private inUse(f: SimFeature): number {
    let n = this.reserved(f);
    for (const c of f.checkouts) n += c.count;
    return n;
  }
  private make(username: string, hostname: string, count: number, startedAtMs: number, pinned: boolean): SimCheckout {
    return { username, hostname, display: hostname, count, handle: this.nextHandle++, startedAtMs, pinned };
  }
  private add(
    f: SimFeature,
    username: string,
    hostname: string,
    count: number,
    startedAtMs: number,
    pinned = false,
  ): SimCheckout {
    const c = this.make(username, hostname, count, startedAtMs, pinned);
    f.checkouts.push(c);
    return c;
  }

  private step(): void {
    this.tick++;
    const atMs = this.startMs + this.tick * this.tickMs;
    const pEnd = 1 / this.meanSessionTicks;
    for (const f of this.features) {
      const s = f.spec;
      if (s.uncounted || s.saturatedQueue) continue;
      f.checkouts = f.checkouts.filter((c) => c.pinned || this.rand() >= pEnd);
      // Arrivals keep the mean load: lambda = target / mean length, in licenses; divide by the mean size.
      const meanSize = (1 + s.maxPerCheckout) / 2;
      const lambda = (s.issued * s.load) / this.meanSessionTicks / meanSize;
      let arrivals = Math.floor(lambda);
      if (this.rand() < lambda - arrivals) arrivals++;
      for (let i = 0; i < arrivals; i++) {
        const count = 1 + Math.floor(this.rand() * s.maxPerCheckout);
        const user = this.pickUser();
        const host = this.pickHost();
        if (this.inUse(f) + count <= s.issued)
          this.add(f, user, host, count, atMs - Math.floor(this.rand() * this.tickMs));
      }
    }
  }

  /** Advance to the tick `now` falls in. */
  advanceTo(now: Date): void {
    const target = Math.floor((now.getTime() - this.startMs) / this.tickMs);
    if (target - this.tick > MAX_TICKS_PER_FETCH) this.tick = target - MAX_TICKS_PER_FETCH;
    while (this.tick < target) this.step();
  }

  /** Check licenses out by hand (tests, demos). Returns the handle. */
  checkout(feature: string, username: string, hostname: string, count = 1): string {
    const f = this.features.find((x) => x.spec.name === feature);
    if (!f) throw new Error(`simulator: no feature ${feature}`);
    if (!f.spec.uncounted && this.inUse(f) + count > f.spec.issued)
      throw new Error(`simulator: ${feature} has no ${count} free license(s)`);
    return String(this.add(f, username, hostname, count, this.now().getTime(), true).handle);
  }

  /** Check licenses in by hand: by handle, or every checkout of a user. Returns how many ended. */
  checkin(feature: string, who: { handle?: string; username?: string }): number {
    const f = this.features.find((x) => x.spec.name === feature);
    if (!f) return 0;
    const before = f.checkouts.length;
    f.checkouts = f.checkouts.filter(
      (c) => !((who.handle && String(c.handle) === who.handle) || (who.username && c.username === who.username)),
    );
    return before - f.checkouts.length;
  }

  /** Make the server answer as down (message) or up again (null). */
  setDown(message: string | null): void {
    this.down = message;
  }

  async fetch(): Promise<Snapshot> {
    this.fetchCount++;
    const now = this.now();
    this.advanceTo(now);
    return this.snapshot(now);
  }

  snapshot(now: Date): Snapshot {
    const fetchedAt = now.toISOString();
    if (this.down) {
      return {
        serverId: this.id,
        sourceType: 'simulator',
        fetchedAt,
        status: 'DOWN',
        version: null,
        hosts: [{ host: this.host, port: this.port, status: 'DOWN', master: false, version: null, message: this.down }],
        vendorDaemons: [],
        features: [],
        warnings: [],
        error: this.down,
      };
    }
    const features: Feature[] = this.features.map((f) => {
      const s = f.spec;
      const pool: Pool = {
        name: s.name,
        version: s.version,
        vendor: s.vendor,
        type: s.uncounted ? 'uncounted' : 'floating',
        issued: s.uncounted ? null : s.issued,
        expiry: f.expiry,
        expiryRaw: f.expiry ? toFlexDate(f.expiry) : '01-jan-0000',
        permanent: !f.expiry,
      };
      const toCheckout = (c: SimCheckout): Checkout => {
        const started = new Date(c.startedAtMs);
        return {
          username: c.username,
          hostname: c.hostname,
          display: c.display,
          version: s.version,
          serverInfo: `${this.host}/${this.port} ${c.handle}`,
          serverHost: this.host,
          serverPort: this.port,
          handle: String(c.handle),
          count: c.count,
          startTime: formatLmstatTime(started, this.timeZone),
          startedAt: new Date(Math.floor(c.startedAtMs / 60000) * 60000).toISOString(),
        };
      };
      return {
        name: s.name,
        vendor: s.vendor,
        issued: s.uncounted ? null : s.issued,
        used: s.uncounted ? null : this.inUse(f),
        uncounted: !!s.uncounted,
        error: null,
        pools: [pool],
        checkouts: f.checkouts.map(toCheckout),
        reservations: s.reservation
          ? [
              {
                count: s.reservation.count,
                kind: s.reservation.kind,
                target: s.reservation.target,
                serverInfo: `${this.host}/${this.port}`,
              },
            ]
          : [],
        queued: f.queued.map((q) => ({
          ...toCheckout(q),
          startTime: formatLmstatTime(new Date(q.startedAtMs), this.timeZone),
        })),
      };
    });
    return {
      serverId: this.id,
      sourceType: 'simulator',
      fetchedAt,
      status: 'UP',
      version: 'v11.19.6',
      hosts: [{ host: this.host, port: this.port, status: 'UP', master: true, version: 'v11.19.6', message: null }],
      vendorDaemons: SIM_VENDORS.map((v) => ({
        name: v.name,
        status: 'UP' as const,
        version: v.version,
        host: this.host,
        port: null,
        message: null,
      })),
      features,
      warnings: [],
      error: null,
    };
  }
}

function toFlexDate(iso: string): string {
  const [y, m, d] = iso.split('-').map(Number);
  const mon = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'][m - 1];
  return `${d}-${mon}-${y}`;
}
