import { anonymizePatient, anonymizePatientReported, purgePatient, retentionOf } from '../../clinic/lgpd.js';
import { getPatient } from '../../clinic/patients.js';
import { openContext } from '../../context.js';
import { usageError } from '../../errors.js';
import type { CommandInput } from '../action.js';
import { withFlagNames } from './fields.js';

export default async function anonymize({ args, opts, ui }: CommandInput<{ purge?: boolean; force?: boolean }>): Promise<number> {
  if (opts.force && !opts.purge) throw usageError('--force: only with --purge (it purges inside the retention period); anonymizing needs no force', { field: 'force' });
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { patient } = await withFlagNames(() => getPatient(store, args[0]!));
  const retentionYears = ctx.config.patients.retentionYears;

  if (opts.purge) {
    const { until } = await retentionOf(store, patient, retentionYears);
    if (until > new Date() && !opts.force) {
      // purgePatient refuses too; saying it before asking for the confirmation spares the typing
      await purgePatient(store, patient.id, ctx.actor, { retentionYears });
    }
    if (!opts.yes) {
      if (!ui.interactive) throw usageError(`--purge deletes ${patient.id} for good: confirm with --yes (no terminal to ask on)`, { field: 'yes' });
      const { input } = await import('@inquirer/prompts');
      ui.warn(`this deletes ${patient.id} (${patient.fullName}): the record, its images, appointments and reminders. It cannot be undone.`);
      const typed = await input({ message: `Type ${patient.id} to confirm` });
      if (typed.trim().toUpperCase() !== patient.id) {
        ui.print('not confirmed; nothing was deleted');
        return 1;
      }
    }
    const result = await purgePatient(store, patient.id, ctx.actor, { retentionYears, force: opts.force });
    ui.result(result);
    ui.print(`${ui.green('✓')} purged ${patient.id}: record, ${result.images} image(s), ${result.appointments} appointment(s), ${result.reminders} reminder(s) deleted; the audit log keeps the event`);
    return 0;
  }

  if (patient.anonymized) {
    await anonymizePatient(store, patient.id, ctx.actor); // changes nothing on the record; cleans reminder records left by an older version
    ui.result({ patient, changed: false });
    ui.print(`${patient.id} was already anonymized (${patient.anonymized.at}); nothing changed`);
    return 0;
  }
  if (!opts.yes) {
    if (!ui.interactive) throw usageError(`anonymizing ${patient.id} cannot be undone: confirm with --yes (no terminal to ask on)`, { field: 'yes' });
    const { confirm } = await import('@inquirer/prompts');
    const ok = await confirm({ message: `Replace the name, CPF, contact and address of ${patient.id} (${patient.fullName})? Clinical content is kept. This cannot be undone.`, default: false });
    if (!ok) {
      ui.print('nothing was changed');
      return 1;
    }
  }
  const report = await anonymizePatientReported(store, patient.id, ctx.actor);
  const anon = report.patient;
  ui.result({ patient: anon, changed: true, redacted: report.redacted, metadataStripped: report.metadata, oldVersionsDeleted: report.oldVersionsDeleted });
  const { until } = await retentionOf(store, anon, retentionYears);
  ui.print(`${ui.green('✓')} anonymized ${anon.id}: identifiers removed, clinical content kept (purge allowed from ${until.toISOString().slice(0, 10)})`);
  for (const r of report.redacted) ui.print(`  removed from ${r.where}: ${r.removed.join(', ')}`);
  for (const m of report.metadata) ui.print(`  metadata stripped from the original of image ${m.imageId}: ${m.removed.join(', ')} (pixels unchanged)`);
  if (report.oldVersionsDeleted) ui.print(`  ${report.oldVersionsDeleted} old version(s) of the rewritten objects deleted from the bucket`);
  return 0;
}
