import { count, gte, sql } from 'drizzle-orm';
import type { Database } from '../db';
import { replicas } from '../schema';

export class ReplicaRepository {
  constructor(private readonly db: Database) {}

  /** Registers the replica on first call, then refreshes last_seen_at (and the hostname hash). */
  async heartbeat(instanceId: string, hostnameHash: string, at: Date = new Date()): Promise<void> {
    await this.db
      .insert(replicas)
      .values({ instanceId, hostnameHash, startedAt: at, lastSeenAt: at })
      .onConflictDoUpdate({
        target: replicas.instanceId,
        set: { hostnameHash: sql`excluded.hostname_hash`, lastSeenAt: sql`excluded.last_seen_at` },
      });
  }

  /** How many replicas sent a heartbeat at or after `since`. */
  async countSeenSince(since: Date): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(replicas).where(gte(replicas.lastSeenAt, since));
    return Number(row?.n ?? 0);
  }
}
