/**
 * A patient leaving the clinic's care — archived, inactive or deceased — and the appointments still booked
 * ahead for them. Their reminders stop (canEmailReminders wants an active patient), yet the slots would stay
 * booked: the dentist's agenda and the overlap check held by someone who is not coming, and nobody told.
 * So a change to one of those statuses that would leave future appointments (start after now, scheduled or
 * confirmed) is refused until the caller says what to do with them: cancel them — each through
 * cancelAppointment (If-Match, audited `appointment.cancel` with the actor, the reason in its notes) — or keep
 * them. The CLI (update, archive) and the server (PATCH, archive) both go through here. Past appointments are
 * never touched: what happened at them is for `done` / `no-show` to say.
 */
import { conflict, ExitCode, oneLine } from '../errors.js';
import type { Store } from '../store/store.js';
import { cancelAppointment } from './appointments.js';
import { listPatientAppointments } from './patient-appointments.js';
import { archivePatient, getPatient, updatePatient } from './patients.js';
import { localParts } from './time.js';
import type { Appointment, AppointmentStatus, Patient, PatientChanges, PatientStatus } from './types.js';
import { count } from '../plural.js';

/** The statuses that take a patient out of care: no reminders, no new bookings expected. */
export const LEAVING_STATUSES: readonly PatientStatus[] = ['archived', 'inactive', 'deceased'];

/** What to do with the future appointments of a patient leaving care. */
export type FutureAppointmentsChoice = 'cancel' | 'keep';

/** A future appointment as a refusal lists it: the stored fields plus its clinic-local date and time. */
export interface FutureAppointment {
  id: string;
  start: string;
  /** clinic-local YYYY-MM-DD and HH:MM */
  date: string;
  time: string;
  durationMinutes: number;
  dentist: string;
  status: AppointmentStatus;
  procedure?: string;
}

export interface LeavingCareOptions {
  /** the clinic's IANA time zone (dates and times in the refusal) */
  timeZone: string;
  now?: Date;
  /** required when the change would leave future appointments; without it such a change is refused */
  appointments?: FutureAppointmentsChoice;
  /** the ETag the caller read (see UpdateOptions) */
  etag?: string;
}

export interface LeavingCareResult {
  patient: Patient;
  etag: string;
  /** the future appointments cancelled (their new records) */
  cancelled: Appointment[];
  /** the future appointments kept on purpose */
  kept: FutureAppointment[];
}

/** What a status change did to the future appointments, beside the record (CLI --json, API answers). */
export const appointmentsOutcome = (result: LeavingCareResult) => ({ appointmentsCancelled: result.cancelled, appointmentsKept: result.kept });

/** The patient's appointments that start after `now` and are still scheduled or confirmed, soonest first. */
export async function futureAppointments(store: Store, patientId: string, opts: { timeZone: string; now?: Date }): Promise<FutureAppointment[]> {
  const now = (opts.now ?? new Date()).getTime();
  const list = await listPatientAppointments(store, patientId);
  return list
    .filter((a) => !a.movedTo && (a.status === 'scheduled' || a.status === 'confirmed') && Date.parse(a.start) > now)
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start))
    .map((a) => {
      const { date, time } = localParts(new Date(a.start), opts.timeZone);
      const f: FutureAppointment = { id: a.id, start: a.start, date, time, durationMinutes: a.durationMinutes, dentist: a.dentist, status: a.status };
      if (a.procedure) f.procedure = a.procedure;
      return f;
    });
}

/** `patients update` / PATCH: the changes, with the future appointments settled when the status leaves care. */
export function updatePatientLeavingCare(store: Store, id: string, changes: PatientChanges, actor: string, opts: LeavingCareOptions): Promise<LeavingCareResult> {
  return leavingCare(store, id, changes.status ?? undefined, actor, opts, (auditDetails) => updatePatient(store, id, changes, actor, { etag: opts.etag, auditDetails }));
}

/** `patients archive` / POST …/archive. */
export function archivePatientLeavingCare(store: Store, id: string, actor: string, opts: LeavingCareOptions): Promise<LeavingCareResult> {
  return leavingCare(store, id, 'archived', actor, opts, (auditDetails) => archivePatient(store, id, actor, { etag: opts.etag, auditDetails }));
}

async function leavingCare(
  store: Store,
  id: string,
  status: PatientStatus | undefined,
  actor: string,
  opts: LeavingCareOptions,
  write: (auditDetails: Record<string, unknown> | undefined) => Promise<{ patient: Patient; etag: string }>,
): Promise<LeavingCareResult> {
  let future: FutureAppointment[] = [];
  if (status && LEAVING_STATUSES.includes(status)) {
    const { patient } = await getPatient(store, id);
    const changes = patient.status !== status;
    // a patient already in that status is checked only when asked to cancel: a re-run finishes an interrupted one
    if (changes || opts.appointments === 'cancel') future = await futureAppointments(store, patient.id, opts);
    if (changes && future.length && !opts.appointments) throw leavesAppointments(patient.id, status, future);
  }
  const ids = future.map((a) => a.id);
  const auditDetails = ids.length ? { [opts.appointments === 'cancel' ? 'appointmentsCancelled' : 'appointmentsKept']: ids } : undefined;
  const { patient, etag } = await write(auditDetails);
  if (opts.appointments !== 'cancel' || !future.length) return { patient, etag, cancelled: [], kept: future };

  // after the status is written: a failure leaves the patient out of care with some appointments still booked,
  // which the same request made again finishes (the other order could cancel a patient's visits and then fail)
  const cancelled: Appointment[] = [];
  const failed: { id: string; err: unknown }[] = [];
  for (const a of future) {
    try {
      cancelled.push(await cancelAppointment(store, a.id, actor, { reason: `patient ${status}` }));
    } catch (err) {
      failed.push({ id: a.id, err });
    }
  }
  if (failed.length) {
    throw conflict(
      `${patient.id} is now ${patient.status}, but ${failed.length} of its ${count(future.length, 'future appointment')} could not be cancelled (${failed.map((f) => f.id).join(', ')}: ${oneLine(failed[0]!.err)})`,
      {
        hint: 'make the same change again with --cancel-appointments to cancel the rest',
        reason: 'appointments-not-cancelled',
        params: { id: patient.id, count: failed.length, ids: failed.map((f) => f.id).join(', ') },
        cause: failed[0]!.err,
      },
    );
  }
  return { patient, etag, cancelled, kept: [] };
}

const doing: Record<string, string> = { archived: 'archiving the patient', inactive: 'making the patient inactive', deceased: 'marking the patient deceased' };

/** The refusal: one line for the CLI (the first few appointments named), the whole list for a client. */
function leavesAppointments(patientId: string, status: PatientStatus, future: FutureAppointment[]) {
  const named = future.slice(0, 3).map((a) => `${a.date} ${a.time} with ${a.dentist}`);
  if (future.length > 3) named.push(`${future.length - 3} more`);
  return conflict(
    `${patientId} has ${count(future.length, 'future appointment')} (${named.join('; ')}); ${doing[status]} would leave ${future.length === 1 ? 'it' : 'them'} booked; nothing was changed`,
    {
      hint: 'pass --cancel-appointments to cancel them, or --keep-appointments to keep them',
      reason: 'future-appointments',
      params: { id: patientId, status, count: future.length },
      extra: { appointments: future },
      exitCode: ExitCode.usage,
    },
  );
}
