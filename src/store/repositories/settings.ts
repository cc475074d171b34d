import { randomBytes } from 'crypto';
import { eq } from 'drizzle-orm';
import type { Database } from '../db';
import { settings } from '../schema';

export class SettingsRepository {
  constructor(private readonly db: Database) {}

  async get(key: string): Promise<string | null> {
    const [row] = await this.db.select({ value: settings.value }).from(settings).where(eq(settings.key, key));
    return row?.value ?? null;
  }

  /**
   * A random secret (256 bits, hex) created on first use and then the same for every replica and restart.
   * Concurrent first uses agree: the insert is ON CONFLICT DO NOTHING and everyone reads the winner.
   */
  async secret(key: string): Promise<string> {
    const existing = await this.get(key);
    if (existing) return existing;
    await this.db
      .insert(settings)
      .values({ key, value: randomBytes(32).toString('hex') })
      .onConflictDoNothing();
    return (await this.get(key))!;
  }
}
