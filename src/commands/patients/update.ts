import { appointmentsOutcome, LEAVING_STATUSES, updatePatientLeavingCare } from '../../clinic/patient-status.js';
import { getPatient } from '../../clinic/patients.js';
import type { Patient } from '../../clinic/types.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { notConfirmed, output, type CommandInput, type Output } from '../action.js';
import { changesFromFlags, withFlagNames, type PatientFlags, type UpdateFlags } from './fields.js';
import { choiceFromFlags, printAppointmentsOutcome, withAppointmentsChoice, type AppointmentFlags } from './leaving-care.js';
import { printPatient } from './render.js';

export default async function update({ args, opts, ui }: CommandInput<PatientFlags & UpdateFlags & AppointmentFlags & { ifMatch?: string }>): Promise<Output | number> {
  const choice = choiceFromFlags(opts);
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const timeZone = ctx.config.clinic.timeZone;
  const result = await withAppointmentsChoice(ui, choice, (appointments) => withFlagNames(async () => {
    const needsGuardian = opts.guardian !== undefined || opts.guardianPhone !== undefined || opts.guardianCpf !== undefined || opts.guardianRelationship !== undefined;
    // --alert replaces the whole list: a patient's allergies are not dropped by someone who meant to add one
    const guardsAlerts = opts.alert !== undefined && !opts.replaceAlerts;
    let current: { patient: Patient; etag: string } | undefined;
    if (needsGuardian || guardsAlerts) current = await getPatient(store, args[0]!);
    const changes = changesFromFlags(opts, current?.patient ?? {});
    if (choice && !(changes.status && LEAVING_STATUSES.includes(changes.status))) {
      const flag = choice === 'cancel' ? '--cancel-appointments' : '--keep-appointments';
      throw usageError(`${flag}: only with --status ${LEAVING_STATUSES.join('|')} (a patient leaving care; archive takes it too)`, { field: 'status' });
    }
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
    return updatePatientLeavingCare(store, args[0]!, changes, ctx.actor, { etag, timeZone, appointments });
  }));
  if (!result) return notConfirmed({ patient: args[0]!, changed: false });
  const { patient } = result;
  return output({ patient, etag: result.etag, ...(opts.status !== undefined ? appointmentsOutcome(result) : {}) }, (ui) => {
    printPatient(ui, patient, timeZone, { headline: `${ui.green('✓')} updated ${patient.id} (version ${patient.version})` });
    printAppointmentsOutcome(ui, result);
  });
}
