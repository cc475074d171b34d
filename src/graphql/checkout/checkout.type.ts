import { Field, Int, ObjectType } from 'type-graphql';
import { Issue } from '../common/issue.type';
import { DateTimeScalar } from '../common/scalars';

@ObjectType({ simpleResolvers: true, description: 'Licenses held by one user on one host.' })
export class Checkout {
  @Field()
  username!: string;

  @Field()
  hostname!: string;

  @Field({ description: 'Start time as the license server printed it, e.g. "Mon 1/20 10:30".' })
  startTime!: string;

  @Field(() => String, {
    nullable: true,
    description: '"host/port handle" of the license server connection, e.g. "license02.example.com/30001 48856".',
  })
  serverInfo!: string | null;

  @Field(() => DateTimeScalar, {
    nullable: true,
    description: "The start time as an instant, inferred in the server's time zone.",
  })
  startedAt!: string | null;

  @Field(() => String, { nullable: true })
  display!: string | null;

  @Field(() => String, { nullable: true, description: 'Version of the feature checked out.' })
  version!: string | null;

  @Field(() => String, { nullable: true })
  handle!: string | null;

  @Field(() => Int, { description: 'Licenses this checkout holds.' })
  count!: number;

  @Field(() => Int, { nullable: true, description: 'Linger/borrow time in seconds, when printed.' })
  linger!: number | null;

  @Field(() => Int, { nullable: true })
  pid!: number | null;

  @Field(() => [Issue], {
    description:
      'What is wrong with the start time: START_WEEKDAY_MISMATCH (the printed weekday is not that of the inferred date in any of the last 10 years), START_IMPLAUSIBLE (more than 10 years before the capture), START_AFTER_CAPTURE. Flagged starts are not counted in usage history.',
  })
  issues!: Issue[];
}
