/**
 * The exportable Kong-style deployment report (Kong's /license/report): what an administrator hands a
 * vendor or finance for a true-up. Generated on demand, never sent anywhere by licensegraph itself. The checksum
 * is the SHA-256 of the canonical JSON of everything else (src/domain/canonical.ts), so a recipient can check
 * that nothing was edited.
 */
import { createHmac } from 'crypto';
import * as os from 'os';
import { checksumOf } from '../domain/canonical';
import { daysToExpiry, earliestExpiry } from '../domain/expiry';
import type { Store } from '../store';
import type { RequestCounter } from './request-counter';
import type { SnapshotService } from './snapshot.service';

/** What the report reads (a part of Services, named here so that Services can hold this service without a cycle). */
export interface DeploymentReportDeps {
  store: Store;
  snapshots: SnapshotService;
  requests?: RequestCounter;
}

export const LICENSEGRAPH_VERSION: string = require('../../package.json').version;

export interface MonthlyFeatureUsage {
  month: string; // YYYY-MM
  server: string;
  feature: string;
  sessions: number;
  licenseHours: number;
  peakInUse: number;
  distinctUsers: number;
  /** Issued at the end of the month (or now, for the current month); null when unknown. */
  issued: number | null;
}

export interface DeploymentReport {
  counters: { buckets: Array<{ bucket: string; requestCount: number }>; totalRequests: number };
  usage: MonthlyFeatureUsage[];
  licenses: Array<{
    server: string;
    feature: string;
    issued: number | null;
    expiry: string | null;
    daysToExpiry: number | null;
    uncounted: boolean;
  }>;
  servers: Array<{
    id: string;
    label: string;
    type: string;
    status: string;
    version: string | null;
    vendorDaemons: Array<{ name: string; status: string; version: string | null }>;
  }>;
  featuresCount: number;
  usersCount: number;
  serversCount: number;
  version: string;
  dbVersion: string;
  systemInfo: { cores: number; uname: string; hostname: string };
  deploymentInfo: { type: 'embedded' | 'postgres'; replicas: number };
  period: { from: string; to: string };
  timestamp: string;
  checksum: string;
}

export interface ReportPeriod {
  from: Date;
  to: Date;
}

/** The last 12 calendar months up to now: from the first day (UTC) of the month 11 months ago. */
export function defaultPeriod(now: Date): ReportPeriod {
  return { from: new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() - 11, 1)), to: now };
}

export function monthKey(d: Date): string {
  return d.toISOString().slice(0, 7);
}

/** The monthly usage section comes from the history (usage) service; injected to keep this file free of SQL. */
export type MonthlyUsageProvider = (period: ReportPeriod) => Promise<MonthlyFeatureUsage[]>;

export class DeploymentReportService {
  constructor(
    private readonly services: DeploymentReportDeps,
    private readonly monthlyUsage: MonthlyUsageProvider,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async generate(period?: Partial<ReportPeriod>): Promise<DeploymentReport> {
    const now = this.now();
    const p = {
      ...defaultPeriod(now),
      ...Object.fromEntries(Object.entries(period ?? {}).filter(([, v]) => v)),
    } as ReportPeriod;
    const { store, snapshots } = this.services;
    await this.services.requests?.flush();

    const buckets = (await store.counters.listBuckets({ from: monthKey(p.from), to: monthKey(p.to) })).map((b) => ({
      bucket: b.bucket,
      requestCount: b.requestCount,
    }));
    const totalRequests = buckets.reduce((n, b) => n + b.requestCount, 0);

    const states = await Promise.all(snapshots.serverIds().map((id) => snapshots.get(id)));
    const licenses: DeploymentReport['licenses'] = [];
    const featureNames = new Set<string>();
    for (const st of states) {
      for (const f of st.snapshot.features) {
        featureNames.add(`${st.config.id}\0${f.name}`);
        const expiry = earliestExpiry(f.pools);
        licenses.push({
          server: st.config.id,
          feature: f.name,
          issued: f.uncounted ? null : f.issued,
          expiry,
          daysToExpiry: expiry ? daysToExpiry(expiry, st.snapshot.fetchedAt) : null,
          uncounted: f.uncounted,
        });
      }
    }
    const servers = states.map((st) => ({
      id: st.config.id,
      label: st.config.label,
      type: st.config.type,
      status: st.stale ? 'STALE' : st.snapshot.status,
      version: st.snapshot.version ?? null,
      vendorDaemons: st.snapshot.vendorDaemons.map((d) => ({
        name: d.name,
        status: d.status,
        version: d.version ?? null,
      })),
    }));

    const key = await store.settings.secret('report-hostname-key');
    const body: Omit<DeploymentReport, 'checksum'> = {
      counters: { buckets, totalRequests },
      usage: await this.monthlyUsage(p),
      licenses,
      servers,
      featuresCount: featureNames.size,
      usersCount: await store.users.count(),
      serversCount: servers.length,
      version: LICENSEGRAPH_VERSION,
      dbVersion: await store.dbVersion(),
      systemInfo: {
        cores: os.cpus().length,
        uname: `${os.type()} ${os.release()} ${os.arch()}`,
        hostname: createHmac('sha256', key).update(os.hostname()).digest('hex'),
      },
      deploymentInfo: {
        type: store.kind === 'postgres' ? 'postgres' : 'embedded',
        replicas: await store.replicas.countSeenSince(new Date(now.getTime() - 5 * 60_000)),
      },
      period: { from: p.from.toISOString(), to: p.to.toISOString() },
      timestamp: now.toISOString(),
    };
    return { ...body, checksum: checksumOf(body) };
  }
}

/** "report-2026_11_23_03_05_PM.tar" — the Kong-style report's file name form, in UTC. */
export function reportFileName(at: Date, ext: 'tar' | 'json'): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  const h = at.getUTCHours();
  const h12 = h % 12 === 0 ? 12 : h % 12;
  return `report-${at.getUTCFullYear()}_${pad(at.getUTCMonth() + 1)}_${pad(at.getUTCDate())}_${pad(h12)}_${pad(at.getUTCMinutes())}_${h < 12 ? 'AM' : 'PM'}.${ext}`;
}
