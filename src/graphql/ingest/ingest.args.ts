import { IsIn, Length, Matches } from 'class-validator';
import { ArgsType, Field } from 'type-graphql';
import { MAX_INGEST_BYTES } from '../../sources/ingest';
import { SERVER_ID_PATTERN } from '../feature/feature.args';
import { IngestFormatEnum } from './ingest.type';

@ArgsType()
export class IngestArgs {
  @Field({ description: 'Configured server id the status belongs to (usually of type "ingest").' })
  @Length(1, 64)
  @Matches(SERVER_ID_PATTERN, { message: 'server ids are lowercase letters, digits and dashes' })
  server!: string;

  @Field(() => IngestFormatEnum, { defaultValue: IngestFormatEnum.AUTO })
  @IsIn(Object.values(IngestFormatEnum))
  format!: IngestFormatEnum;

  @Field({
    description: 'The raw text, as the agent captured it. Pass it as a variable; larger texts: POST /api/v1/ingest.',
  })
  @Length(1, MAX_INGEST_BYTES)
  text!: string;
}
