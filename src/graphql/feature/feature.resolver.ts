import { Args, Ctx, FieldResolver, Resolver, Root } from 'type-graphql';
import type { Context } from '../context';
import { FeatureHistoryArgs, UtilizationHistogramArgs } from '../usage/usage.args';
import { mapUsageError } from '../usage/usage.resolver';
import { FeatureHistoryPoint, UtilizationHistogram } from '../usage/usage.type';
import { nameMatcher } from '../../domain/glob';
import { badInput } from '../../errors';
import { Checkout } from '../checkout/checkout.type';
import { validateSync } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import { CheckoutFilter, CheckoutsArgs } from './feature.args';
import { Feature } from './feature.type';
import { EXPECTED_SIZE, listCost } from '../limits';

const validated = new WeakSet<object>();

/** class-validator on the filter object; the same object (one per request) is validated once. */
function validateFilterOnce(filter: CheckoutFilter): void {
  if (validated.has(filter)) return;
  const instance = filter instanceof CheckoutFilter ? filter : Object.assign(new CheckoutFilter(), filter);
  const errors = validateSync(instance, {
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length)
    throw new ArgumentValidationError(errors.map((e) => Object.assign(e, { property: `filter.${e.property}` })));
  validated.add(filter);
}

@Resolver(() => Feature)
export class FeatureResolver {
  /**
   * Synchronous: filters the checkouts already in memory. Runs once per feature row (thousands per report), so
   * type-graphql's per-call validation is off and the filter, when one is given, is validated here instead.
   */
  @FieldResolver(() => [Checkout], {
    description: 'Active checkouts, optionally filtered.',
    complexity: listCost(EXPECTED_SIZE.checkouts),
  })
  checkouts(@Root() feature: Feature, @Args({ validate: false }) { filter }: CheckoutsArgs): Checkout[] {
    const all = feature.allCheckouts;
    if (!filter) return all;
    validateFilterOnce(filter);
    const { usernames, hostnames, startedAfter, startedBefore } = filter;
    if (startedAfter && startedBefore && startedAfter.getTime() >= startedBefore.getTime()) {
      throw badInput('filter.startedBefore', 'must be later than filter.startedAfter');
    }
    const user = nameMatcher(usernames);
    const host = nameMatcher(hostnames);
    const after = startedAfter ? startedAfter.toISOString() : null;
    const before = startedBefore ? startedBefore.toISOString() : null;
    return all.filter((c) => {
      if (!user(c.username) || !host(c.hostname)) return false;
      if (after && (!c.startedAt || c.startedAt < after)) return false;
      if (before && (!c.startedAt || c.startedAt >= before)) return false;
      return true;
    });
  }

  /** Recorded history (samples) of this feature on its server; batched: one SQL query for all features of a request. */
  @FieldResolver(() => [FeatureHistoryPoint], {
    description:
      'Issued, used (time-weighted mean) and peak per bucket from the recorded history, for charts. Window default: the last 7 days.',
    complexity: listCost(50),
  })
  async history(
    @Root() feature: Feature,
    @Args() { since, until, bucket, timeZone }: FeatureHistoryArgs,
    @Ctx() ctx: Context,
  ): Promise<FeatureHistoryPoint[]> {
    try {
      return await ctx.loaders.featureHistory.load({
        serverId: feature.server.id,
        feature: feature.info.name,
        since: since ?? null,
        until: until ?? null,
        bucket,
        timeZone: timeZone ?? 'UTC',
      });
    } catch (e) {
      mapUsageError(e);
    }
  }

  @FieldResolver(() => UtilizationHistogram, {
    description:
      'The share of time exactly k licenses were in use (the chart for sizing a pool). Window default: the last 7 days.',
    complexity: listCost(50),
  })
  async utilizationHistogram(
    @Root() feature: Feature,
    @Args() { since, until }: UtilizationHistogramArgs,
    @Ctx() ctx: Context,
  ): Promise<UtilizationHistogram> {
    try {
      return await ctx.loaders.utilizationHistogram.load({
        serverId: feature.server.id,
        feature: feature.info.name,
        since: since ?? null,
        until: until ?? null,
      });
    } catch (e) {
      mapUsageError(e);
    }
  }
}
