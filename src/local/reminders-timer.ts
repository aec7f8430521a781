/**
 * The scheduled reminders Lambda's local twin: in `clinica dev`, the reminders run every 15 minutes (on the
 * quarter hour, as cron and the deployed timer do) against the local S3, and the e-mails land in the local
 * SES outbox page. A run still going when the next is due is not doubled.
 */
import { runReminders, type ReminderSummary } from '../clinic/reminders.js';
import { reminderSender } from '../config/mail.js';
import { oneLine } from '../errors.js';
import { openSesSender } from '../mail/ses.js';
import { LOCAL_WHATSAPP, outboxWhatsAppSender, whatsappOutboxDir } from '../messaging/whatsapp.js';
import type { DevComponent, DevContext } from './stack.js';

const QUARTER = 15 * 60_000;

/** One reminders run against the local stack, as of `now`. */
export function runLocalReminders(ctx: DevContext, now?: Date): Promise<ReminderSummary> {
  return runReminders({
    store: ctx.dataStore,
    // the WhatsApp outbox needs no account: WhatsApp is on locally as a configured clinic's would be
    config: { ...ctx.config, whatsapp: ctx.config.whatsapp ?? LOCAL_WHATSAPP },
    openWhatsAppSender: async () => outboxWhatsAppSender(whatsappOutboxDir(ctx.config.stateDir)),
    now,
    log: ctx.log,
    actor: 'dev:reminders',
    answerPage: ctx.endpoints.extra.answers,
    openSender: () => openSesSender(ctx.target, { configured: ctx.config.reminders.maxSendRate, sender: ctx.config.mail.sender, log: ctx.log, emulator: true }),
  });
}

export const remindersComponent: DevComponent = {
  name: 'reminders',
  async start(ctx) {
    try {
      reminderSender(ctx.config);
    } catch (err) {
      // said once when the stack starts, not at every quarter hour with something due
      ctx.log.warn(`reminders are off: ${oneLine(err)}`);
      return { stop: async () => {} };
    }
    let running: Promise<void> | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;
    const tick = () => {
      if (stopped || running) return;
      running = runLocalReminders(ctx)
        .then((s) => {
          if (s.due) ctx.log.info(`reminders: ${s.sent} sent, ${s.failed} failed, ${s.due - s.sent - s.failed} skipped or later (outbox: ${ctx.ses.outbox})`);
          if (s.aborted) ctx.log.error(`reminders stopped: ${s.aborted.message}${s.aborted.hint ? ` — ${s.aborted.hint}` : ''}`);
        })
        .catch((err: Error) => ctx.log.error(`reminders: ${err.message}`))
        .finally(() => (running = undefined));
    };
    const schedule = () => {
      if (stopped) return;
      timer = setTimeout(() => {
        tick();
        schedule();
      }, QUARTER - (Date.now() % QUARTER) + 1_000);
    };
    schedule();
    return {
      async stop() {
        stopped = true;
        clearTimeout(timer);
        await running;
      },
    };
  },
};
