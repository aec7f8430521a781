import { healthChecks } from '../../infra/health.js';
import { computeOutputs } from '../../infra/outputs.js';
import { pending, planJson } from '../../infra/plan.js';
import { planDeploy } from '../../infra/stack.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';
import { openStage, printPlan, stageActivityText, type InfraCommandDeps } from './common.js';

/** The deploy plan as a drift report, plus health checks. Exit 1 when anything is missing, drifted or unhealthy. */
export default async function statusCommand({ opts, ui }: CommandInput): Promise<Output> {
  return status(opts, ui);
}

export async function status(opts: CommandInput['opts'], ui: Ui, deps: InfraCommandDeps = {}): Promise<Output> {
  const { config, ctx } = await openStage(opts, ui, deps);
  const spinner = await ui.spinner(`reading stage ${config.stage}`);
  let plan;
  let checks;
  try {
    plan = await planDeploy(ctx, { onProgress: (e) => spinner.update(stageActivityText(e)) });
    spinner.update('checking health');
    checks = await healthChecks(ctx, plan, deps.fetcher, deps.dns);
    spinner.succeed(`read stage ${config.stage}`);
  } catch (err) {
    spinner.fail(`could not read stage ${config.stage}`);
    throw err;
  }
  await printPlan(ui, plan, { title: `Resources of stage ${config.stage} (${ctx.where})`, status: true });
  await ui.table(checks, [
    { header: 'Check', value: (c) => c.name },
    { header: 'Health', value: (c) => (c.ok === true ? ui.green('ok') : c.ok === false ? ui.red('FAIL') : ui.yellow('unknown')) },
    { header: 'Detail', value: (c) => (c.ok === false ? ui.red(c.detail) : c.detail) },
  ]);
  const drifted = pending(plan);
  const failing = checks.filter((c) => c.ok === false);
  const healthy = !drifted.length && !failing.length;
  const parts = [
    drifted.length ? `${drifted.length} resource${drifted.length > 1 ? 's' : ''} missing or drifted (run \`clinica deploy\`)` : '',
    failing.length ? `${failing.length} check${failing.length > 1 ? 's' : ''} failing: ${failing.map((c) => c.name).join(', ')}` : '',
  ].filter(Boolean);
  return output({ healthy, plan: planJson(plan), checks, outputs: computeOutputs(ctx, plan.observed.ses) }, () => {
    ui.print(healthy ? ui.green(`stage ${config.stage} matches the config and is healthy`) : ui.red(`stage ${config.stage}: ${parts.join('; ')}`));
  }, { exitCode: healthy ? 0 : 1 });
}
