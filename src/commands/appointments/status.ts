import { cancelAppointment, confirmAppointment } from '../../clinic/appointments.js';
import { openContext } from '../../context.js';
import type { CommandInput } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { printAppointment } from './render.js';

/** `appointments confirm ID` and `appointments cancel ID [--reason]`. */
export default async function status({ args, opts, ui, command }: CommandInput<{ reason?: string }>): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const cancel = command.name() === 'cancel';
  const appointment = await withFlagNames(() =>
    cancel ? cancelAppointment(store, args[0]!, ctx.actor, { reason: opts.reason }) : confirmAppointment(store, args[0]!, ctx.actor),
  );
  ui.result({ appointment });
  printAppointment(ui, appointment, ctx.config.clinic.timeZone, `${ui.green('✓')} ${cancel ? 'cancelled' : 'confirmed'} ${appointment.id}`);
  return 0;
}
