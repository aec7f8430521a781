/**
 * What comes back from WhatsApp, as plain domain steps (the Lambda in src/lambdas/whatsapp-events.ts reads the
 * SNS events and calls these):
 *  - a Confirmar / Cancelar press: the button's payload carries the answer token, so it does exactly what the
 *    answer page does (recordPatientAnswer, channel "whatsapp"); a second press is told what was already done;
 *  - a delivery status (sent, delivered, read, failed): recorded on the reminder record named by the message's
 *    callback data, first time each; a `failed` marks the reminder failed for good, so the next run sends the
 *    e-mail instead;
 *  - a free-text reply: stored for the staff, not parsed, in the patients' answers list as a "message"
 *    (`answers/messages/{id}.json`), for the patient's next appointment when the number is a patient's.
 * Each is idempotent: SNS may deliver an event twice.
 */
import { createHash } from 'node:crypto';
import { isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';
import { listPatientAppointments } from './patient-appointments.js';
import type { Appointment } from './types.js';
import { messageAnswerKey, recordPatientAnswer, type PatientAnswer } from './patient-answers.js';
import { readPatientIndex } from './patient-index.js';
import { normalizePhone } from './phone.js';
import { REMINDERS_PREFIX, type ReminderRecord } from './reminders.js';
import { CONTROL_CHARACTERS } from './text.js';

/** A free-text reply in the answers list: an answer's shape with action "message" and its text. */
export type PatientMessage = Omit<PatientAnswer, 'action'> & { action: 'message'; text: string; messageId: string };

export type ReplyOutcome =
  | { kind: 'button'; action: 'confirm' | 'cancel'; appointmentId: string; already: boolean }
  | { kind: 'button-refused'; reason: string }
  | { kind: 'status'; status: string; key: string; recorded: boolean }
  | { kind: 'message'; key: string; patientId?: string; duplicate: boolean }
  | { kind: 'ignored'; why: string };

/** A Confirmar / Cancelar press: the same code as the answer page. */
export async function answerFromButton(store: Store, action: 'confirm' | 'cancel', token: string, now: Date): Promise<ReplyOutcome> {
  try {
    const { answer, already } = await recordPatientAnswer(store, token, { action, channel: 'whatsapp' }, now);
    return { kind: 'button', action, appointmentId: answer.appointmentId, already };
  } catch (err) {
    // a tampered, expired or closed one: nothing to do, and nothing SNS should retry
    if (isClinicaError(err, 'usage')) return { kind: 'button-refused', reason: err.reason ?? 'usage' };
    throw err;
  }
}

const DELIVERY = ['sent', 'delivered', 'read', 'failed'] as const;
type Delivery = (typeof DELIVERY)[number];
const RECORD_KEY = /^reminders\/A-\d{8}-[a-z0-9]{1,20}\/[a-z0-9-]{1,32}\.whatsapp\.json$/;

/** Records one delivery status on the reminder it is for (first time each status; a failure ends the reminder for good). */
export async function recordDeliveryStatus(
  store: Store,
  status: { key: string; status: string; at: Date; code?: string; title?: string },
): Promise<ReplyOutcome> {
  if (!RECORD_KEY.test(status.key)) return { kind: 'ignored', why: 'not a reminder of ours' };
  if (!(DELIVERY as readonly string[]).includes(status.status)) return { kind: 'ignored', why: `status ${status.status}` };
  const which = status.status as Delivery;
  for (let attempt = 0; attempt < 4; attempt++) {
    const got = await store.getJson<ReminderRecord>(status.key);
    if (!got) return { kind: 'ignored', why: 'no such reminder' };
    if (got.value.deliveries?.[which]) return { kind: 'status', status: which, key: status.key, recorded: false };
    const next: ReminderRecord = { ...got.value, deliveries: { ...got.value.deliveries, [which]: { at: status.at.toISOString(), ...(status.code ? { code: status.code } : {}), ...(status.title ? { title: status.title } : {}) } } };
    if (which === 'failed') {
      // Meta took it but could not deliver it: the next run's e-mail carries the reminder
      Object.assign(next, { status: 'failed', permanent: true, failedAt: status.at.toISOString(), errorCode: status.code, error: status.title ?? 'not delivered' });
    }
    try {
      await store.putJson(status.key, next, { ifMatch: got.etag });
      return { kind: 'status', status: which, key: status.key, recorded: true };
    } catch (err) {
      if (!isClinicaError(err, 'conflict')) throw err; // written in between (another status): read again
    }
  }
  return { kind: 'status', status: which, key: status.key, recorded: false };
}

const TEXT_MAX = 1000;

/** Whose number this is (WhatsApp's "from": digits with the country code), by the patient index. */
async function patientByNumber(store: Store, from: string): Promise<string | undefined> {
  const number = `+${from.replace(/\D/g, '')}`;
  for (const p of await readPatientIndex(store)) {
    if (!p.phone) continue;
    try {
      if (normalizePhone(p.phone) === number) return p.id;
    } catch {
      // a phone stored before phones were checked: not comparable
    }
  }
  return undefined;
}

/** Stores a free-text reply for the staff (once per WhatsApp message id). */
export async function storeTextReply(store: Store, reply: { messageId: string; from: string; text: string; at: Date }, now: Date): Promise<ReplyOutcome> {
  const key = messageAnswerKey(createHash('sha256').update(reply.messageId).digest('hex').slice(0, 32));
  const patientId = await patientByNumber(store, reply.from);
  let appointmentId = '';
  if (patientId) {
    const next = (await listPatientAppointments(store, patientId)).find((a) => a.status !== 'cancelled' && Date.parse(a.start) > now.getTime());
    appointmentId = next?.id ?? '';
  }
  const answer: PatientMessage = {
    appointmentId,
    patientId: patientId ?? '',
    action: 'message',
    // typed by the public: control characters become spaces (they would reach a terminal)
    text: reply.text.replace(CONTROL_CHARACTERS, ' ').trim().slice(0, TEXT_MAX),
    at: reply.at.toISOString(),
    channel: 'whatsapp',
    messageId: reply.messageId,
  };
  // a number that is no patient's: the staff need it to answer
  if (!patientId) answer.phone = `+${reply.from.replace(/\D/g, '')}`;
  try {
    await store.putJson(key, answer, { ifNoneMatch: '*' });
    return { kind: 'message', key, patientId, duplicate: false };
  } catch (err) {
    if (isClinicaError(err, 'conflict')) return { kind: 'message', key, patientId, duplicate: true };
    throw err;
  }
}

/** How far an appointment's WhatsApp reminder got, as the staff see it: the furthest status and when. */
export interface WhatsAppDelivery {
  status: Delivery;
  /** ISO instant of that status */
  at: string;
  /** the reminder rule it was sent for (the last one sent, when several were) */
  rule: string;
}

/** Furthest first: a failure outranks all, read outranks delivered outranks sent. */
const FURTHEST: readonly Delivery[] = ['failed', 'read', 'delivered', 'sent'];
const WHATSAPP_RECORD = /^reminders\/(A-\d{8}-[a-z0-9]{1,20})\/([a-z0-9-]{1,32})\.whatsapp\.json$/;

/** One record's state: Meta's furthest status, else what the send itself did (accepted = sent; refused = failed). */
function deliveryOf(record: ReminderRecord, rule: string): WhatsAppDelivery | undefined {
  for (const status of FURTHEST) {
    const seen = record.deliveries?.[status];
    if (seen) return { status, at: seen.at, rule };
  }
  if (record.status === 'sent' && record.sentAt) return { status: 'sent', at: record.sentAt, rule };
  if (record.status === 'failed' && record.failedAt) return { status: 'failed', at: record.failedAt, rule };
  return undefined;
}

/**
 * The WhatsApp reminder state of each given appointment that has one (by appointment id): one listing of
 * `reminders/A-{day}-` per day the appointments fall on, then the WhatsApp records only. When an appointment
 * had several WhatsApp reminders (rules), the latest one's state stands.
 */
export async function whatsAppDeliveries(store: Store, appointments: Pick<Appointment, 'id'>[]): Promise<Map<string, WhatsAppDelivery>> {
  const wanted = new Set(appointments.map((a) => a.id));
  const days = new Set(appointments.map((a) => a.id.slice(0, 'A-YYYYMMDD'.length)));
  const out = new Map<string, WhatsAppDelivery>();
  for (const day of days) {
    for await (const o of store.list(`${REMINDERS_PREFIX}${day}-`)) {
      const m = WHATSAPP_RECORD.exec(o.key);
      if (!m || !wanted.has(m[1]!)) continue;
      const record = (await store.getJson<ReminderRecord>(o.key))?.value;
      const delivery = record && deliveryOf(record, m[2]!);
      const before = out.get(m[1]!);
      if (delivery && (!before || before.at < delivery.at)) out.set(m[1]!, delivery);
    }
  }
  return out;
}
