import { Args, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { nameMatcher } from '../../domain/glob';
import { badInput, notFound } from '../../errors';
import type { Context } from '../context';
import { FeatureArgs, LicenseReportArgs } from '../feature/feature.args';
import { Feature } from '../feature/feature.type';
import { LicenseServer } from '../server/server.type';
import { viewOf } from '../views';
import { Report } from './report.type';
import { EXPECTED_SIZE, listCost } from '../limits';

async function loadViews(ctx: Context, ids: string[]) {
  const states = await ctx.loaders.serverState.loadMany(ids);
  return states.map((s) => {
    if (s instanceof Error) throw s;
    return viewOf(s);
  });
}

function checkServers(ctx: Context, servers: string[] | undefined, field: string): string[] {
  const all = ctx.services.snapshots.serverIds();
  if (!servers || servers.length === 0) return all;
  for (const id of servers) if (!ctx.services.snapshots.has(id)) throw badInput(field, `unknown server id "${id}"`);
  return all.filter((id) => servers.includes(id));
}

@Resolver()
export class ReportResolver {
  @Authorized()
  @Query(() => Report, {
    description: 'The live license report: every feature of every (selected) server, with consistency checks.',
  })
  async licenseReport(@Args() { filter }: LicenseReportArgs, @Ctx() ctx: Context): Promise<Report> {
    const ids = checkServers(ctx, filter?.servers, 'filter.servers');
    const views = await loadViews(ctx, ids);
    const match = nameMatcher(filter?.features);
    const inUse = filter?.inUse ?? false;
    const summaryByFeature: Feature[] = [];
    let valid = true;
    let stale = false;
    let fetchedAt: string | null = null;
    const issues = [];
    for (const v of views) {
      if (!v.server.valid) valid = false;
      if (v.server.stale) stale = true;
      if (!fetchedAt || v.server.fetchedAt < fetchedAt) fetchedAt = v.server.fetchedAt;
      issues.push(...v.server.issues);
      for (const f of v.features) {
        if (!match(f.info.name)) continue;
        if (inUse && !((f.info.used ?? 0) > 0 || f.allCheckouts.length > 0)) continue;
        if (!f.valid) valid = false;
        summaryByFeature.push(f);
      }
    }
    return {
      summaryByFeature,
      valid,
      issues,
      servers: views.map((v) => v.server),
      fetchedAt: fetchedAt ?? new Date().toISOString(),
      stale,
    };
  }

  @Authorized()
  @Query(() => Feature, { nullable: true, description: 'One feature by exact name (null when no server has it).' })
  async feature(@Args() { name, server }: FeatureArgs, @Ctx() ctx: Context): Promise<Feature | null> {
    if (server && !ctx.services.snapshots.has(server)) throw notFound(`License server "${server}"`);
    const views = await loadViews(ctx, server ? [server] : ctx.services.snapshots.serverIds());
    for (const v of views) {
      const f = v.byName.get(name);
      if (f) return f;
    }
    return null;
  }

  @Authorized()
  @Query(() => [LicenseServer], {
    description: 'Every configured license server with its status.',
    complexity: listCost(EXPECTED_SIZE.servers),
  })
  async licenseServers(@Ctx() ctx: Context): Promise<LicenseServer[]> {
    const views = await loadViews(ctx, ctx.services.snapshots.serverIds());
    return views.map((v) => v.server);
  }
}
