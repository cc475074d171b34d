import { asc, gt, lt, max } from 'drizzle-orm';
import type { Database } from '../db';
import { liveEvents } from '../schema';

export interface LiveEventRow {
  id: number;
  origin: string;
  events: unknown[];
}

/** The cross-replica event log (PostgreSQL): appended by publishers, read back by replicas catching up. */
export class LiveEventRepository {
  constructor(private readonly db: Database) {}

  /** Appends one published batch; returns its sequence number. */
  async append(origin: string, events: unknown[]): Promise<number> {
    const [row] = await this.db.insert(liveEvents).values({ origin, events }).returning({ id: liveEvents.id });
    return Number(row.id);
  }

  /** The newest sequence number (0 when the log is empty). */
  async latestId(): Promise<number> {
    const [row] = await this.db.select({ id: max(liveEvents.id) }).from(liveEvents);
    return Number(row?.id ?? 0);
  }

  /** Batches after `afterId`, oldest first. */
  async since(afterId: number, limit = 10_000): Promise<LiveEventRow[]> {
    const rows = await this.db
      .select({ id: liveEvents.id, origin: liveEvents.origin, events: liveEvents.events })
      .from(liveEvents)
      .where(gt(liveEvents.id, afterId))
      .orderBy(asc(liveEvents.id))
      .limit(limit);
    return rows.map((r) => ({
      id: Number(r.id),
      origin: r.origin,
      events: Array.isArray(r.events) ? (r.events as unknown[]) : [],
    }));
  }

  /** Deletes batches published before `before`; returns how many. */
  async prune(before: Date): Promise<number> {
    const rows = await this.db
      .delete(liveEvents)
      .where(lt(liveEvents.createdAt, before))
      .returning({ id: liveEvents.id });
    return rows.length;
  }
}
