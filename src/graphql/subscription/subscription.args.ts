import { ArrayMaxSize, IsOptional, Length, Matches } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { SERVER_ID_PATTERN } from '../feature/feature.args';

@ArgsType()
export class FeatureUsageChangedArgs {
  @Field(() => [String], {
    nullable: true,
    description: 'Exact feature names or globs (FTX_*, MATLAB?); default: every feature.',
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

@ArgsType()
export class CheckoutEventsArgs {
  @Field(() => [String], { nullable: true, description: 'Exact feature names or globs; default: every feature.' })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 128, { each: true, message: 'each feature name or glob must be 1 to 128 characters' })
  features?: string[];

  @Field(() => [String], {
    nullable: true,
    description: 'License-server usernames (exact or glob); default: every user.',
  })
  @IsOptional()
  @ArrayMaxSize(200)
  @Length(1, 256, { each: true, message: 'each username or glob must be 1 to 256 characters' })
  users?: string[];

  @Field(() => [String], { nullable: true, description: 'Server ids; default: every server.' })
  @IsOptional()
  @ArrayMaxSize(100)
  @Matches(SERVER_ID_PATTERN, { each: true, message: 'server ids are lowercase letters, digits and dashes' })
  servers?: string[];
}
