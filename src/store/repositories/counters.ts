import { and, asc, countDistinct, gte, lte, sql, sum } from 'drizzle-orm';
import type { Database } from '../db';
import { ValidationError } from '../errors';
import { requestCounters } from '../schema';

/** A calendar month in UTC, 'YYYY-MM'. */
export const BUCKET_RE = /^[0-9]{4}-(0[1-9]|1[0-2])$/;

/** The 'YYYY-MM' bucket (UTC) a moment falls in. */
export function bucketOf(at: Date): string {
  return at.toISOString().slice(0, 7);
}

function validateBucket(bucket: string, field = 'bucket'): void {
  if (!BUCKET_RE.test(bucket)) throw new ValidationError(`${field} must be a month as YYYY-MM`, field);
}

export interface BucketTotal {
  bucket: string;
  requestCount: number;
  /** How many replicas contributed to the bucket. */
  instances: number;
}

export class CounterRepository {
  constructor(private readonly db: Database) {}

  /** Adds delta to (bucket, instanceId) in one upsert. Safe to call concurrently from many replicas. */
  async add(bucket: string, instanceId: string, delta: number): Promise<void> {
    validateBucket(bucket);
    if (!Number.isSafeInteger(delta)) throw new ValidationError('delta must be an integer', 'delta');
    if (delta === 0) return;
    await this.db
      .insert(requestCounters)
      .values({ bucket, instanceId, requestCount: delta })
      .onConflictDoUpdate({
        target: [requestCounters.bucket, requestCounters.instanceId],
        set: { requestCount: sql`${requestCounters.requestCount} + ${delta}` },
      });
  }

  /** Totals per bucket across replicas, oldest first; from/to ('YYYY-MM') are inclusive. */
  async listBuckets(range: { from?: string; to?: string } = {}): Promise<BucketTotal[]> {
    if (range.from !== undefined) validateBucket(range.from, 'from');
    if (range.to !== undefined) validateBucket(range.to, 'to');
    const rows = await this.db
      .select({
        bucket: requestCounters.bucket,
        requestCount: sum(requestCounters.requestCount),
        instances: countDistinct(requestCounters.instanceId),
      })
      .from(requestCounters)
      .where(
        and(
          range.from !== undefined ? gte(requestCounters.bucket, range.from) : undefined,
          range.to !== undefined ? lte(requestCounters.bucket, range.to) : undefined,
        ),
      )
      .groupBy(requestCounters.bucket)
      .orderBy(asc(requestCounters.bucket));
    return rows.map((r) => ({
      bucket: r.bucket,
      requestCount: Number(r.requestCount ?? 0),
      instances: Number(r.instances),
    }));
  }
}
