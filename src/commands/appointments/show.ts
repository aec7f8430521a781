import { getAppointment } from '../../clinic/appointments.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { printAppointment } from './render.js';

export default async function show({ args, opts }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { appointment, etag } = await withFlagNames(() => getAppointment(store, args[0]!));
  return output({ appointment, etag }, (ui) => printAppointment(ui, appointment, ctx.config.clinic.timeZone, appointment.id));
}
