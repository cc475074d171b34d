import { Field, Float, ID, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';

export enum AlertKindEnum {
  FREE_BELOW = 'FREE_BELOW',
  FREE_PERCENT_BELOW = 'FREE_PERCENT_BELOW',
  EXPIRES_WITHIN_DAYS = 'EXPIRES_WITHIN_DAYS',
  SERVER_DOWN = 'SERVER_DOWN',
  DAEMON_DOWN = 'DAEMON_DOWN',
  QUEUE_NONEMPTY = 'QUEUE_NONEMPTY',
}
registerEnumType(AlertKindEnum, {
  name: 'AlertKind',
  description: 'What an alert rule watches.',
  valuesConfig: {
    FREE_BELOW: { description: 'Free licenses of a feature below threshold N.' },
    FREE_PERCENT_BELOW: { description: 'Free licenses below threshold P percent of issued.' },
    EXPIRES_WITHIN_DAYS: { description: 'The feature\'s earliest pool expires within threshold D days (or has expired).' },
    SERVER_DOWN: { description: 'The license server is DOWN or cannot be read (no feature, no threshold).' },
    DAEMON_DOWN: { description: 'A vendor daemon is DOWN; `feature` selects daemons by name or glob (no threshold).' },
    QUEUE_NONEMPTY: { description: 'More than threshold N (default 0) licenses of a feature are queued.' },
  },
});

export enum AlertRuleSourceEnum {
  CONFIG = 'CONFIG',
  API = 'API',
}
registerEnumType(AlertRuleSourceEnum, { name: 'AlertRuleSource', description: 'CONFIG: from the config file (read-only); API: made by createAlertRule.' });

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

  @Field(() => String, { nullable: true, description: 'Feature name or glob (DAEMON_DOWN: vendor daemon name or glob); null: all.' })
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

@ObjectType({ simpleResolvers: true, description: 'An alert rule\'s condition became true (FIRING) or stopped being true (RESOLVED) for one target.' })
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

  @Field(() => Float, { nullable: true, description: 'Measured value: free licenses, percent free, days to expiry or queued licenses.' })
  value!: number | null;

  @Field(() => DateTimeScalar)
  at!: string;
}
