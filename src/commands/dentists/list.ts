import { listDentists } from '../../clinic/dentists.js';
import { openContext } from '../../command-context.js';
import type { CommandInput } from '../action.js';

export default async function list({ opts, ui }: CommandInput<{ all?: boolean }>): Promise<number> {
  const ctx = openContext(opts);
  const all = await listDentists(await ctx.dataStore());
  const dentists = opts.all ? all : all.filter((d) => d.active);
  ui.result({ dentists });
  if (!dentists.length) {
    ui.print('no dentists recorded — add one with `clinica dentists add "Dra. Ana Souza" --cro "CRO-SP 12345"`');
    return 0;
  }
  await ui.table(dentists, [
    { header: 'Id', value: (d) => d.id },
    { header: 'Name', value: (d) => d.name },
    { header: 'CRO', value: (d) => d.cro },
    { header: 'Specialty', value: (d) => d.specialty },
    { header: 'Colour', value: (d) => d.color },
    { header: 'Hours', value: (d) => (d.hours ? d.hours.map((h) => `${h.days.join(',')} ${h.open}–${h.close}`).join('; ') : "clinic's") },
    { header: 'Status', value: (d) => (d.active ? ui.green('active') : ui.dim('inactive')) },
  ]);
  return 0;
}
