import { Field, Float, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';

export enum UsageDimensionEnum {
  SERVER = 'SERVER',
  FEATURE = 'FEATURE',
  VERSION = 'VERSION',
  USER = 'USER',
  HOST = 'HOST',
  TIME = 'TIME',
}
registerEnumType(UsageDimensionEnum, {
  name: 'UsageDimension',
  description: 'What usage rows are grouped by. TIME buckets by the `bucket` argument in the `timeZone` argument.',
});

export enum TimeBucketEnum {
  HOUR = 'HOUR',
  DAY = 'DAY',
  WEEK = 'WEEK',
  MONTH = 'MONTH',
}
registerEnumType(TimeBucketEnum, {
  name: 'TimeBucket',
  description: 'Calendar buckets (weeks start on Monday), in the requested time zone.',
});

@ObjectType({
  simpleResolvers: true,
  description:
    'Usage of one group (the dimension fields not grouped by are null) over the window, or one time bucket of it. Sessions are clipped to the window and bucket.',
})
export class UsageRow {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Start of the time bucket (TIME grouping).' })
  bucketStart!: Date | null;

  @Field(() => String, { nullable: true, description: 'License server id (SERVER grouping).' })
  server!: string | null;

  @Field(() => String, { nullable: true, description: 'Feature (FEATURE grouping): the "product".' })
  feature!: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'Version the checkouts asked for (VERSION grouping); null when unknown or not grouped.',
  })
  version!: string | null;

  @Field(() => String, { nullable: true, description: 'User name (USER grouping).' })
  user!: string | null;

  @Field(() => String, { nullable: true, description: 'Host name (HOST grouping).' })
  host!: string | null;

  @Field(() => Int, {
    description: 'Checkout sessions overlapping the window (bucket); a session counts once per bucket.',
  })
  sessions!: number;

  @Field(() => Float, { description: 'Licenses held x seconds, clipped to the window (bucket): the usage amount.' })
  licenseSeconds!: number;

  @Field(() => Float, { description: 'licenseSeconds / 3600.' })
  licenseHours!: number;

  @Field(() => Int, {
    nullable: true,
    description:
      'Most licenses in use at once, as the server reported it (samples; summed over servers when the group spans several). Null when grouped by VERSION, USER or HOST, filtered by users or hosts, or when no sample covers the bucket.',
  })
  peakInUse!: number | null;

  @Field(() => Float, {
    nullable: true,
    description:
      'Time-weighted mean of licenses in use over the known part of the bucket (samples; summed over servers). Null as for peakInUse.',
  })
  averageInUse!: number | null;

  @Field(() => Int, { description: 'Different users holding a license in the window (bucket).' })
  distinctUsers!: number;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'First instant in the window (bucket) a session of the group was open.',
  })
  firstSeen!: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Last instant in the window (bucket) a session of the group was open.',
  })
  lastSeen!: Date | null;
}

@ObjectType({
  simpleResolvers: true,
  description: 'Totals for one feature over a window (all servers): the resource breakdown.',
})
export class ResourceUsage {
  @Field()
  feature!: string;

  @Field(() => Int)
  sessions!: number;

  @Field(() => Float)
  licenseSeconds!: number;

  @Field(() => Float)
  licenseHours!: number;

  @Field(() => Int)
  distinctUsers!: number;

  @Field(() => Int, { nullable: true })
  peakInUse!: number | null;

  @Field(() => Float, { nullable: true })
  averageInUse!: number | null;

  @Field(() => DateTimeScalar, { nullable: true })
  firstSeen!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  lastSeen!: Date | null;
}

@ObjectType({ simpleResolvers: true, description: "One bucket of a feature's history, from the recorded samples." })
export class FeatureHistoryPoint {
  @Field(() => DateTimeScalar)
  bucketStart!: Date;

  @Field(() => Int, { nullable: true, description: 'Highest issued count in the bucket.' })
  issued!: number | null;

  @Field(() => Float, {
    nullable: true,
    description: 'Time-weighted mean of licenses in use (as the server reports it) over the known part of the bucket.',
  })
  used!: number | null;

  @Field(() => Int, { nullable: true, description: 'Most licenses in use at once.' })
  peak!: number | null;

  @Field(() => Int, { nullable: true, description: 'Longest queue.' })
  peakQueued!: number | null;

  @Field(() => Float, { description: 'Seconds of the bucket with a known value.' })
  knownSeconds!: number;
}

@ObjectType({ simpleResolvers: true })
export class UtilizationBin {
  @Field(() => Int, { description: 'Licenses in use.' })
  inUse!: number;

  @Field(() => Float, { description: 'Seconds during which exactly inUse licenses were in use.' })
  seconds!: number;

  @Field(() => Float, { description: 'seconds / knownSeconds, in [0, 1].' })
  share!: number;
}

@ObjectType({
  simpleResolvers: true,
  description:
    'The share of time exactly k licenses were in use: the chart for sizing a pool. Only counts that occurred are listed.',
})
export class UtilizationHistogram {
  @Field(() => DateTimeScalar)
  since!: Date;

  @Field(() => DateTimeScalar)
  until!: Date;

  @Field(() => Float, { description: 'Seconds of the window with a known value.' })
  knownSeconds!: number;

  @Field(() => Int, { nullable: true, description: 'Highest issued count in the window.' })
  issued!: number | null;

  @Field(() => [UtilizationBin])
  bins!: UtilizationBin[];
}
