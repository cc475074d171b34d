import { Arg, Authorized, Ctx, Query, Resolver } from 'type-graphql';
import { badInput } from '../../errors';
import type { Context } from '../context';
import { DeploymentReportType, ReportPeriodInput } from './deployment.type';

export function checkPeriod(from: Date | undefined, to: Date | undefined, field: string): void {
  if (from && to && from.getTime() >= to.getTime()) throw badInput(`${field}.to`, `must be later than ${field}.from`);
}

@Resolver()
export class DeploymentResolver {
  @Authorized('ADMIN')
  @Query(() => DeploymentReportType, {
    description: 'The exportable deployment report (ADMIN). Nothing is sent anywhere.',
  })
  async deploymentReport(
    @Arg('period', () => ReportPeriodInput, { nullable: true }) period: ReportPeriodInput | undefined,
    @Ctx() ctx: Context,
  ): Promise<DeploymentReportType> {
    checkPeriod(period?.from, period?.to, 'period');
    const report = await ctx.services.deploymentReports!.generate({ from: period?.from, to: period?.to });
    return { ...report, json: JSON.stringify(report) } as DeploymentReportType;
  }
}
