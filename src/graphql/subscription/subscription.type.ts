import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { Checkout } from '../checkout/checkout.type';
import { DateTimeScalar } from '../common/scalars';

@ObjectType({ simpleResolvers: true, description: 'Issued, used and free licenses of a feature at one reading.' })
export class UsageCounts {
  @Field(() => Int, { nullable: true })
  issued!: number | null;

  @Field(() => Int, { nullable: true })
  used!: number | null;

  @Field(() => Int, { nullable: true, description: 'issued - used; null when uncounted or not reported.' })
  free!: number | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "A new reading of a license server changed a feature's issued or used count.",
})
export class FeatureUsageChange {
  @Field({ description: 'License server id.' })
  serverId!: string;

  @Field({ description: 'Feature name.' })
  feature!: string;

  @Field(() => String, { nullable: true, description: 'Vendor daemon serving the feature.' })
  vendor!: string | null;

  @Field(() => UsageCounts, { nullable: true, description: 'Before; null when the feature just appeared.' })
  previous!: UsageCounts | null;

  @Field(() => UsageCounts, { nullable: true, description: 'Now; null when the feature is no longer reported.' })
  current!: UsageCounts | null;

  @Field(() => Int, { nullable: true, description: 'current.used - previous.used, when both are known.' })
  usedDelta!: number | null;

  @Field(() => DateTimeScalar, { description: 'When the new reading was taken.' })
  at!: string;
}

export enum CheckoutEventTypeEnum {
  CHECKED_OUT = 'CHECKED_OUT',
  CHECKED_IN = 'CHECKED_IN',
}
registerEnumType(CheckoutEventTypeEnum, { name: 'CheckoutEventType' });

@ObjectType({
  simpleResolvers: true,
  description: 'A checkout appeared (CHECKED_OUT) or disappeared (CHECKED_IN) between two readings of a server.',
})
export class CheckoutEvent {
  @Field(() => CheckoutEventTypeEnum)
  type!: CheckoutEventTypeEnum;

  @Field({ description: 'License server id.' })
  serverId!: string;

  @Field()
  feature!: string;

  @Field(() => String, { nullable: true })
  vendor!: string | null;

  @Field(() => Checkout, { description: 'The checkout (user, host, display, handle, start time identify it).' })
  checkout!: Checkout;

  @Field(() => DateTimeScalar, {
    description: 'When the reading that saw the change was taken (a check-in happened before it).',
  })
  at!: string;
}
