/**
 * Snapshot diffs: what changed between two readings of one license server. Pure functions, no I/O.
 *
 * The live events (featureUsageChanged, checkoutEvents) are computed here from a *baseline* (the last snapshot
 * known to describe the server) and a new snapshot. Rules, chosen so that subscribers see real license
 * activity and not artefacts of how the server was read:
 *
 * - Only a fresh answer from a server that is UP is compared (`comparable()`). A DOWN or UNKNOWN answer, or a
 *   stale one (the last fetch failed and older data is re-served), produces no events and leaves the baseline
 *   alone. So a server going DOWN does not "check in" every checkout, and when it comes back the new snapshot is
 *   compared with the last one taken before the outage: checkouts that ended meanwhile are CHECKED_IN, new
 *   ones CHECKED_OUT, counts that moved are one featureUsageChanged each. (Server status itself is reported
 *   by the SERVER_DOWN / DAEMON_DOWN alerts.)
 * - The first snapshot of a server is the baseline: it produces no events (otherwise every start-up would
 *   announce every existing checkout).
 * - A feature the server could not report on (`error` set: "Cannot get users of X") is neither compared nor
 *   allowed to erase what is known about it: the baseline keeps the previous reading of that feature.
 * - A feature that appears or disappears while the server is UP is a change (previous or current is null)
 *   and its checkouts are CHECKED_OUT / CHECKED_IN.
 * - A checkout is identified by user, host, display, handle and start time as printed (the identity).
 *   Identical identities are counted as a multiset, so two indistinguishable checkouts are two events.
 */
import type { Checkout, Feature, Snapshot } from './snapshot';

export interface UsageCounts {
  issued: number | null;
  used: number | null;
  /** issued - used; null when uncounted or not reported. */
  free: number | null;
}

export interface FeatureUsageChange {
  serverId: string;
  feature: string;
  vendor: string | null;
  /** Null when the feature was not in the baseline (it appeared). */
  previous: UsageCounts | null;
  /** Null when the feature is no longer reported (it disappeared). */
  current: UsageCounts | null;
  /** When the new snapshot was taken (ISO). */
  at: string;
}

export type CheckoutEventType = 'CHECKED_OUT' | 'CHECKED_IN';

export interface CheckoutEvent {
  type: CheckoutEventType;
  serverId: string;
  feature: string;
  vendor: string | null;
  checkout: Checkout;
  at: string;
}

export interface SnapshotDiff {
  usage: FeatureUsageChange[];
  checkouts: CheckoutEvent[];
}

/** Whether a reading may be compared with the baseline: a fresh answer from a server that is UP. */
export function comparable(snapshot: Snapshot, stale: boolean): boolean {
  return !stale && snapshot.status === 'UP';
}

export function usageOf(f: Feature): UsageCounts {
  if (f.uncounted) return { issued: null, used: null, free: null };
  const issued = typeof f.issued === 'number' ? f.issued : null;
  const used = typeof f.used === 'number' ? f.used : null;
  return { issued, used, free: issued !== null && used !== null ? issued - used : null };
}

/** Features are keyed by vendor and name: one server may serve the same name from two daemons. */
export function featureKey(f: Pick<Feature, 'name' | 'vendor'>): string {
  return `${f.vendor ?? ''}\u0000${f.name}`;
}

/** The identity of a checkout: user, host, display, handle, start time (as printed). */
export function checkoutKey(c: Pick<Checkout, 'username' | 'hostname' | 'display' | 'handle' | 'startTime'>): string {
  return [c.username, c.hostname, c.display ?? '', c.handle ?? '', c.startTime].join('\u0000');
}

function sameUsage(a: UsageCounts, b: UsageCounts): boolean {
  return a.issued === b.issued && a.used === b.used;
}

function index(features: Feature[]): Map<string, Feature> {
  const m = new Map<string, Feature>();
  for (const f of features) {
    const k = featureKey(f);
    if (!m.has(k)) m.set(k, f);
  }
  return m;
}

function multiset(checkouts: Checkout[]): Map<string, Checkout[]> {
  const m = new Map<string, Checkout[]>();
  for (const c of checkouts) {
    const k = checkoutKey(c);
    const list = m.get(k);
    if (list) list.push(c);
    else m.set(k, [c]);
  }
  return m;
}

/** Checkouts in `b` and not in `a` (multiset difference), in `b`'s order. */
function added(a: Checkout[], b: Checkout[]): Checkout[] {
  if (a.length === 0) return b.slice();
  const have = multiset(a);
  const out: Checkout[] = [];
  for (const c of b) {
    const list = have.get(checkoutKey(c));
    if (list && list.length > 0) list.pop();
    else out.push(c);
  }
  return out;
}

/**
 * Events between a baseline and a new snapshot of the same server. `baseline` null (first reading) gives no
 * events. The caller checks comparable() first; a non-comparable snapshot must not be diffed.
 */
export function diffSnapshots(
  baseline: Snapshot | null,
  current: Snapshot,
  at: string = current.fetchedAt,
): SnapshotDiff {
  const usage: FeatureUsageChange[] = [];
  const checkouts: CheckoutEvent[] = [];
  if (!baseline) return { usage, checkouts };
  const serverId = current.serverId;
  const before = index(baseline.features);
  const after = index(current.features);

  for (const [k, cur] of after) {
    if (cur.error) continue; // not reported this time: say nothing about it
    const prev = before.get(k);
    const vendor = cur.vendor ?? null;
    const curUsage = usageOf(cur);
    if (!prev) {
      usage.push({ serverId, feature: cur.name, vendor, previous: null, current: curUsage, at });
      for (const c of cur.checkouts)
        checkouts.push({ type: 'CHECKED_OUT', serverId, feature: cur.name, vendor, checkout: c, at });
      continue;
    }
    if (prev.error) {
      usage.push({ serverId, feature: cur.name, vendor, previous: null, current: curUsage, at });
    } else {
      const prevUsage = usageOf(prev);
      if (!sameUsage(prevUsage, curUsage))
        usage.push({ serverId, feature: cur.name, vendor, previous: prevUsage, current: curUsage, at });
    }
    for (const c of added(cur.checkouts, prev.checkouts))
      checkouts.push({ type: 'CHECKED_IN', serverId, feature: cur.name, vendor, checkout: c, at });
    for (const c of added(prev.checkouts, cur.checkouts))
      checkouts.push({ type: 'CHECKED_OUT', serverId, feature: cur.name, vendor, checkout: c, at });
  }
  for (const [k, prev] of before) {
    if (after.has(k)) continue;
    const vendor = prev.vendor ?? null;
    usage.push({
      serverId,
      feature: prev.name,
      vendor,
      previous: prev.error ? null : usageOf(prev),
      current: null,
      at,
    });
    for (const c of prev.checkouts)
      checkouts.push({ type: 'CHECKED_IN', serverId, feature: prev.name, vendor, checkout: c, at });
  }
  return { usage, checkouts };
}

/**
 * The next baseline after a comparable snapshot: the snapshot itself, except that features it could not
 * report on (`error`) keep their previous reading, so their checkouts are not "re-announced" when they come back.
 */
export function nextBaseline(baseline: Snapshot | null, current: Snapshot): Snapshot {
  if (!baseline || !current.features.some((f) => f.error)) return current;
  const before = index(baseline.features);
  return {
    ...current,
    features: current.features.map((f) => {
      if (!f.error) return f;
      return before.get(featureKey(f)) ?? f;
    }),
  };
}
