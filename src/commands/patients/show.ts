import { showPatient } from '../../clinic/patients.js';
import { openContext } from '../../command-context.js';
import type { CommandInput } from '../action.js';
import { withFlagNames } from './fields.js';
import { localTime, printPatient } from './render.js';

export default async function show({ args, opts, ui }: CommandInput): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const view = await withFlagNames(() => showPatient(store, args[0]!, ctx.actor));
  ui.result(view);
  const tz = ctx.config.clinic.timeZone;
  printPatient(ui, view.patient, tz, { extra: [['Images', String(view.imageCount)]] });
  if (view.appointments.length) {
    await ui.table(view.appointments, [
      { header: 'When', value: (a) => localTime(a.start, tz) },
      { header: 'Min', value: (a) => a.durationMinutes, align: 'right' },
      { header: 'Dentist', value: (a) => a.dentist },
      { header: 'Procedure', value: (a) => a.procedure },
      { header: 'Status', value: (a) => a.status },
      { header: 'ID', value: (a) => a.id },
    ], { title: 'Appointments' });
  } else {
    ui.print('  no appointments');
  }
  return 0;
}
