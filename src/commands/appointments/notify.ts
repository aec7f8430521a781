import { notifyChange, type ChangeNotice } from '../../clinic/change-notices.js';
import type { Appointment } from '../../clinic/types.js';
import type { Context } from '../../command-context.js';
import type { Ui } from '../../ui/output.js';

/** After a cancel or a move: the patient's notice (unless --no-notify), and one line saying what became of it. */
export async function noticeAfterChange(ctx: Context, ui: Ui, kind: ChangeNotice['kind'], before: Appointment, after: Appointment, notify: boolean): Promise<void> {
  if (!notify) {
    ui.info('patient not notified (--no-notify)');
    return;
  }
  const outcome = await notifyChange({
    store: await ctx.dataStore(),
    config: ctx.config,
    kind,
    before,
    after,
    actor: ctx.actor,
    openSender: async () => {
      const { openSesSender } = await import('../../mail/ses.js');
      return (await openSesSender(ctx.target, { sender: ctx.config.mail.sender, log: ui, emulator: Boolean(ctx.local || ctx.target.endpoint) })).sender;
    },
  });
  if (outcome.status === 'sent') ui.info(`patient notified at ${outcome.to} (calendar ${kind === 'cancel' ? 'cancellation' : 'update'} attached)`);
  else if (outcome.status === 'failed') ui.warn(`the patient's notice to ${outcome.to} failed: ${outcome.error}`);
  else ui.info(`patient not notified: ${outcome.reason}`);
}
