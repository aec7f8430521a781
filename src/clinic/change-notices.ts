/**
 * Telling the patient of a change: a cancelled or moved appointment sends one e-mail (src/mail/change-notice.ts)
 * whose calendar part updates the entry the reminders put in the patient's calendar — the visit's UID
 * (calendarEntry), a SEQUENCE above any sent before (a move's count; a cancellation one more), METHOD:REQUEST
 * or METHOD:CANCEL. The same people as reminders are told: an active patient who consented to e-mail and has
 * an address (the guardian's greeting for a ward), and only for an appointment not yet begun.
 *
 * Exactly once per change: `notices/{visit}/{sequence}.json` is claimed with If-None-Match: * before sending
 * (a retried request or a second process finds it and sends nothing), then marked sent or failed.
 */
import type { ResolvedConfig } from '../config/load.js';
import { reminderSender, senderAddress } from '../config/mail.js';
import { isClinicaError, oneLine } from '../errors.js';
import { changeNoticeMime, renderChangeNotice } from '../mail/change-notice.js';
import { reminderAddressee } from '../mail/reminder-email.js';
import type { Store } from '../store/store.js';
import { getPatient } from './patients.js';
import { calendarEntry, ineligibility, maskEmail, maskEmails, type ReminderSender } from './reminders.js';
import type { Appointment } from './types.js';

export const NOTICES_PREFIX = 'notices/';

export interface NoticeRecord {
  kind: 'cancel' | 'move';
  appointmentId: string;
  patientId: string;
  sequence: number;
  status: 'claimed' | 'sent' | 'failed';
  claimedAt: string;
  claimedBy: string;
  to?: string;
  messageId?: string;
  error?: string;
}

export interface NoticeOutcome {
  status: 'sent' | 'skipped' | 'failed';
  /** why not sent: no-consent, no-email, patient-inactive, past, no-sender, already-sent, … */
  reason?: string;
  /** the address, masked */
  to?: string;
  error?: string;
}

export interface ChangeNotice {
  store: Store;
  config: Pick<ResolvedConfig, 'clinic' | 'mail'>;
  kind: 'cancel' | 'move';
  /** the appointment as it was before the change */
  before: Appointment;
  /** as it is now: the cancelled record, or the moved one (a new id when moved to another day) */
  after: Appointment;
  openSender: () => Promise<ReminderSender>;
  actor: string;
  now?: Date;
}

export async function notifyChange(n: ChangeNotice): Promise<NoticeOutcome> {
  const now = n.now ?? new Date();
  let from: string;
  try {
    from = reminderSender(n.config);
  } catch {
    return { status: 'skipped', reason: 'no-sender' };
  }
  const latest = Math.max(Date.parse(n.before.start), Date.parse(n.after.start));
  if (latest < now.getTime()) return { status: 'skipped', reason: 'past' };
  const { patient } = await getPatient(n.store, n.after.patientId);
  // eligibility as for a reminder of a booked appointment (the change itself is not the question here)
  const why = ineligibility({ status: 'scheduled' }, patient);
  if (why) return { status: 'skipped', reason: why };
  const to = patient.email!;
  const entry = calendarEntry(n.after);
  const sequence = n.kind === 'cancel' ? entry.sequence + 1 : entry.sequence;
  const key = `${NOTICES_PREFIX}${entry.id}/${sequence}.json`;
  const record: NoticeRecord = {
    kind: n.kind,
    appointmentId: n.after.id,
    patientId: patient.id,
    sequence,
    status: 'claimed',
    claimedAt: new Date().toISOString(),
    claimedBy: n.actor,
    to: maskEmail(to),
  };
  let etag: string;
  try {
    etag = await n.store.putJson(key, record, { ifNoneMatch: '*' });
  } catch (err) {
    if (isClinicaError(err, 'conflict')) return { status: 'skipped', reason: 'already-sent' };
    throw err;
  }
  const addressee = reminderAddressee(patient);
  const locale = patient.language ?? n.config.clinic.locale;
  try {
    const email = renderChangeNotice({
      kind: n.kind,
      locale,
      clinic: n.config.clinic,
      patientName: addressee.greeting,
      appointmentFor: addressee.appointmentFor,
      appointment: { id: n.after.id, start: new Date(n.after.start), durationMinutes: n.after.durationMinutes, dentist: n.after.dentist },
      previousStart: new Date(n.before.start),
      now,
      calendar: { id: entry.id, sequence },
      organizer: senderAddress(from),
    });
    const raw = await changeNoticeMime(email, { from, to, replyTo: n.config.mail.replyTo ?? (n.config.clinic.email || undefined) });
    const sender = await n.openSender();
    const result = await sender.send(raw, to);
    await n.store.putJson(key, { ...record, status: 'sent', messageId: result.messageId } satisfies NoticeRecord, { ifMatch: etag });
    return { status: 'sent', to: maskEmail(to) };
  } catch (err) {
    const error = maskEmails(oneLine(err));
    await n.store.putJson(key, { ...record, status: 'failed', error } satisfies NoticeRecord, { ifMatch: etag }).catch(() => {});
    return { status: 'failed', to: maskEmail(to), error };
  }
}
