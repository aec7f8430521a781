import { agendaCalendar } from '../../clinic/agenda-calendar.js';
import { getAppointment, moveAppointment } from '../../clinic/appointments.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { noticeAfterChange } from './notify.js';
import { printAppointment } from './render.js';

export default async function move({ args, opts, ui }: CommandInput<{ at: string; force?: boolean; notify?: boolean }>): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const tz = ctx.config.clinic.timeZone;
  const { appointment: before } = await withFlagNames(() => getAppointment(store, args[0]!));
  const appointment = await withFlagNames(() => moveAppointment(store, args[0]!, opts.at, ctx.actor, { timeZone: tz, calendar: agendaCalendar(ctx.config), force: opts.force }));
  if (appointment.start !== before.start) await noticeAfterChange(ctx, ui, 'move', before, appointment, opts.notify !== false);
  const renamed = appointment.id !== args[0]!.trim() && appointment.movedFrom;
  return output({ appointment }, (ui) => printAppointment(ui, appointment, tz, `${ui.green('✓')} moved ${renamed ? `${appointment.movedFrom} → ${appointment.id} (new id: another day)` : appointment.id}`));
}
