import { Field, ObjectType } from 'type-graphql';
import { Issue } from '../common/issue.type';
import { DateTimeScalar } from '../common/scalars';
import { Feature } from '../feature/feature.type';
import { LicenseServer } from '../server/server.type';

@ObjectType({ simpleResolvers: true, description: 'The live license report (the seed\'s LicenseSummary, with more).' })
export class Report {
  @Field(() => [Feature])
  summaryByFeature!: Feature[];

  @Field({ description: 'False when any feature or server is invalid, down or stale.' })
  valid!: boolean;

  @Field(() => [Issue], { description: 'Server-level issues of the servers in the report.' })
  issues!: Issue[];

  @Field(() => [LicenseServer])
  servers!: LicenseServer[];

  @Field(() => DateTimeScalar, { description: 'Oldest read among the servers in the report.' })
  fetchedAt!: string;

  @Field({ description: 'True when any server\'s data is stale.' })
  stale!: boolean;
}
