/**
 * The per-request context: who is asking (resolved once, here) and fresh DataLoaders. Loaders are never shared
 * between requests: each request sees one consistent snapshot per server, and one request asking for a server
 * ten times costs one lookup.
 */
import DataLoader from 'dataloader';
import type { Principal } from '../domain/auth';
import type { ServerState } from '../services/snapshot.service';
import type { Services } from '../services/services';
import type { HistoryPoint, UtilizationHistogramData } from '../services/usage.service';
import {
  featureHistoryLoader,
  utilizationHistogramLoader,
  type ChartKey,
  type HistoryKey,
} from './usage/usage.loaders';

export interface Loaders {
  /** Server id -> its current state (fetched through the SnapshotService: single-flight, max age). */
  serverState: DataLoader<string, ServerState>;
  /** Feature.history: every feature of a request with the same arguments in one SQL query. */
  featureHistory: DataLoader<HistoryKey, HistoryPoint[], string>;
  /** Feature.utilizationHistogram, batched the same way. */
  utilizationHistogram: DataLoader<ChartKey, UtilizationHistogramData, string>;
}

export interface Context {
  requestId: string;
  principal: Principal | null;
  services: Services;
  loaders: Loaders;
  /**
   * Per-request state shared with the HTTP layer. An object, because Apollo shallow-clones the context value:
   * the server sets `ok` when the operation finished without errors (the response cache stores only those).
   */
  outcome: { ok: boolean };
}

export function createLoaders(services: Services): Loaders {
  return {
    serverState: new DataLoader<string, ServerState>(
      // Results in key order; a failure for one key is returned as an Error for that key only.
      (ids) =>
        Promise.all(
          ids.map((id) =>
            services.snapshots.get(id).catch((e: unknown) => (e instanceof Error ? e : new Error(String(e)))),
          ),
        ),
      { cache: true },
    ),
    featureHistory: featureHistoryLoader(services),
    utilizationHistogram: utilizationHistogramLoader(services),
  };
}

export function createContext(services: Services, requestId: string, principal: Principal | null): Context {
  return { requestId, principal, services, loaders: createLoaders(services), outcome: { ok: false } };
}
