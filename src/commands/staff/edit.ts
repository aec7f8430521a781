import { editStaff } from '../../clinic/staff.js';
import { openContext } from '../../context.js';
import { usageError } from '../../errors.js';
import type { CommandInput } from '../action.js';

export default async function edit({ args, opts, ui }: CommandInput<{ role?: string; email?: string }>): Promise<number> {
  if (opts.role === undefined && opts.email === undefined) throw usageError('nothing to change: give --role and/or --email', { field: 'role' });
  const ctx = openContext(opts);
  const staff = await editStaff(await ctx.dataStore(), args[0] ?? '', { role: opts.role, email: opts.email }, ctx.actor);
  ui.result({ staff });
  ui.print(`${ui.green('✓')} ${staff.name} (${staff.id}): ${staff.role}${staff.email ? `, ${staff.email}` : ''}`);
  return 0;
}
