/**
 * The staff API's request and response shapes, defined once: the routes (src/server/routes*) build these and
 * the staff page (src/web) reads them. Types only — nothing here reaches the page's bundle at run time, and
 * the records themselves are src/clinic's types, so the page sees the same fields the server stores.
 */
import type { Appointment, AppointmentStatus, Guardian, Patient, PatientChanges, PatientInput, PatientStatus, PatientSummary, Sex } from '../clinic/types.js';
import type { AppointmentBrief } from '../clinic/patient-appointments.js';
import type { FutureAppointment } from '../clinic/patient-status.js';
import type { ImageKind, ImageStatus } from '../clinic/images.js';
import type { Permission, StaffMember, StaffRole } from '../clinic/staff.js';
import type { SessionRecord } from '../clinic/sessions.js';
import type { ErrorBody } from '../server/http.js';
import type { ChairRecord, DentistRecord } from '../clinic/dentists.js';
import type { Opening } from '../config/site.js';
import type { AnswerListItem, PatientAnswer } from '../clinic/patient-answers.js';
import type { WhatsAppDelivery } from '../clinic/whatsapp-replies.js';

export type { ChairRecord, DentistRecord, Opening };
export type { Appointment, AppointmentBrief, AppointmentStatus, FutureAppointment, Guardian, ImageKind, ImageStatus, Patient, PatientStatus, PatientSummary, Permission, Sex, StaffMember, StaffRole };

/**
 * Every refusal (src/server/http.ts): `code` (+ `reason`, + `params`) is what the page words in its language;
 * `message` is English detail. Reason `future-appointments` adds `appointments`: FutureAppointment[].
 */
export type ApiErrorBody = ErrorBody;


/** GET /api/appointments?date= (or from/to): each appointment with its patient's name from the index. */
export interface AgendaResponse {
  from: string;
  to: string;
  timeZone: string;
  appointments: AgendaAppointment[];
}
export type AgendaAppointment = Appointment & {
  patientName?: string;
  patientPhone?: string;
  /** how far the appointment's WhatsApp reminder got (sent, delivered, read, failed) and when; absent: none sent */
  whatsapp?: WhatsAppDelivery;
};

/** POST /api/appointments */
export interface BookRequest {
  patientId: string;
  /** clinic-local "YYYY-MM-DD HH:MM" */
  at: string;
  durationMinutes: number;
  dentist: string;
  /** a chair's id or name */
  chair?: string;
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
/** GET /api/patients/:id: the record and its appointments (an audited read); the images are GET …/images */
export interface PatientResponse {
  patient: Patient;
  etag: string;
  appointments: AppointmentBrief[];
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

/**
 * Signing in, enrolment, "Minha conta" and "Equipe" (routes/sign-in.ts, account.ts, team.ts). Errors have the
 * server's stable shape (ApiErrorBody); the reasons below are what the page words them by.
 *
 * Sign-in:     POST /api/sign-in                  SignInRequest → SignInStep (sets the session cookie)
 *              POST /api/sign-in/code             SecondFactorRequest → SignedIn
 *              POST /api/sign-in/passkey/options  → PasskeyOptionsReply
 *              POST /api/sign-in/passkey          PasskeyVerifyRequest → SignedIn
 *              POST /api/sign-out                 → 204
 * Invitation:  POST /api/invitation               InvitationLookupRequest → InvitationInfo
 *              POST /api/invitation/accept        AcceptInvitationRequest → SignInStep
 * Enrolment:   POST /api/enrol/totp               → TotpEnrolmentReply
 *              POST /api/enrol/totp/verify        CodeRequest → RecoveryCodesReply (an `enrol` session becomes full)
 *              POST /api/enrol/passkey/options    → PasskeyOptionsReply
 *              POST /api/enrol/passkey            PasskeyVerifyRequest → PasskeyReply (an `enrol` session becomes full)
 * Me:          GET  /api/me                       → MeReply
 *              POST /api/me/password              ChangePasswordRequest → MeReply (other sessions end)
 *              POST /api/me/recovery-codes        → RecoveryCodesReply
 *              GET  /api/me/passkeys              → PasskeysReply;  DELETE /api/me/passkeys/:id → 204
 *              GET  /api/me/sessions              → SessionsReply;  DELETE /api/me/sessions/:id → 204
 * Team (admin): GET /api/staff → TeamReply;  POST /api/staff InviteRequest → InviteReply
 *              PATCH /api/staff/:id EditStaffRequest → StaffReply
 *              POST /api/staff/:id/reset → InviteReply;  POST /api/staff/:id/revoke → StaffReply
 *              POST /api/staff/:id/end-sessions → EndedSessionsReply
 *              GET /api/tokens → TokensReply;  POST /api/tokens CreateTokenRequest → CreatedTokenReply
 *              POST /api/tokens/:id/revoke → RevokedTokenReply
 */
/** 401 reasons: why the page must sign in (again) — shown before asking, so an open form is not silently lost. */
export type SignedOutReason = 'signed-out' | 'second-factor' | 'idle' | 'expired' | 'ended' | 'revoked' | 'token';

/** Other refusal reasons of these endpoints. */
export type AuthRefusalReason =
  | 'wrong-credentials'
  | 'wrong-code'
  | 'wrong-password'
  | 'passkey-invalid'
  | 'invitation-invalid'
  | 'cross-origin'
  | 'too-short'
  | 'too-long'
  | 'contains-name'
  | 'common'
  | 'email-taken';

export interface SignInRequest {
  email: string;
  password: string;
}

/** What comes next: a code (or passkey), enrolling a second factor, or nothing (signed in). */
export type SignInStep =
  | { next: 'second-factor'; methods: ('totp' | 'recovery-code' | 'passkey')[] }
  | { next: 'enrol'; staff: StaffMember }
  | ({ next: 'done' } & MeReply);

export type SecondFactorRequest = { code: string } | { recoveryCode: string };
export interface CodeRequest {
  code: string;
}

export type SignedIn = { next: 'done'; recoveryCodesLeft?: number } & MeReply;

/** PublicKeyCredentialCreationOptionsJSON / RequestOptionsJSON, for @simplewebauthn/browser. */
export interface PasskeyOptionsReply {
  options: Record<string, unknown> & { challenge: string };
}
/** `response`: what @simplewebauthn/browser's startRegistration / startAuthentication returned. */
export interface PasskeyVerifyRequest {
  response: Record<string, unknown> & { id: string };
  /** a name for a new passkey, e.g. "iPhone da Ana" */
  name?: string;
}

export interface InvitationLookupRequest {
  token: string;
}
export interface InvitationInfo {
  name: string;
  email?: string;
  clinicName: string;
  expiresAt: string;
  password: { min: number; max: number };
  /** true: a second factor must be enrolled after the password */
  secondFactorRequired: boolean;
}
export interface AcceptInvitationRequest {
  token: string;
  password: string;
}

export interface TotpEnrolmentReply {
  /** base32 key, to type into the app by hand */
  secret: string;
  uri: string;
  /** the QR code as a data: URL of an SVG image (allowed by the page's CSP img-src) */
  qrDataUrl: string;
}
export interface RecoveryCodesReply {
  /** shown once: 10 single-use codes */
  recoveryCodes: string[];
  /** present when the enrolment finished signing in */
  me?: MeReply;
}

export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: string;
  lastUsedAt?: string;
}
export interface PasskeyReply {
  passkey: PasskeyInfo;
  me?: MeReply;
}
export interface PasskeysReply {
  passkeys: PasskeyInfo[];
}

export interface MeReply {
  staff: StaffMember;
  permissions: readonly Permission[];
  /** how this request is signed in */
  auth: { via: 'session' | 'token'; sessionId?: string; expiresAt?: string; idleMinutes: number };
  /** the demo account on target local (the page says "demonstração") */
  demo?: boolean;
}

export interface ChangePasswordRequest {
  currentPassword: string;
  newPassword: string;
}

export type SessionInfo = Pick<SessionRecord, 'id' | 'createdAt' | 'lastSeenAt' | 'expiresAt' | 'ip' | 'userAgent' | 'method'> & {
  /** the session this request is made in */
  current: boolean;
};
export interface SessionsReply {
  sessions: SessionInfo[];
}

export interface TeamMember extends StaffMember {
  openSessions: number;
}
export interface TeamReply {
  staff: TeamMember[];
}
export interface InviteRequest {
  name: string;
  email: string;
  role: StaffRole;
}
export interface InviteReply {
  staff: StaffMember;
  invitation: { id: string; invitationUrl: string; expiresAt: string; emailed: boolean };
}
export interface EditStaffRequest {
  role?: StaffRole;
  email?: string;
}
export interface StaffReply {
  staff: StaffMember;
}

export interface ApiTokenInfo {
  id: string;
  name: string;
  staffId: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: string;
}
export interface TokensReply {
  tokens: ApiTokenInfo[];
}
export interface CreateTokenRequest {
  name: string;
  /** the account the token acts as (default: the admin creating it) */
  staffId?: string;
  /** default 90 */
  days?: number;
}
export interface CreatedTokenReply {
  apiToken: ApiTokenInfo;
  /** shown once */
  token: string;
}
export interface RevokedTokenReply {
  apiToken: ApiTokenInfo;
}
export interface EndedSessionsReply {
  /** how many sessions were ended */
  ended: number;
}

/** GET /api/chairs */
export interface ChairListResponse {
  chairs: ChairRecord[];
}
