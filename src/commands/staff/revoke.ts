import { revokeStaff } from '../../clinic/staff.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';

export default async function revoke({ args, opts }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const staff = await revokeStaff(store, args[0] ?? '', ctx.actor);
  return output({ staff }, (ui) => ui.print(`${ui.green('✓')} revoked ${staff.name} (${staff.id}); a running server ends their sessions and API tokens within 15 s`));
}
