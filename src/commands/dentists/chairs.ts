import { addChair, listChairs, setChairActive } from '../../clinic/dentists.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { withFlagNames } from '../patients/fields.js';

/** `chairs add NAME`, `chairs list`, `chairs deactivate ID`. */
export default async function chairs({ args, opts, command }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  if (command.name() === 'list') {
    const list = await listChairs(store);
    return output({ chairs: list }, async (ui) => {
      if (!list.length) ui.print('no chairs recorded — add one with `clinica chairs add "Cadeira 1"` (chairs are optional)');
      else await ui.table(list, [
        { header: 'Id', value: (c) => c.id },
        { header: 'Name', value: (c) => c.name },
        { header: 'Status', value: (c) => (c.active ? ui.green('active') : ui.dim('inactive')) },
      ]);
    });
  }
  const chair = await withFlagNames(() => (command.name() === 'add' ? addChair(store, args[0]!, ctx.actor) : setChairActive(store, args[0]!, false, ctx.actor)));
  return output({ chair }, (ui) => ui.print(`${ui.green('✓')} ${command.name() === 'add' ? 'recorded' : 'deactivated'} ${chair.name} (${chair.id})`));
}
