import { Field, Int, ObjectType } from 'type-graphql';
import { Issue } from '../common/issue.type';
import { ServerStatusEnum, SourceTypeEnum } from '../common/enums';
import { DateTimeScalar } from '../common/scalars';
import { EXPECTED_SIZE, listCost } from '../limits';

@ObjectType({ simpleResolvers: true, description: 'One member host of a license server (a triad has three).' })
export class ServerHost {
  @Field()
  host!: string;

  @Field(() => Int, { nullable: true })
  port!: number | null;

  @Field(() => ServerStatusEnum)
  status!: ServerStatusEnum;

  @Field()
  master!: boolean;

  @Field(() => String, { nullable: true })
  version!: string | null;

  @Field(() => String, { nullable: true })
  message!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class VendorDaemon {
  @Field()
  name!: string;

  @Field(() => ServerStatusEnum)
  status!: ServerStatusEnum;

  @Field(() => String, { nullable: true })
  version!: string | null;

  @Field(() => String, { nullable: true })
  message!: string | null;
}

@ObjectType({ simpleResolvers: true })
export class ParseWarning {
  @Field()
  code!: string;

  @Field()
  message!: string;

  @Field(() => Int, { nullable: true })
  line!: number | null;

  @Field(() => String, { nullable: true })
  text!: string | null;

  @Field()
  affectsCounts!: boolean;
}

@ObjectType({ simpleResolvers: true, description: 'A configured license server and the state of its last read.' })
export class LicenseServer {
  @Field()
  id!: string;

  @Field()
  label!: string;

  @Field(() => SourceTypeEnum)
  type!: SourceTypeEnum;

  @Field(() => ServerStatusEnum)
  status!: ServerStatusEnum;

  @Field(() => String, { nullable: true, description: 'lmgrd / rlm version of the master.' })
  version!: string | null;

  @Field(() => [ServerHost], { complexity: listCost(EXPECTED_SIZE.small) })
  hosts!: ServerHost[];

  @Field(() => [VendorDaemon], { complexity: listCost(EXPECTED_SIZE.small) })
  vendorDaemons!: VendorDaemon[];

  @Field({ description: 'False when the server is down, stale, or any feature is invalid.' })
  valid!: boolean;

  @Field({ description: 'True when the last read failed and older data is shown.' })
  stale!: boolean;

  @Field(() => [Issue], {
    description: 'Server-level issues (DOWN, stale, unreadable lines).',
    complexity: listCost(EXPECTED_SIZE.small),
  })
  issues!: Issue[];

  @Field(() => String, { nullable: true, description: 'Why the last read failed, when it did.' })
  error!: string | null;

  @Field(() => DateTimeScalar, { description: 'When the data shown was read.' })
  fetchedAt!: string;

  @Field(() => DateTimeScalar, { description: 'When the last read was attempted.' })
  checkedAt!: string;

  @Field(() => Int)
  featureCount!: number;

  @Field(() => [ParseWarning], {
    description: 'Lines of the server output that could not be read (first 50).',
    complexity: listCost(EXPECTED_SIZE.warnings),
  })
  warnings!: ParseWarning[];

  @Field(() => String, { nullable: true })
  timeZone!: string | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Live servers: the time the server\'s output states (lmstat "status on", rlmstat statistics) minus ours when it was read, in seconds; a CLOCK_SKEW issue above 5 minutes. Null for files, pushes and outputs that state no time.',
  })
  clockSkewSeconds!: number | null;

  @Field(() => Int, { description: 'Snapshot version: changes whenever new data arrives.' })
  snapshotVersion!: number;
}
