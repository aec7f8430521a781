/** The agenda: appointments stored per clinic-local day, overlap checks per dentist. */
import type { Store } from '../store/store.js';
import type { Appointment, AppointmentInput } from './types.js';

export interface ScheduleOptions {
  /** the clinic's IANA time zone (config.clinic.timeZone) */
  timeZone: string;
  now?: Date;
  /** book even if it overlaps another appointment of the same dentist */
  force?: boolean;
}

export async function getAppointment(_store: Store, _id: string): Promise<{ appointment: Appointment; etag: string }> {
  throw new Error('not implemented yet');
}

export async function createAppointment(_store: Store, _input: AppointmentInput, _actor: string, _opts: ScheduleOptions): Promise<Appointment> {
  throw new Error('not implemented yet');
}

/** Moves to a new time; a move to another day gives a new id (the old one is left cancelled, with movedTo). */
export async function moveAppointment(_store: Store, _id: string, _at: string, _actor: string, _opts: ScheduleOptions): Promise<Appointment> {
  throw new Error('not implemented yet');
}

export async function cancelAppointment(_store: Store, _id: string, _actor: string, _opts: { reason?: string } = {}): Promise<Appointment> {
  throw new Error('not implemented yet');
}

export async function confirmAppointment(_store: Store, _id: string, _actor: string): Promise<Appointment> {
  throw new Error('not implemented yet');
}

/** The agenda from `from` to `to` (clinic-local dates YYYY-MM-DD, inclusive), sorted by start. Moved-away records are left out. */
export async function listAppointments(_store: Store, _range: { from: string; to: string; dentist?: string }, _timeZone: string): Promise<Appointment[]> {
  throw new Error('not implemented yet');
}
