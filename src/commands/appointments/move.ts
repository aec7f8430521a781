import { moveAppointment } from '../../clinic/appointments.js';
import { openContext } from '../../command-context.js';
import type { CommandInput } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { printAppointment } from './render.js';

export default async function move({ args, opts, ui }: CommandInput<{ at: string; force?: boolean }>): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const tz = ctx.config.clinic.timeZone;
  const appointment = await withFlagNames(() => moveAppointment(store, args[0]!, opts.at, ctx.actor, { timeZone: tz, force: opts.force }));
  ui.result({ appointment });
  const renamed = appointment.id !== args[0]!.trim() && appointment.movedFrom;
  printAppointment(ui, appointment, tz, `${ui.green('✓')} moved ${renamed ? `${appointment.movedFrom} → ${appointment.id} (new id: another day)` : appointment.id}`);
  return 0;
}
