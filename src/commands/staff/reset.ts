import { resetStaff } from '../../clinic/staff.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { deliverInvitation, printInvitation } from './invitation.js';

export default async function reset({ args, opts, ui }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const { staff, invitation } = await resetStaff(store, args[0] ?? '', ctx.actor);
  const out = await deliverInvitation(ctx, ui, staff, invitation);
  return output(out, (ui) => {
    ui.print(`${ui.green('✓')} reset ${staff.name} (${staff.id}): password, second factors and sessions no longer work (a running server: within 15 s)`);
    printInvitation(ui, staff, out);
  });
}
