import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { ALERT_KINDS, ALERT_KIND_DESCRIPTIONS, type AlertKind } from '../../domain/alerts';
import { DateTimeScalar } from '../common/scalars';

/** The GraphQL AlertKind enum, derived from the domain's ALERT_KINDS (src/domain/alerts.ts). */
export const AlertKindEnum = Object.fromEntries(ALERT_KINDS.map((k) => [k, k])) as { readonly [K in AlertKind]: K };
export type AlertKindEnum = AlertKind;
registerEnumType(AlertKindEnum, {
  name: 'AlertKind',
  description: 'What an alert rule watches.',
  valuesConfig: Object.fromEntries(ALERT_KINDS.map((k) => [k, { description: ALERT_KIND_DESCRIPTIONS[k] }])),
});

export enum AlertRuleSourceEnum {
  CONFIG = 'CONFIG',
  API = 'API',
}
registerEnumType(AlertRuleSourceEnum, {
  name: 'AlertRuleSource',
  description: 'CONFIG: from the config file (read-only); API: made by createAlertRule.',
});

export enum AlertStatusEnum {
  FIRING = 'FIRING',
  RESOLVED = 'RESOLVED',
}
registerEnumType(AlertStatusEnum, { name: 'AlertStatus' });

@ObjectType('AlertRule', { simpleResolvers: true, description: 'A condition licenseAlerts watches.' })
export class AlertRuleType {
  @Field(() => ID)
  id!: string;

  @Field(() => AlertKindEnum)
  kind!: AlertKindEnum;

  @Field(() => String, {
    nullable: true,
    description: 'Feature name or glob (DAEMON_DOWN: vendor daemon name or glob); null: all.',
  })
  feature!: string | null;

  @Field(() => String, { nullable: true, description: 'Server id; null: every server.' })
  server!: string | null;

  @Field(() => Float, { nullable: true, description: 'N licenses, P percent or D days, depending on kind.' })
  threshold!: number | null;

  @Field(() => AlertRuleSourceEnum)
  source!: AlertRuleSourceEnum;

  @Field(() => String, { nullable: true, description: 'Username of the creator (API rules).' })
  createdBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  createdAt!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description: "An alert rule's condition became true (FIRING) or stopped being true (RESOLVED) for one target.",
})
export class LicenseAlert {
  @Field(() => ID, { description: 'Unique per event.' })
  id!: string;

  @Field(() => AlertStatusEnum)
  status!: AlertStatusEnum;

  @Field(() => AlertRuleType)
  rule!: AlertRuleType;

  @Field({ description: 'License server id.' })
  serverId!: string;

  @Field(() => String, { nullable: true, description: 'The feature concerned (feature kinds).' })
  feature!: string | null;

  @Field(() => String, { nullable: true, description: 'The vendor daemon concerned (DAEMON_DOWN).' })
  daemon!: string | null;

  @Field()
  message!: string;

  @Field(() => Float, {
    nullable: true,
    description: 'Measured value: free licenses, percent free, days to expiry or queued licenses.',
  })
  value!: number | null;

  @Field(() => DateTimeScalar)
  at!: string;
}
