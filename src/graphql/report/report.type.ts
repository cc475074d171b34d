import { Field, ObjectType } from 'type-graphql';
import { Issue } from '../common/issue.type';
import { DateTimeScalar } from '../common/scalars';
import { Feature } from '../feature/feature.type';
import { LicenseServer } from '../server/server.type';
import { EXPECTED_SIZE, listCost } from '../limits';

@ObjectType({
  simpleResolvers: true,
  description: 'The live license report (the Foretify Manager LicenseSummary, with more).',
})
export class Report {
  @Field(() => [Feature], { complexity: listCost(EXPECTED_SIZE.features) })
  summaryByFeature!: Feature[];

  @Field({ description: 'False when any feature or server is invalid, down or stale.' })
  valid!: boolean;

  @Field(() => [Issue], {
    description: 'Server-level issues of the servers in the report.',
    complexity: listCost(EXPECTED_SIZE.small),
  })
  issues!: Issue[];

  @Field(() => [LicenseServer], { complexity: listCost(EXPECTED_SIZE.servers) })
  servers!: LicenseServer[];

  @Field(() => DateTimeScalar, { description: 'Oldest read among the servers in the report.' })
  fetchedAt!: string;

  @Field({ description: "True when any server's data is stale." })
  stale!: boolean;
}
