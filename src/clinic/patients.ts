/** Patient records: create, read, update, archive, list/search through the index. */
import type { Store } from '../store/store.js';
import type { Patient, PatientChanges, PatientInput, PatientStatus, PatientSummary } from './types.js';

export interface ListPatientsOptions {
  /** accent-insensitive; matches full name, preferred name, CPF digits, phone digits */
  search?: string;
  /** default: everything but archived; 'all' for every status */
  status?: PatientStatus | 'all';
}

export async function getPatient(_store: Store, _id: string): Promise<{ patient: Patient; etag: string }> {
  throw new Error('not implemented yet');
}

export async function createPatient(_store: Store, _input: PatientInput, _actor: string): Promise<Patient> {
  throw new Error('not implemented yet');
}

export async function updatePatient(
  _store: Store,
  _id: string,
  _changes: PatientChanges,
  _actor: string,
  _opts: { etag?: string } = {},
): Promise<{ patient: Patient; etag: string }> {
  throw new Error('not implemented yet');
}

export async function archivePatient(_store: Store, _id: string, _actor: string): Promise<Patient> {
  throw new Error('not implemented yet');
}

export async function listPatients(_store: Store, _options: ListPatientsOptions = {}): Promise<PatientSummary[]> {
  throw new Error('not implemented yet');
}
