/**
 * The reminders Lambda: started every 15 minutes (the schedule is deploy's), or invoked by
 * `clinica remind --via lambda` with { at?, rule?, dryRun? }. It runs the same code as `clinica remind`
 * (src/clinic/reminders.ts) and returns the run's summary.
 *
 * Settings come from the environment (settingsFromEnv: the config, the data bucket, and on the local stack
 * the S3/SES endpoints). Nothing goes to SES later than 30 s before its own timeout (the deadline is asked
 * again when each e-mail's SES slot comes, and no more is claimed than the rate lets out before it); what
 * was left is sent by the next run. Only an unexpected failure throws; a run that could send nothing (SES down) returns its
 * summary with `aborted` set, so a scheduled invocation is not retried by Lambda on top of the next run.
 *
 * No terminal code here: this file and what it imports are bundled for Lambda.
 */
import { s3Client } from '../aws/clients.js';
import { runReminders, type ReminderSummary } from '../clinic/reminders.js';
import { parseDateTime } from '../clinic/time.js';
import { settingsFromEnv, type RuntimeSettings } from '../config/runtime.js';
import { usageError } from '../errors.js';
import { jsonLinesLog, type Log } from '../log.js';
import { openSesSender } from '../mail/ses.js';
import { whatsappOpener } from '../messaging/whatsapp.js';
import { Store } from '../store/store.js';

/** What `clinica remind --via lambda` sends; a scheduled event (EventBridge) carries none of these. */
export interface RemindersEvent {
  /** "now" for the run: ISO with offset, or clinic-local "YYYY-MM-DDTHH:MM" */
  at?: string;
  rule?: string;
  dryRun?: boolean;
}

export interface LambdaContextLike {
  getRemainingTimeInMillis?(): number;
  awsRequestId?: string;
}

/** Time kept in hand before Lambda's own timeout. */
const SAFETY_MS = 30_000;

export interface RemindersDeps {
  settings: RuntimeSettings;
  store: Store;
  log: Log;
}

/** The handler over explicit dependencies (the Lambda and the tests). */
export async function handleReminders(event: RemindersEvent | undefined, context: LambdaContextLike | undefined, deps: RemindersDeps): Promise<ReminderSummary> {
  const { settings, store, log } = deps;
  const { config, target } = settings;
  const input = event ?? {};
  if (input.at !== undefined && typeof input.at !== 'string') throw usageError('at: expected a date and time string', { field: 'at' });
  if (input.rule !== undefined && typeof input.rule !== 'string') throw usageError('rule: expected a rule name', { field: 'rule' });
  const now = input.at ? parseDateTime(input.at, config.clinic.timeZone, 'at') : undefined;
  const remaining = context?.getRemainingTimeInMillis?.();
  const summary = await runReminders({
    store,
    config,
    now,
    rule: input.rule,
    dryRun: Boolean(input.dryRun),
    log,
    answerPage: settings.answersUrl,
    openWhatsAppSender: whatsappOpener(target, config, { log }),
    actor: `lambda:${context?.awsRequestId ?? 'local'}`,
    deadline: remaining !== undefined ? Date.now() + Math.max(0, remaining - SAFETY_MS) : undefined,
    openSender: () =>
      openSesSender(target, {
        configured: config.reminders.maxSendRate,
        sender: config.mail.sender,
        log,
        emulator: Boolean(target.endpoints?.ses ?? target.endpoint),
      }),
  });
  // a run that stopped (SES down, credentials) says why once, at error level, for the log's alarms
  if (summary.aborted) log.error(`reminders stopped: ${summary.aborted.message}`, { kind: summary.aborted.kind, hint: summary.aborted.hint });
  log.info('reminders run', {
    at: summary.at,
    dryRun: summary.dryRun,
    due: summary.due,
    sent: summary.sent,
    failed: summary.failed,
    deferred: summary.deferred,
    skipped: summary.skipped,
    aborted: summary.aborted,
    timings: summary.timings,
  });
  return summary;
}

let cached: Promise<RemindersDeps> | undefined;

function deps(): Promise<RemindersDeps> {
  cached ??= (async () => {
    const settings = settingsFromEnv();
    const log = jsonLinesLog(undefined, 'info', { fn: 'reminders', stage: settings.config.stage });
    const store = new Store(await s3Client(settings.target), settings.dataBucket);
    return { settings, store, log };
  })().catch((err) => {
    cached = undefined;
    throw err;
  });
  return cached;
}

export async function handler(event?: RemindersEvent, context?: LambdaContextLike): Promise<ReminderSummary> {
  return handleReminders(event, context, await deps());
}
