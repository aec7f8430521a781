import { getPatient, updatePatient } from '../../clinic/patients.js';
import type { Patient } from '../../clinic/types.js';
import { openContext } from '../../context.js';
import { usageError } from '../../errors.js';
import type { CommandInput } from '../action.js';
import { changesFromFlags, withFlagNames, type PatientFlags, type UpdateFlags } from './fields.js';
import { printPatient } from './render.js';

export default async function update({ args, opts, ui }: CommandInput<PatientFlags & UpdateFlags & { ifMatch?: string }>): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const result = await withFlagNames(async () => {
    const needsGuardian = opts.guardian !== undefined || opts.guardianPhone !== undefined || opts.guardianCpf !== undefined || opts.guardianRelationship !== undefined;
    // --alert replaces the whole list: a patient's allergies are not dropped by someone who meant to add one
    const guardsAlerts = opts.alert !== undefined && !opts.replaceAlerts;
    let current: { patient: Patient; etag: string } | undefined;
    if (needsGuardian || guardsAlerts) current = await getPatient(store, args[0]!);
    const changes = changesFromFlags(opts, current?.patient ?? {});
    let etag = opts.ifMatch;
    if (guardsAlerts && current) {
      const { patient } = current;
      if (patient.alerts.length) {
        throw usageError(`--alert: ${patient.id} has alerts (${patient.alerts.join(', ')}) and --alert replaces the whole list; nothing was changed`, {
          field: 'alerts',
          hint: 'add one with --add-alert, take one out with --remove-alert, or add --replace-alerts to replace them all',
        });
      }
      etag ??= current.etag; // an alert added meanwhile makes this a conflict, not a silent replace
    }
    return updatePatient(store, args[0]!, changes, ctx.actor, { etag });
  });
  ui.result(result);
  printPatient(ui, result.patient, ctx.config.clinic.timeZone, { headline: `${ui.green('✓')} updated ${result.patient.id} (version ${result.patient.version})` });
  return 0;
}
