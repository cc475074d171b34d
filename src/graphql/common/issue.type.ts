import { Field, ObjectType } from 'type-graphql';

@ObjectType({ simpleResolvers: true, description: 'A failed consistency check or a problem reading a server.' })
export class Issue {
  @Field({
    description:
      'Stable code, e.g. CHECKOUTS_MISMATCH, FREE_MISMATCH, NEGATIVE_USED, FEATURE_UNAVAILABLE, SERVER_DOWN, SOURCE_UNAVAILABLE',
  })
  code!: string;

  @Field()
  message!: string;

  @Field(() => String, { nullable: true, description: 'What the check expected (as text).' })
  expected?: string | null;

  @Field(() => String, { nullable: true, description: 'What it found (as text).' })
  actual?: string | null;
}
