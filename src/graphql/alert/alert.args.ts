import { ArrayMaxSize, IsIn, IsNumber, IsOptional, Length, Matches, MaxLength } from 'class-validator';
import { ArgsType, Field, Float, ID } from 'type-graphql';
import { SERVER_ID_PATTERN } from '../feature/feature.args';
import { AlertKindEnum } from './alert.type';

@ArgsType()
export class CreateAlertRuleArgs {
  @Field(() => AlertKindEnum)
  @IsIn(Object.values(AlertKindEnum))
  kind!: AlertKindEnum;

  @Field(() => String, {
    nullable: true,
    description: 'Feature name or glob (DAEMON_DOWN: daemon name or glob); default: all.',
  })
  @IsOptional()
  @Length(1, 128)
  feature?: string;

  @Field(() => String, { nullable: true, description: 'Server id; default: every server.' })
  @IsOptional()
  @MaxLength(64)
  @Matches(SERVER_ID_PATTERN, { message: 'server ids are lowercase letters, digits and dashes' })
  server?: string;

  @Field(() => Float, {
    nullable: true,
    description:
      'FREE_BELOW: licenses; FREE_PERCENT_BELOW: percent; EXPIRES_WITHIN_DAYS: days; QUEUE_NONEMPTY: queued licenses (default 0).',
  })
  @IsOptional()
  @IsNumber({ allowNaN: false, allowInfinity: false })
  threshold?: number;
}

@ArgsType()
export class AlertRuleIdArgs {
  @Field(() => ID)
  @Length(1, 64)
  id!: string;
}

@ArgsType()
export class LicenseAlertsArgs {
  @Field(() => [String], {
    nullable: true,
    description: 'Feature names or globs; default: every alert (server and daemon alerts always pass).',
  })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 128, { each: true, message: 'each feature name or glob must be 1 to 128 characters' })
  features?: string[];

  @Field(() => [String], { nullable: true, description: 'Server ids; default: every server.' })
  @IsOptional()
  @ArrayMaxSize(100)
  @Matches(SERVER_ID_PATTERN, { each: true, message: 'server ids are lowercase letters, digits and dashes' })
  servers?: string[];
}
