/** Builders for crafted snapshots, and a scripted source that serves them (a license server whose answers a test chooses). */
import type { Checkout, Feature, Snapshot } from '../../src/domain/snapshot';
import type { LicenseSource } from '../../src/sources/source';

export function checkout(username: string, hostname: string, extra: Partial<Checkout> = {}): Checkout {
  const handle = extra.handle ?? String(1000 + Math.floor(Math.random() * 9000));
  return {
    username,
    hostname,
    display: null,
    version: 'v1.0',
    serverInfo: `lic1.example.com/27000 ${handle}`,
    handle,
    count: 1,
    startTime: 'Mon 1/20 10:30',
    startedAt: '2025-01-20T10:30:00.000Z',
    ...extra,
  };
}

export function feature(
  name: string,
  issued: number | null,
  used: number | null,
  checkouts: Checkout[] = [],
  extra: Partial<Feature> = {},
): Feature {
  return {
    name,
    vendor: 'vend',
    issued,
    used,
    uncounted: false,
    error: null,
    pools: [],
    checkouts,
    reservations: [],
    queued: [],
    ...extra,
  };
}

export function snapshot(serverId: string, features: Feature[], extra: Partial<Snapshot> = {}): Snapshot {
  return {
    serverId,
    sourceType: 'flexlm',
    fetchedAt: new Date().toISOString(),
    status: 'UP',
    version: 'v11.19.6',
    hosts: [{ host: 'lic1.example.com', port: 27000, status: 'UP', master: true, version: 'v11.19.6', message: null }],
    vendorDaemons: [{ name: 'vend', status: 'UP', version: 'v11.19.6' }],
    features,
    warnings: [],
    error: null,
    ...extra,
  };
}

/** A source whose every answer the test scripts. Counts its calls. */
export class ScriptedSource implements LicenseSource {
  readonly type = 'flexlm' as const;
  calls = 0;
  constructor(
    readonly id: string,
    public behaviour: (call: number, signal: AbortSignal) => Promise<Snapshot> | Snapshot,
  ) {}
  async fetch(signal: AbortSignal): Promise<Snapshot> {
    this.calls++;
    const s = await this.behaviour(this.calls, signal);
    return { ...s, fetchedAt: new Date().toISOString() };
  }
  static constant(id: string, s: Snapshot): ScriptedSource {
    return new ScriptedSource(id, () => s);
  }
}

export const hang = (signal: AbortSignal) =>
  new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
