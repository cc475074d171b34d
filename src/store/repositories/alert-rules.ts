import { asc, eq } from 'drizzle-orm';
import type { Database } from '../db';
import { alertRules, type AlertRuleRow } from '../schema';

import type { AlertKind } from '../../domain/alerts';

export { ALERT_KINDS, type AlertKind } from '../../domain/alerts';

export interface AlertRule {
  id: string;
  kind: AlertKind;
  feature: string | null;
  serverId: string | null;
  threshold: number | null;
  createdBy: string;
  createdAt: Date;
}

const toRule = (r: AlertRuleRow): AlertRule => ({ ...r, kind: r.kind as AlertKind });

export class AlertRuleRepository {
  constructor(private readonly db: Database) {}

  async list(): Promise<AlertRule[]> {
    return (await this.db.select().from(alertRules).orderBy(asc(alertRules.createdAt), asc(alertRules.id))).map(toRule);
  }

  async create(input: {
    kind: AlertKind;
    feature?: string | null;
    serverId?: string | null;
    threshold?: number | null;
    createdBy: string;
  }): Promise<AlertRule> {
    const [row] = await this.db
      .insert(alertRules)
      .values({
        kind: input.kind,
        feature: input.feature ?? null,
        serverId: input.serverId ?? null,
        threshold: input.threshold ?? null,
        createdBy: input.createdBy,
      })
      .returning();
    return toRule(row);
  }

  /** Returns whether a rule was deleted. */
  async delete(id: string): Promise<boolean> {
    const rows = await this.db.delete(alertRules).where(eq(alertRules.id, id)).returning({ id: alertRules.id });
    return rows.length > 0;
  }
}
