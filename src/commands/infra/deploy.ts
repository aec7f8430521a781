import { oneLine } from '../../errors.js';
import { computeOutputs, writeOutputs } from '../../infra/outputs.js';
import { applyPlan, pending, planJson, summary, type Step } from '../../infra/plan.js';
import { readSes } from '../../infra/ses.js';
import { planDeploy } from '../../infra/stack.js';
import type { Ui } from '../../ui/output.js';
import { notConfirmed, output, type CommandInput, type Output } from '../action.js';
import { openStage, printOutputs, printPlan, stageActivityText, type InfraCommandDeps } from './common.js';

interface DeployOptions {
  dryRun?: boolean;
}

export default async function deployCommand({ opts, ui }: CommandInput<DeployOptions>): Promise<Output> {
  return deploy(opts, ui);
}

export async function deploy(opts: CommandInput<DeployOptions>['opts'], ui: Ui, deps: InfraCommandDeps = {}): Promise<Output> {
  const { config, ctx } = await openStage(opts, ui, deps);
  const reading = await ui.spinner(`reading stage ${config.stage}`);
  let plan;
  try {
    plan = await planDeploy(ctx, { onProgress: (e) => reading.update(stageActivityText(e)) });
    reading.succeed(`read stage ${config.stage}`);
  } catch (err) {
    reading.fail(`could not plan stage ${config.stage}`);
    throw err;
  }
  const counts = summary(plan);
  await printPlan(ui, plan, { title: `Plan for stage ${config.stage} (${ctx.where})` });
  const todo = pending(plan);
  const tally = `${counts.create} to create, ${counts.update} to update, ${counts['no-change']} unchanged`;

  if (!todo.length) {
    const outputs = computeOutputs(ctx, plan.observed.ses);
    const file = await writeOutputs(config.stateDir, outputs);
    return output({ plan: planJson(plan), applied: [], outputs }, async () => {
      ui.print(ui.green(`no changes: stage ${config.stage} matches the config — nothing was changed in AWS`));
      await printOutputs(ui, outputs, file);
    });
  }
  if (opts.dryRun) {
    return output({ plan: planJson(plan), dryRun: true }, () => ui.print(`dry run: ${tally} — nothing was changed`));
  }
  ui.print(tally);
  if (!(await ui.confirm(`Apply ${todo.length} change${todo.length > 1 ? 's' : ''} to stage ${config.stage} (${ctx.where})?`))) {
    return notConfirmed({ plan: planJson(plan), applied: [] });
  }

  const steps = ui.stepsOf<Step>({
    start: (s) => `${s.action === 'create' ? 'creating' : s.action === 'update' ? 'updating' : 'deleting'} ${s.kind} ${s.name}`,
    done: (s) => `${s.action === 'create' ? 'created' : 'updated'} ${s.kind} ${s.name}`,
    fail: (s, err) => `${s.kind} ${s.name}: ${oneLine(err)}`,
  });
  const result = await applyPlan(plan, steps.emit);
  if (result.failed) {
    const done = result.applied.map((s) => `${s.action === 'create' ? 'created' : 'updated'} ${s.kind} ${s.name}`);
    ui.error(`deploy stopped at ${result.failed.step.kind} ${result.failed.step.name}; ${done.length ? `done before it: ${done.join('; ')}` : 'nothing was changed before it'}`);
    ui.warn('everything created is tagged with the stage; run `clinica deploy` again to continue from here');
    const failed = { step: result.failed.step.id, error: oneLine(result.failed.error) };
    return output({ plan: planJson(plan), applied: result.applied.map((s) => s.id), failed }, undefined, { error: result.failed.error });
  }
  // the verification just started shows as "pending" in the outputs
  const ses = result.applied.some((s) => s.id === 'ses-identity') ? await readSes(ctx) : plan.observed.ses;
  const outputs = computeOutputs(ctx, ses);
  const file = await writeOutputs(config.stateDir, outputs);
  return output({ plan: planJson(plan), applied: result.applied.map((s) => s.id), outputs }, async () => {
    ui.print(ui.green(`deployed stage ${config.stage}: ${result.applied.length} resource${result.applied.length > 1 ? 's' : ''} changed`));
    await printOutputs(ui, outputs, file);
  });
}
