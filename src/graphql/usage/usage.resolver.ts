import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { badInput } from '../../errors';
import { UsageInputError, type UsageRowData } from '../../services/usage.service';
import type { Context } from '../context';
import { ResourceUsageArgs, UsageArgs } from './usage.args';
import { ResourceUsage, UsageRow } from './usage.type';
import { EXPECTED_SIZE, listCost } from '../limits';

/** Service input errors -> BAD_USER_INPUT naming the field; anything else is rethrown (masked as internal). */
export function mapUsageError(e: unknown): never {
  if (e instanceof UsageInputError) throw badInput(e.field, e.rule);
  throw e;
}

/** The service's row with licenseHours added (in place: a year by day is tens of thousands of rows). */
export function toUsageRow(r: UsageRowData): UsageRow {
  const row = r as UsageRow;
  row.licenseHours = r.licenseSeconds / 3600;
  return row;
}

@Resolver()
export class UsageResolver {
  @Authorized()
  @Query(() => [UsageRow], {
    complexity: listCost(EXPECTED_SIZE.usageRows),
    description:
      'Recorded usage grouped by the given dimensions over a window (filter.earliestTime .. filter.latestTime, default all history up to now). One server in filter.servers gives the usage of a single license server.',
  })
  async usage(@Args() { groupBy, filter, bucket, timeZone }: UsageArgs, @Ctx() ctx: Context): Promise<UsageRow[]> {
    try {
      const rows = await ctx.services.usage.usage({
        groupBy,
        bucket: bucket ?? null,
        timeZone: timeZone ?? null,
        filter: filter ?? null,
      });
      return rows.map(toUsageRow);
    } catch (e) {
      mapUsageError(e);
    }
  }

  @Authorized()
  @Query(() => [ResourceUsage], {
    description: 'Totals per feature for a window (all servers, or the given ones).',
    complexity: listCost(EXPECTED_SIZE.features),
  })
  async resourceUsage(
    @Args() { startTime, endTime, servers }: ResourceUsageArgs,
    @Ctx() ctx: Context,
  ): Promise<ResourceUsage[]> {
    try {
      const rows = await ctx.services.usage.resourceUsage(startTime ?? null, endTime ?? null, servers ?? null);
      return rows.map((r) => ({ ...r, licenseHours: r.licenseSeconds / 3600 }));
    } catch (e) {
      mapUsageError(e);
    }
  }
}
