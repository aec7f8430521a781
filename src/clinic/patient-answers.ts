/**
 * What a patient answers from the link in a reminder: confirm, cancel (with an optional reason) or ask to
 * reschedule. One answer per appointment, kept at `answers/{appointmentId}.json` (If-None-Match: *), so a
 * second click — or a second device — finds the first answer and is told what was already done.
 *
 * A confirmation sets a scheduled appointment "confirmed"; a cancellation cancels it (the slot is freed by the
 * appointment rules) — both audited with the patient as the actor (`patient:<id>`). A reschedule request
 * changes nothing on the agenda: it waits in the staff's list with the patient's phone. Once the reception has
 * marked the patient arrived ("chegou"), only a confirmation is taken (and changes nothing).
 */
import type { Config, Locale } from '../config/schema.js';
import { ClinicaError, isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';
import { answerLinkKey, verifyAnswerToken } from './answer-link.js';
import { getAppointment, normalizeAppointmentId, setAppointmentStatus } from './appointments.js';
import { getPatient } from './patients.js';
import { clean, CONTROL_CHARACTERS } from './text.js';
import type { Appointment } from './types.js';

export const ANSWERS_PREFIX = 'answers/';
export const answerKey = (appointmentId: string) => `${ANSWERS_PREFIX}${appointmentId}.json`;
/** Free-text WhatsApp replies: `answers/messages/{hash}.json` (src/clinic/whatsapp-replies.ts). */
export const MESSAGES_PREFIX = `${ANSWERS_PREFIX}messages/`;
export const messageAnswerKey = (hash: string) => `${MESSAGES_PREFIX}${hash}.json`;

/**
 * Every answer's id in the staff API, one per record: an appointment's answer is its appointment id, a
 * free-text reply is `m-{hash}`. Only these two shapes name a key, so an id never reaches outside answers/.
 */
const MESSAGE_ANSWER_ID = /^m-([0-9a-f]{32})$/;
export function answerIdOfKey(key: string): string {
  const rest = key.slice(ANSWERS_PREFIX.length, -'.json'.length);
  return key.startsWith(MESSAGES_PREFIX) ? `m-${rest.slice('messages/'.length)}` : rest;
}
function answerKeyOfId(id: string): string | undefined {
  const message = MESSAGE_ANSWER_ID.exec(id);
  if (message) return messageAnswerKey(message[1]!);
  try {
    return answerKey(normalizeAppointmentId(id));
  } catch {
    return undefined;
  }
}

export const answerActions = ['confirm', 'cancel', 'reschedule'] as const;
export type AnswerAction = (typeof answerActions)[number];

export interface PatientAnswer {
  appointmentId: string;
  patientId: string;
  /** (answers/messages/… hold free-text WhatsApp replies with action "message": src/clinic/whatsapp-replies.ts) */
  action: AnswerAction;
  /** a cancellation's reason, as the patient typed it (one line, at most 300 characters) */
  reason?: string;
  /** ISO instant */
  at: string;
  /** where it came from */
  channel: 'link' | 'whatsapp';
  /** set when a staff member marked it seen */
  seen?: { at: string; by: string };
  /** a "message": its text (one WhatsApp message, control characters removed, at most 1000 characters) */
  text?: string;
  /** a "message": WhatsApp's message id (it keys the record: answers/messages/…) */
  messageId?: string;
  /** a "message" from a number that is no patient's: the number, for the staff to answer */
  phone?: string;
}

/** What the public page may show: first name, date and time, dentist, the clinic's address and phone. */
export interface AnswerPageView {
  locale: Locale;
  firstName: string;
  start: string;
  dentist: string;
  clinic: { name: string; address?: string; phone?: string; timeZone: string };
  /** the answer already given, if any */
  answer?: Pick<PatientAnswer, 'action' | 'at'>;
  /** the appointment was cancelled or moved by the clinic: nothing to answer */
  closed?: boolean;
  /** the reception has marked the patient arrived ("chegou"): nothing to answer, no cancelling from the link */
  arrived?: boolean;
}

type ClinicConfig = { clinic: Pick<Config['clinic'], 'name' | 'address' | 'phone' | 'timeZone' | 'locale'> };

const REASON_MAX = 300;

const begun = () => new ClinicaError('usage', 'this appointment has already begun', { reason: 'token-expired', field: 't' });

async function open(store: Store, token: string, now: Date): Promise<{ appointment: Appointment; answer?: PatientAnswer }> {
  const { appointmentId } = verifyAnswerToken(await answerLinkKey(store), token, now);
  let appointment: Appointment;
  try {
    appointment = (await getAppointment(store, appointmentId)).appointment;
  } catch (err) {
    // a valid token for a record that is gone (erased): as useless as an expired link
    if (isClinicaError(err, 'not-found')) throw new ClinicaError('usage', 'this answer link is no longer valid', { reason: 'token-expired', field: 't' });
    throw err;
  }
  // moved earlier than the token's expiry: the link stops when the appointment begins, whatever the token says
  if (Date.parse(appointment.start) <= now.getTime()) throw begun();
  const answer = (await store.getJson<PatientAnswer>(answerKey(appointmentId)))?.value;
  return { appointment, answer };
}

/** The page's content for a token (tampered, expired or begun → a ClinicaError with reason token-*). */
export async function answerPageView(store: Store, config: ClinicConfig, token: string, now = new Date()): Promise<AnswerPageView> {
  const { appointment, answer } = await open(store, token, now);
  const patient = await getPatient(store, appointment.patientId).catch(() => undefined);
  const name = patient?.patient.preferredName?.trim() || patient?.patient.fullName.trim().split(/\s+/)[0] || '';
  const view: AnswerPageView = {
    locale: patient?.patient.language ?? config.clinic.locale,
    firstName: name,
    start: appointment.start,
    dentist: appointment.dentist,
    clinic: {
      name: config.clinic.name,
      address: config.clinic.address || undefined,
      phone: config.clinic.phone || undefined,
      timeZone: config.clinic.timeZone,
    },
  };
  if (answer) view.answer = { action: answer.action, at: answer.at };
  else if (appointment.status === 'cancelled' || appointment.movedTo) view.closed = true;
  else if (appointment.status === 'arrived') view.arrived = true;
  return view;
}

/**
 * Records the patient's answer and applies it. Returns the answer that stands: this one, or the one given
 * before (`already: true`) — a second click changes nothing.
 */
export async function recordPatientAnswer(
  store: Store,
  token: string,
  input: { action: string; reason?: string; channel?: PatientAnswer['channel'] },
  now = new Date(),
): Promise<{ answer: PatientAnswer; already: boolean }> {
  if (!(answerActions as readonly string[]).includes(input.action)) {
    throw new ClinicaError('usage', `action: expected one of ${answerActions.join(', ')}`, { reason: 'answer-action', field: 'action' });
  }
  const action = input.action as AnswerAction;
  const { appointment, answer: before } = await open(store, token, now);
  if (before) return { answer: before, already: true };
  if (appointment.status === 'cancelled' || appointment.movedTo) {
    throw new ClinicaError('usage', 'this appointment was already cancelled or moved by the clinic', { reason: 'appointment-closed', field: 't' });
  }
  // at the clinic already (a patient may come early): a stale page or button cannot cancel or ask to move the
  // visit under the reception's eyes; a confirmation is recorded and changes nothing (the status stays arrived)
  if (appointment.status === 'arrived' && action !== 'confirm') {
    throw new ClinicaError('usage', 'the patient has already arrived at the clinic; the reception handles any change', { reason: 'appointment-arrived', field: 't' });
  }
  const actor = `patient:${appointment.patientId}`;
  // typed by the public: control characters become spaces (they would reach the staff's terminal), one line
  const reason = action === 'cancel' ? clean(input.reason?.replace(CONTROL_CHARACTERS, ' ').replace(/\s+/g, ' '))?.slice(0, REASON_MAX) : undefined;
  const answer: PatientAnswer = { appointmentId: appointment.id, patientId: appointment.patientId, action, at: now.toISOString(), channel: input.channel ?? 'link' };
  if (reason) answer.reason = reason;
  try {
    await store.putJson(answerKey(appointment.id), answer, { ifNoneMatch: '*' });
  } catch (err) {
    if (!isClinicaError(err, 'conflict')) throw err;
    // two clicks at once: the first one written stands
    const first = await store.getJson<PatientAnswer>(answerKey(appointment.id));
    if (first) return { answer: first.value, already: true };
    throw err;
  }
  if (action === 'confirm' && appointment.status === 'scheduled') await setAppointmentStatus(store, appointment.id, 'confirmed', actor, { now });
  if (action === 'cancel') await setAppointmentStatus(store, appointment.id, 'cancelled', actor, { now, reason: reason ? `pelo paciente — ${reason}` : 'pelo paciente' });
  return { answer, already: false };
}

/** An answer as the staff list shows it: with the patient's phone for a reschedule request or a message. */
export interface AnswerListItem extends Omit<PatientAnswer, 'action'> {
  /** the id to mark it seen with (POST /api/answers/:id/seen): the appointment's id, or `m-…` for a message */
  id: string;
  /** a free-text WhatsApp reply is a "message" (its `text` is what the patient wrote) */
  action: AnswerAction | 'message';
  start?: string;
  dentist?: string;
  patientName?: string;
  /** reschedule requests and messages: the number to answer (a message from an unknown number carries its own) */
  phone?: string;
}

/** The patients' answers, newest first; `unseen` keeps those no one marked seen yet. */
export async function listAnswers(store: Store, filter: { unseen?: boolean } = {}): Promise<AnswerListItem[]> {
  const out: AnswerListItem[] = [];
  for await (const o of store.list(ANSWERS_PREFIX)) {
    const got = await store.getJson<PatientAnswer>(o.key);
    if (!got || (filter.unseen && got.value.seen)) continue;
    const item: AnswerListItem = { ...got.value, id: answerIdOfKey(o.key) };
    const appointment = await getAppointment(store, item.appointmentId).catch(() => undefined);
    if (appointment) Object.assign(item, { start: appointment.appointment.start, dentist: appointment.appointment.dentist });
    const patient = await getPatient(store, item.patientId).catch(() => undefined);
    if (patient) {
      item.patientName = patient.patient.fullName;
      if ((item.action === 'reschedule' || item.action === 'message') && patient.patient.phone) item.phone = patient.patient.phone;
    }
    out.push(item);
  }
  return out.sort((a, b) => b.at.localeCompare(a.at));
}

/** Marks an answer (by its list id: answerIdOfKey) seen by a staff member (If-Match; seen twice keeps the first). */
export async function markAnswerSeen(store: Store, id: string, actor: string, now = new Date()): Promise<PatientAnswer> {
  const key = answerKeyOfId(id);
  const got = key ? await store.getJson<PatientAnswer>(key) : undefined;
  if (!key || !got) throw new ClinicaError('not-found', `no patient answer ${id}`, { field: 'id', reason: 'answer-not-found' });
  if (got.value.seen) return got.value;
  const next: PatientAnswer = { ...got.value, seen: { at: now.toISOString(), by: actor } };
  await store.putJson(key, next, { ifMatch: got.etag });
  return next;
}
