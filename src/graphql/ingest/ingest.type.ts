import { Field, Int, ObjectType, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../common/scalars';

export enum IngestFormatEnum {
  AUTO = 'auto',
  LMSTAT = 'lmstat',
  RLMSTAT = 'rlmstat',
  JSON = 'json',
}
registerEnumType(IngestFormatEnum, {
  name: 'IngestFormat',
  description:
    'Pushed text: lmutil lmstat -a output, rlmutil rlmstat -a output, LicenseSummary JSON, or AUTO to detect it.',
});

@ObjectType({
  simpleResolvers: true,
  description: "What a pushed status did: the server's new current state, recorded like a poll.",
})
export class IngestResult {
  @Field()
  server!: string;

  @Field(() => IngestFormatEnum, { description: 'The format read (detected when AUTO).' })
  format!: IngestFormatEnum;

  @Field(() => DateTimeScalar)
  fetchedAt!: string;

  @Field({ description: 'UP, DOWN or UNKNOWN as the text says.' })
  status!: string;

  @Field(() => Int)
  features!: number;

  @Field(() => Int)
  checkouts!: number;

  @Field(() => Int, { description: 'Lines the parser could not place.' })
  warnings!: number;

  @Field({ description: 'True when every consistency check passed.' })
  valid!: boolean;

  @Field(() => Int)
  sessionsOpened!: number;

  @Field(() => Int)
  sessionsClosed!: number;

  @Field(() => Int, { description: 'Samples written.' })
  samples!: number;

  @Field({ description: 'True when history already held this instant (nothing written).' })
  skipped!: boolean;
}
