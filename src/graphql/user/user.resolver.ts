import { Args, Authorized, Ctx, Mutation, Query, Resolver } from 'type-graphql';
import type { AccessTokenInfo, User } from '../../domain/auth';
import { ApiError, badInput, notFound } from '../../errors';
import { ConflictError, NotFoundError, StoreError, ValidationError } from '../../store/errors';
import { pushScopeProblem } from '../../services/ingest-scope';
import type { Context } from '../context';
import { CreateAccessTokenArgs, CreateUserArgs, TokenIdArgs } from './user.args';
import { AccessTokenType, CreatedAccessToken, UserType } from './user.type';
import { EXPECTED_SIZE, listCost } from '../limits';

/** Store errors -> API errors with codes. */
function mapStoreError(e: unknown): never {
  if (e instanceof ConflictError) throw new ApiError('CONFLICT', e.message, { field: e.field });
  if (e instanceof ValidationError) throw badInput(e.field, e.message);
  if (e instanceof NotFoundError) throw new ApiError('NOT_FOUND', e.message, { field: e.field });
  if (e instanceof StoreError) throw new ApiError('BAD_USER_INPUT', e.message);
  throw e;
}

const toUser = (u: User) => u as unknown as UserType;
const toToken = (t: AccessTokenInfo) => t as unknown as AccessTokenType;

@Resolver()
export class UserResolver {
  @Authorized()
  @Query(() => UserType, { description: 'The user the token belongs to.' })
  async me(@Ctx() ctx: Context): Promise<UserType> {
    const u = await ctx.services.store.users.findById(ctx.principal!.userId);
    if (!u) throw notFound('User');
    return toUser(u);
  }

  @Authorized('ADMIN')
  @Query(() => [UserType], { complexity: listCost(EXPECTED_SIZE.accounts) })
  async users(@Ctx() ctx: Context): Promise<UserType[]> {
    return (await ctx.services.auth.listUsers()).map(toUser);
  }

  @Authorized()
  @Query(() => [AccessTokenType], {
    description: 'ADMIN: every token; others: their own.',
    complexity: listCost(EXPECTED_SIZE.accounts),
  })
  async accessTokens(@Ctx() ctx: Context): Promise<AccessTokenType[]> {
    return (await ctx.services.auth.listTokens(ctx.principal!)).map(toToken);
  }

  @Authorized('ADMIN')
  @Mutation(() => UserType)
  async createUser(@Args() { username, role }: CreateUserArgs, @Ctx() ctx: Context): Promise<UserType> {
    try {
      return toUser(await ctx.services.auth.createUser({ username, role }));
    } catch (e) {
      mapStoreError(e);
    }
  }

  @Authorized('ADMIN')
  @Mutation(() => CreatedAccessToken, { description: 'Issue a token for a user. The secret is returned once.' })
  async createAccessToken(
    @Args() { username, expiresInDays, name, servers }: CreateAccessTokenArgs,
    @Ctx() ctx: Context,
  ): Promise<CreatedAccessToken> {
    const user = await ctx.services.store.users.findByUsername(username);
    if (!user) throw new ApiError('NOT_FOUND', `No user named "${username}"`, { field: 'username' });
    const scopeProblem = pushScopeProblem(servers, ctx.services.snapshots.configs());
    if (scopeProblem) throw badInput('servers', scopeProblem);
    try {
      const { token, info } = await ctx.services.auth.issueToken({
        userId: user.id,
        expiresInDays: expiresInDays ?? null,
        name: name ?? null,
        servers: servers ?? null,
      });
      return { token, accessToken: toToken(info) };
    } catch (e) {
      mapStoreError(e);
    }
  }

  @Authorized()
  @Mutation(() => AccessTokenType, { description: 'Revoke a token: ADMIN any, others their own.' })
  async revokeAccessToken(@Args() { id }: TokenIdArgs, @Ctx() ctx: Context): Promise<AccessTokenType> {
    const info = await ctx.services.auth.revokeToken(id, ctx.principal!);
    if (!info) throw new ApiError('NOT_FOUND', `No access token with id "${id}" that you may revoke`, { field: 'id' });
    return toToken(info);
  }
}
