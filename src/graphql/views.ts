/**
 * View models: a ServerState turned once into the plain objects the GraphQL types read, so that row field
 * resolvers are property reads. Built lazily per snapshot version and cached on the state object.
 */
import { daysToExpiry, earliestExpiry } from '../domain/expiry';
import type { Checkout as DomainCheckout, Issue as DomainIssue } from '../domain/snapshot';
import type { ServerState } from '../services/snapshot.service';
import type { Checkout } from './checkout/checkout.type';
import type { Issue } from './common/issue.type';
import type { ServerStatusEnum, SourceTypeEnum } from './common/enums';
import type { Feature, Pool } from './feature/feature.type';
import type { LicenseServer } from './server/server.type';

/** A domain checkout as the GraphQL Checkout type reads it (report rows and checkout events alike). */
export function checkoutView(c: DomainCheckout): Checkout {
  return {
    username: c.username,
    hostname: c.hostname,
    startTime: c.startTime,
    serverInfo: c.serverInfo ?? null,
    startedAt: c.startedAt ?? null,
    display: c.display ?? null,
    version: c.version ?? null,
    handle: c.handle ?? null,
    count: c.count,
    linger: c.linger ?? null,
    pid: c.pid ?? null,
    issues: c.issues ? c.issues.map(issue) : NO_ISSUES,
  };
}

const NO_ISSUES: Issue[] = [];

export interface ServerView {
  server: LicenseServer;
  features: Feature[];
  byName: Map<string, Feature>;
}

const cache = new WeakMap<ServerState, ServerView>();

function issue(i: DomainIssue): Issue {
  return {
    code: i.code,
    message: i.message,
    expected: i.expected === undefined || i.expected === null ? null : String(i.expected),
    actual: i.actual === undefined || i.actual === null ? null : String(i.actual),
  };
}

export function viewOf(state: ServerState): ServerView {
  let v = cache.get(state);
  if (v) return v;
  const s = state.snapshot;
  const verdict = state.verdict;
  const server: LicenseServer = {
    id: state.config.id,
    label: state.config.label,
    type: state.config.type as SourceTypeEnum,
    status: s.status as ServerStatusEnum,
    version: s.version ?? null,
    hosts: s.hosts.map((h) => ({
      host: h.host,
      port: h.port ?? null,
      status: h.status as ServerStatusEnum,
      master: h.master,
      version: h.version ?? null,
      message: h.message ?? null,
    })),
    vendorDaemons: s.vendorDaemons.map((d) => ({
      name: d.name,
      status: d.status as ServerStatusEnum,
      version: d.version ?? null,
      message: d.message ?? null,
    })),
    valid: verdict.valid,
    stale: state.stale,
    issues: verdict.issues.map(issue),
    error: state.lastError ?? s.error ?? null,
    fetchedAt: s.fetchedAt,
    checkedAt: state.checkedAt,
    featureCount: s.features.length,
    warnings: s.warnings.slice(0, 50).map((w) => ({
      code: w.code,
      message: w.message,
      line: w.line ?? null,
      text: w.text ?? null,
      affectsCounts: !!w.affectsCounts,
    })),
    timeZone: state.config.timeZone ?? null,
    clockSkewSeconds: state.clockSkewSeconds ?? null,
    snapshotVersion: state.version,
  };
  const features: Feature[] = new Array(s.features.length);
  const byName = new Map<string, Feature>();
  for (let i = 0; i < s.features.length; i++) {
    const f = s.features[i];
    const fv = verdict.features[i];
    const pools: Pool[] = f.pools.map((p) => ({
      version: p.version ?? null,
      vendor: p.vendor ?? null,
      type: p.type,
      issued: p.issued ?? null,
      expiry: p.expiry ?? null,
      expiryRaw: p.expiryRaw ?? null,
      permanent: !!p.permanent,
    }));
    const expiry = earliestExpiry(pools);
    const checkouts: Checkout[] = new Array(f.checkouts.length);
    for (let j = 0; j < f.checkouts.length; j++) checkouts[j] = checkoutView(f.checkouts[j]);
    const issued = f.uncounted ? null : f.issued;
    const used = f.uncounted ? null : f.used;
    const feature: Feature = {
      info: { name: f.name, issued, used, free: f.uncounted || f.error ? null : fv.free },
      allCheckouts: checkouts,
      valid: fv.valid,
      issues: fv.issues.map(issue),
      server,
      vendor: f.vendor ?? null,
      uncounted: f.uncounted,
      pools,
      reservations: f.reservations.map((r) => ({ count: r.count, kind: r.kind, target: r.target })),
      reserved: fv.reserved,
      queued: f.queued.map((q) => ({
        username: q.username,
        hostname: q.hostname,
        count: q.count,
        startTime: q.startTime ?? null,
        startedAt: q.startedAt ?? null,
      })),
      checkedOut: fv.checkedOut,
      utilization: issued && used !== null && issued > 0 ? used / issued : null,
      expiry,
      daysToExpiry: expiry ? daysToExpiry(expiry, s.fetchedAt) : null,
      fetchedAt: s.fetchedAt,
    };
    features[i] = feature;
    if (!byName.has(f.name)) byName.set(f.name, feature);
  }
  v = { server, features, byName };
  cache.set(state, v);
  return v;
}
