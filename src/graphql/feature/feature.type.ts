import { Field, Float, Int, ObjectType } from 'type-graphql';
import { Checkout } from '../checkout/checkout.type';
import { Issue } from '../common/issue.type';
import { DateTimeScalar } from '../common/scalars';
import { LicenseServer } from '../server/server.type';
import { EXPECTED_SIZE, listCost } from '../limits';

@ObjectType({
  simpleResolvers: true,
  description: 'The Foretify Manager LicenseSummary info block: name, issued, used, free.',
})
export class FeatureInfo {
  @Field()
  name!: string;

  @Field(() => Int, { nullable: true, description: 'Licenses issued; null when uncounted or not reported.' })
  issued!: number | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Licenses in use as the server reports it (includes reservations).',
  })
  used!: number | null;

  @Field(() => Int, { nullable: true, description: 'issued - used; null when uncounted or not reported.' })
  free!: number | null;
}

@ObjectType({ simpleResolvers: true, description: 'One pool (INCREMENT/FEATURE line) of a feature.' })
export class Pool {
  @Field(() => String, { nullable: true })
  version!: string | null;

  @Field(() => String, { nullable: true })
  vendor!: string | null;

  @Field({ description: 'floating | nodelocked | uncounted | unknown' })
  type!: string;

  @Field(() => Int, { nullable: true })
  issued!: number | null;

  @Field(() => String, { nullable: true, description: 'Expiry date (YYYY-MM-DD); null when permanent or unknown.' })
  expiry!: string | null;

  @Field(() => String, { nullable: true, description: 'Expiry as printed, e.g. "01-jan-0000".' })
  expiryRaw!: string | null;

  @Field()
  permanent!: boolean;
}

@ObjectType({ simpleResolvers: true })
export class Reservation {
  @Field(() => Int)
  count!: number;

  @Field({ description: 'HOST, USER, GROUP, PROJECT, DISPLAY, INTERNET, HOST_GROUP or OTHER' })
  kind!: string;

  @Field()
  target!: string;
}

@ObjectType({ simpleResolvers: true })
export class QueuedRequest {
  @Field()
  username!: string;

  @Field()
  hostname!: string;

  @Field(() => Int)
  count!: number;

  @Field(() => String, { nullable: true })
  startTime!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  startedAt!: string | null;
}

@ObjectType({
  simpleResolvers: true,
  description: 'A feature as one license server reports it, with its consistency verdict.',
})
export class Feature {
  @Field(() => FeatureInfo)
  info!: FeatureInfo;

  // `checkouts(filter)` is added by FeatureResolver.
  allCheckouts!: Checkout[];

  @Field({ description: 'True when every consistency check passed.' })
  valid!: boolean;

  @Field(() => [Issue], { complexity: listCost(EXPECTED_SIZE.small) })
  issues!: Issue[];

  @Field(() => LicenseServer)
  server!: LicenseServer;

  @Field(() => String, { nullable: true, description: 'Vendor daemon serving the feature.' })
  vendor!: string | null;

  @Field()
  uncounted!: boolean;

  @Field(() => [Pool], { complexity: listCost(EXPECTED_SIZE.small) })
  pools!: Pool[];

  @Field(() => [Reservation], { complexity: listCost(EXPECTED_SIZE.small) })
  reservations!: Reservation[];

  @Field(() => Int, { description: 'Licenses reserved (counted in used).' })
  reserved!: number;

  @Field(() => [QueuedRequest], { complexity: listCost(EXPECTED_SIZE.small) })
  queued!: QueuedRequest[];

  @Field(() => Int, { description: 'Licenses held by the listed checkouts.' })
  checkedOut!: number;

  @Field(() => Float, {
    nullable: true,
    description: 'used / issued in [0, 1] (can exceed 1 when the server over-reports); null when uncounted.',
  })
  utilization!: number | null;

  @Field(() => String, {
    nullable: true,
    description: 'Earliest pool expiry (YYYY-MM-DD); null when all pools are permanent.',
  })
  expiry!: string | null;

  @Field(() => Int, { nullable: true, description: 'Whole days from now to the earliest expiry.' })
  daysToExpiry!: number | null;

  @Field(() => DateTimeScalar)
  fetchedAt!: string;
}
