/** Fixtures for the reminder tests: patients and appointments written through the clinic's own API. */
import { createAppointment } from '../../src/clinic/appointments.js';
import { createPatient } from '../../src/clinic/patients.js';
import type { Appointment, Patient, PatientInput } from '../../src/clinic/types.js';
import type { Store } from '../../src/store/store.js';

export const TZ = 'America/Sao_Paulo';
/** a clinic-local time in São Paulo (UTC-3 all year) as an instant */
export const sp = (local: string) => new Date(`${local.replace(' ', 'T')}:00-03:00`);

/** Every patient made here, for the check that no function log names one (test/helpers/log-guard.ts). */
export const seededPatients: Patient[] = [];

export async function addPatient(store: Store, input: Partial<PatientInput> & { fullName: string }): Promise<Patient> {
  const patient = await createPatient(store, { birthDate: '1980-05-17', emailReminders: true, ...input }, 'test:reminders');
  seededPatients.push(patient);
  return patient;
}

export function book(store: Store, patientId: string, at: string, dentist = 'Dra. Ana Lima', durationMinutes = 45): Promise<Appointment> {
  return createAppointment(store, { patientId, dentist, at, durationMinutes, procedure: 'canal — dente 36' }, 'test:reminders', { timeZone: TZ, force: true });
}
