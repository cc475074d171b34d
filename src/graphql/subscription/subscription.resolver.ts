import { Args, Authorized, Resolver, Root, Subscription } from 'type-graphql';
import { nameMatcher } from '../../domain/glob';
import type { LiveEvent } from '../../services/events';
import type { Context } from '../context';
import { checkoutEventView, checkServerIds, usageChangeView, validateArgs } from './subscription.helpers';
import { CheckoutEventsArgs, FeatureUsageChangedArgs } from './subscription.args';
import { CheckoutEvent, FeatureUsageChange } from './subscription.type';

type UsageEvent = Extract<LiveEvent, { kind: 'usage' }>;
type CheckoutLiveEvent = Extract<LiveEvent, { kind: 'checkout' }>;

/**
 * Live events over graphql-ws (same path, /graphql). Each subscription gets its own filtered feed of the app's
 * event bus; events come from new server readings (polls), so they arrive within one poll interval.
 */
@Resolver()
export class SubscriptionResolver {
  @Authorized()
  @Subscription(() => FeatureUsageChange, {
    description:
      "A feature's issued or used count changed between two readings of its server (not sent while a server is DOWN or stale).",
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const a = await validateArgs(FeatureUsageChangedArgs, args);
      const servers = checkServerIds(ctx, a.servers, 'servers');
      const feature = nameMatcher(a.features);
      return ctx.services.events.bus.subscribe(
        (e) => e.kind === 'usage' && (!servers || servers.has(e.data.serverId)) && feature(e.data.feature),
      );
    },
  })
  featureUsageChanged(@Root() e: UsageEvent, @Args() _args: FeatureUsageChangedArgs): FeatureUsageChange {
    return usageChangeView(e.data);
  }

  @Authorized()
  @Subscription(() => CheckoutEvent, {
    description:
      'Checkouts that appeared (CHECKED_OUT) or ended (CHECKED_IN) between two readings of a server. A server going DOWN does not check anything in.',
    subscribe: async ({ args, context }) => {
      const ctx = context as Context;
      const a = await validateArgs(CheckoutEventsArgs, args);
      const servers = checkServerIds(ctx, a.servers, 'servers');
      const feature = nameMatcher(a.features);
      const user = nameMatcher(a.users);
      return ctx.services.events.bus.subscribe(
        (e) =>
          e.kind === 'checkout' &&
          (!servers || servers.has(e.data.serverId)) &&
          feature(e.data.feature) &&
          user(e.data.checkout.username),
      );
    },
  })
  checkoutEvents(@Root() e: CheckoutLiveEvent, @Args() _args: CheckoutEventsArgs): CheckoutEvent {
    return checkoutEventView(e.data);
  }
}
