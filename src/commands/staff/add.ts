import { addStaff } from '../../clinic/staff.js';
import { openContext } from '../../command-context.js';
import type { CommandInput } from '../action.js';

export default async function add({ args, opts, ui }: CommandInput<{ role: string }>): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { staff, token } = await addStaff(store, { name: args[0] ?? '', role: opts.role }, ctx.actor);
  ui.result({ staff, token });
  ui.print(`${ui.green('✓')} ${staff.name} (${staff.role}) — id ${staff.id}`);
  ui.print(`token: ${ui.bold(token)}`);
  ui.info('the token is shown only now: hand it to the person; it logs in on the staff page. Lost? revoke it and add again.');
  return 0;
}
