import { inviteAll } from '../../clinic/staff.js';
import { openContext } from '../../command-context.js';
import { ClinicaError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { deliverInvitation } from './invitation.js';

export default async function inviteAllCommand({ opts, ui }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const items = await inviteAll(store, ctx.actor);
  const results = [];
  for (const item of items) {
    if (!item.ok || !item.invitation || !item.staff) {
      results.push({ id: item.id, name: item.name, ok: false as const, error: item.error });
      ui.print(`${ui.red('✗')} ${item.name} (${item.id}): ${item.error}`);
      continue;
    }
    const out = await deliverInvitation(ctx, ui, item.staff, item.invitation);
    results.push({ name: item.name, ok: true as const, ...out });
    ui.print(`${ui.green('✓')} ${item.name} (${item.id}): ${out.invitationUrl}${out.emailed ? ' (e-mailed)' : ''}`);
  }
  const failed = results.filter((r) => !r.ok).length;
  return output({ invited: results }, (ui) => {
    if (!items.length) ui.print('no token-only accounts: everyone signs in with e-mail already');
  }, failed ? { error: new ClinicaError('partial', `${failed} of ${results.length} accounts were not invited (see above); run invite-all again after fixing them`) } : {});
}
