import { ArrayMaxSize, IsOptional, Length, Matches, MaxLength, ValidateNested } from 'class-validator';
import { ArgsType, Field, InputType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';

export const SERVER_ID_PATTERN = /^[a-z0-9-]+$/;

@InputType({ description: 'Which features a report includes.' })
export class ReportFilter {
  @Field(() => [String], { nullable: true, description: 'Exact feature names or globs (FTX_*, MATLAB?).' })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 128, { each: true, message: 'each feature name or glob must be 1 to 128 characters' })
  features?: string[];

  @Field(() => [String], { nullable: true, description: 'Server ids to include (default: all).' })
  @IsOptional()
  @ArrayMaxSize(100)
  @Matches(SERVER_ID_PATTERN, { each: true, message: 'server ids are lowercase letters, digits and dashes' })
  servers?: string[];

  @Field(() => Boolean, { nullable: true, description: 'Only features with at least one license in use.' })
  @IsOptional()
  inUse?: boolean;
}

@InputType({ description: 'Which checkouts a feature lists.' })
export class CheckoutFilter {
  @Field(() => [String], { nullable: true, description: 'Usernames (exact or glob).' })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 256, { each: true })
  usernames?: string[];

  @Field(() => [String], { nullable: true, description: 'Hostnames (exact or glob).' })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 256, { each: true })
  hostnames?: string[];

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only checkouts that started at or after this instant.' })
  @IsOptional()
  startedAfter?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Only checkouts that started before this instant.' })
  @IsOptional()
  startedBefore?: Date;
}

@ArgsType()
export class LicenseReportArgs {
  @Field(() => ReportFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: ReportFilter;
}

@ArgsType()
export class FeatureArgs {
  @Field({ description: 'Exact feature name.' })
  @Length(1, 128)
  name!: string;

  @Field(() => String, { nullable: true, description: 'Server id; default: the first server that has the feature.' })
  @IsOptional()
  @MaxLength(64)
  @Matches(SERVER_ID_PATTERN, { message: 'server ids are lowercase letters, digits and dashes' })
  server?: string;
}

@ArgsType()
export class CheckoutsArgs {
  @Field(() => CheckoutFilter, { nullable: true })
  @IsOptional()
  @ValidateNested()
  filter?: CheckoutFilter;
}
