/**
 * The request and response shapes of the sign-in, account and team endpoints — types only, for the staff page
 * (src/web) to import. Errors have the server's stable shape (http.ts ErrorBody); the reasons below are what the
 * page translates by.
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
 *              POST /api/staff/:id/end-sessions → { ended: number }
 *              GET /api/tokens → TokensReply;  POST /api/tokens CreateTokenRequest → CreatedTokenReply
 *              POST /api/tokens/:id/revoke → { apiToken: ApiTokenInfo }
 */
import type { SessionRecord } from '../clinic/sessions.js';
import type { Permission, StaffMember, StaffRole } from '../clinic/staff.js';

export type { StaffMember, StaffRole, Permission };

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
