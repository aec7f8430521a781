import { listStaff } from '../../clinic/staff.js';
import { openContext } from '../../command-context.js';
import type { CommandInput } from '../action.js';

export default async function list({ opts, ui }: CommandInput<{ active?: boolean }>): Promise<number> {
  const ctx = openContext(opts);
  const all = await listStaff(await ctx.dataStore());
  const staff = opts.active ? all.filter((s) => !s.revokedAt) : all;
  ui.result({ staff });
  if (!staff.length) {
    ui.print('no staff accounts yet — add one with `clinica staff add NAME --role admin`');
    return 0;
  }
  await ui.table(staff, [
    { header: 'Id', value: (s) => s.id },
    { header: 'Name', value: (s) => s.name },
    { header: 'Role', value: (s) => s.role },
    { header: 'Created', value: (s) => s.createdAt.slice(0, 10) },
    { header: 'Status', value: (s) => (s.revokedAt ? ui.red(`revoked ${s.revokedAt.slice(0, 10)}`) : ui.green('active')) },
  ]);
  return 0;
}
