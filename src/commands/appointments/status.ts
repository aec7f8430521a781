import { getAppointment, setAppointmentStatus } from '../../clinic/appointments.js';
import type { AppointmentStatus } from '../../clinic/types.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { noticeAfterChange } from './notify.js';
import { printAppointment } from './render.js';

/** Each status command: the status it sets and how the result reads. */
const commands: Record<string, { status: AppointmentStatus; done: string }> = {
  confirm: { status: 'confirmed', done: 'confirmed' },
  cancel: { status: 'cancelled', done: 'cancelled' },
  done: { status: 'done', done: 'marked done' },
  'no-show': { status: 'no-show', done: 'marked no-show' },
  arrived: { status: 'arrived', done: 'marked arrived' },
};

/** `appointments confirm|arrived|done|no-show ID` and `appointments cancel ID [--reason]`. */
export default async function status({ args, opts, ui, command }: CommandInput<{ reason?: string; notify?: boolean }>): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { status: to, done } = commands[command.name()]!;
  const before = to === 'cancelled' ? (await withFlagNames(() => getAppointment(store, args[0]!))).appointment : undefined;
  const appointment = await withFlagNames(() => setAppointmentStatus(store, args[0]!, to, ctx.actor, { reason: opts.reason }));
  if (before && before.status !== 'cancelled') await noticeAfterChange(ctx, ui, 'cancel', before, appointment, opts.notify !== false);
  return output({ appointment }, (ui) => printAppointment(ui, appointment, ctx.config.clinic.timeZone, `${ui.green('✓')} ${done} ${appointment.id}`));
}
