import { revokeStaff } from '../../clinic/staff.js';
import { openContext } from '../../context.js';
import type { CommandInput } from '../action.js';

export default async function revoke({ args, opts, ui }: CommandInput): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const staff = await revokeStaff(store, args[0] ?? '', ctx.actor);
  ui.result({ staff });
  ui.print(`${ui.green('✓')} revoked ${staff.name} (${staff.id}); a running server ends their sessions and API tokens within 15 s`);
  return 0;
}
