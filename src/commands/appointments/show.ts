import { getAppointment } from '../../clinic/appointments.js';
import { openContext } from '../../command-context.js';
import type { CommandInput } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { printAppointment } from './render.js';

export default async function show({ args, opts, ui }: CommandInput): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { appointment, etag } = await withFlagNames(() => getAppointment(store, args[0]!));
  ui.result({ appointment, etag });
  printAppointment(ui, appointment, ctx.config.clinic.timeZone, appointment.id);
  return 0;
}
