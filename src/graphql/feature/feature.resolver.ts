import { Args, FieldResolver, Resolver, Root } from 'type-graphql';
import { nameMatcher } from '../../domain/glob';
import { badInput } from '../../errors';
import { Checkout } from '../checkout/checkout.type';
import { CheckoutsArgs } from './feature.args';
import { Feature } from './feature.type';

@Resolver(() => Feature)
export class FeatureResolver {
  /** Synchronous: filters the checkouts already in memory. */
  @FieldResolver(() => [Checkout], { description: 'Active checkouts, optionally filtered.' })
  checkouts(@Root() feature: Feature, @Args() { filter }: CheckoutsArgs): Checkout[] {
    const all = feature.allCheckouts;
    if (!filter) return all;
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
}
