/**
 * Per-request DataLoaders for Feature.history and Feature.utilizationHistogram: every feature a request asks about
 * with the same arguments is answered by one SQL query. Default windows ("the last 7 days up to now") are resolved
 * once per batch, so all features of a request share them.
 */
import DataLoader from 'dataloader';
import type { Services } from '../../services/services';
import {
  seriesId,
  UsageInputError,
  type HistoryPoint,
  type TimeBucket,
  type UtilizationHistogramData,
} from '../../services/usage.service';

export interface ChartKey {
  serverId: string;
  feature: string;
  since: Date | null;
  until: Date | null;
}

export interface HistoryKey extends ChartKey {
  bucket: TimeBucket;
  timeZone: string;
}

const ms = (d: Date | null) => (d ? d.getTime() : null);

function groupBy<K extends ChartKey>(keys: readonly K[], extra: (k: K) => string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  keys.forEach((k, i) => {
    const g = `${ms(k.since)}|${ms(k.until)}|${extra(k)}`;
    const list = groups.get(g);
    if (list) list.push(i);
    else groups.set(g, [i]);
  });
  return groups;
}

export function featureHistoryLoader(services: Services): DataLoader<HistoryKey, HistoryPoint[], string> {
  return new DataLoader<HistoryKey, HistoryPoint[], string>(
    async (keys) => {
      const out: Array<HistoryPoint[] | Error> = new Array(keys.length);
      for (const idx of groupBy(keys, (k) => `${k.bucket}|${k.timeZone}`).values()) {
        const first = keys[idx[0]];
        try {
          const { since, until } = services.usage.chartWindow(first.since, first.until);
          services.usage.checkHistoryBuckets(since, until, first.bucket);
          const series = idx.map((i) => ({ serverId: keys[i].serverId, feature: keys[i].feature }));
          const result = await services.usage.history(series, since, until, first.bucket, first.timeZone);
          for (const i of idx) out[i] = result.get(seriesId(keys[i])) ?? [];
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          for (const i of idx) out[i] = err;
        }
      }
      return out;
    },
    { cacheKeyFn: (k) => JSON.stringify([k.serverId, k.feature, ms(k.since), ms(k.until), k.bucket, k.timeZone]) },
  );
}

export function utilizationHistogramLoader(services: Services): DataLoader<ChartKey, UtilizationHistogramData, string> {
  return new DataLoader<ChartKey, UtilizationHistogramData, string>(
    async (keys) => {
      const out: Array<UtilizationHistogramData | Error> = new Array(keys.length);
      for (const idx of groupBy(keys, () => '').values()) {
        const first = keys[idx[0]];
        try {
          const { since, until } = services.usage.chartWindow(first.since, first.until);
          const series = idx.map((i) => ({ serverId: keys[i].serverId, feature: keys[i].feature }));
          const result = await services.usage.histograms(series, since, until);
          for (const i of idx)
            out[i] = result.get(seriesId(keys[i])) ?? new UsageInputError('feature', 'no such series');
        } catch (e) {
          const err = e instanceof Error ? e : new Error(String(e));
          for (const i of idx) out[i] = err;
        }
      }
      return out;
    },
    { cacheKeyFn: (k) => JSON.stringify([k.serverId, k.feature, ms(k.since), ms(k.until)]) },
  );
}
