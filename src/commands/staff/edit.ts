import { editStaff } from '../../clinic/staff.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';

export default async function edit({ args, opts }: CommandInput<{ role?: string; email?: string }>): Promise<Output> {
  if (opts.role === undefined && opts.email === undefined) throw usageError('nothing to change: give --role and/or --email', { field: 'role' });
  const ctx = openContext(opts);
  const staff = await editStaff(await ctx.dataStore(), args[0] ?? '', { role: opts.role, email: opts.email }, ctx.actor);
  return output({ staff }, (ui) => ui.print(`${ui.green('✓')} ${staff.name} (${staff.id}): ${staff.role}${staff.email ? `, ${staff.email}` : ''}`));
}
