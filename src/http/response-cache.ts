/**
 * The response cache for the live report: repeated dashboard queries on an unchanged snapshot skip execution.
 *
 * Key: (document, operation name, variables, the principal's role, the snapshot version of every server).
 * Only operations that read nothing but live snapshot data are cached (licenseReport, feature, licenseServers
 * and the types under them, minus the history fields that query the database); the analysis is done once per
 * document. An entry is served only while every server's snapshot is fresh (younger than its max age), so the
 * cache never hides a refresh, and never waits on a slow server. Entries hold the exact bytes Apollo sent (UTF-8 buffers);
 * memory is bounded by an LRU on total size. Only application/json POSTs are served from the cache (CSRF-safe,
 * like Apollo's own preflight rule), and only after the request's token was authenticated.
 */
import { createHash } from 'crypto';
import { getNamedType, parse, TypeInfo, visit, visitWithTypeInfo, type GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { SnapshotService } from '../services/snapshot.service';

/** Types whose every field is served from the in-memory snapshot. */
const SNAPSHOT_TYPES = new Set([
  'Report',
  'FeatureInfo',
  'Checkout',
  'Pool',
  'Reservation',
  'QueuedRequest',
  'Issue',
  'LicenseServer',
  'ServerHost',
  'VendorDaemon',
  'ParseWarning',
]);
const CACHEABLE_ROOTS = new Set(['licenseReport', 'feature', 'licenseServers', '__typename']);
/** Feature fields that read the database (history); everything else on Feature is snapshot data. */
const FEATURE_DB_FIELDS = new Set(['history', 'utilizationHistogram']);

export interface ResponseCacheOptions {
  /** Total bytes of cached responses (default 64 MiB; 0 turns the cache off). */
  maxBytes?: number;
  /** Distinct documents whose cacheability is remembered (default 1000). */
  maxDocuments?: number;
}

export interface CacheStats {
  hits: number;
  misses: number;
  stores: number;
  entries: number;
  bytes: number;
}

export class ResponseCache {
  private readonly entries: LRUCache<string, Buffer>;
  private readonly analysis: LRUCache<string, boolean>;
  /** The byte budget (LICENSEGRAPH_RESPONSE_CACHE_MB); 0: nothing is cached. */
  readonly maxBytes: number;
  readonly stats = { hits: 0, misses: 0, stores: 0 };

  constructor(
    private readonly schema: GraphQLSchema,
    private readonly snapshots: SnapshotService,
    opts: ResponseCacheOptions = {},
  ) {
    this.maxBytes = opts.maxBytes ?? 64 * 1024 * 1024;
    this.entries = new LRUCache<string, Buffer>({
      maxSize: Math.max(1, this.maxBytes),
      sizeCalculation: (v, k) => v.length + k.length + 64,
    });
    this.analysis = new LRUCache<string, boolean>({ max: opts.maxDocuments ?? 1000 });
  }

  /** Is this document a query reading only snapshot data? Parsed once per distinct document. */
  cacheable(query: string): boolean {
    if (this.maxBytes === 0) return false;
    const hit = this.analysis.get(query);
    if (hit !== undefined) return hit;
    let ok = false;
    try {
      const doc = parse(query);
      ok = doc.definitions.every((d) => d.kind !== 'OperationDefinition' || d.operation === 'query');
      if (ok) {
        const typeInfo = new TypeInfo(this.schema);
        visit(
          doc,
          visitWithTypeInfo(typeInfo, {
            Field(node) {
              const parent = typeInfo.getParentType();
              if (!parent) {
                ok = false;
                return;
              }
              const name = node.name.value;
              if (name === '__typename') return;
              if (name.startsWith('__'))
                ok = false; // introspection: not worth caching
              else if (parent.name === 'Query') {
                if (!CACHEABLE_ROOTS.has(name)) ok = false;
              } else if (parent.name === 'Feature') {
                if (FEATURE_DB_FIELDS.has(name)) ok = false;
              } else if (!SNAPSHOT_TYPES.has(getNamedType(parent).name)) ok = false;
            },
          }),
        );
      }
    } catch {
      ok = false; // Apollo will report the syntax error
    }
    this.analysis.set(query, ok);
    return ok;
  }

  /** The versions of every server's snapshot, or null when any is missing or older than its max age. */
  freshVersions(): string | null {
    const parts: string[] = [];
    for (const id of this.snapshots.serverIds()) {
      const v = this.snapshots.freshVersion(id);
      if (v === null) return null;
      parts.push(`${id}@${v}`);
    }
    return parts.join(',');
  }

  key(role: string, query: string, operationName: unknown, variables: unknown, versions: string): string {
    const h = createHash('sha1')
      .update(query)
      .update('\0')
      .update(String(operationName ?? ''))
      .update('\0')
      .update(JSON.stringify(variables ?? null))
      .digest('base64url');
    return `${role}|${versions}|${h}`;
  }

  /** The exact response bytes (UTF-8), sent as they are: no re-encoding. */
  get(key: string): Buffer | undefined {
    const v = this.entries.get(key);
    if (v === undefined) this.stats.misses++;
    else this.stats.hits++;
    return v;
  }

  set(key: string, body: Buffer): void {
    this.entries.set(key, body);
    this.stats.stores++;
  }

  clear(): void {
    this.entries.clear();
  }

  snapshotStats(): CacheStats {
    return { ...this.stats, entries: this.entries.size, bytes: this.entries.calculatedSize };
  }
}
