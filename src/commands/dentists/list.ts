import { listDentists } from '../../clinic/dentists.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';

export default async function list({ opts }: CommandInput<{ all?: boolean }>): Promise<Output> {
  const ctx = openContext(opts);
  const all = await listDentists(await ctx.dataStore());
  const dentists = opts.all ? all : all.filter((d) => d.active);
  return output({ dentists }, async (ui) => {
    if (!dentists.length) return ui.print('no dentists recorded — add one with `clinica dentists add "Dra. Ana Souza" --cro "CRO-SP 12345"`');
    await ui.table(dentists, [
      { header: 'Id', value: (d) => d.id },
      { header: 'Name', value: (d) => d.name },
      { header: 'CRO', value: (d) => d.cro },
      { header: 'Specialty', value: (d) => d.specialty },
      { header: 'Colour', value: (d) => d.color },
      { header: 'Hours', value: (d) => (d.hours ? d.hours.map((h) => `${h.days.join(',')} ${h.open}–${h.close}`).join('; ') : "clinic's") },
      { header: 'Status', value: (d) => (d.active ? ui.green('active') : ui.dim('inactive')) },
    ]);
  });
}
