/**
 * `clinica remind`: runs the reminders here (src/clinic/reminders.ts) or in the deployed Lambda, then shows
 * the summary — a table for people, one JSON document with --json, timestamped lines for cron.
 */
import { listDueReminders, planReminders, reminderExitCode, rulesFor, sendReminders, skipReasons, type ReminderItem, type ReminderSummary } from '../../clinic/reminders.js';
import { localParts, parseDateTime } from '../../clinic/time.js';
import { loadConfig } from '../../config/load.js';
import { reminderSender } from '../../config/mail.js';
import { openContext } from '../../command-context.js';
import { ClinicaError, oneLine, usageError } from '../../errors.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

interface RemindOptions {
  dryRun?: boolean;
  at?: string;
  rule?: string;
  via?: 'lambda';
  installCron?: boolean;
}

export default async function remind(input: CommandInput<RemindOptions>): Promise<Output> {
  const { opts, ui } = input;
  if (opts.installCron) {
    const { installCron } = await import('./cron.js');
    return installCron(input);
  }
  // the flags first: a bad one is a usage error (exit 2) whether or not the local stack is running
  const config = loadConfig(opts);
  const tz = config.clinic.timeZone;
  const now = opts.at ? parseDateTime(opts.at, tz, '--at') : undefined;
  rulesFor(config, opts.rule);
  if (opts.via === 'lambda' && config.target === 'local' && !opts.endpointUrl) {
    throw usageError('--via lambda: the target is the local stack, which has no Lambda to invoke', {
      hint: 'drop --via (clinica dev runs the same code here), or use the AWS target (CLINICA_TARGET=aws)',
    });
  }
  // no sender, nothing can be sent: said before any work (exit 2); a dry run only reads, so it warns. The
  // deployed Lambda has the sender deploy checked
  if (opts.via !== 'lambda') {
    try {
      reminderSender(config);
    } catch (err) {
      if (!opts.dryRun) throw err;
      ui.warn(`${oneLine(err)} (a real run would send nothing)`);
    }
  }
  const ctx = openContext(opts, true, config);

  let summary: ReminderSummary;
  if (opts.via === 'lambda') {
    const [{ infraNames }, { invokeJson }] = await Promise.all([import('../../infra/names.js'), import('../../aws/invoke.js')]);
    const fn = infraNames(config).remindersFunction;
    const spinner = await ui.spinner(`running the reminders in Lambda ${fn}`);
    try {
      summary = await invokeJson<ReminderSummary>(ctx.target, fn, { at: now?.toISOString(), rule: opts.rule, dryRun: Boolean(opts.dryRun) });
    } catch (err) {
      spinner.fail(`Lambda ${fn} did not run the reminders`);
      throw err;
    }
    spinner.succeed(`Lambda ${fn} ran the reminders`);
  } else {
    const [{ openSesSender }, { LOCAL_WHATSAPP, whatsappOpener }, store] = await Promise.all([import('../../mail/ses.js'), import('../../messaging/whatsapp.js'), ctx.dataStore()]);
    const progress = ui.progressOf<ReminderItem>('reminders', { minTotal: 20 });
    // the local stack's WhatsApp outbox needs no account: WhatsApp is on there as a configured clinic's would be
    const runConfig = ctx.local ? { ...config, whatsapp: config.whatsapp ?? LOCAL_WHATSAPP } : config;
    const plan = planReminders({
      store,
      config: runConfig,
      openWhatsAppSender: whatsappOpener(ctx.target, runConfig, { log: ui, localStateDir: ctx.local ? config.stateDir : undefined }),
      now,
      rule: opts.rule,
      log: ui,
      actor: ctx.actor,
      openSender: async () => {
        const opened = await openSesSender(ctx.target, {
          configured: config.reminders.maxSendRate,
          sender: config.mail.sender,
          log: ui,
          emulator: Boolean(ctx.local || ctx.target.endpoint),
        });
        ui.debug(`sending at up to ${opened.rate.ratePerSecond}/s (${opened.rate.source})`);
        if (opened.rate.remaining24h !== undefined && opened.rate.remaining24h < 50) ui.warn(`only ${opened.rate.remaining24h} e-mails left in the SES 24-hour quota`);
        return opened;
      },
      progress: opts.dryRun ? undefined : progress.emit,
    });
    // --dry-run is the plan listed (nothing claimed or sent); otherwise the plan is sent as it is read
    summary = await (opts.dryRun ? listDueReminders(plan) : sendReminders(plan));
    progress.done();
  }

  const code = reminderExitCode(summary);
  const aborted = summary.aborted;
  // nothing could be sent: one error line and exit 1, after the summary (for --json)
  const error = aborted && code === 1 ? new ClinicaError(aborted.kind, `no reminder could be sent: ${aborted.message}`, { hint: aborted.hint, exitCode: 1 }) : undefined;
  return output(summary, async (ui) => {
    await render(ui, summary, tz);
    if (aborted && !error) ui.error(`reminders stopped: ${aborted.message}${aborted.hint ? ` — ${aborted.hint}` : ''}`);
  }, { exitCode: code, error });
}

const local = (iso: string, tz: string) => {
  const p = localParts(new Date(iso), tz);
  return `${p.date} ${p.time}`;
};

function reasonsText(skipped: ReminderSummary['skipped']): string {
  return skipReasons
    .filter((r) => skipped[r])
    .map((r) => `${r} ${skipped[r]}`)
    .join(', ');
}

async function render(ui: Ui, s: ReminderSummary, tz: string): Promise<void> {
  const skippedTotal = Object.values(s.skipped).reduce((a, b) => a + (b ?? 0), 0);
  const headline = s.dryRun
    ? `dry run at ${local(s.at, tz)}: ${count(s.wouldSend, 'reminder')} would be sent, ${skippedTotal} skipped`
    : `reminders at ${local(s.at, tz)}: ${s.sent} sent, ${s.failed} failed, ${skippedTotal} skipped${s.deferred ? `, ${s.deferred} left for a later run` : ''}`;
  const nothing = s.due === 0;
  // cron with --quiet: a run that went well says nothing; one where some failed (exit 3) says its totals as a
  // warning, so cron mails them. A run that could send nothing (exit 1) ends on its one error line.
  if (nothing) ui.info(`no reminders due at ${local(s.at, tz)} (${s.upcoming} upcoming)`);
  else if (reminderExitCode(s) === 3) ui.warn(headline);
  else ui.info(headline);
  if (!nothing && skippedTotal) ui.info(`skipped: ${reasonsText(s.skipped)}`);
  const onWhatsApp = s.items.filter((i) => i.channel === 'whatsapp' && i.status === (s.dryRun ? 'would-send' : 'sent')).length;
  if (onWhatsApp) ui.info(`${onWhatsApp} of them on WhatsApp, the rest by e-mail`);
  if (s.whatsappOff) ui.warn(`WhatsApp was turned off during the run, e-mail carried the reminders: ${s.whatsappOff}`);
  if (ui.json || ui.quiet || nothing) return;

  const byRule = s.rules.map((rule) => {
    const items = s.items.filter((i) => i.rule === rule);
    const count = (status: ReminderItem['status']) => items.filter((i) => i.status === status).length;
    return { rule, sent: count(s.dryRun ? 'would-send' : 'sent'), failed: count('failed'), skipped: count('skipped'), deferred: count('deferred') };
  });
  await ui.table(byRule, [
    { header: 'Rule', value: (r) => r.rule },
    { header: s.dryRun ? 'Would send' : 'Sent', value: (r) => r.sent, align: 'right' },
    { header: 'Failed', value: (r) => r.failed, align: 'right' },
    { header: 'Skipped', value: (r) => r.skipped, align: 'right' },
    { header: 'Later', value: (r) => r.deferred, align: 'right' },
  ]);
  const listed = s.items.filter((i) => (s.dryRun ? i.status === 'would-send' : i.status === 'failed'));
  if (listed.length) {
    await ui.table(
      listed,
      [
        { header: 'Appointment', value: (i) => `${local(i.start, tz)} ${i.appointmentId}` },
        { header: 'Patient', value: (i) => i.patientId },
        { header: 'To', value: (i) => i.to },
        { header: 'Rule', value: (i) => i.rule },
        ...(s.dryRun ? [] : [{ header: 'Error', value: (i: ReminderItem) => i.error }]),
      ],
      { title: s.dryRun ? 'Would send' : 'Failed' },
    );
  }
}
