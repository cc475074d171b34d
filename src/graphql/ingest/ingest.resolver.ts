import { Args, Authorized, Ctx, Mutation, Resolver } from 'type-graphql';
import { ApiError, badInput } from '../../errors';
import { IngestForbiddenError, IngestInputError, IngestTooLargeError } from '../../services/history.service';
import type { Context } from '../context';
import { IngestArgs } from './ingest.args';
import { IngestFormatEnum, IngestResult } from './ingest.type';

@Resolver()
export class IngestResolver {
  @Authorized('UPLOADER', 'ADMIN')
  @Mutation(() => IngestResult, {
    description:
      "Push mode: raw lmstat / rlmstat / LicenseSummary JSON text from an agent next to the license server becomes the server's current state and is recorded in the history like a poll. UPLOADER or ADMIN; servers of type ingest only, within the token's push scope.",
  })
  async ingestLicenseStatus(@Args() { server, format, text }: IngestArgs, @Ctx() ctx: Context): Promise<IngestResult> {
    try {
      const r = await ctx.services.history.ingest(server, format, text, ctx.principal ?? undefined);
      return { ...r, format: r.format as IngestFormatEnum };
    } catch (e) {
      if (e instanceof IngestForbiddenError) throw new ApiError('FORBIDDEN', e.message, { field: 'server' });
      if (e instanceof IngestTooLargeError) {
        throw new ApiError('PAYLOAD_TOO_LARGE', `Push too large: ${e.message}`, {
          field: 'text',
          limit: e.limit,
          max: e.max,
          actual: e.actual,
        });
      }
      if (e instanceof IngestInputError) {
        if (e.notFound) throw new ApiError('NOT_FOUND', `License server "${server}" not found`, { field: 'server' });
        if (e.field === 'server' || e.field === 'format') throw badInput(e.field, e.rule);
        throw badInput('text', e.rule);
      }
      throw e;
    }
  }
}
