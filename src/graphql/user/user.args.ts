import { ArrayMaxSize, IsIn, IsInt, IsOptional, Length, Matches, Max, Min } from 'class-validator';
import { ArgsType, Field, ID, Int } from 'type-graphql';
import { RoleEnum } from '../common/enums';

export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]+$/;

@ArgsType()
export class CreateUserArgs {
  @Field()
  @Length(1, 64)
  @Matches(USERNAME_PATTERN, { message: 'username may contain only letters, digits and . _ @ -' })
  username!: string;

  @Field(() => RoleEnum)
  @IsIn(Object.values(RoleEnum))
  role!: RoleEnum;
}

@ArgsType()
export class CreateAccessTokenArgs {
  @Field()
  @Length(1, 64)
  @Matches(USERNAME_PATTERN, { message: 'username may contain only letters, digits and . _ @ -' })
  username!: string;

  @Field(() => Int, { nullable: true, description: 'Expire after this many days (1-3650); default never.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(3650)
  expiresInDays?: number;

  @Field(() => String, { nullable: true, description: 'A label to recognise the token by.' })
  @IsOptional()
  @Length(1, 100)
  name?: string;

  @Field(() => [String], {
    nullable: true,
    description:
      'Push scope: the ingest-type server ids this token may push status to. Omitted or empty: every ingest-type server.',
  })
  @IsOptional()
  @ArrayMaxSize(100)
  @Matches(/^[a-z0-9-]{1,64}$/, {
    each: true,
    message: 'servers are server ids (lowercase letters, digits and dashes)',
  })
  servers?: string[];
}

@ArgsType()
export class TokenIdArgs {
  @Field(() => ID)
  @Matches(/^[0-9a-f-]{36}$/i, { message: 'id must be a token id (a UUID)' })
  id!: string;
}
