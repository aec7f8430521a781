import { appointmentsOutcome, archivePatientLeavingCare } from '../../clinic/patient-status.js';
import { openContext } from '../../command-context.js';
import { notConfirmed, output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from './fields.js';
import { choiceFromFlags, printAppointmentsOutcome, withAppointmentsChoice, type AppointmentFlags } from './leaving-care.js';

export default async function archive({ args, opts, ui }: CommandInput<AppointmentFlags>): Promise<Output | number> {
  const choice = choiceFromFlags(opts);
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const timeZone = ctx.config.clinic.timeZone;
  const result = await withAppointmentsChoice(ui, choice, (appointments) =>
    withFlagNames(() => archivePatientLeavingCare(store, args[0]!, ctx.actor, { timeZone, appointments })),
  );
  if (!result) return notConfirmed({ patient: args[0]!, changed: false });
  const { patient } = result;
  return output({ patient, ...appointmentsOutcome(result) }, (ui) => {
    ui.print(`${ui.green('✓')} archived ${patient.id} ${patient.fullName} — the record is kept; \`clinica patients update ${patient.id} --status active\` brings it back`);
    printAppointmentsOutcome(ui, result);
  });
}
