import { agendaCalendar } from '../../clinic/agenda-calendar.js';
import { freeSlots } from '../../clinic/free-slots.js';
import { addDays, localParts, todayIn } from '../../clinic/time.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';
import { withFlagNames } from '../patients/fields.js';
import { dayOf } from './list.js';

interface FreeOptions {
  dentist?: string;
  date?: string;
  from?: string;
  to?: string;
  duration: string;
  limit: string;
}

/** `appointments free`: the next free slots within the hours, per dentist. */
export default async function free({ opts }: CommandInput<FreeOptions>): Promise<Output> {
  const ctx = openContext(opts);
  const calendar = agendaCalendar(ctx.config);
  const tz = calendar.timeZone;
  const today = todayIn(tz);
  if (opts.date && (opts.from || opts.to)) throw usageError('--date: give either --date or --from/--to, not both', { field: 'date' });
  for (const [flag, value] of [['--duration', opts.duration], ['--limit', opts.limit]] as const) {
    if (!/^\d+$/.test(String(value).trim())) throw usageError(`${flag}: "${value}" is not a whole number`, { field: flag.slice(2) });
  }
  const { from, to } = await withFlagNames(async () => {
    if (opts.date) {
      const d = dayOf(opts.date, today, 'date');
      return { from: d, to: d };
    }
    const f = opts.from ? dayOf(opts.from, today, 'from') : today;
    return { from: f, to: opts.to ? dayOf(opts.to, today, 'to') : opts.from ? f : addDays(f, 13) };
  });
  const store = await ctx.dataStore();
  const slots = await withFlagNames(() =>
    freeSlots(store, { from, to, durationMinutes: Number(opts.duration), limit: Number(opts.limit), ...(opts.dentist ? { dentist: opts.dentist } : {}) }, calendar),
  );
  const title = `free ${opts.duration} min, ${from === to ? from : `${from} → ${to}`} (${tz})`;
  return output(slots.map(({ dentistId, start, end }) => ({ dentistId, start, end })), async (ui) => {
    if (!slots.length) return ui.print(`no free slots: ${title}`);
    await ui.table(slots, [
      { header: 'When', value: (s) => `${localParts(new Date(s.start), tz).date} ${localParts(new Date(s.start), tz).time}–${localParts(new Date(s.end), tz).time}` },
      { header: 'Dentist', value: (s) => `${s.dentist} (${s.dentistId})` },
    ], { title });
    ui.info(`${count(slots.length, 'slot')}${slots.length >= Number(opts.limit) ? ` (the first ${opts.limit}; --limit for more)` : ''}`);
  });
}
