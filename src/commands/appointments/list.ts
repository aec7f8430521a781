import { listAppointments } from '../../clinic/appointments.js';
import { listPatients } from '../../clinic/patients.js';
import { addDays, localParts, parseDate, todayIn } from '../../clinic/time.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';
import { withFlagNames } from '../patients/fields.js';
import { slot } from './render.js';

interface ListOptions {
  date?: string;
  from?: string;
  to?: string;
  dentist?: string;
  all?: boolean;
}

export function dayOf(text: string, today: string, field: string): string {
  const t = text.trim().toLowerCase();
  if (t === 'today' || t === 'hoje') return today;
  if (t === 'tomorrow' || t === 'amanha' || t === 'amanhã') return addDays(today, 1);
  if (t === 'yesterday' || t === 'ontem') return addDays(today, -1);
  return parseDate(text, field);
}

export default async function list({ opts }: CommandInput<ListOptions>): Promise<Output> {
  const ctx = openContext(opts);
  const tz = ctx.config.clinic.timeZone;
  const today = todayIn(tz);
  if (opts.date && (opts.from || opts.to)) throw usageError('--date: give either --date or --from/--to, not both', { field: 'date' });
  const { from, to } = await withFlagNames(async () => {
    if (opts.date) {
      const d = dayOf(opts.date, today, 'date');
      return { from: d, to: d };
    }
    const f = opts.from ? dayOf(opts.from, today, 'from') : opts.to ? today : today;
    return { from: f, to: opts.to ? dayOf(opts.to, today, 'to') : f };
  });
  const store = await ctx.dataStore();
  const [appointments, patients] = await Promise.all([
    withFlagNames(() => listAppointments(store, { from, to, dentist: opts.dentist }, tz)),
    listPatients(store, { status: 'all' }),
  ]);
  const names = new Map(patients.map((p) => [p.id, p.preferredName ?? p.fullName]));
  const shown = opts.all ? appointments : appointments.filter((a) => a.status !== 'cancelled');
  const title = `${from === to ? from : `${from} → ${to}`}${opts.dentist ? ` · ${opts.dentist}` : ''} (${tz})`;
  return output(shown.map((a) => ({ ...a, patientName: names.get(a.patientId) })), async (ui) => {
    if (!shown.length) return ui.print(`no appointments ${from === to ? 'on' : 'from'} ${title}`);
    await ui.table(shown, [
      { header: from === to ? 'Time' : 'When', value: (a) => (from === to ? slot(a, tz).slice(11) : slot(a, tz)) },
      { header: 'Dentist', value: (a) => a.dentist },
      { header: 'Chair', value: (a) => a.chairId },
      { header: 'Patient', value: (a) => `${a.patientId} ${names.get(a.patientId) ?? ''}`.trim() },
      { header: 'Procedure', value: (a) => a.procedure },
      { header: 'Status', value: (a) => (a.status === 'cancelled' ? ui.dim(a.status) : a.status === 'confirmed' ? ui.green(a.status) : a.status) },
      { header: 'ID', value: (a) => a.id },
    ], { title });
    const days = new Set(shown.map((a) => localParts(new Date(a.start), tz).date)).size;
    ui.info(`${count(shown.length, 'appointment')}${days > 1 ? ` over ${days} days` : ''}`);
  });
}
