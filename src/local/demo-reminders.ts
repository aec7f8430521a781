/**
 * `clinica dev --demo`: sends the demo appointments' reminders into the local SES outbox, so the outbox page
 * shows what patients receive. Runs after the patients & appointments seeder. The run is "as of" now, or —
 * when now is in quiet hours or before the day-before time — as of today's day-before time (09:00), so the
 * demo shows e-mails at any hour. Idempotent like every run: a second --demo sends nothing new.
 */
import { inQuietHours } from '../clinic/reminders.js';
import { localParts, zonedToInstant } from '../clinic/time.js';
import type { DemoSeeder } from './stack.js';
import { runLocalReminders } from './reminders-timer.js';
import { count } from '../plural.js';

export const demoRemindersSeeder: DemoSeeder = {
  name: 'reminders',
  async seed(ctx, now) {
    const { timeZone } = ctx.config.clinic;
    const dayBefore = ctx.config.reminders.rules.find((r) => r.dayBeforeAt)?.dayBeforeAt;
    let at = now;
    if (dayBefore) {
      const sendTime = zonedToInstant(localParts(now, timeZone).date, dayBefore, timeZone);
      if (now < sendTime || inQuietHours(now, ctx.config.reminders.quietHours, timeZone)) at = sendTime;
    }
    const s = await runLocalReminders(ctx, at);
    const skipped = Object.entries(s.skipped).map(([reason, n]) => `${reason} ${n}`).join(', ');
    const asOf = localParts(at, timeZone).time;
    return { summary: `${count(s.sent, 'e-mail')} sent to the outbox as of ${asOf}${skipped ? ` (skipped: ${skipped})` : ''}${s.failed ? `, ${s.failed} failed` : ''}` };
  },
};
