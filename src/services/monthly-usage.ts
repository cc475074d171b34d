/**
 * The deployment report's usage section: per calendar month (UTC) and (server, feature): sessions, license-hours,
 * peak in use, distinct users and issued at the month's end, from the recorded history.
 */
import type { MonthlyFeatureUsage, MonthlyUsageProvider, ReportPeriod } from './deployment-report.service';
import type { Services } from './services';

export function monthlyUsageProvider(services: Services): MonthlyUsageProvider {
  return async (p: ReportPeriod): Promise<MonthlyFeatureUsage[]> => {
    const { usage } = services.store;
    // The whole history, aggregated in SQL: no row cap (the report has one row per month, server and feature,
    // however many that is) and no list of series keys sent back to the database (every series of the window).
    const rows = await usage.usage({
      groupBy: ['SERVER', 'FEATURE', 'TIME'],
      bucket: 'MONTH',
      timeZone: 'UTC',
      from: p.from,
      to: p.to,
      maxRows: Number.MAX_SAFE_INTEGER - 1,
    });
    const points = rows.length ? await usage.history('ALL', p.from, p.to, 'MONTH', 'UTC') : [];
    const issued = new Map<string, number | null>();
    const peak = new Map<string, number | null>();
    for (const pt of points) {
      const k = `${pt.bucketStart.toISOString().slice(0, 7)}\0${pt.serverId}\0${pt.feature}`;
      issued.set(k, pt.issued);
      peak.set(k, pt.peak);
    }
    return rows
      .filter((r) => r.server && r.feature && r.bucketStart)
      .map((r) => {
        const month = r.bucketStart!.toISOString().slice(0, 7);
        const k = `${month}\0${r.server}\0${r.feature}`;
        return {
          month,
          server: r.server!,
          feature: r.feature!,
          sessions: r.sessions,
          licenseHours: Math.round((r.licenseSeconds / 3600) * 1000) / 1000,
          peakInUse: r.peakInUse ?? peak.get(k) ?? 0,
          distinctUsers: r.distinctUsers,
          issued: issued.get(k) ?? null,
        };
      })
      .sort((a, b) =>
        a.month < b.month
          ? -1
          : a.month > b.month
            ? 1
            : a.server < b.server
              ? -1
              : a.server > b.server
                ? 1
                : a.feature < b.feature
                  ? -1
                  : a.feature > b.feature
                    ? 1
                    : 0,
      );
  };
}
