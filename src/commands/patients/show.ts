import { showPatient } from '../../clinic/patients.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from './fields.js';
import { localTime, printPatient } from './render.js';

export default async function show({ args, opts }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const view = await withFlagNames(() => showPatient(store, args[0]!, ctx.actor));
  const tz = ctx.config.clinic.timeZone;
  return output(view, async (ui) => {
    printPatient(ui, view.patient, tz, { extra: [['Images', String(view.imageCount)]] });
    if (!view.appointments.length) return ui.print('  no appointments');
    await ui.table(view.appointments, [
      { header: 'When', value: (a) => localTime(a.start, tz) },
      { header: 'Min', value: (a) => a.durationMinutes, align: 'right' },
      { header: 'Dentist', value: (a) => a.dentist },
      { header: 'Procedure', value: (a) => a.procedure },
      { header: 'Status', value: (a) => a.status },
      { header: 'ID', value: (a) => a.id },
    ], { title: 'Appointments' });
  });
}
