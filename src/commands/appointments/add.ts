import { agendaCalendar } from '../../clinic/agenda-calendar.js';
import { createAppointment } from '../../clinic/appointments.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from '../patients/fields.js';
import { printAppointment } from './render.js';

interface AddOptions {
  patient?: string;
  at?: string;
  duration: string;
  dentist?: string;
  procedure?: string;
  notes?: string;
  chair?: string;
  force?: boolean;
}

export default async function add({ opts, ui }: CommandInput<AddOptions>): Promise<Output> {
  const ctx = openContext(opts);
  if (ui.interactive && (!opts.patient || !opts.at || !opts.dentist)) {
    const required = { validate: (v: string) => (v.trim() ? true : 'required') };
    opts.patient ??= await ui.ask('Patient id (P-000123)', required);
    opts.at ??= await ui.ask(`When (YYYY-MM-DD HH:MM, ${ctx.config.clinic.timeZone})`, required);
    opts.dentist ??= await ui.ask('Dentist', required);
  }
  for (const [flag, value] of [['--patient', opts.patient], ['--at', opts.at], ['--dentist', opts.dentist]] as const) {
    if (!value) throw usageError(`${flag}: required`, { field: flag.slice(2) });
  }
  const duration = Number(opts.duration);
  if (!/^\d+$/.test(String(opts.duration).trim())) throw usageError(`--duration: "${opts.duration}" is not a number of minutes (e.g. 45)`, { field: 'duration' });
  const store = await ctx.dataStore();
  const tz = ctx.config.clinic.timeZone;
  const appointment = await withFlagNames(() =>
    createAppointment(
      store,
      { patientId: opts.patient!, at: opts.at!, durationMinutes: duration, dentist: opts.dentist!, procedure: opts.procedure, notes: opts.notes, chair: opts.chair },
      ctx.actor,
      { timeZone: tz, calendar: agendaCalendar(ctx.config), force: opts.force },
    ),
  );
  return output({ appointment }, (ui) => printAppointment(ui, appointment, tz, `${ui.green('✓')} booked ${appointment.id}${appointment.overrode ? ' (encaixe)' : ''}`));
}
