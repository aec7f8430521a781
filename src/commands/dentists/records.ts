import { addDentist, getDentist, parseHours, resolveDentist, updateDentist, type DentistChanges, type DentistRecord } from '../../clinic/dentists.js';
import { openContext } from '../../command-context.js';
import type { Store } from '../../store/store.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from '../patients/fields.js';

interface RecordOptions {
  name?: string;
  cro?: string;
  specialty?: string;
  color?: string;
  hours?: string;
  staff?: string;
  active?: boolean;
}

/** A dentist named by id (any, inactive too) or by an unambiguous name among the active ones. */
async function find(store: Store, text: string): Promise<DentistRecord> {
  try {
    return (await getDentist(store, text)).dentist;
  } catch {
    const found = await resolveDentist(store, text);
    if (found) return found;
    return (await getDentist(store, text)).dentist;
  }
}

export function printDentist(ui: Ui, d: DentistRecord, headline: string): void {
  const hours = d.hours?.map((h) => `${h.days.join(',')} ${h.open}–${h.close}`).join('; ') ?? "the clinic's";
  const rows: [string, string | undefined][] = [
    ['Id', d.id],
    ['CRO', d.cro],
    ['Specialty', d.specialty],
    ['Colour', d.color],
    ['Hours', hours],
    ['Staff', d.staffId],
    ['Also known as', d.aliases?.join(', ')],
    ['Status', d.active ? 'active' : 'inactive'],
  ];
  ui.print([ui.bold(headline), ...rows.filter(([, v]) => v).map(([k, v]) => `  ${ui.dim(k.padEnd(13))}  ${v}`)].join('\n'));
}

/** `dentists add NAME`, `show D`, `update D`, `deactivate D`. */
export default async function records({ args, opts, command }: CommandInput<RecordOptions>): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const name = command.name();
  const dentist = await withFlagNames(async () => {
    if (name === 'add') {
      return addDentist(
        store,
        { name: args[0]!, cro: opts.cro, specialty: opts.specialty, color: opts.color, staffId: opts.staff, ...(opts.hours ? { hours: parseHours(opts.hours) } : {}) },
        ctx.actor,
      );
    }
    const current = await find(store, args[0]!);
    if (name === 'show') return current;
    if (name === 'deactivate') return updateDentist(store, current.id, { active: false }, ctx.actor);
    const changes: DentistChanges = {};
    if (opts.name !== undefined) changes.name = opts.name;
    for (const [field, value] of [['cro', opts.cro], ['specialty', opts.specialty], ['color', opts.color], ['staffId', opts.staff]] as const) {
      if (value !== undefined) changes[field] = value.trim() ? value : null;
    }
    if (opts.hours !== undefined) changes.hours = opts.hours.trim() ? parseHours(opts.hours) : null;
    if (opts.active) changes.active = true;
    return updateDentist(store, current.id, changes, ctx.actor);
  });
  const done: Record<string, string> = { add: 'recorded', update: 'updated', deactivate: 'deactivated' };
  return output({ dentist }, (ui) => printDentist(ui, dentist, done[name] ? `${ui.green('✓')} ${done[name]} ${dentist.name}` : dentist.name));
}
