/**
 * Helpers for subscription fields. type-graphql validates a field's arguments when it resolves each event, but
 * a subscription's `subscribe` function receives them raw: they are validated here, before anything is
 * subscribed, so a bad filter fails the subscription at once with BAD_USER_INPUT (the same error shape as queries).
 */
import { validate } from 'class-validator';
import { ArgumentValidationError } from 'type-graphql';
import type { CheckoutEvent as DomainCheckoutEvent, FeatureUsageChange as DomainUsageChange } from '../../domain/diff';
import { badInput } from '../../errors';
import type { Context } from '../context';
import { checkoutView } from '../views';
import { CheckoutEventTypeEnum, type CheckoutEvent, type FeatureUsageChange } from './subscription.type';

export async function validateArgs<T extends object>(cls: new () => T, raw: Record<string, unknown>): Promise<T> {
  const args = Object.assign(new cls(), raw);
  const errors = await validate(args, {
    skipMissingProperties: true,
    forbidUnknownValues: false,
    validationError: { target: false, value: false },
  });
  if (errors.length > 0) throw new ArgumentValidationError(errors);
  return args;
}

/** Unknown server ids are refused (BAD_USER_INPUT), as in licenseReport. */
export function checkServerIds(ctx: Context, servers: string[] | undefined, field: string): Set<string> | null {
  if (!servers || servers.length === 0) return null;
  for (const id of servers) if (!ctx.services.snapshots.has(id)) throw badInput(field, `unknown server id "${id}"`);
  return new Set(servers);
}

export function usageChangeView(d: DomainUsageChange): FeatureUsageChange {
  const before = d.previous?.used;
  const now = d.current?.used;
  return {
    serverId: d.serverId,
    feature: d.feature,
    vendor: d.vendor,
    previous: d.previous,
    current: d.current,
    usedDelta: typeof before === 'number' && typeof now === 'number' ? now - before : null,
    at: d.at,
  };
}

export function checkoutEventView(d: DomainCheckoutEvent): CheckoutEvent {
  return {
    type: d.type === 'CHECKED_OUT' ? CheckoutEventTypeEnum.CHECKED_OUT : CheckoutEventTypeEnum.CHECKED_IN,
    serverId: d.serverId,
    feature: d.feature,
    vendor: d.vendor,
    checkout: checkoutView(d.checkout),
    at: d.at,
  };
}
