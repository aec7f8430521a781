import { openSessions } from '../../clinic/sessions.js';
import { listStaffRecords, publicStaff } from '../../clinic/staff.js';
import { mapLimit } from '../../map-limit.js';
import { openContext } from '../../command-context.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';

export default async function list({ opts }: CommandInput<{ active?: boolean }>): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const records = (await listStaffRecords(store)).filter((r) => !opts.active || !r.revokedAt);
  const idleMs = ctx.config.auth.idleMinutes * 60_000;
  const staff = await mapLimit(records, 8, async (r) => ({ ...publicStaff(r), openSessions: (await openSessions(store, r, new Date(), idleMs)).length }));
  return output({ staff }, (ui) => renderStaff(ui, staff));
}

type StaffRow = ReturnType<typeof publicStaff> & { openSessions: number };

async function renderStaff(ui: Ui, staff: StaffRow[]): Promise<void> {
  if (!staff.length) {
    ui.print('no staff accounts yet — add one with `clinica staff add NAME --email E --role admin`');
    return;
  }
  const status = (s: StaffRow) => {
    if (s.status === 'revoked') return ui.red(`revoked ${s.revokedAt!.slice(0, 10)}`);
    if (s.status === 'invited') return ui.yellow(s.invitationExpiresAt && Date.parse(s.invitationExpiresAt) < Date.now() ? 'invitation expired' : 'invited');
    if (s.status === 'token-only') return ui.yellow('token only (invite-all)');
    return ui.green('active');
  };
  await ui.table(staff, [
    { header: 'Id', value: (s) => s.id },
    { header: 'Name', value: (s) => s.name },
    { header: 'E-mail', value: (s) => s.email ?? '' },
    { header: 'Role', value: (s) => s.role },
    { header: 'Status', value: status },
    { header: 'Last sign-in', value: (s) => (s.lastSignInAt ? s.lastSignInAt.slice(0, 16).replace('T', ' ') : '—') },
    { header: 'Sessions', value: (s) => String(s.openSessions) },
  ]);
}
