/**
 * The staff API's request and response shapes, defined once: the routes (src/server/routes*) build these and
 * the staff page (src/web) reads them. Types only — nothing here reaches the page's bundle at run time, and
 * the records themselves are src/clinic's types, so the page sees the same fields the server stores.
 */
import type { Appointment, AppointmentStatus, Guardian, Patient, PatientChanges, PatientInput, PatientStatus, PatientSummary, Sex } from '../clinic/types.js';
import type { AppointmentBrief } from '../clinic/patient-appointments.js';
import type { FutureAppointment } from '../clinic/patient-status.js';
import type { ImageKind, ImageStatus } from '../clinic/images.js';
import type { Permission, StaffMember } from '../clinic/staff.js';
import type { ErrorBody } from '../server/http.js';
import type { ChairRecord, DentistRecord } from '../clinic/dentists.js';
import type { Opening } from '../config/site.js';
import type { AnswerListItem, PatientAnswer } from '../clinic/patient-answers.js';

export type { ChairRecord, DentistRecord, Opening };
export type { Appointment, AppointmentBrief, AppointmentStatus, FutureAppointment, Guardian, ImageKind, ImageStatus, Patient, PatientStatus, PatientSummary, Permission, Sex, StaffMember };

/**
 * Every refusal (src/server/http.ts): `code` (+ `reason`, + `params`) is what the page words in its language;
 * `message` is English detail. Reason `future-appointments` adds `appointments`: FutureAppointment[].
 */
export type ApiErrorBody = ErrorBody;

/** Signing in, enrolment, Minha conta and Equipe: their shapes are src/server/auth-api.ts's. */
export type {
  MeReply,
  PasskeyOptionsReply,
  PasskeyVerifyRequest,
  SecondFactorRequest,
  SignedIn,
  SignInRequest,
  SignInStep,
  InvitationInfo,
  AcceptInvitationRequest,
  TotpEnrolmentReply,
  RecoveryCodesReply,
  PasskeyReply,
} from '../server/auth-api.js';

/** POST /api/login and GET /api/me */
export interface LoginRequest {
  token: string;
}
export interface SessionResponse {
  staff: StaffMember;
  permissions: readonly Permission[];
}

/** GET /api/appointments?date= (or from/to): each appointment with its patient's name from the index. */
export interface AgendaResponse {
  from: string;
  to: string;
  timeZone: string;
  appointments: AgendaAppointment[];
}
export type AgendaAppointment = Appointment & { patientName?: string };

/** POST /api/appointments */
export interface BookRequest {
  patientId: string;
  /** clinic-local "YYYY-MM-DD HH:MM" */
  at: string;
  durationMinutes: number;
  dentist: string;
  procedure?: string;
  notes?: string;
  force?: boolean;
}
/** POST /api/appointments/:id/move */
export interface MoveRequest {
  at: string;
  force?: boolean;
}
/** POST /api/appointments/:id/cancel */
export interface CancelRequest {
  reason?: string;
}
/** an appointment written (book, move, cancel, confirm, done, no-show) */
export interface AppointmentResponse {
  appointment: Appointment;
  etag?: string;
}

/** GET /api/patients?search=&limit=&offset= (CPF masked) */
export interface PatientListResponse {
  total: number;
  offset: number;
  limit: number;
  patients: PatientSummary[];
}
/** GET /api/patients/:id: the record, its appointments and image count (an audited read) */
export interface PatientResponse {
  patient: Patient;
  etag: string;
  appointments: AppointmentBrief[];
  imageCount: number;
}
/** POST /api/patients */
export type CreatePatientRequest = Omit<PatientInput, 'birthDate'> & { birthDate?: string; force?: boolean };
/** PATCH /api/patients/:id (with If-Match): only what changed; `null` clears */
export type UpdatePatientRequest = PatientChanges & { cancelAppointments?: boolean; keepAppointments?: boolean };
/** a patient written; a status change leaving care says what became of the future appointments */
export interface PatientWriteResponse {
  patient: Patient;
  etag: string;
  appointmentsCancelled?: Appointment[];
  appointmentsKept?: FutureAppointment[];
}

/** One image of GET /api/patients/:id/images: short-lived links to its derivatives once ready. */
export interface ImageView {
  id: string;
  status: ImageStatus;
  kind?: ImageKind;
  takenAt?: string;
  teeth?: number[];
  notes?: string;
  fileName?: string;
  width?: number;
  height?: number;
  importedAt?: string;
  importedBy?: string;
  /** why it failed (English), and the code and values the page words it by */
  error?: string;
  errorCode?: string;
  errorParams?: Record<string, string | number>;
  urls: Partial<Record<'thumb' | 'display' | 'shared', string>>;
}
export interface ImageListResponse {
  patientId: string;
  /** how long the links work */
  expiresInSeconds: number;
  images: ImageView[];
}
/** POST /api/patients/:id/images: announces an upload; the file goes by the presigned request it answers */
export interface UploadRequest {
  fileName?: string;
  contentType: string;
  size?: number;
  kind?: string;
  takenAt?: string;
  teeth?: number[] | string;
  notes?: string;
  watermark?: boolean;
}
export interface UploadResponse {
  image: { id: string; status: ImageStatus; kind: ImageKind };
  upload: { method: 'PUT'; url: string; headers: Record<string, string>; expiresInSeconds: number };
}

/** GET /api/dentists[?all=1] */
export interface DentistListResponse {
  dentists: DentistRecord[];
}
/** GET /api/appointments/free: the next free slots within the hours */
export interface FreeSlotsResponse {
  from: string;
  to: string;
  timeZone: string;
  durationMinutes: number;
  slots: { dentistId: string; start: string; end: string }[];
}

/** GET /api/answers[?unseen=1]: the patients' answers from their reminder links, newest first */
export interface AnswersResponse {
  answers: AnswerListItem[];
  /** how many no one has marked seen yet */
  unseen: number;
}
/** POST /api/answers/:id/seen */
export interface AnswerSeenResponse {
  answer: PatientAnswer;
}
