/**
 * Usage-history test helpers: an injectable clock, a source whose answers follow that clock, and the scripted
 * scenario the history and usage suites assert exact numbers on.
 */
import type { ServerConfig } from '../../src/config/types';
import type { Checkout, Feature, Snapshot } from '../../src/domain/snapshot';
import type { LicenseSource } from '../../src/sources/source';
import { feature, snapshot } from './snapshots';

export class TestClock {
  constructor(public ms: number) {}
  readonly now = (): Date => new Date(this.ms);
  set(d: Date | string | number): void {
    this.ms = typeof d === 'number' ? d : new Date(d).getTime();
  }
}

/** A source answering fn(clock.now()) and counting its calls; fetchedAt follows the clock too. */
export class ClockedSource implements LicenseSource {
  readonly type = 'flexlm' as const;
  calls = 0;
  constructor(
    readonly id: string,
    private readonly clock: TestClock,
    public answer: (now: Date, call: number) => Snapshot | Promise<Snapshot>,
  ) {}
  async fetch(): Promise<Snapshot> {
    this.calls++;
    const s = await this.answer(this.clock.now(), this.calls);
    return { ...s, serverId: this.id, fetchedAt: this.clock.now().toISOString() };
  }
}

export function historyServer(id: string, extra: Partial<ServerConfig> = {}): ServerConfig {
  return {
    id,
    label: id,
    type: 'flexlm',
    address: `27000@${id}.example.com`,
    timeZone: 'UTC',
    pollIntervalSeconds: 600,
    timeoutSeconds: 5,
    maxAgeSeconds: 0,
    maxOutputBytes: 1024 * 1024,
    ...extra,
  };
}

/** 2026-01-05T00:00:00Z (a Monday). */
export const T0 = Date.UTC(2026, 0, 5);
export const MIN = 60_000;
export const at = (minutes: number) => new Date(T0 + minutes * MIN);
export const isoAt = (minutes: number) => at(minutes).toISOString();

export function co(
  user: string,
  host: string,
  handle: string,
  startMinute: number,
  count = 1,
  extra: Partial<Checkout> = {},
): Checkout {
  return {
    username: user,
    hostname: host,
    display: `${host}:0`,
    version: 'v2.0',
    serverInfo: `lic1.example.com/27000 ${handle}`,
    handle,
    count,
    startTime: 'Mon 1/5 0:00',
    startedAt: isoAt(startMinute),
    ...extra,
  };
}

export function down(serverId: string): Snapshot {
  return snapshot(serverId, [], {
    status: 'DOWN',
    hosts: [],
    vendorDaemons: [],
    error: 'Cannot connect to license server system. (-15,570:111 "Connection refused")',
  });
}

/**
 * The scenario (minutes from T0 = 2026-01-05 00:00 UTC; a poll every 10 minutes; sampleEvery 3):
 *  c1 alice@ws1 FEAT_A handle 101, started -5 (23:55 the day before), 1 license: seen at 0, 10, 20; gone at 30
 *     -> session [-5, 25): 1800 s (300 s on Jan 4, 1500 s on Jan 5)
 *  c2 bob@ws2 FEAT_A handle 102, started 12, 2 licenses: seen at 20..60 (DOWN at 50 does not close it): open,
 *     last seen 60 -> [12, 60) x 2 = 5760 s
 *  c3 alice@ws3 FEAT_B handle 201, started 31: seen at 40; 50 is DOWN; gone at 60 -> [31, 50): 1140 s
 * FEAT_A issued 4, used 1,1,3,2,2,-,2; FEAT_B issued 2, used 0,0,0,0,1,-,0.
 */
export const SCENARIO_POLLS = [0, 10, 20, 30, 40, 50, 60];

export function scenarioSnapshot(serverId: string, minute: number): Snapshot {
  if (minute === 50) return down(serverId);
  const c1 = co('alice', 'ws1', '101', -5);
  const c2 = co('bob', 'ws2', '102', 12, 2);
  const c3 = co('alice', 'ws3', '201', 31, 1, { version: 'v3.1' });
  const a: Checkout[] = [];
  const b: Checkout[] = [];
  if (minute <= 20) a.push(c1);
  if (minute >= 20) a.push(c2);
  if (minute === 40) b.push(c3);
  const used = (list: Checkout[]) => list.reduce((n, c) => n + c.count, 0);
  const features: Feature[] = [feature('FEAT_A', 4, used(a), a), feature('FEAT_B', 2, used(b), b)];
  return snapshot(serverId, features);
}

/** The value a source answers for the scenario at `now`. */
export function scenarioAnswer(serverId: string) {
  return (now: Date) => scenarioSnapshot(serverId, Math.round((now.getTime() - T0) / MIN));
}
