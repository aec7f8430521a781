import { addStaff } from '../../clinic/staff.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { deliverInvitation, printInvitation } from './invitation.js';

export default async function add({ args, opts, ui }: CommandInput<{ role: string; email: string }>): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { staff, invitation } = await addStaff(store, { name: args[0] ?? '', role: opts.role, email: opts.email }, ctx.actor);
  const out = await deliverInvitation(ctx, ui, staff, invitation!);
  return output(out, (ui) => {
    ui.print(`${ui.green('✓')} ${staff.name} <${staff.email}> (${staff.role}) — id ${staff.id}`);
    printInvitation(ui, staff, out);
  });
}
