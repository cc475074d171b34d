import {
  ArrayMaxSize,
  ArrayUnique,
  IsIn,
  IsOptional,
  Length,
  Matches,
  MaxLength,
  ValidateBy,
  ValidateNested,
  type ValidationOptions,
} from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';
import { isIanaTimeZoneName } from '../../domain/time';
import { DateTimeScalar } from '../common/scalars';
import { SERVER_ID_PATTERN } from '../feature/feature.args';
import { TimeBucketEnum, UsageDimensionEnum } from './usage.type';

/** The decorated Date property must be later than `other` when both are given. */
export function IsLaterThan(other: string, options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isLaterThan',
      constraints: [other],
      validator: {
        validate: (value: unknown, args) => {
          const o = (args?.object as Record<string, unknown> | undefined)?.[other];
          if (!(value instanceof Date) || !(o instanceof Date)) return true;
          return value.getTime() > o.getTime();
        },
        defaultMessage: () => `$property must be later than ${other}`,
      },
    },
    options,
  );
}

/** A known IANA time zone name (Europe/Berlin, UTC). */
export function IsIanaTimeZone(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'isIanaTimeZone',
      validator: {
        validate: (value: unknown) => typeof value === 'string' && isIanaTimeZoneName(value),
        defaultMessage: () => '$property must be a known IANA time zone such as UTC or Europe/Berlin',
      },
    },
    options,
  );
}

@InputType({ description: 'Which history a usage query reads. Lists: any entry matches; names take * and ? globs.' })
export class UsageFilter {
  @Field(() => [String], { nullable: true, description: 'Feature names or globs (the "product").' })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 128, { each: true, message: 'each feature name or glob must be 1 to 128 characters' })
  features?: string[];

  @Field(() => [String], { nullable: true, description: 'User names or globs.' })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 256, { each: true, message: 'each user name or glob must be 1 to 256 characters' })
  users?: string[];

  @Field(() => [String], { nullable: true, description: 'Host names or globs.' })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 256, { each: true, message: 'each host name or glob must be 1 to 256 characters' })
  hosts?: string[];

  @Field(() => [String], { nullable: true, description: 'Server ids (one id: the usage of a single license server).' })
  @IsOptional()
  @ArrayMaxSize(100)
  @Matches(SERVER_ID_PATTERN, { each: true, message: 'server ids are lowercase letters, digits and dashes' })
  servers?: string[];

  @Field(() => DateTimeScalar, { nullable: true, description: 'Window start (default: the beginning of history).' })
  @IsOptional()
  earliestTime?: Date;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Window end, exclusive (default: now). Must be later than earliestTime.',
  })
  @IsOptional()
  @IsLaterThan('earliestTime')
  latestTime?: Date;
}

@ArgsType()
export class UsageArgs {
  @Field(() => [UsageDimensionEnum], {
    description: 'Dimensions to group by, each at most once; [] gives one total row.',
  })
  @ArrayMaxSize(6)
  @ArrayUnique({ message: 'groupBy must not repeat a dimension' })
  @IsIn(Object.values(UsageDimensionEnum), { each: true })
  groupBy!: UsageDimensionEnum[];

  @Field(() => UsageFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: UsageFilter;

  @Field(() => TimeBucketEnum, {
    nullable: true,
    description: 'Bucket size for TIME grouping (default DAY); only with TIME.',
  })
  @IsOptional()
  @IsIn(Object.values(TimeBucketEnum))
  bucket?: TimeBucketEnum;

  @Field(() => String, { nullable: true, description: 'IANA time zone of the TIME buckets (default UTC).' })
  @IsOptional()
  @IsIanaTimeZone()
  timeZone?: string;
}

@ArgsType()
export class ResourceUsageArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Window start (default: the beginning of history).' })
  @IsOptional()
  startTime?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Window end, exclusive (default: now).' })
  @IsOptional()
  @IsLaterThan('startTime')
  endTime?: Date;

  @Field(() => [String], { nullable: true, description: 'Server ids (default: all).' })
  @IsOptional()
  @ArrayMaxSize(100)
  @Matches(SERVER_ID_PATTERN, { each: true, message: 'server ids are lowercase letters, digits and dashes' })
  servers?: string[];
}

@ArgsType()
export class FeatureHistoryArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: 7 days before until.' })
  @IsOptional()
  since?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: now.' })
  @IsOptional()
  @IsLaterThan('since')
  until?: Date;

  @Field(() => TimeBucketEnum, { defaultValue: TimeBucketEnum.HOUR })
  @IsIn(Object.values(TimeBucketEnum))
  bucket!: TimeBucketEnum;

  @Field(() => String, { nullable: true, description: 'IANA time zone of the buckets (default UTC).' })
  @IsOptional()
  @MaxLength(64)
  @IsIanaTimeZone()
  timeZone?: string;
}

@ArgsType()
export class UtilizationHistogramArgs {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: 7 days before until.' })
  @IsOptional()
  since?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: now.' })
  @IsOptional()
  @IsLaterThan('since')
  until?: Date;
}
