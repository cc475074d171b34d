/** License expiry shared by the report views, the deployment report and the alerts. Pure. */
import type { Pool } from './snapshot';

const DAY = 86_400_000;

/** The earliest expiry (YYYY-MM-DD) among a feature's pools; null when every pool is permanent or unknown. */
export function earliestExpiry(pools: readonly Pick<Pool, 'expiry' | 'permanent'>[]): string | null {
  let e: string | null = null;
  for (const p of pools) if (p.expiry && !p.permanent && (!e || p.expiry < e)) e = p.expiry;
  return e;
}

/** Whole calendar days (UTC) from the day of `fetchedAt` to the expiry date; null when either is unreadable. */
export function daysToExpiry(expiry: string, fetchedAt: string): number | null {
  const at = Date.parse(fetchedAt);
  const ex = Date.parse(`${expiry}T00:00:00Z`);
  if (!Number.isFinite(at) || !Number.isFinite(ex)) return null;
  return Math.round((ex - Math.floor(at / DAY) * DAY) / DAY);
}
