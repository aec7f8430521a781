/**
 * Each patient's appointments, in brief, so `patients show`, `export` and the list's "next appointment" need
 * no scan of the agenda:  index/appointments-by-patient/{patientId}.json  { appointments: [...] }
 * (If-Match with retry). Keeps the patient index's `upcoming` in step.
 */
import { conflict, isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';
import { notePatientsChanged } from './patient-changes.js';
import { updatePatientIndex } from './patient-index.js';
import type { Appointment, AppointmentStatus } from './types.js';

export const BY_PATIENT_PREFIX = 'index/appointments-by-patient/';

export interface AppointmentBrief {
  id: string;
  start: string;
  durationMinutes: number;
  dentist: string;
  status: AppointmentStatus;
  procedure?: string;
  /** moved to another day: this id is cancelled, the appointment lives on as movedTo */
  movedTo?: string;
}

const keyOf = (patientId: string) => `${BY_PATIENT_PREFIX}${patientId}.json`;

export function briefOf(a: Appointment): AppointmentBrief {
  const b: AppointmentBrief = { id: a.id, start: a.start, durationMinutes: a.durationMinutes, dentist: a.dentist, status: a.status };
  if (a.procedure) b.procedure = a.procedure;
  if (a.movedTo) b.movedTo = a.movedTo;
  return b;
}

/** A patient's appointments, oldest first; moved-away ids are left out unless asked for (export, purge). */
export async function listPatientAppointments(store: Store, patientId: string, opts: { includeMoved?: boolean } = {}): Promise<AppointmentBrief[]> {
  const got = await store.getJson<{ appointments: AppointmentBrief[] }>(keyOf(patientId));
  const all = got?.value.appointments ?? [];
  return opts.includeMoved ? all : all.filter((a) => !a.movedTo);
}

const live = (a: AppointmentBrief) => !a.movedTo && a.status !== 'cancelled' && a.status !== 'done' && a.status !== 'no-show';

/**
 * Every upcoming start (not cancelled, done or no-show), soonest first: the index's `upcoming`. All of them, not
 * the first few: the row is rewritten only when the patient's appointments change, so a patient booked monthly
 * would show no next appointment once the first few had passed. A few dozen bytes per booking; `list` still
 * reads the index only.
 */
export function upcomingOf(list: AppointmentBrief[], now: Date): string[] {
  return list
    .filter((a) => live(a) && Date.parse(a.start) >= now.getTime())
    .map((a) => a.start)
    .sort((a, b) => Date.parse(a) - Date.parse(b));
}

/** Records the appointments' current state in the patient's list (removing ids in `remove`). */
export async function recordPatientAppointments(
  store: Store,
  patientId: string,
  changed: Appointment[],
  remove: string[] = [],
  now = new Date(),
): Promise<void> {
  let list: AppointmentBrief[] = [];
  for (let attempt = 0; ; attempt++) {
    const got = await store.getJson<{ appointments: AppointmentBrief[] }>(keyOf(patientId));
    const byId = new Map((got?.value.appointments ?? []).map((a) => [a.id, a]));
    for (const id of remove) byId.delete(id);
    for (const a of changed) byId.set(a.id, briefOf(a));
    list = [...byId.values()].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
    try {
      await store.putJson(keyOf(patientId), { appointments: list }, got ? { ifMatch: got.etag } : { ifNoneMatch: '*' });
      break;
    } catch (err) {
      if (!isClinicaError(err, 'conflict')) throw err;
      if (attempt >= 10) throw conflict(`the appointment list of ${patientId} kept changing`, { cause: err, hint: 'try again' });
      await new Promise((r) => setTimeout(r, 5 + Math.random() * 20 * (attempt + 1)));
    }
  }
  await notePatientsChanged(store, [patientId]);
  const upcoming = upcomingOf(list, now);
  await updatePatientIndex(store, [
    {
      id: patientId,
      apply: (old) => {
        if (!old) return undefined;
        const next = { ...old };
        if (upcoming.length) next.upcoming = upcoming;
        else delete next.upcoming;
        return next;
      },
    },
  ]);
}

export async function deletePatientAppointmentList(store: Store, patientId: string): Promise<void> {
  await store.delete(keyOf(patientId));
  await notePatientsChanged(store, [patientId]);
}
