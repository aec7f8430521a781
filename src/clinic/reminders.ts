/**
 * Appointment reminders: which are due now, who may get one, and sending each exactly once.
 *
 * When (per rule, in the clinic's time zone):
 *  - `dayBeforeAt: "09:00"` — due from 09:00 on the day before the appointment until that day ends (a run
 *    the next morning does not send yesterday's "see you tomorrow": its window closed).
 *  - `leadMinutes: 120` — due from 2 hours before the appointment until it starts.
 *  Catch-up is built in: a run that comes late (machine off, cron skipped) still sends what is due.
 * Quiet hours (default 21:00–08:00): no e-mail goes out inside them. A reminder whose time falls inside moves
 * to the end of the quiet period (08:00) if that is still inside its window; otherwise it is skipped and
 * counted as quiet-hours (e.g. the 2-hours-before reminder of a 07:30 appointment). A late run inside quiet
 * hours leaves due reminders for the first run after them ("deferred").
 * Who: the appointment is scheduled or confirmed; the patient is active (not anonymized), consented to e-mail
 * reminders, and has an address. Every other case is counted by reason — who and what an earlier run did
 * first, time last (see skipReasons).
 *
 * Exactly once, on real S3 semantics: before sending, a run claims `reminders/{appointmentId}/{rule}.json`
 * with If-None-Match: * (only one run can create it). After sending, it marks the record sent (or failed) with
 * If-Match on the claim's ETag. A 412 on the claim means another run got there first: the record says sent
 * (skip), claimed recently (skip, in progress), or claimed long ago (claimTimeoutMinutes by S3's clock, not
 * this machine's: a crashed run) or
 * failed transiently — then it is taken over with If-Match on the ETag just read, so of two runs taking over,
 * one wins. A record sent for a start time the appointment no longer has (moved the same day) is taken over
 * too: the patient gets a reminder for the new time.
 */
import type { OnProgress } from '../progress.js';
import type { ResolvedConfig } from '../config/load.js';
import { reminderSender } from '../config/mail.js';
import type { ReminderChannel, ReminderRule } from '../config/schema.js';
import { ClinicaError, isClinicaError, oneLine, usageError, type ErrorKind } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import { formatter, reminderAddressee, reminderMime, renderReminderEmail } from '../mail/reminder-email.js';
import { SendFailure, type SendOptions, type SendResult } from '../mail/ses.js';
import type { WhatsAppReminder, WhatsAppSender } from '../messaging/whatsapp.js';
import type { Store, StoredJson } from '../store/store.js';
import { answerLinkFor, answerLinkKey, signAnswerToken } from './answer-link.js';
import { APPOINTMENTS_PREFIX, getAppointment } from './appointments.js';
import { asciiEmail } from './contact.js';
import { canWhatsAppReminders, getPatient, whatsappPhone } from './patients.js';
import { EMAIL_IN_TEXT } from './text.js';
import { randomId } from '../random-id.js';
import { addDays, localParts, startOfLocalDay, todayIn, zonedToInstant } from './time.js';
import type { Appointment, Patient } from './types.js';
import { count } from '../plural.js';

export const REMINDERS_PREFIX = 'reminders/';
export const reminderKey = (appointmentId: string, rule: string) => `${REMINDERS_PREFIX}${appointmentId}/${rule}.json`;

/**
 * The record of one channel's reminder: e-mail keeps `{rule}.json` (as before channels), WhatsApp
 * `{rule}.whatsapp.json` — each claimed on its own, so each channel's message goes out once.
 */
export const channelKey = (appointmentId: string, rule: string, channel: ReminderChannel) =>
  channel === 'email' ? reminderKey(appointmentId, rule) : `${REMINDERS_PREFIX}${appointmentId}/${rule}.${channel}.json`;

/**
 * A rule's channels in order (the first the patient can get is used; the next is the fallback). A rule that
 * names none: WhatsApp then e-mail when WhatsApp is configured, else e-mail.
 */
export const ruleChannels = (rule: Pick<ReminderRule, 'channels'>, config: { whatsapp?: unknown }): ReminderChannel[] =>
  rule.channels ?? (config.whatsapp ? ['whatsapp', 'email'] : ['email']);

/** A WhatsApp delivery status from Meta, as recorded on the reminder. */
export interface DeliveryStatus {
  at: string;
  /** Meta's error code and title, for `failed` */
  code?: string;
  title?: string;
}

/** The record of one reminder (one appointment, one rule). */
export interface ReminderRecord {
  appointmentId: string;
  patientId: string;
  rule: string;
  /** the appointment's start this reminder is for */
  appointmentStart: string;
  status: 'claimed' | 'sent' | 'failed';
  /** the claiming machine's wall-clock time (never the simulated --at time); for people — a claim's age is taken from S3 */
  claimedAt: string;
  claimedBy: string;
  /** runs that tried to send it */
  attempts: number;
  /** when it was due (simulated time with --at) */
  dueAt: string;
  /** the address, masked ("an***@example.com") */
  to?: string;
  locale?: string;
  messageId?: string;
  sentAt?: string;
  failedAt?: string;
  error?: string;
  errorCode?: string;
  /** a permanent rejection (bad address): not retried until the patient's record changes (the address corrected) */
  permanent?: boolean;
  /** the version of the patient record the address was read from */
  patientVersion?: number;
  /** the .ics SEQUENCE sent: the appointment's move count (calendarEntry) */
  sequence?: number;
  /** absent: e-mail (records from before channels) */
  channel?: ReminderChannel;
  /** WhatsApp's delivery statuses, by status, first time each was seen (src/lambdas/whatsapp-events.ts) */
  deliveries?: Partial<Record<'sent' | 'delivered' | 'read' | 'failed', DeliveryStatus>>;
}

/**
 * Why a reminder due by time was not sent, in the order a run decides it: the appointment's status, what an
 * earlier run did, the patient, and only then time (a window that closed, quiet hours) — so a day-before
 * reminder sent yesterday is `already-sent` today, not `window-closed`, and a cancelled appointment at night
 * is `cancelled`, not `quiet-hours`.
 */
export const skipReasons = [
  'cancelled',
  'not-scheduled',
  'already-sent',
  'rejected',
  'in-progress',
  'patient-missing',
  'patient-inactive',
  'no-consent',
  'no-email',
  'no-phone',
  'window-closed',
  'quiet-hours',
] as const;
export type SkipReason = (typeof skipReasons)[number];

export type ItemStatus = 'sent' | 'would-send' | 'skipped' | 'failed' | 'deferred';

export interface ReminderItem {
  appointmentId: string;
  patientId: string;
  rule: string;
  start: string;
  dueAt: string;
  status: ItemStatus;
  reason?: SkipReason;
  /** for deferred items: quiet-hours, deadline or stopped */
  why?: string;
  to?: string;
  messageId?: string;
  error?: string;
  errorCode?: string;
  /** the channel it went (or would go) by */
  channel?: ReminderChannel;
}

export interface ReminderSummary {
  /** "now" of this run (ISO; --at when simulated) */
  at: string;
  dryRun: boolean;
  rules: string[];
  /** due reminders looked at (each one ends sent, would-send, skipped, failed or deferred) */
  due: number;
  sent: number;
  wouldSend: number;
  failed: number;
  deferred: number;
  skipped: Partial<Record<SkipReason, number>>;
  /** reminders whose time has not come yet (in the agenda read) */
  upcoming: number;
  /** set when the run stopped early: nothing more could be sent (SES down, credentials, S3 unreachable) */
  aborted?: { kind: ErrorKind; message: string; hint?: string };
  sendRate?: { ratePerSecond: number; source: string };
  /** why WhatsApp was turned off during the run (its set-up refused a message); e-mail carried the reminders */
  whatsappOff?: string;
  /** planningMs: from the start until the first reminder was ready to send; firstSendMs: until it went to SES */
  timings: { planningMs: number; firstSendMs?: number; totalMs: number };
  items: ReminderItem[];
}

/** What a run needs from a sender: SesSender fits; tests hand in fakes. */
export interface ReminderSender {
  send(raw: Buffer, to: string, options?: SendOptions): Promise<SendResult>;
  readonly ratePerSecond?: number;
}

export interface RunRemindersOptions {
  store: Store;
  config: Pick<ResolvedConfig, 'clinic' | 'reminders' | 'mail' | 'whatsapp'>;
  /** "now" for the policy (default: the clock); --at simulates it */
  now?: Date;
  /** only this rule */
  rule?: string;
  /** opened only when something is to be sent (so a quiet run never touches SES) */
  openSender?: () => Promise<{ sender: ReminderSender; rate?: { ratePerSecond: number; source: string } }>;
  log?: Log;
  /** the wall clock, for claims (tests move it to make a claim stale) */
  clock?: () => Date;
  /** who is running, recorded on claims */
  actor?: string;
  /** reminders being claimed and sent at once (default 32; the SES pace is the limiter's) */
  concurrency?: number;
  /** appointments read at once (default 8) */
  readConcurrency?: number;
  /**
   * Hand nothing to SES after this wall-clock time (ms since epoch, on `clock`): the Lambda's timeout. No
   * more is claimed than the send rate lets go out before it, and a claim whose SES slot comes after it is
   * given back unsent.
   */
  deadline?: number;
  /** re-read the appointment and patient before sending when they were read longer ago than this (default 30 s) */
  refreshAfterMs?: number;
  /** the patients' answer page (its address): every e-mail then carries the appointment's signed answer link */
  answerPage?: string;
  /** told as each reminder is settled */
  progress?: OnProgress<ReminderItem>;
  /** the WhatsApp sender, opened when a rule's channels name whatsapp and a patient can get it; absent: e-mail only */
  openWhatsAppSender?: () => Promise<WhatsAppSender>;
}

// ------------------------------------------------------------------------------------------- the policy

const minutesOf = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

export interface QuietHours {
  start: string;
  end: string;
}

/** Is the instant inside quiet hours (clinic time)? start == end means no quiet hours. */
export function inQuietHours(instant: Date, quiet: QuietHours, timeZone: string): boolean {
  const start = minutesOf(quiet.start);
  const end = minutesOf(quiet.end);
  if (start === end) return false;
  const m = minutesOf(localParts(instant, timeZone).time);
  return start < end ? m >= start && m < end : m >= start || m < end;
}

/**
 * A clinic-local date and time as an instant. A time the clocks skip (spring forward) moves forward by the
 * skipped time — read with the offset in force before the jump, as calendar apps do: on a night that goes
 * from 02:00 straight to 03:00, 02:30 is 03:30.
 */
function instantAt(date: string, hhmm: string, timeZone: string): Date {
  try {
    return zonedToInstant(date, hhmm, timeZone);
  } catch {
    const wall = Date.parse(`${date}T${hhmm}:00Z`);
    // a day earlier is before the jump (clocks change at most twice a year)
    const offsetBefore = localParts(new Date(wall - 86_400_000), timeZone).offsetMinutes;
    return new Date(wall - offsetBefore * 60_000);
  }
}

/** The end of the quiet period the instant is in (the instant itself when it is not in one). */
export function endOfQuietHours(instant: Date, quiet: QuietHours, timeZone: string): Date {
  if (!inQuietHours(instant, quiet, timeZone)) return instant;
  const { date, time } = localParts(instant, timeZone);
  const wraps = minutesOf(quiet.start) > minutesOf(quiet.end);
  const endDate = wraps && minutesOf(time) >= minutesOf(quiet.start) ? addDays(date, 1) : date;
  return instantAt(endDate, quiet.end, timeZone);
}

export interface ReminderTiming {
  /** when the rule says to send, before quiet hours */
  nominal: Date;
  /** when it may go out (moved out of quiet hours); undefined when quiet hours leave no time for it */
  dueAt?: Date;
  /** after this it is not sent any more */
  expiresAt: Date;
}

export function reminderTiming(appointment: Pick<Appointment, 'start'>, rule: ReminderRule, settings: { timeZone: string; quietHours: QuietHours }): ReminderTiming {
  const start = new Date(appointment.start);
  let nominal: Date;
  let expiresAt: Date;
  if (rule.dayBeforeAt) {
    const day = localParts(start, settings.timeZone).date;
    nominal = instantAt(addDays(day, -1), rule.dayBeforeAt, settings.timeZone);
    const dayStart = startOfLocalDay(day, settings.timeZone);
    expiresAt = dayStart < start ? dayStart : start;
  } else {
    nominal = new Date(start.getTime() - rule.leadMinutes! * 60_000);
    expiresAt = start;
  }
  const moved = endOfQuietHours(nominal, settings.quietHours, settings.timeZone);
  return { nominal, dueAt: moved < expiresAt ? moved : undefined, expiresAt };
}

type Verdict = { state: 'due'; dueAt: Date } | { state: 'upcoming' } | { state: 'past' } | { state: 'skip'; reason: 'window-closed' | 'quiet-hours'; dueAt: Date } | { state: 'deferred'; dueAt: Date };

/** Where a reminder stands at `now` by time alone (who may get it comes after). */
export function reminderVerdict(appointment: Pick<Appointment, 'start'>, rule: ReminderRule, now: Date, settings: { timeZone: string; quietHours: QuietHours }): Verdict {
  if (new Date(appointment.start) <= now) return { state: 'past' };
  const t = reminderTiming(appointment, rule, settings);
  if (!t.dueAt) return now >= t.nominal ? { state: 'skip', reason: 'quiet-hours', dueAt: t.nominal } : { state: 'upcoming' };
  if (now < t.dueAt) return { state: 'upcoming' };
  if (now >= t.expiresAt) return { state: 'skip', reason: 'window-closed', dueAt: t.dueAt };
  if (inQuietHours(now, settings.quietHours, settings.timeZone)) {
    // a late run at night: the first run after quiet hours sends it, if there is still time
    const end = endOfQuietHours(now, settings.quietHours, settings.timeZone);
    return end < t.expiresAt ? { state: 'deferred', dueAt: t.dueAt } : { state: 'skip', reason: 'quiet-hours', dueAt: t.dueAt };
  }
  return { state: 'due', dueAt: t.dueAt };
}

/** The clinic-local days whose appointments can have a reminder in its window at `now`. */
export function agendaRange(rules: ReminderRule[], now: Date, timeZone: string): { from: string; to: string } {
  const today = todayIn(timeZone, now);
  let to = today;
  for (const rule of rules) {
    const last = rule.dayBeforeAt ? addDays(today, 1) : todayIn(timeZone, new Date(now.getTime() + rule.leadMinutes! * 60_000));
    if (last > to) to = last;
  }
  return { from: today, to };
}

/** Whether the appointment itself still wants a reminder; the reason when not. */
export function appointmentIneligibility(appointment: Pick<Appointment, 'status'>): SkipReason | undefined {
  if (appointment.status === 'cancelled') return 'cancelled';
  if (appointment.status !== 'scheduled' && appointment.status !== 'confirmed') return 'not-scheduled';
  return undefined;
}

/** Why this channel cannot reach the patient (consent first, then the address); undefined when it can. */
export function channelIneligibility(channel: ReminderChannel, patient: Patient): SkipReason | undefined {
  if (channel === 'whatsapp') {
    if (!patient.consent?.whatsapp?.reminders) return 'no-consent';
    return canWhatsAppReminders(patient) ? undefined : 'no-phone';
  }
  if (!patient.consent?.emailReminders) return 'no-consent';
  if (!patient.email) return 'no-email';
  return undefined;
}

/**
 * Who may get a reminder for this appointment by any of `channels`; the reason when not (first one, in a
 * fixed order; for the channels, the first channel's).
 */
export function ineligibility(appointment: Pick<Appointment, 'status'>, patient: Patient | undefined, channels: ReminderChannel[] = ['email']): SkipReason | undefined {
  const early = appointmentIneligibility(appointment);
  if (early) return early;
  if (!patient) return 'patient-missing';
  if (patient.status !== 'active' || patient.anonymized) return 'patient-inactive';
  const reasons = channels.map((c) => channelIneligibility(c, patient));
  return reasons.includes(undefined) ? undefined : reasons[0];
}

// ------------------------------------------------------------------------------------------- the run

interface Task {
  appointment: Appointment;
  rule: ReminderRule;
  dueAt: Date;
  patient?: Patient;
  /** channels whose earlier record refused the patient's address for good (the next channel is the fallback) */
  rejected?: Set<ReminderChannel>;
  /** when the appointment and patient were read (performance.now()) */
  readAt: number;
}

type ClaimOutcome = { claimed: true; etag: string; record: ReminderRecord; previous?: ReminderRecord } | { claimed: false; reason: SkipReason };

/**
 * How long ago a claim was written. On S3's clock when S3 said (its answer's Date minus the record's
 * LastModified), so a machine whose clock runs ahead does not see another run's live claim as stale; the
 * local clock only when S3 did not say.
 */
export function claimAgeMs(stored: Pick<StoredJson<ReminderRecord>, 'value' | 'lastModified' | 'serverTime'>, clock: () => Date = () => new Date()): number {
  if (stored.lastModified) return (stored.serverTime ?? clock()).getTime() - stored.lastModified.getTime();
  return clock().getTime() - Date.parse(stored.value.claimedAt);
}

/**
 * Why an existing record stops a run from sending the reminder for `appointmentStart`; undefined when it may be
 * taken over. A rejected address is tried again once the patient's record is another version than the one the
 * address came from (`patientVersion`, when known): someone corrected it.
 */
export function recordBlocks(
  stored: Pick<StoredJson<ReminderRecord>, 'value' | 'lastModified' | 'serverTime'>,
  appointmentStart: string,
  claimTimeoutMs: number,
  clock?: () => Date,
  patientVersion?: number,
): SkipReason | undefined {
  const record = stored.value;
  const sameStart = record.appointmentStart === appointmentStart;
  if (record.status === 'sent') return sameStart ? 'already-sent' : undefined;
  if (record.status === 'failed') {
    const patientChanged = patientVersion !== undefined && record.patientVersion !== undefined && patientVersion !== record.patientVersion;
    return record.permanent && sameStart && !patientChanged ? 'rejected' : undefined;
  }
  return claimAgeMs(stored, clock) < claimTimeoutMs ? 'in-progress' : undefined;
}

/**
 * The calendar entry every reminder of one visit updates, whatever rule sends it and however often the
 * visit moves. UID: the id it was first booked under (a move to another day gives the appointment a new
 * id); SEQUENCE: how many times it moved, so each .ics replaces the one before instead of adding a second
 * entry. (A record moved before `firstId`/`moves` were kept: its one move's origin, and one move.)
 */
export function calendarEntry(appointment: Pick<Appointment, 'id' | 'movedFrom' | 'firstId' | 'moves'>): { id: string; sequence: number } {
  return { id: appointment.firstId ?? appointment.movedFrom ?? appointment.id, sequence: appointment.moves ?? (appointment.movedFrom ? 1 : 0) };
}

/** The reminder history of one appointment (for the patient's export). */
export async function listReminders(store: Store, appointmentId: string): Promise<ReminderRecord[]> {
  const out: ReminderRecord[] = [];
  for await (const o of store.list(`${REMINDERS_PREFIX}${appointmentId}/`)) {
    const got = await store.getJson<ReminderRecord>(o.key);
    if (got) out.push(got.value);
  }
  return out;
}

/** A FIFO that workers await: the agenda readers push ready reminders, the senders take them. */
class Queue<T> {
  private items: T[] = [];
  private waiters: ((value: T | undefined) => void)[] = [];
  private roomWaiters: (() => void)[] = [];
  private closed = false;
  get size(): number {
    return this.items.length;
  }
  push(item: T): void {
    const waiter = this.waiters.shift();
    if (waiter) waiter(item);
    else this.items.push(item);
  }
  close(): void {
    this.closed = true;
    for (const waiter of this.waiters.splice(0)) waiter(undefined);
  }
  take(): Promise<T | undefined> {
    if (this.items.length) {
      const item = this.items.shift();
      this.roomWaiters.shift()?.();
      return Promise.resolve(item);
    }
    if (this.closed) return Promise.resolve(undefined);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
  /** Resolves when fewer than `limit` items wait (backpressure for the producers). */
  async room(limit: number): Promise<void> {
    while (this.items.length >= limit) await new Promise<void>((resolve) => this.roomWaiters.push(resolve));
  }
}

/** The rules a run uses: all of them, or the one `--rule` names (refused naming the rules the config has). */
export function rulesFor(config: Pick<ResolvedConfig, 'reminders'>, rule?: string): ReminderRule[] {
  if (!rule) return config.reminders.rules;
  const rules = config.reminders.rules.filter((r) => r.name === rule);
  if (!rules.length) {
    throw usageError(`--rule: no reminder rule "${rule}" (the config has: ${config.reminders.rules.map((r) => r.name).join(', ')})`, { field: 'rule' });
  }
  return rules;
}

/**
 * What the two stages of one run share: the settings, the summary being counted, the reminder records found,
 * the patients read, the sender once opened, and the stop.
 */
class RunState {
  readonly startedAt = performance.now();
  readonly log: Log;
  readonly clock: () => Date;
  readonly now: Date;
  readonly store: Store;
  readonly config: RunRemindersOptions['config'];
  readonly settings: { timeZone: string; quietHours: QuietHours };
  readonly claimTimeoutMs: number;
  readonly runId: string;
  readonly rules: ReminderRule[];
  readonly summary: ReminderSummary;
  /** the keys of the reminder records of the days read (listed before the appointments) */
  readonly existing = new Set<string>();
  abort?: ClinicaError;
  private readonly patients = new Map<string, Promise<Patient | undefined>>();
  private senderPromise?: ReturnType<NonNullable<RunRemindersOptions['openSender']>>;
  private whatsappPromise?: Promise<WhatsAppSender>;

  constructor(readonly options: RunRemindersOptions) {
    this.log = options.log ?? silentLog;
    this.clock = options.clock ?? (() => new Date());
    this.now = options.now ?? this.clock();
    this.store = options.store;
    this.config = options.config;
    this.settings = { timeZone: this.config.clinic.timeZone, quietHours: this.config.reminders.quietHours };
    this.claimTimeoutMs = this.config.reminders.claimTimeoutMinutes * 60_000;
    this.runId = `${options.actor ?? 'clinica'}#${randomId(6)}`;
    this.rules = rulesFor(this.config, options.rule);
    this.summary = {
      at: this.now.toISOString(),
      dryRun: false,
      rules: this.rules.map((r) => r.name),
      due: 0,
      sent: 0,
      wouldSend: 0,
      failed: 0,
      deferred: 0,
      skipped: {},
      upcoming: 0,
      timings: { planningMs: 0, totalMs: 0 },
      items: [],
    };
  }

  /** Counts a reminder's end and tells the progress channel. */
  settle(item: ReminderItem): void {
    const summary = this.summary;
    summary.items.push(item);
    if (item.status === 'sent') summary.sent++;
    else if (item.status === 'would-send') summary.wouldSend++;
    else if (item.status === 'failed') summary.failed++;
    else if (item.status === 'deferred') summary.deferred++;
    else if (item.reason) summary.skipped[item.reason] = (summary.skipped[item.reason] ?? 0) + 1;
    this.options.progress?.({ item, done: summary.items.length, total: summary.due });
  }

  itemOf(t: { appointment: Appointment; rule: ReminderRule; dueAt: Date }, status: ItemStatus, extra: Partial<ReminderItem> = {}): ReminderItem {
    return { appointmentId: t.appointment.id, patientId: t.appointment.patientId, rule: t.rule.name, start: t.appointment.start, dueAt: t.dueAt.toISOString(), status, ...extra };
  }

  /** Stops the run (nothing more can be sent); true for the call that stopped it. */
  stop(err: unknown): boolean {
    if (this.abort) return false;
    const abort = err instanceof ClinicaError ? err : new ClinicaError('internal', oneLine(err), { cause: err });
    this.abort = abort;
    this.summary.aborted = { kind: abort.kind, message: abort.message, hint: abort.hint };
    // the caller reports it once (the command's last line, the Lambda's log): here only for --verbose
    this.log.debug(`reminders stopped: ${oneLine(abort)}`);
    return true;
  }

  /** The patient, read once per run (`fresh` reads again); undefined when the record is gone. */
  patientOf(id: string, fresh = false): Promise<Patient | undefined> {
    let p = fresh ? undefined : this.patients.get(id);
    if (!p) {
      p = getPatient(this.store, id).then(
        (r) => r.patient,
        (err) => (isClinicaError(err, 'not-found') ? undefined : Promise.reject(err)),
      );
      this.patients.set(id, p);
    }
    return p;
  }

  blockedBy(stored: StoredJson<ReminderRecord>, task: Pick<Task, 'appointment'>, patient?: Patient): SkipReason | undefined {
    return recordBlocks(stored, task.appointment.start, this.claimTimeoutMs, this.clock, patient?.version);
  }

  /**
   * A reminder record as it is now. A record caught mid-write (the local S3 server is not atomic; S3 is) reads
   * as broken JSON: read again shortly, and if it stays broken, treat it as someone's fresh claim.
   */
  async readRecord(key: string): Promise<StoredJson<ReminderRecord> | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.store.getJson<ReminderRecord>(key, { withTimes: true });
      } catch (err) {
        if (!isClinicaError(err, 'internal') || !/not valid JSON/.test(err.message)) throw err;
        if (attempt >= 3) return { value: { status: 'claimed', claimedAt: this.clock().toISOString(), claimedBy: 'unknown' } as ReminderRecord, etag: '' };
        await new Promise((r) => setTimeout(r, 50 * attempt));
      }
    }
  }

  /** The sender, opened once. No mail.sender: the run stops (a config error) before anything is claimed, as when SES is down. */
  async sender(): Promise<ReminderSender> {
    const open = this.options.openSender;
    if (!open) throw new ClinicaError('internal', 'runReminders: no sender given');
    this.senderPromise ??= Promise.resolve()
      .then(() => reminderSender(this.config))
      .then(() => open())
      .then((s) => {
        if (s.rate) this.summary.sendRate = s.rate;
        return s;
      });
    return (await this.senderPromise).sender;
  }

  /** Starts opening the sender, once, without waiting for it (a failure surfaces when a reminder needs it). */
  openSenderEarly(): void {
    if (this.options.openSender && !this.senderPromise) this.sender().catch(() => {});
  }

  /** Is WhatsApp on for this run: configured, a sender given, and its set-up not refused yet. */
  whatsappOn(): boolean {
    return Boolean(this.config.whatsapp && this.options.openWhatsAppSender && !this.summary.whatsappOff);
  }

  /** The WhatsApp sender, opened once. */
  whatsappSender(): Promise<WhatsAppSender> {
    this.whatsappPromise ??= this.options.openWhatsAppSender!();
    return this.whatsappPromise;
  }

  /** WhatsApp's set-up refused a message: off for the rest of the run (e-mail carries the reminders), said once. */
  whatsappFailed(err: unknown): void {
    if (this.summary.whatsappOff) return;
    this.summary.whatsappOff = oneLine(err);
    this.log.error(`WhatsApp is off for this run, e-mail is used: ${oneLine(err)}`);
  }

  pastDeadline = (): boolean => this.options.deadline !== undefined && this.clock().getTime() >= this.options.deadline;
}

/**
 * The due reminders of a run, as the agenda is read: what is to be sent waits in `ready` (the first can go out
 * while the rest of the agenda is still read); what is not (skipped by who or by an earlier run's record,
 * deferred by quiet hours) is already settled in the summary.
 */
export interface ReminderPlan {
  readonly state: RunState;
  readonly ready: Queue<Task>;
  /** resolves when the agenda is read (a failure stops the run instead) */
  readonly read: Promise<void>;
}

/**
 * Starts reading the agenda: the existing reminder records of the days are listed first (one LIST per day),
 * so a re-run reads a record instead of the patient and claims nothing (the claim's If-None-Match stays the
 * guarantee); then `readConcurrency` readers decide each appointment by time and by who.
 */
export function planReminders(options: RunRemindersOptions): ReminderPlan {
  const state = new RunState(options);
  const { store, log } = state;
  const range = agendaRange(state.rules, state.now, state.settings.timeZone);
  const days: string[] = [];
  for (let d = range.from; d <= range.to; d = addDays(d, 1)) days.push(d);
  const keys = new Queue<string>();
  let listed = 0;
  const listing = Promise.all(
    days.map(async (day) => {
      // small pages: the first appointments are being read while the rest of the day is still listed
      for await (const o of store.list(`${APPOINTMENTS_PREFIX}${day}/`, { pageSize: 250 })) {
        if (!o.key.endsWith('.json')) continue;
        listed++;
        keys.push(o.key);
      }
    }),
  ).finally(() => keys.close());
  // appointment ids carry their date (A-YYYYMMDD-…): one LIST per day finds that day's reminder records
  const recordsListed = Promise.all(
    days.map(async (day) => {
      for await (const o of store.list(`${REMINDERS_PREFIX}A-${day.replace(/-/g, '')}-`)) state.existing.add(o.key);
    }),
  );
  const ready = new Queue<Task>();
  // readers stay a little ahead of the senders, so the senders' S3 writes are not starved by reads
  const highWater = Math.max(64, 2 * (options.concurrency ?? 32));
  const readWorker = async () => {
    await recordsListed;
    for (let key = await keys.take(); key && !state.abort; key = await keys.take()) {
      await ready.room(highWater);
      try {
        await judgeAppointment(state, ready, key);
      } catch (err) {
        // one unreadable record (broken JSON) does not stop the run; S3 out of reach does
        if (!isClinicaError(err, 'internal')) throw err;
        log.warn(`reminders: skipped ${key}: ${oneLine(err)}`);
      }
    }
  };
  const read = Promise.all([listing, recordsListed, ...Array.from({ length: Math.max(1, options.readConcurrency ?? 8) }, readWorker)])
    .then(() => undefined)
    .catch((err) => void state.stop(err))
    .finally(() => {
      ready.close();
      keys.close();
      log.debug(`${count(listed, 'appointment')} ${range.from} → ${range.to} read, ${count(state.existing.size, 'reminder record')} found; as of ${state.summary.at}`);
    });
  return { state, ready, read };
}

/** One appointment: by time, by who, against an existing record; queues what is to be sent. */
async function judgeAppointment(state: RunState, ready: Queue<Task>, key: string): Promise<void> {
  if (state.abort) return;
  const appointment = (await state.store.getJson<Appointment>(key))?.value;
  if (!appointment || appointment.movedTo) return; // a moved-away record: its new one is in the agenda
  // a catch-up run (--at in the past) does not remind anyone of an appointment that has begun by the wall clock
  if (Date.parse(appointment.start) <= state.clock().getTime()) return;
  const { summary } = state;
  const readAt = performance.now();
  for (const rule of state.rules) {
    const v = reminderVerdict(appointment, rule, state.now, state.settings);
    if (v.state === 'upcoming') summary.upcoming++;
    if (v.state === 'upcoming' || v.state === 'past') continue;
    summary.due++;
    const task: Task = { appointment, rule, dueAt: v.dueAt, readAt };
    // the reason in skipReasons' order: the appointment, an earlier run's record, the patient, then time
    const early = appointmentIneligibility(appointment);
    if (early) {
      state.settle(state.itemOf(task, 'skipped', { reason: early }));
      continue;
    }
    const channels = ruleChannels(rule, state.config);
    let blocked: SkipReason | undefined;
    for (const channel of channels) {
      const recordKey = channelKey(appointment.id, rule.name, channel);
      if (!state.existing.has(recordKey)) continue;
      const current = await state.readRecord(recordKey);
      let why = current && state.blockedBy(current, task);
      // a rejected address: sent again if the patient's record changed since (the address corrected)
      if (why === 'rejected' && current!.value.patientVersion !== undefined) why = state.blockedBy(current!, task, await state.patientOf(appointment.patientId));
      if (why === 'rejected') (task.rejected ??= new Set()).add(channel);
      // sent (or being sent) on any channel: the reminder is done
      else if (why) blocked = why;
      if (blocked) break;
    }
    if (!blocked && task.rejected?.size === channels.length) blocked = 'rejected';
    if (blocked) {
      state.settle(state.itemOf(task, 'skipped', { reason: blocked }));
      continue;
    }
    task.patient = await state.patientOf(appointment.patientId);
    const reason = ineligibility(appointment, task.patient, channels);
    if (reason) state.settle(state.itemOf(task, 'skipped', { reason }));
    else if (v.state === 'skip') state.settle(state.itemOf(task, 'skipped', { reason: v.reason }));
    else if (v.state === 'deferred') state.settle(state.itemOf(task, 'deferred', { why: 'quiet-hours' }));
    else {
      if (!summary.timings.planningMs) summary.timings.planningMs = performance.now() - state.startedAt;
      ready.push(task);
    }
  }
}

/**
 * Sends what the plan queues, `concurrency` at once at the SES pace: each is claimed, sent and marked. Returns
 * the summary once the agenda is read and every due reminder settled.
 */
export async function sendReminders(plan: ReminderPlan): Promise<ReminderSummary> {
  const sending = new Sending(plan.state);
  return settleAll(plan, (task) => sending.handle(task));
}

/**
 * The plan as a list (`remind --dry-run`): each queued reminder checked against its record and named with the
 * address it would go to; nothing is claimed or sent, and no sender is opened.
 */
export async function listDueReminders(plan: ReminderPlan): Promise<ReminderSummary> {
  plan.state.summary.dryRun = true;
  return settleAll(plan, (task) => wouldSend(plan.state, task));
}

/** Settles each queued task with `handle`, `concurrency` at once, until the agenda is read; the summary in a stable order. */
async function settleAll(plan: ReminderPlan, handle: (task: Task) => Promise<ReminderItem>): Promise<ReminderSummary> {
  const { state, ready } = plan;
  const worker = async () => {
    for (let task = await ready.take(); task; task = await ready.take()) {
      let item: ReminderItem;
      try {
        item = await handle(task);
      } catch (err) {
        // S3 unreachable, a bug: stop taking new work, report this one as not done
        state.stop(err);
        item = state.itemOf(task, 'deferred', { why: 'stopped' });
      }
      state.settle(item);
    }
  };
  await Promise.all([plan.read, ...Array.from({ length: Math.max(1, state.options.concurrency ?? 32) }, worker)]);
  const summary = state.summary;
  summary.timings.totalMs = performance.now() - state.startedAt;
  // a stable order for people and scripts: by due time, then appointment, then rule
  summary.items.sort((a, b) => a.dueAt.localeCompare(b.dueAt) || a.start.localeCompare(b.start) || a.appointmentId.localeCompare(b.appointmentId) || a.rule.localeCompare(b.rule));
  return summary;
}

/**
 * The rule's channels this patient can get, in order: a channel refused for good earlier is passed over, and
 * WhatsApp while it is off. None: the item that says why (WhatsApp off, or every address refused).
 */
function openChannels(state: RunState, task: Task, patient: Patient): { channels: ReminderChannel[] } | { item: ReminderItem } {
  const reachable = ruleChannels(task.rule, state.config).filter((c) => !task.rejected?.has(c) && !channelIneligibility(c, patient));
  const channels = reachable.filter((c) => c !== 'whatsapp' || state.whatsappOn());
  if (channels.length) return { channels };
  return { item: reachable.length ? state.itemOf(task, 'deferred', { why: 'whatsapp-off' }) : state.itemOf(task, 'skipped', { reason: 'rejected' }) };
}

/** One queued reminder as the list shows it: the channel it would go by and its address, or why it would not go. */
async function wouldSend(state: RunState, task: Task): Promise<ReminderItem> {
  if (state.abort) return state.itemOf(task, 'deferred', { why: 'stopped' });
  const patient = task.patient!;
  const open = openChannels(state, task, patient);
  if ('item' in open) return open.item;
  const channel = open.channels[0]!;
  const key = channelKey(task.appointment.id, task.rule.name, channel);
  const current = state.existing.has(key) ? undefined : await state.readRecord(key); // listed ones were checked
  const why = current && state.blockedBy(current, task, patient);
  const to = channel === 'email' ? asciiEmail(patient.email!) : maskPhone(whatsappPhone(patient));
  return why ? state.itemOf(task, 'skipped', { reason: why }) : state.itemOf(task, 'would-send', { to, channel });
}

/**
 * One run: the plan read and sent, the two stages overlapping so the first e-mail goes out early; with dryRun,
 * the plan listed instead (nothing claimed or sent, no sender opened).
 */
export async function runReminders(options: RunRemindersOptions & { dryRun?: boolean }): Promise<ReminderSummary> {
  if (options.dryRun) return listDueReminders(planReminders({ ...options, openSender: undefined }));
  return sendReminders(planReminders(options));
}

/** The sending stage: claim, send, mark; give a claim back when nothing was sent. */
class Sending {
  /** claims waiting for (or in) their SES send */
  private inFlight = 0;
  private readonly refreshAfterMs: number;

  constructor(private readonly state: RunState) {
    this.refreshAfterMs = state.options.refreshAfterMs ?? 30_000;
  }

  /** Whether one more claim can still get its SES slot before the deadline, at the sender's pace. */
  private roomBeforeDeadline(ratePerSecond: number | undefined): boolean {
    const { deadline } = this.state.options;
    return deadline === undefined || !ratePerSecond || this.inFlight < Math.floor((ratePerSecond * (deadline - this.state.clock().getTime())) / 1000);
  }

  async handle(task: Task): Promise<ReminderItem> {
    const state = this.state;
    // open SES (client, quota) at the first reminder to send, while it is checked; a failure surfaces at its send
    state.openSenderEarly();
    if (state.abort) return state.itemOf(task, 'deferred', { why: 'stopped' });
    if (state.pastDeadline()) return state.itemOf(task, 'deferred', { why: 'deadline' });
    let { appointment, patient } = task;
    if (performance.now() - task.readAt > this.refreshAfterMs) {
      // a long run: the agenda may have changed since it was read (cancelled, moved, consent withdrawn)
      appointment = await getAppointment(state.store, appointment.id).then(
        (r) => r.appointment,
        (err) => (isClinicaError(err, 'not-found') ? { ...appointment, status: 'cancelled' as const } : Promise.reject(err)),
      );
      // moved within the day since the agenda was read: the next run sends it for the new time
      if (appointment.start !== task.appointment.start) return state.itemOf(task, 'deferred', { why: 'moved' });
      patient = await state.patientOf(appointment.patientId, true);
      const reason = ineligibility(appointment, patient, ruleChannels(task.rule, state.config));
      if (reason) return state.itemOf(task, 'skipped', { reason });
    }
    const open = openChannels(state, task, patient!);
    if ('item' in open) return open.item;

    let item: ReminderItem | undefined;
    for (const channel of open.channels) {
      if (channel === 'whatsapp') {
        const out = await this.viaWhatsApp(task, appointment, patient!);
        item = out.item;
        if (!out.fallback) return item;
        continue; // the number cannot get it, or WhatsApp is off: the next channel
      }
      return this.viaEmail(task, appointment, patient!);
    }
    return item!;
  }

  private async viaEmail(task: Task, appointment: Appointment, patient: Patient): Promise<ReminderItem> {
    const state = this.state;
    const to = asciiEmail(patient.email!); // SES takes an internationalised domain in punycode only
    const key = channelKey(appointment.id, task.rule.name, 'email');
    // a sender that cannot be opened (credentials, SES) stops the run before anything is claimed
    const s = await state.sender();
    if (state.abort) return state.itemOf(task, 'deferred', { why: 'stopped' });
    if (!this.roomBeforeDeadline(s.ratePerSecond)) return state.itemOf(task, 'deferred', { why: 'deadline' });
    this.inFlight++;
    try {
      return await this.claimAndSend(task, appointment, patient, to, key, s);
    } finally {
      this.inFlight--;
    }
  }

  /**
   * The WhatsApp message of one reminder: claimed on its own record, sent, marked. `fallback` when the next
   * channel should carry it: the number cannot get WhatsApp (a permanent failure) or WhatsApp is off for the
   * run (its set-up refused the message). A throttled or transient failure is retried by the next run.
   */
  private async viaWhatsApp(task: Task, appointment: Appointment, patient: Patient): Promise<{ item: ReminderItem; fallback: boolean }> {
    const state = this.state;
    const { clock } = state;
    const key = channelKey(appointment.id, task.rule.name, 'whatsapp');
    const phone = whatsappPhone(patient);
    const to = maskPhone(phone);
    let sender: WhatsAppSender;
    try {
      sender = await state.whatsappSender();
    } catch (err) {
      state.whatsappFailed(err);
      return { item: state.itemOf(task, 'deferred', { why: 'whatsapp-off', channel: 'whatsapp' }), fallback: true };
    }
    const locale = patient.language ?? state.config.clinic.locale;
    const claimed = await this.claim(task, patient, key, to, locale, 'whatsapp');
    if (!claimed.claimed) return { item: state.itemOf(task, 'skipped', { reason: claimed.reason, channel: 'whatsapp' }), fallback: claimed.reason === 'rejected' };
    const record = claimed.record;
    try {
      const message = await this.whatsappMessage(appointment, patient, phone, locale, key);
      if (state.abort) throw state.abort;
      if (state.pastDeadline()) throw new SendFailure('expired', 'deadline', undefined, 0);
      if (state.summary.timings.firstSendMs === undefined) state.summary.timings.firstSendMs = performance.now() - state.startedAt;
      const result = await sender.send(message);
      await this.finish(key, claimed.etag, { ...record, status: 'sent', sentAt: clock().toISOString(), messageId: result.messageId });
      return { item: state.itemOf(task, 'sent', { to, messageId: result.messageId, channel: 'whatsapp' }), fallback: false };
    } catch (err) {
      const failure = err instanceof SendFailure ? err : undefined;
      if (failure?.kind === 'expired' || state.abort) {
        await this.release(key, claimed);
        return { item: state.itemOf(task, 'deferred', { why: state.abort ? 'stopped' : 'deadline' }), fallback: false };
      }
      if (!failure || failure.kind === 'systemic') {
        // the clinic's WhatsApp set-up (template, phone number id, credentials): off for this run, e-mail carries it
        state.whatsappFailed(failure?.error ?? err);
        await this.release(key, claimed);
        return { item: state.itemOf(task, 'deferred', { why: 'whatsapp-off', channel: 'whatsapp' }), fallback: true };
      }
      const permanent = failure.kind === 'permanent';
      await this.finish(key, claimed.etag, { ...record, status: 'failed', failedAt: clock().toISOString(), error: failure.message, errorCode: failure.code, permanent });
      state.log.warn(`WhatsApp reminder ${task.rule.name} for ${appointment.id} (patient ${appointment.patientId}) to ${to} failed${permanent ? ' (the number cannot get it)' : ''}: ${failure.message}`);
      return { item: state.itemOf(task, 'failed', { to, error: failure.message, errorCode: failure.code, channel: 'whatsapp' }), fallback: permanent };
    }
  }

  /** The template message of one reminder: the patient's first name, date, time, dentist, clinic, and the answer token. */
  private async whatsappMessage(appointment: Appointment, patient: Patient, phone: string, locale: WhatsAppReminder['locale'], key: string): Promise<WhatsAppReminder> {
    const { config, store } = this.state;
    const start = new Date(appointment.start);
    const tz = config.clinic.timeZone;
    return {
      to: phone,
      locale,
      template: config.whatsapp!.templates[locale],
      firstName: reminderAddressee(patient).greeting,
      date: formatter(locale, tz, 'date').format(start),
      time: formatter(locale, tz, 'time').format(start),
      dentist: appointment.dentist,
      clinic: config.clinic.name,
      token: signAnswerToken(await answerLinkKey(store), appointment.id, start),
      callbackData: key,
    };
  }

  private async claim(task: Task, patient: Patient, key: string, maskedTo: string, locale: string, channel: ReminderChannel = 'email'): Promise<ClaimOutcome> {
    const { store, clock, log } = this.state;
    const fresh = (previous?: ReminderRecord): ReminderRecord => ({
      appointmentId: task.appointment.id,
      patientId: task.appointment.patientId,
      rule: task.rule.name,
      appointmentStart: task.appointment.start,
      status: 'claimed',
      claimedAt: clock().toISOString(),
      claimedBy: this.state.runId,
      attempts: (previous?.attempts ?? 0) + 1,
      dueAt: task.dueAt.toISOString(),
      // masked: the record outlives an anonymization and must not keep the address it erased
      to: maskedTo,
      patientVersion: patient.version,
      locale,
      sequence: calendarEntry(task.appointment).sequence,
      ...(channel === 'email' ? {} : { channel }),
    });
    for (let round = 0; round < 3; round++) {
      try {
        const record = fresh();
        return { claimed: true, etag: await store.putJson(key, record, { ifNoneMatch: '*' }), record };
      } catch (err) {
        if (!isClinicaError(err, 'conflict')) throw err;
      }
      const current = await this.state.readRecord(key);
      if (!current) continue; // deleted in between: claim again
      const why = this.state.blockedBy(current, task, patient);
      if (why) return { claimed: false, reason: why };
      try {
        const record = fresh(current.value);
        const etag = await store.putJson(key, record, { ifMatch: current.etag });
        log.info(`took over ${key} (${current.value.status} by ${current.value.claimedBy} at ${current.value.claimedAt})`);
        return { claimed: true, etag, record, previous: current.value };
      } catch (err) {
        if (!isClinicaError(err, 'conflict')) throw err;
        return { claimed: false, reason: 'in-progress' }; // another run took it over first
      }
    }
    return { claimed: false, reason: 'in-progress' };
  }

  private async finish(key: string, etag: string, record: ReminderRecord): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.state.store.putJson(key, record, { ifMatch: etag });
        return;
      } catch (err) {
        if (isClinicaError(err, 'conflict') || attempt >= 3) {
          this.state.log.error(`could not record ${key} as ${record.status}: ${oneLine(err)}`);
          return;
        }
        await new Promise((r) => setTimeout(r, 200 * attempt));
      }
    }
  }

  /**
   * Gives back a claim of a reminder that was not sent: the record as it was before (a failure, a send for an
   * earlier time), or none — a crashed run's stale claim is not put back, it would look fresh on S3's clock.
   */
  private async release(key: string, claimed: { etag: string; previous?: ReminderRecord }): Promise<void> {
    try {
      if (claimed.previous && claimed.previous.status !== 'claimed') await this.state.store.putJson(key, claimed.previous, { ifMatch: claimed.etag });
      else await this.state.store.delete(key);
    } catch (err) {
      this.state.log.warn(`could not give back the claim ${key} (it is taken over after ${this.state.config.reminders.claimTimeoutMinutes} min): ${oneLine(err)}`);
    }
  }

  /** The e-mail of one reminder, as it goes to SES. */
  private async message(appointment: Appointment, patient: Patient, to: string, locale: Parameters<typeof renderReminderEmail>[0]['locale']): Promise<Buffer> {
    const { config, now, clock, store, options } = this.state;
    const addressee = reminderAddressee(patient);
    const email = renderReminderEmail({
      locale,
      clinic: config.clinic,
      patientName: addressee.greeting,
      appointmentFor: addressee.appointmentFor,
      appointment: { id: appointment.id, start: new Date(appointment.start), durationMinutes: appointment.durationMinutes, dentist: appointment.dentist },
      // "today" / "tomorrow" as the patient reads it: a catch-up's e-mail goes out now, not at its --at
      now: now > clock() ? now : clock(),
      calendar: calendarEntry(appointment),
      answerUrl: options.answerPage ? await answerLinkFor(store, options.answerPage, appointment) : undefined,
    });
    return reminderMime(email, { from: reminderSender(config), to, replyTo: config.mail.replyTo ?? (config.clinic.email || undefined) });
  }

  private async claimAndSend(task: Task, appointment: Appointment, patient: Patient, to: string, key: string, s: ReminderSender): Promise<ReminderItem> {
    const state = this.state;
    const { clock } = state;
    // the patient's own language for patient-facing text, else the clinic's
    const locale = patient.language ?? state.config.clinic.locale;
    const claimed = await this.claim(task, patient, key, maskEmail(to), locale);
    if (!claimed.claimed) return state.itemOf(task, 'skipped', { reason: claimed.reason });
    const record = claimed.record;
    let result: SendResult;
    let attempted = false;
    try {
      const raw = await this.message(appointment, patient, to, locale);
      if (state.abort) throw state.abort;
      if (state.summary.timings.firstSendMs === undefined) state.summary.timings.firstSendMs = performance.now() - state.startedAt;
      attempted = true;
      result = await s.send(raw, to, { expired: state.pastDeadline });
    } catch (err) {
      const failure = err instanceof SendFailure ? err : undefined;
      if (failure?.kind === 'expired') {
        await this.release(key, claimed);
        return state.itemOf(task, 'deferred', { why: 'deadline' });
      }
      if (!failure || failure.kind === 'systemic') {
        // SES down, credentials, or another worker already stopped the run: nothing is wrong with this
        // reminder, the next run sends it — deferred, not failed, and reported once, as the run's stop
        state.stop(failure?.error ?? err);
        if (!attempted) await this.release(key, claimed);
        else await this.finish(key, claimed.etag, { ...record, status: 'failed', failedAt: clock().toISOString(), error: maskEmails(failure?.message ?? oneLine(err)), errorCode: failure?.code });
        return state.itemOf(task, 'deferred', { why: 'stopped' });
      }
      const permanent = failure.kind === 'permanent';
      const message = failure.message;
      // a transient failure leaves the record retryable by the next run; a rejection not until the patient record changes
      await this.finish(key, claimed.etag, { ...record, status: 'failed', failedAt: clock().toISOString(), error: maskEmails(message), errorCode: failure.code, permanent });
      state.log.warn(
        `reminder ${task.rule.name} for ${appointment.id} (patient ${appointment.patientId}) to ${maskEmail(to)} failed${permanent ? ' (rejected)' : ''}: ${maskEmails(message)}` +
          (permanent ? ` — correct the address (\`clinica patients update ${appointment.patientId} --email …\`): the next run tries it again` : ''),
      );
      return state.itemOf(task, 'failed', { to, error: message, errorCode: failure.code });
    }
    await this.finish(key, claimed.etag, { ...record, status: 'sent', sentAt: clock().toISOString(), messageId: result.messageId });
    state.log.debug(`sent ${task.rule.name} for ${appointment.id} to ${maskEmail(to)}`);
    return state.itemOf(task, 'sent', { to, messageId: result.messageId });
  }
}

/** "ma***@example.com" — for log lines, which may end up in cron mail. */
export function maskEmail(address: string): string {
  const [local, domain] = address.split('@');
  if (!domain) return '***';
  return `${local!.slice(0, 2)}***@${domain}`;
}

/** "+55119****4321" — a phone for records and log lines: the country, area code and last four digits. */
export function maskPhone(e164: string): string {
  return e164.length > 8 ? `${e164.slice(0, 5)}${'*'.repeat(e164.length - 9)}${e164.slice(-4)}` : '***';
}

/** Every address in a text masked (SES error messages name the recipient). */
export const maskEmails = (text: string) => text.replace(EMAIL_IN_TEXT, (m) => maskEmail(m));

/** The exit code a run deserves: 0 all sent (or nothing due), 3 some failed, 1 nothing could be sent. */
export function reminderExitCode(summary: ReminderSummary): 0 | 1 | 3 {
  if (summary.aborted && summary.sent === 0) return 1;
  if (summary.failed > 0 || summary.aborted) return 3;
  return 0;
}
