import { anonymizePatient, anonymizePatientReported, planPurge, purgePatient, retentionOf } from '../../clinic/lgpd.js';
import { getPatient } from '../../clinic/patients.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { notConfirmed, output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';
import { withFlagNames } from './fields.js';

/** LGPD erasure: plan (the patient, checked), confirm (on a terminal, or --yes), apply. */
export default async function anonymize({ args, opts, ui }: CommandInput<{ purge?: boolean; force?: boolean }>): Promise<Output> {
  if (opts.force && !opts.purge) throw usageError('--force: only with --purge (it purges inside the retention period); anonymizing needs no force', { field: 'force' });
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { patient } = await withFlagNames(() => getPatient(store, args[0]!));
  const retentionYears = ctx.config.patients.retentionYears;

  if (opts.purge) {
    // refused inside the retention period before the question: nothing is typed for a purge that cannot happen
    await planPurge(store, patient.id, { retentionYears, force: opts.force });
    const confirmed = await ui.confirmTyped(`Type ${patient.id} to confirm`, {
      refusal: `--purge deletes ${patient.id} for good: confirm with --yes (no terminal to ask on)`,
      field: 'yes',
      warning: `this deletes ${patient.id} (${patient.fullName}): the record, its images, appointments and reminders. It cannot be undone.`,
      matches: (typed) => typed.trim().toUpperCase() === patient.id,
    });
    if (!confirmed) return notConfirmed({ patient: patient.id, purged: false }, 'not confirmed; nothing was deleted');
    const result = await purgePatient(store, patient.id, ctx.actor, { retentionYears, force: opts.force });
    return output(result, (ui) =>
      ui.print(`${ui.green('✓')} purged ${patient.id}: record, ${count(result.images, 'image')}, ${count(result.appointments, 'appointment')}, ${count(result.reminders, 'reminder')} deleted; the audit log keeps the event`),
    );
  }

  if (patient.anonymized) {
    await anonymizePatient(store, patient.id, ctx.actor); // changes nothing on the record; finishes one stopped before its reminder records
    const { at } = patient.anonymized;
    return output({ patient, changed: false }, (ui) => ui.print(`${patient.id} was already anonymized (${at}); nothing changed`));
  }
  const confirmed = await ui.confirm(`Replace the name, CPF, contact and address of ${patient.id} (${patient.fullName})? Clinical content is kept. This cannot be undone.`, {
    refusal: `anonymizing ${patient.id} cannot be undone: confirm with --yes (no terminal to ask on)`,
    field: 'yes',
  });
  if (!confirmed) return notConfirmed({ patient, changed: false });
  const report = await anonymizePatientReported(store, patient.id, ctx.actor);
  const anon = report.patient;
  const { until } = await retentionOf(store, anon, retentionYears);
  return output({ patient: anon, changed: true, redacted: report.redacted, metadataStripped: report.metadata, oldVersionsDeleted: report.oldVersionsDeleted }, (ui) => {
    ui.print(`${ui.green('✓')} anonymized ${anon.id}: identifiers removed, clinical content kept (purge allowed from ${until.toISOString().slice(0, 10)})`);
    for (const r of report.redacted) ui.print(`  removed from ${r.where}: ${r.removed.join(', ')}`);
    for (const m of report.metadata) ui.print(`  metadata stripped from the original of image ${m.imageId}: ${m.removed.join(', ')} (pixels unchanged)`);
    if (report.oldVersionsDeleted) ui.print(`  ${count(report.oldVersionsDeleted, 'old version')} of the rewritten objects deleted from the bucket`);
  });
}
