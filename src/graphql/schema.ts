import 'reflect-metadata';
import type { GraphQLSchema } from 'graphql';
import { buildSchema, type AuthChecker } from 'type-graphql';
import type { Role } from '../domain/auth';
import { forbidden, unauthenticated } from '../errors';
import type { Context } from './context';
import { FeatureResolver } from './feature/feature.resolver';
import { AlertResolver } from './alert/alert.resolver';
import { ReportResolver } from './report/report.resolver';
import { SubscriptionResolver } from './subscription/subscription.resolver';
import { UserResolver } from './user/user.resolver';
import { DeploymentResolver } from './deployment/deployment.resolver';
import { UsageResolver } from './usage/usage.resolver';
import { IngestResolver } from './ingest/ingest.resolver';

/**
 * Root fields only carry @Authorized (never row fields). No roles listed = any authenticated principal.
 * Failing the check throws our own errors so the codes are UNAUTHENTICATED / FORBIDDEN.
 */
export const authChecker: AuthChecker<Context, Role> = ({ context }, roles) => {
  const p = context.principal;
  if (!p) throw unauthenticated();
  if (roles.length === 0 || roles.includes(p.role)) return true;
  throw forbidden(`This operation needs the ${roles.join(' or ')} role; you are ${p.role}`);
};

export const RESOLVERS = [
  ReportResolver,
  FeatureResolver,
  UserResolver,
  SubscriptionResolver,
  AlertResolver,
  DeploymentResolver,
  UsageResolver,
  IngestResolver,
] as const;

/**
 * type-graphql insists on a PubSub once the schema has subscriptions. Ours never use topics: each subscription's
 * `subscribe` function reads the per-app event bus from the context (services.events.bus), because the schema is
 * built once per process while the bus (in-process or PostgreSQL NOTIFY) belongs to an app.
 */
const noTopicPubSub = {
  publish(): void {
    throw new Error('topic-based pubSub is not used: publish on services.events.bus');
  },
  subscribe(): AsyncIterable<unknown> {
    throw new Error('topic-based pubSub is not used: subscribe with a `subscribe` function on services.events.bus');
  },
};

let built: Promise<GraphQLSchema> | null = null;

/** The schema is built once per process: type-graphql metadata is global and immutable. */
export function getSchema(): Promise<GraphQLSchema> {
  if (!built) {
    built = buildSchema({
      resolvers: RESOLVERS,
      authChecker,
      authMode: 'error',
      pubSub: noTopicPubSub,
      validate: { forbidUnknownValues: false, validationError: { target: false, value: false } },
      emitSchemaFile: false,
    });
  }
  return built;
}
