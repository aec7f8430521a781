import { formatPhone } from '../../clinic/contact.js';
import { maskCpf } from '../../clinic/cpf.js';
import { ageOf, listPatients, nextAppointment, parseStatus } from '../../clinic/patients.js';
import type { PatientStatus } from '../../clinic/types.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';
import { localTime } from './render.js';

interface ListOptions {
  search?: string;
  status?: string;
  limit?: string;
}

export default async function list({ opts }: CommandInput<ListOptions>): Promise<Output> {
  const ctx = openContext(opts);
  const status: PatientStatus | 'all' | undefined = opts.status === undefined ? undefined : opts.status === 'all' ? 'all' : parseStatus(opts.status, '--status');
  const limit = opts.limit === undefined ? 100 : Number(opts.limit);
  if (!Number.isInteger(limit) || limit < 0) throw usageError(`--limit: "${opts.limit}" is not a whole number`, { field: 'limit' });
  const store = await ctx.dataStore();
  const rows = await listPatients(store, { search: opts.search, status });
  const now = new Date();
  const tz = ctx.config.clinic.timeZone;
  const view = rows.map((r) => {
    const next = nextAppointment(r, now);
    return {
      id: r.id,
      name: r.fullName,
      preferredName: r.preferredName,
      age: ageOf(r.birthDate, now, tz),
      cpf: r.cpf ? maskCpf(r.cpf) : undefined,
      phone: r.phone,
      status: r.status,
      nextAppointment: next,
      nextLocal: next ? localTime(next, tz) : undefined,
    };
  });
  return output(view.map(({ nextLocal: _n, ...v }) => v), async (ui) => {
    if (ui.json) return;
    if (!view.length) return ui.print(opts.search ? `no patient matches "${opts.search}"` : 'no patients yet — add one with `clinica patients add`');
    const shown = limit === 0 ? view : view.slice(0, limit);
    await ui.table(shown, [
      { header: 'ID', value: (r) => r.id },
      { header: 'Name', value: (r) => (r.preferredName ? `${r.name} (${r.preferredName})` : r.name) },
      { header: 'Age', value: (r) => r.age, align: 'right' },
      { header: 'CPF', value: (r) => r.cpf },
      { header: 'Phone', value: (r) => formatPhone(r.phone) },
      { header: 'Next appointment', value: (r) => r.nextLocal },
      ...(status === 'all' || (status && status !== 'active') || view.some((r) => r.status !== 'active') ? [{ header: 'Status', value: (r: (typeof view)[number]) => r.status }] : []),
    ]);
    if (shown.length < view.length) ui.info(`${view.length - shown.length} more not shown (of ${view.length}); narrow with --search or use --limit 0`);
    else ui.info(`${count(view.length, 'patient')}`);
  });
}
