import { Field, ID, ObjectType } from 'type-graphql';
import { RoleEnum } from '../common/enums';
import { DateTimeScalar } from '../common/scalars';

@ObjectType({ simpleResolvers: true, description: 'A licensegraph user (not a license-server user).' })
export class UserType {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;

  @Field(() => RoleEnum)
  role!: RoleEnum;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field()
  disabled!: boolean;
}

@ObjectType('AccessToken', { simpleResolvers: true, description: 'An access token, without its secret.' })
export class AccessTokenType {
  @Field(() => ID)
  id!: string;

  @Field()
  username!: string;

  @Field(() => String, { nullable: true })
  name!: string | null;

  @Field({ description: 'Public prefix to recognise the token by, e.g. "lg_AbCd1234".' })
  prefix!: string;

  @Field(() => DateTimeScalar)
  createdAt!: Date;

  @Field(() => DateTimeScalar, { nullable: true })
  expiresAt!: Date | null;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: Date | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: 'Recorded within a minute of use, not on every request.',
  })
  lastUsedAt!: Date | null;

  @Field(() => [String], {
    nullable: true,
    description: 'Push scope: the server ids this token may push status to; null = every ingest-type server.',
  })
  servers!: string[] | null;
}

@ObjectType({ description: 'A new token: the secret is shown here once and never again.' })
export class CreatedAccessToken {
  @Field({ description: 'The bearer token. Store it now: only its hash is kept.' })
  token!: string;

  @Field(() => AccessTokenType)
  accessToken!: AccessTokenType;
}
