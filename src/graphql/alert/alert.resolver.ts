import { Args, Authorized, Ctx, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { nameMatcher } from '../../domain/glob';
import { ApiError, badInput } from '../../errors';
import { AlertRuleInputError, type AlertEvent, type AlertRuleView } from '../../services/alerts.service';
import type { LiveEvent } from '../../services/events';
import type { Context } from '../context';
import { checkServerIds, validateArgs } from '../subscription/subscription.helpers';
import { AlertRuleIdArgs, CreateAlertRuleArgs, LicenseAlertsArgs } from './alert.args';
import { AlertKindEnum, AlertRuleSourceEnum, AlertRuleType, AlertStatusEnum, LicenseAlert } from './alert.type';

type AlertLiveEvent = Extract<LiveEvent, { kind: 'alert' }>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function ruleView(r: AlertRuleView): AlertRuleType {
  return {
    id: r.id,
    kind: r.kind as AlertKindEnum,
    feature: r.feature,
    server: r.serverId,
    threshold: r.threshold,
    source: r.source as AlertRuleSourceEnum,
    createdBy: r.createdBy,
    createdAt: r.createdAt,
  };
}

export function alertView(e: AlertEvent): LicenseAlert {
  return {
    id: e.id,
    status: e.status as AlertStatusEnum,
    rule: ruleView(e.rule),
    serverId: e.serverId,
    feature: e.feature,
    daemon: e.daemon,
    message: e.message,
    value: e.value,
    at: e.at,
  };
}

@Resolver()
export class AlertResolver {
  @Authorized()
  @Query(() => [AlertRuleType], {
    description: 'Alert rules: from the config file (source CONFIG) and made with createAlertRule (source API).',
  })
  alertRules(@Ctx() ctx: Context): AlertRuleType[] {
    return ctx.services.alerts.list().map(ruleView);
  }

  @Authorized()
  @Query(() => [LicenseAlert], { description: 'Alerts firing now (their FIRING event), oldest first.' })
  activeAlerts(@Ctx() ctx: Context): LicenseAlert[] {
    return ctx.services.alerts.activeAlerts().map(alertView);
  }

  @Authorized('ADMIN')
  @Mutation(() => AlertRuleType, {
    description: 'Add an alert rule (kept in the store: every replica and restart sees it).',
  })
  async createAlertRule(
    @Args() { kind, feature, server, threshold }: CreateAlertRuleArgs,
    @Ctx() ctx: Context,
  ): Promise<AlertRuleType> {
    if (server && !ctx.services.snapshots.has(server)) throw badInput('server', `unknown server id "${server}"`);
    try {
      const rule = await ctx.services.alerts.create(
        { kind, feature: feature ?? null, server: server ?? null, threshold: threshold ?? null },
        ctx.principal!.username,
      );
      return ruleView(rule);
    } catch (e) {
      if (e instanceof AlertRuleInputError) throw badInput(e.field, e.message);
      throw e;
    }
  }

  @Authorized('ADMIN')
  @Mutation(() => AlertRuleType, {
    description:
      'Delete an alert rule made with createAlertRule (config rules are changed in the config file). Its firing alerts resolve.',
  })
  async deleteAlertRule(@Args() { id }: AlertRuleIdArgs, @Ctx() ctx: Context): Promise<AlertRuleType> {
    if (ctx.services.alerts.list().some((r) => r.id === id && r.source === 'CONFIG'))
      throw badInput('id', `rule ${id} comes from the config file; change the file to remove it`);
    const deleted = UUID.test(id) ? await ctx.services.alerts.delete(id) : null;
    if (!deleted) throw new ApiError('NOT_FOUND', `No alert rule with id "${id}"`, { field: 'id' });
    return ruleView(deleted);
  }

  @Authorized()
  @Subscription(() => LicenseAlert, {
    description: 'Alert rules becoming true (FIRING) and stopping (RESOLVED), once per change, never on every poll.',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const a = await validateArgs(LicenseAlertsArgs, args);
      const servers = checkServerIds(ctx, a.servers, 'servers');
      const feature = a.features && a.features.length ? nameMatcher(a.features) : null;
      return ctx.services.events.bus.subscribe(
        (e) =>
          e.kind === 'alert' &&
          (!servers || servers.has(e.data.serverId)) &&
          (!feature || e.data.feature === null || feature(e.data.feature)),
      );
    },
  })
  licenseAlerts(@Root() e: AlertLiveEvent, @Args() _args: LicenseAlertsArgs): LicenseAlert {
    return alertView(e.data);
  }
}
