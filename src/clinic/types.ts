/**
 * The clinic's records as stored in the private bucket (see docs/patients.md for the layout). Plain data:
 * the CLI, the server and the Lambdas all read and write these shapes through src/clinic/*.
 */
import type { Locale } from '../config/schema.js';

export const patientStatuses = ['active', 'inactive', 'archived', 'deceased'] as const;
export type PatientStatus = (typeof patientStatuses)[number];

export const sexes = ['female', 'male', 'other', 'unknown'] as const;
export type Sex = (typeof sexes)[number];

/** 'arrived' ("chegou"): the patient is at the clinic, waiting; set on the appointment's day. */
export const appointmentStatuses = ['scheduled', 'confirmed', 'cancelled', 'done', 'no-show', 'arrived'] as const;
export type AppointmentStatus = (typeof appointmentStatuses)[number];

/** Consent to e-mail reminders: yes/no, and when and by whom it was recorded (absent: never asked). */
export interface Consent {
  emailReminders: boolean;
  recordedAt?: string;
  /** the actor who recorded it ("cli:user@host", "staff:<id>") */
  recordedBy?: string;
  /** consent to WhatsApp reminders, recorded apart from e-mail's (absent: never asked) */
  whatsapp?: { reminders: boolean; recordedAt: string; recordedBy: string };
}

export interface Guardian {
  name: string;
  phone?: string;
  /** normalised, 11 digits */
  cpf?: string;
  relationship?: string;
}

export interface Patient {
  /** "P-000123": short, readable, never reused */
  id: string;
  fullName: string;
  preferredName?: string;
  /** normalised: 11 digits, check digits valid; unique across patients */
  cpf?: string;
  /** YYYY-MM-DD (absent after anonymization) */
  birthDate?: string;
  sex?: Sex;
  /** as typed, trimmed ("+55 11 98765-4321") */
  phone?: string;
  /** lowercased */
  email?: string;
  address?: string;
  guardian?: Guardian;
  /** allergies and clinical alerts, one per entry ("penicilina", "anticoagulante") */
  alerts: string[];
  notes?: string;
  status: PatientStatus;
  consent: Consent;
  /** the language of patient-facing text (reminders); absent: the clinic's `clinic.locale` */
  language?: Locale;
  /**
   * set by anonymize: identifiers were replaced; clinical content kept. `lastUpdatedAt`: the record's updatedAt
   * before the anonymization (which is no clinical entry: the retention period does not restart with it)
   */
  anonymized?: { at: string; by: string; birthYear?: number; lastUpdatedAt?: string };
  /** ISO instants (UTC) */
  createdAt: string;
  updatedAt: string;
  /** 1 on create, +1 on every change */
  version: number;
}

/** What a caller may set on create (id, timestamps, version and status are the store's). */
export interface PatientInput {
  fullName: string;
  preferredName?: string;
  /** any common format: "123.456.789-09", "12345678909" */
  cpf?: string;
  /** YYYY-MM-DD or DD/MM/YYYY */
  birthDate: string;
  sex?: Sex;
  phone?: string;
  email?: string;
  address?: string;
  guardian?: Guardian;
  alerts?: string[];
  notes?: string;
  status?: PatientStatus;
  /** true/false records consent now, by the actor */
  emailReminders?: boolean;
  /** reminders in this language instead of the clinic's (`clinic.locale`) */
  language?: Locale;
  /** true/false records WhatsApp consent now, by the actor (yes needs a phone with area code) */
  whatsappReminders?: boolean;
}

/** A partial update; `null` clears an optional field. */
export type PatientChanges = {
  [K in Exclude<keyof PatientInput, 'fullName' | 'birthDate' | 'emailReminders' | 'whatsappReminders' | 'alerts'>]?: PatientInput[K] | null;
} & {
  fullName?: string;
  birthDate?: string;
  /** replaces the whole list */
  alerts?: string[];
  /** added to the list (after `alerts`, if both); one already there (case and accents ignored) is left as is */
  addAlerts?: string[];
  /** taken from the list (case and accents ignored); one the patient does not have is refused */
  removeAlerts?: string[];
  emailReminders?: boolean;
  whatsappReminders?: boolean;
};

/** One row of the patient index (what `patients list` shows and searches; the record holds the rest). */
export interface PatientSummary {
  id: string;
  fullName: string;
  preferredName?: string;
  cpf?: string;
  phone?: string;
  birthDate?: string;
  status: PatientStatus;
  /** start instants (ISO) of every upcoming, not-cancelled appointment at the time of the last write (past ones stay until the next) */
  upcoming?: string[];
}

export interface Appointment {
  /** "A-20261201-k3f9q2": encodes its clinic-local date, so the record's key is known from the id */
  id: string;
  patientId: string;
  /** the dentist's name as booked (shown in reminders and lists; the record may be renamed later) */
  dentist: string;
  /** the dentist's record (dentists/{id}.json); absent only before the clinic recorded its dentists */
  dentistId?: string;
  /** the chair (room) held, if any (chairs/{id}.json) */
  chairId?: string;
  /** an encaixe: the rules it was booked (or moved) against, by code (see src/clinic/agenda-rules.ts) */
  overrode?: string[];
  /** ISO with the clinic's UTC offset: "2026-12-01T14:30:00-03:00" */
  start: string;
  durationMinutes: number;
  procedure?: string;
  status: AppointmentStatus;
  notes?: string;
  /** set when the appointment was moved to another day: the new appointment's id (this one is cancelled) */
  movedTo?: string;
  /** the appointment this one was moved from */
  movedFrom?: string;
  /** the id it was first booked under, when a move to another day gave it a new one (the visit's calendar UID) */
  firstId?: string;
  /** how many times it was moved to another time (absent: never); a reminder's .ics carries it as SEQUENCE */
  moves?: number;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface AppointmentInput {
  patientId: string;
  dentist: string;
  /** clinic-local "YYYY-MM-DD HH:MM" (or "YYYY-MM-DDTHH:MM"), or an ISO instant with offset/Z */
  at: string;
  durationMinutes: number;
  procedure?: string;
  notes?: string;
  /** a chair's id or name */
  chair?: string;
}

export const auditActions = [
  'patient.create',
  'patient.read',
  'patient.update',
  'patient.archive',
  'patient.import',
  'patient.export',
  'patient.anonymize',
  'patient.purge',
  'appointment.create',
  'appointment.move',
  'appointment.cancel',
  'appointment.confirm',
  'appointment.update',
] as const;
/** The actions above, or another area's own ("image.import", "reminder.send", …). */
export type AuditAction = (typeof auditActions)[number] | (string & {});

export interface AuditEntry {
  id: string;
  /** ISO instant (UTC) */
  at: string;
  /** "cli:user@host" or "staff:<id>" */
  actor: string;
  action: AuditAction;
  patientId?: string;
  details?: Record<string, unknown>;
}
