import { applyDentistMigration, planDentistMigration, plannedMigration } from '../../clinic/dentist-migration.js';
import { openContext } from '../../command-context.js';
import { ExitCode } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

export default async function migrate({ opts }: CommandInput<{ dryRun?: boolean }>): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  // the plan is read first; --dry-run shows it, otherwise it is applied
  const plan = await planDentistMigration(store);
  const result = opts.dryRun ? plannedMigration(plan) : await applyDentistMigration(store, plan, ctx.actor);
  return output(result, (ui) => {
    const verb = result.dryRun ? 'would record' : 'recorded';
    for (const c of result.created) {
      ui.print(`${verb} ${c.name}${c.id ? ` (${c.id})` : ''}${c.aliases.length ? `, also written ${c.aliases.map((a) => `"${a}"`).join(', ')}` : ''} — ${count(c.appointments, 'appointment')}`);
    }
    for (const f of result.failed) ui.print(`${ui.red('✗')} ${f.appointmentId}: ${f.error}`);
    const existing = Object.values(result.linkedToExisting).reduce((a, b) => a + b, 0);
    if (result.dryRun) ui.info(`dry run: ${count(result.created.length, 'dentist')} to record, ${count(existing, 'appointment')} to link to existing ones; nothing changed`);
    else if (!result.linked && !result.created.length && !result.failed.length) ui.info('nothing to migrate: every appointment names a recorded dentist');
    else ui.info(`${count(result.linked, 'appointment')} linked, ${count(result.created.length, 'dentist')} recorded${result.failed.length ? `, ${result.failed.length} failed` : ''}`);
  }, { exitCode: result.failed.length ? ExitCode.partial : 0 });
}
