import { Field, Float, InputType, Int, ObjectType } from 'type-graphql';
import { IsOptional } from 'class-validator';
import { DateTimeScalar } from '../common/scalars';

@ObjectType({ simpleResolvers: true })
export class RequestBucket {
  @Field({ description: 'Calendar month (UTC), YYYY-MM.' })
  bucket!: string;

  @Field(() => Float, { description: 'API requests served in the month (all replicas).' })
  requestCount!: number;
}

@ObjectType({ simpleResolvers: true })
export class RequestCounters {
  @Field(() => [RequestBucket])
  buckets!: RequestBucket[];

  @Field(() => Float, { description: 'The sum of the buckets.' })
  totalRequests!: number;
}

@ObjectType({ simpleResolvers: true })
export class MonthlyUsage {
  @Field()
  month!: string;

  @Field()
  server!: string;

  @Field()
  feature!: string;

  @Field(() => Int)
  sessions!: number;

  @Field(() => Float)
  licenseHours!: number;

  @Field(() => Int)
  peakInUse!: number;

  @Field(() => Int)
  distinctUsers!: number;

  @Field(() => Int, { nullable: true, description: 'Issued at the end of the month.' })
  issued!: number | null;
}

@ObjectType({ simpleResolvers: true })
export class LicenseEntitlement {
  @Field()
  server!: string;

  @Field()
  feature!: string;

  @Field(() => Int, { nullable: true })
  issued!: number | null;

  @Field(() => String, { nullable: true, description: 'Earliest pool expiry, YYYY-MM-DD; null when permanent.' })
  expiry!: string | null;

  @Field(() => Int, { nullable: true })
  daysToExpiry!: number | null;

  @Field()
  uncounted!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class ReportVendorDaemon {
  @Field()
  name!: string;

  @Field()
  status!: string;

  @Field(() => String, { nullable: true })
  version!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class ReportServer {
  @Field()
  id!: string;

  @Field()
  label!: string;

  @Field()
  type!: string;

  @Field({ description: 'UP, DOWN, UNKNOWN or STALE.' })
  status!: string;

  @Field(() => String, { nullable: true, description: 'lmgrd / rlm version.' })
  version!: string | null;

  @Field(() => [ReportVendorDaemon])
  vendorDaemons!: ReportVendorDaemon[];
}

@ObjectType({ simpleResolvers: true })
export class SystemInfo {
  @Field(() => Int)
  cores!: number;

  @Field()
  uname!: string;

  @Field({ description: 'HMAC-SHA256 of the host name with an installation secret: never the plain name.' })
  hostname!: string;
}

@ObjectType({ simpleResolvers: true })
export class DeploymentInfo {
  @Field({ description: 'embedded (PGlite) or postgres' })
  type!: string;

  @Field(() => Int, { description: 'Replicas seen in the last 5 minutes.' })
  replicas!: number;
}

@ObjectType({ simpleResolvers: true })
export class ReportPeriodType {
  @Field(() => DateTimeScalar)
  from!: string;

  @Field(() => DateTimeScalar)
  to!: string;
}

@ObjectType({
  simpleResolvers: true,
  description: 'The exportable deployment report (Kong-style /license/report) with its checksum.',
})
export class DeploymentReportType {
  @Field(() => RequestCounters)
  counters!: RequestCounters;

  @Field(() => [MonthlyUsage])
  usage!: MonthlyUsage[];

  @Field(() => [LicenseEntitlement])
  licenses!: LicenseEntitlement[];

  @Field(() => [ReportServer])
  servers!: ReportServer[];

  @Field(() => Int)
  featuresCount!: number;

  @Field(() => Int, { description: 'licensegraph users (rbac_users in the Kong-style deployment report).' })
  usersCount!: number;

  @Field(() => Int)
  serversCount!: number;

  @Field({ description: 'licensegraph version.' })
  version!: string;

  @Field()
  dbVersion!: string;

  @Field(() => SystemInfo)
  systemInfo!: SystemInfo;

  @Field(() => DeploymentInfo)
  deploymentInfo!: DeploymentInfo;

  @Field(() => ReportPeriodType)
  period!: ReportPeriodType;

  @Field(() => DateTimeScalar)
  timestamp!: string;

  @Field({ description: 'sha256 hex of the canonical JSON of every other member (keys sorted, no whitespace).' })
  checksum!: string;

  @Field({
    description: 'The whole report as JSON text, exactly what GET /license/report returns (to verify the checksum).',
  })
  json!: string;
}

@InputType()
export class ReportPeriodInput {
  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: the first day of the month 11 months ago.' })
  @IsOptional()
  from?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Default: now.' })
  @IsOptional()
  to?: Date;
}
