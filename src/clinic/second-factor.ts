/**
 * Second factors of a staff account: TOTP (RFC 6238 through otplib: 6 digits, 30 s, ±1 step, a code works once)
 * with 10 single-use recovery codes, and passkeys (WebAuthn through @simplewebauthn/server), which count as both
 * factors. otplib, qrcode and simplewebauthn load on first use. Every change is audited.
 */
import { createHash, randomBytes } from 'node:crypto';
import { ClinicaError, notFound, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { sameDigest, staffActor, updateStaffRecord, type Passkey, type RequestSource, type StaffRecord } from './staff.js';

export const TOTP_PERIOD = 30;
export const RECOVERY_CODES = 10;

/** Whether the account has a second factor enrolled. */
export const hasSecondFactor = (r: StaffRecord) => Boolean(r.totp) || (r.passkeys?.length ?? 0) > 0;

export interface TotpEnrolment {
  /** base32, for typing into an app by hand */
  secret: string;
  /** otpauth://totp/…: what the QR code holds */
  uri: string;
  /** the QR code as an SVG document */
  qrSvg: string;
}

/** A new TOTP key for the account, pending until a code from it is verified (confirmTotp). */
export async function startTotp(store: Store, staffId: string, issuer: string, now = new Date()): Promise<TotpEnrolment> {
  const [{ generateSecret, generateURI }, qrcode] = await Promise.all([import('otplib'), import('qrcode')]);
  const secret = generateSecret();
  const record = await updateStaffRecord(store, staffId, (r) => ({ ...r, pendingTotp: { secret, createdAt: now.toISOString() } }));
  const uri = generateURI({ issuer, label: record.email ?? record.id, secret });
  const qrSvg = await qrcode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return { secret, uri, qrSvg };
}

/** The time step a code matches (±1 step around `now`, after `afterStep`), or undefined. */
export async function totpStep(secret: string, code: string, now: Date, afterStep?: number): Promise<number | undefined> {
  if (!/^\d{6}$/.test(code)) return undefined;
  const { verify } = await import('otplib');
  const result = await verify({
    secret,
    token: code,
    epoch: Math.floor(now.getTime() / 1000),
    epochTolerance: TOTP_PERIOD,
    ...(afterStep !== undefined ? { afterTimeStep: afterStep } : {}),
  });
  return result.valid ? (result as { timeStep?: number }).timeStep : undefined;
}

/** Recovery codes: "abcde-fghij" (50 bits each), shown once; only their SHA-256 is kept. */
function newRecoveryCodes(): { codes: string[]; hashes: string[] } {
  const alphabet = 'abcdefghjkmnpqrstuvwxyz23456789';
  const codes = Array.from({ length: RECOVERY_CODES }, () => {
    const bytes = randomBytes(10);
    const chars = [...bytes].map((b) => alphabet[b % alphabet.length]).join('');
    return `${chars.slice(0, 5)}-${chars.slice(5)}`;
  });
  return { codes, hashes: codes.map(hashRecovery) };
}

const hashRecovery = (code: string) => createHash('sha256').update(code.trim().toLowerCase().replace(/[\s-]/g, '')).digest('hex');

const wrongCode = () => new ClinicaError('forbidden', 'the code is not right (or was used already)', { field: 'code', reason: 'wrong-code' });

/**
 * Confirms the pending TOTP key with a code from the app: the key becomes the account's, and 10 new recovery
 * codes are returned (shown once). Audited as staff.enrol-totp.
 */
export async function confirmTotp(store: Store, staffId: string, code: string, now = new Date(), source: RequestSource = {}): Promise<{ recoveryCodes: string[] }> {
  const recovery = newRecoveryCodes();
  let ok = false;
  await updateStaffRecord(store, staffId, async (r) => {
    if (!r.pendingTotp) throw usageError('no authenticator key is being enrolled: start again', { reason: 'no-pending-totp' });
    const step = await totpStep(r.pendingTotp.secret, code, now);
    if (step === undefined) return undefined;
    ok = true;
    const next: StaffRecord = { ...r, totp: { secret: r.pendingTotp.secret, enrolledAt: now.toISOString(), lastStep: step }, recoveryCodes: recovery.hashes };
    delete next.pendingTotp;
    return next;
  });
  if (!ok) throw wrongCode();
  await audit(store, { actor: staffActor(staffId), action: 'staff.enrol-totp', details: { staffId, ...source } }, now);
  return { recoveryCodes: recovery.codes };
}

/** New recovery codes (the old ones stop working); audited as staff.recovery-codes. */
export async function renewRecoveryCodes(store: Store, staffId: string, now = new Date(), source: RequestSource = {}): Promise<{ recoveryCodes: string[] }> {
  const recovery = newRecoveryCodes();
  await updateStaffRecord(store, staffId, (r) => {
    if (!r.totp) throw usageError('recovery codes come with an authenticator app: enrol one first', { reason: 'no-totp' });
    return { ...r, recoveryCodes: recovery.hashes };
  });
  await audit(store, { actor: staffActor(staffId), action: 'staff.recovery-codes', details: { staffId, ...source } }, now);
  return { recoveryCodes: recovery.codes };
}

/**
 * Checks a TOTP code and uses it up: the matched step is stored, so the same code (or an older one) is refused
 * afterwards. Throws 403 wrong-code.
 */
export async function useTotp(store: Store, staffId: string, code: string, now = new Date()): Promise<void> {
  let ok = false;
  await updateStaffRecord(store, staffId, async (r) => {
    if (!r.totp) return undefined;
    const step = await totpStep(r.totp.secret, code.replace(/\s/g, ''), now, r.totp.lastStep);
    if (step === undefined) return undefined;
    ok = true;
    return { ...r, totp: { ...r.totp, lastStep: step } };
  });
  if (!ok) throw wrongCode();
}

/** Checks a recovery code and uses it up (audited as staff.recovery-code-used, with how many are left). */
export async function useRecoveryCode(store: Store, staffId: string, code: string, now = new Date(), source: RequestSource = {}): Promise<{ left: number }> {
  const presented = hashRecovery(code);
  let left = -1;
  await updateStaffRecord(store, staffId, (r) => {
    const codes = r.recoveryCodes ?? [];
    const i = codes.findIndex((h) => sameDigest(presented, h));
    if (i === -1) return undefined;
    left = codes.length - 1;
    return { ...r, recoveryCodes: codes.filter((_, j) => j !== i) };
  });
  if (left < 0) throw wrongCode();
  await audit(store, { actor: staffActor(staffId), action: 'staff.recovery-code-used', details: { staffId, left, ...source } }, now);
  return { left };
}

/** Where a WebAuthn ceremony happens: the relying party id (the page's host name) and the page's origin. */
export interface RelyingParty {
  id: string;
  name: string;
  origin: string;
}

// @simplewebauthn/server's JSON shapes, loosely: the server checks them, the page passes them through
export type PasskeyOptions = Record<string, unknown> & { challenge: string };
export type PasskeyResponse = Record<string, unknown> & { id: string };

/** What every answer of an authenticator is checked against: this ceremony's challenge, this page, a verified user. */
const expected = (rp: RelyingParty, challenge: string) => ({ expectedChallenge: challenge, expectedOrigin: rp.origin, expectedRPID: rp.id, requireUserVerification: true });

/** Registration options for a new passkey of this account (its existing ones excluded). */
export async function passkeyRegistrationOptions(record: StaffRecord, rp: RelyingParty): Promise<PasskeyOptions> {
  const { generateRegistrationOptions } = await import('@simplewebauthn/server');
  return (await generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userName: record.email ?? record.id,
    userDisplayName: record.name,
    userID: new TextEncoder().encode(record.id),
    attestationType: 'none',
    excludeCredentials: (record.passkeys ?? []).map((p) => ({ id: p.id, transports: p.transports })),
    authenticatorSelection: { residentKey: 'required', userVerification: 'required' },
  })) as unknown as PasskeyOptions;
}

/** Verifies a registration and keeps the passkey (audited as staff.enrol-passkey). */
export async function addPasskey(
  store: Store,
  staffId: string,
  input: { response: PasskeyResponse; challenge: string; name?: string },
  rp: RelyingParty,
  now = new Date(),
  source: RequestSource = {},
): Promise<Passkey> {
  const { verifyRegistrationResponse } = await import('@simplewebauthn/server');
  let verified;
  try {
    verified = await verifyRegistrationResponse({
      response: input.response as never,
      ...expected(rp, input.challenge),
    });
  } catch (err) {
    throw new ClinicaError('forbidden', `the passkey could not be verified: ${(err as Error).message}`, { reason: 'passkey-invalid' });
  }
  if (!verified.verified) throw new ClinicaError('forbidden', 'the passkey could not be verified', { reason: 'passkey-invalid' });
  const c = verified.registrationInfo.credential;
  const passkey: Passkey = {
    id: c.id,
    publicKey: Buffer.from(c.publicKey).toString('base64url'),
    counter: c.counter,
    name: (input.name ?? '').replace(/[^\p{L}\p{N} ._'()-]/gu, '').trim().slice(0, 60) || `passkey ${now.toISOString().slice(0, 10)}`,
    createdAt: now.toISOString(),
  };
  if (c.transports?.length) passkey.transports = c.transports;
  await updateStaffRecord(store, staffId, (r) => {
    if ((r.passkeys ?? []).some((p) => p.id === passkey.id)) throw new ClinicaError('conflict', 'this passkey is registered already', { reason: 'passkey-exists' });
    return { ...r, passkeys: [...(r.passkeys ?? []), passkey] };
  });
  await audit(store, { actor: staffActor(staffId), action: 'staff.enrol-passkey', details: { staffId, passkey: passkey.id.slice(0, 16), ...source } }, now);
  return passkey;
}

/** Options for signing in with a passkey (discoverable: the authenticator picks the account). */
export async function passkeyAuthenticationOptions(rp: RelyingParty): Promise<PasskeyOptions> {
  const { generateAuthenticationOptions } = await import('@simplewebauthn/server');
  return (await generateAuthenticationOptions({ rpID: rp.id, userVerification: 'required' })) as unknown as PasskeyOptions;
}

/** The account id a passkey assertion names (its user handle), or undefined. */
export function passkeyUserId(response: PasskeyResponse): string | undefined {
  const handle = (response.response as { userHandle?: unknown } | undefined)?.userHandle;
  if (typeof handle !== 'string') return undefined;
  const id = Buffer.from(handle, 'base64url').toString('utf8');
  return /^[a-z0-9][a-z0-9-]{0,40}$/.test(id) ? id : undefined;
}

/** Verifies a passkey assertion for the account and updates its counter. Throws 403 passkey-invalid. */
export async function usePasskey(store: Store, staffId: string, input: { response: PasskeyResponse; challenge: string }, rp: RelyingParty, now = new Date()): Promise<Passkey> {
  const { verifyAuthenticationResponse } = await import('@simplewebauthn/server');
  const invalid = () => new ClinicaError('forbidden', 'the passkey was not accepted', { reason: 'passkey-invalid' });
  let used: Passkey | undefined;
  await updateStaffRecord(store, staffId, async (r) => {
    const passkey = (r.passkeys ?? []).find((p) => p.id === input.response.id);
    if (!passkey || r.revokedAt) throw invalid();
    let result;
    try {
      result = await verifyAuthenticationResponse({
        response: input.response as never,
        ...expected(rp, input.challenge),
        credential: { id: passkey.id, publicKey: Buffer.from(passkey.publicKey, 'base64url'), counter: passkey.counter, transports: passkey.transports },
      });
    } catch {
      throw invalid();
    }
    if (!result.verified) throw invalid();
    used = { ...passkey, counter: result.authenticationInfo.newCounter, lastUsedAt: now.toISOString() };
    return { ...r, passkeys: r.passkeys!.map((p) => (p.id === passkey.id ? used! : p)) };
  });
  return used!;
}

/** Removes one of the account's passkeys (audited as staff.remove-passkey). */
export async function removePasskey(store: Store, staffId: string, passkeyId: string, actor: string, now = new Date(), source: RequestSource = {}): Promise<void> {
  let found = false;
  await updateStaffRecord(store, staffId, (r) => {
    const left = (r.passkeys ?? []).filter((p) => p.id !== passkeyId);
    found = left.length !== (r.passkeys ?? []).length;
    return found ? { ...r, passkeys: left } : undefined;
  });
  if (!found) throw notFound(`no passkey "${passkeyId.slice(0, 40)}" on this account`, { field: 'id', reason: 'passkey-not-found' });
  await audit(store, { actor, action: 'staff.remove-passkey', details: { staffId, passkey: passkeyId.slice(0, 16), ...source } }, now);
}
