import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { oneLine, usageError } from '../../errors.js';
import { outputsFile } from '../../infra/outputs.js';
import { applyPlan, pending, planJson, type Step } from '../../infra/plan.js';
import { planDestroy } from '../../infra/stack.js';
import type { Ui } from '../../ui/output.js';
import { notConfirmed, output, type CommandInput, type Output } from '../action.js';
import { openStage, printPlan, stageActivityText, type InfraCommandDeps } from './common.js';

interface DestroyOptions {
  deletePatientData?: boolean;
}

export default async function destroyCommand({ opts, ui }: CommandInput<DestroyOptions>): Promise<Output> {
  return destroy(opts, ui);
}

export async function destroy(opts: CommandInput<DestroyOptions>['opts'], ui: Ui, deps: InfraCommandDeps = {}): Promise<Output> {
  const { config, ctx } = await openStage(opts, ui, deps);
  const spinner = await ui.spinner(`reading stage ${config.stage}`);
  // told on the reading spinner, then on the spinner of the step that empties the bucket
  let tell = (text: string) => spinner.update(text);
  const plan = await planDestroy(ctx, {
    deletePatientData: opts.deletePatientData,
    onProgress: (e) => tell(stageActivityText(e)),
  }).catch((err) => {
    spinner.fail(`could not read stage ${config.stage}`);
    throw err;
  });
  spinner.succeed(`read stage ${config.stage}`);
  await printPlan(ui, plan, { title: `Destroy stage ${config.stage} (${ctx.where})` });
  const todo = pending(plan);
  if (!todo.length) {
    await forgetOutputs(ui, config.stateDir, config.stage);
    return output({ plan: planJson(plan), applied: [] }, () => ui.print(`nothing to destroy in stage ${config.stage}`));
  }
  const question = `Destroy ${todo.length} resource${todo.length > 1 ? 's' : ''} of stage ${config.stage} (${ctx.where})?`;
  if (!(await ui.confirm(question))) {
    return notConfirmed({ plan: planJson(plan), applied: [] });
  }
  if (opts.deletePatientData && todo.some((s) => s.id === 'data-bucket')) {
    const typedBack = await ui.confirmTyped(`Type the clinic name (${config.clinic.name}) to delete the patient data:`, {
      warning: `this deletes EVERY patient record and image in ${config.names.dataBucket}, with all old versions; it cannot be undone`,
      matches: (typed) => typed.trim() === config.clinic.name.trim(),
    });
    if (!typedBack) throw usageError('the clinic name did not match: nothing was deleted');
  }
  const steps = ui.stepsOf<Step>({
    start: (s) => `deleting ${s.kind} ${s.name}`,
    done: (s) => `deleted ${s.kind} ${s.name}`,
    fail: (s, err) => `${s.kind} ${s.name}: ${oneLine(err)}`,
  });
  tell = steps.update;
  const result = await applyPlan(plan, steps.emit);
  if (result.failed) {
    ui.error(`destroy stopped at ${result.failed.step.kind} ${result.failed.step.name}; deleted before it: ${result.applied.map((s) => s.name).join(', ') || 'nothing'}`);
    ui.warn('run `clinica destroy` again to continue');
    throw result.failed.error;
  }
  await forgetOutputs(ui, config.stateDir, config.stage);
  const kept = plan.steps.filter((s) => s.action === 'no-change');
  return output({ plan: planJson(plan), applied: result.applied.map((s) => s.id) }, () =>
    ui.print(`destroyed stage ${config.stage}: ${result.applied.length} resource${result.applied.length > 1 ? 's' : ''} deleted${kept.length ? `; kept ${kept.map((s) => `${s.kind} ${s.name}`).join(', ')}` : ''}`),
  );
}

/**
 * The outputs deploy wrote (backend URL, instance, function names) describe a stage that is gone once destroy
 * has finished: a script reading them would reach for a terminated instance. Removed; a failed destroy keeps them.
 */
async function forgetOutputs(ui: Ui, stateDir: string, stage: string): Promise<void> {
  const file = outputsFile(stateDir, stage);
  if (!existsSync(file)) return;
  await rm(file, { force: true });
  ui.info(`removed ${file}: the stage's outputs are gone with it`);
}
