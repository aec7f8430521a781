/**
 * Staff accounts for the backend: who may use the staff page and the API, with which role, and how they prove
 * it (src/clinic/passwords.ts, second-factor.ts, sessions.ts, api-tokens.ts).
 *
 * A record lives at `staff/{id}.json` in the data bucket; `staff-emails/{sha256(e-mail)}.json` maps an e-mail
 * to its account (sign-in reads one object; the e-mail itself is not in a key). A new account gets a one-time
 * invitation (single use, 72 h) where the person sets a password and enrols a second factor; only the
 * invitation's SHA-256 is stored (it is 32 random bytes, so a plain hash is enough). `authEpoch` goes up at
 * every revoke, reset and password change: a session of an older epoch is refused at once (sessions.ts).
 *
 * Accounts made before e-mail sign-in carry `tokenHash`, the hash of their `<id>.<secret>` token: it keeps
 * working as an API token until the account is reset or revoked.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { slug } from '../config/load.js';
import { ClinicaError, notFound, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { checkNewPassword, hashPassword, verifyPassword } from './passwords.js';

export const staffRoles = ['admin', 'dentist', 'assistant', 'reception'] as const;
export type StaffRole = (typeof staffRoles)[number];

/** What a role may touch. reception: patients + appointments; dentist/assistant: + images; admin: + staff + audit. */
export type Permission = 'patients' | 'appointments' | 'images' | 'staff' | 'audit';

const permissions: Record<StaffRole, readonly Permission[]> = {
  reception: ['patients', 'appointments'],
  assistant: ['patients', 'appointments', 'images'],
  dentist: ['patients', 'appointments', 'images'],
  admin: ['patients', 'appointments', 'images', 'staff', 'audit'],
};

export function can(role: StaffRole, permission: Permission): boolean {
  return permissions[role].includes(permission);
}

export function permissionsOf(role: StaffRole): readonly Permission[] {
  return permissions[role];
}

/** A WebAuthn credential (passkey) of a staff member. */
export interface Passkey {
  /** the credential id, base64url */
  id: string;
  /** the COSE public key, base64url */
  publicKey: string;
  counter: number;
  transports?: string[];
  name: string;
  createdAt: string;
  lastUsedAt?: string;
}

export interface StaffRecord {
  /** "ana-souza-k3f9": readable, unique; the audit log names staff as "staff:<id>" */
  id: string;
  name: string;
  role: StaffRole;
  /** lower case; unique among accounts */
  email?: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
  /** the hash of a pre-e-mail `<id>.<secret>` token (SHA-256, hex) */
  tokenHash?: string;
  /** scrypt (passwords.ts) */
  passwordHash?: string;
  passwordChangedAt?: string;
  totp?: { secret: string; enrolledAt: string; lastStep?: number };
  /** a TOTP key shown for enrolment, not yet confirmed with a code */
  pendingTotp?: { secret: string; createdAt: string };
  /** SHA-256 (hex) of the recovery codes not used yet */
  recoveryCodes?: string[];
  passkeys?: Passkey[];
  invitation?: { hash: string; createdAt: string; expiresAt: string };
  /** sessions of another epoch are ended */
  authEpoch?: number;
  lastSignInAt?: string;
  /** made by `clinica dev --demo`: on target local it may sign in without a second factor */
  demo?: boolean;
  /** invited by invite-all (it signed in with a token before): invited again when the link expires unused */
  fromToken?: boolean;
}

/** active: can sign in; invited: has not set a password yet; token-only: an account from before e-mail sign-in. */
export type StaffStatus = 'active' | 'invited' | 'revoked' | 'token-only';

/** A staff record without its secrets: what lists, the API and the page see. */
export interface StaffMember {
  id: string;
  name: string;
  role: StaffRole;
  email?: string;
  status: StaffStatus;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
  lastSignInAt?: string;
  invitationExpiresAt?: string;
  secondFactor: { totp: boolean; passkeys: number; recoveryCodesLeft: number };
  demo?: boolean;
}

export const staffKey = (id: string) => `staff/${id}.json`;
const emailKey = (email: string) => `staff-emails/${createHash('sha256').update(email).digest('hex')}.json`;
/** The audit identity of a staff member. */
export const staffActor = (id: string) => `staff:${id}`;

/** Where a change came from, for the audit log: the client's address when made through the API. */
export interface RequestSource {
  ip?: string;
}

export const INVITATION_HOURS = 72;
const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,40}$/;
/** `<staff id>.<secret>`: invitations, and the tokens of accounts from before e-mail sign-in */
const TOKEN_PATTERN = /^([a-z0-9][a-z0-9-]{0,40})\.([A-Za-z0-9_-]{43})$/;
const EMAIL = /^[^\s@<>()",;:]{1,64}@[^\s@<>()",;:]+\.[^\s@<>()",;:]{2,}$/;

export const sha256Hex = (text: string) => createHash('sha256').update(text).digest('hex');
/** @deprecated name kept for callers of the token era */
export const hashToken = sha256Hex;

/** Constant-time comparison of two hex digests (false when either is malformed). */
export function sameDigest(presentedHex: string, storedHex: string | undefined): boolean {
  const a = Buffer.from(presentedHex, 'hex');
  const b = storedHex && /^[0-9a-f]{64}$/.test(storedHex) ? Buffer.from(storedHex, 'hex') : Buffer.alloc(32);
  return a.length === 32 && timingSafeEqual(a, b) && storedHex !== undefined;
}

export function staffStatus(record: StaffRecord): StaffStatus {
  if (record.revokedAt) return 'revoked';
  if (record.passwordHash) return 'active';
  if (record.invitation) return 'invited';
  return record.tokenHash ? 'token-only' : 'invited';
}

export function publicStaff(record: StaffRecord): StaffMember {
  const member: StaffMember = {
    id: record.id,
    name: record.name,
    role: record.role,
    status: staffStatus(record),
    createdAt: record.createdAt,
    createdBy: record.createdBy,
    secondFactor: { totp: Boolean(record.totp), passkeys: record.passkeys?.length ?? 0, recoveryCodesLeft: record.recoveryCodes?.length ?? 0 },
  };
  if (record.email) member.email = record.email;
  if (record.revokedAt) Object.assign(member, { revokedAt: record.revokedAt, revokedBy: record.revokedBy });
  if (record.lastSignInAt) member.lastSignInAt = record.lastSignInAt;
  if (record.invitation && !record.revokedAt) member.invitationExpiresAt = record.invitation.expiresAt;
  if (record.demo) member.demo = true;
  return member;
}

export function checkRole(role: string): StaffRole {
  if (!(staffRoles as readonly string[]).includes(role)) {
    throw usageError(`role "${role}": expected one of ${staffRoles.join(', ')}`, { field: 'role', reason: 'role' });
  }
  return role as StaffRole;
}

function checkName(name: string): string {
  const trimmed = name.trim().replace(/\s+/g, ' ');
  if (!trimmed) throw usageError("expected the staff member's name", { field: 'name' });
  if (trimmed.length > 100) throw usageError('name: at most 100 characters', { field: 'name' });
  return trimmed;
}

export function checkEmail(email: string): string {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e) || e.length > 254) throw usageError(`e-mail "${email.slice(0, 80)}": expected an address like ana@clinica.com.br`, { field: 'email', reason: 'email' });
  return e;
}

function newId(name: string): string {
  const base = slug(name).slice(0, 30).replace(/-+$/, '') || 'staff';
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(4, '0').slice(-4);
  return `${base}-${suffix}`;
}

/** A one-time invitation: the token goes in the link; only its hash is kept. */
export interface Invitation {
  id: string;
  token: string;
  expiresAt: string;
}

function newInvitation(id: string, now: Date): { invitation: Invitation; stored: NonNullable<StaffRecord['invitation']> } {
  const token = `${id}.${randomBytes(32).toString('base64url')}`;
  const expiresAt = new Date(now.getTime() + INVITATION_HOURS * 3600_000).toISOString();
  return { invitation: { id, token, expiresAt }, stored: { hash: sha256Hex(token), createdAt: now.toISOString(), expiresAt } };
}

/** The page's address for an invitation; the token is in the fragment, so it never reaches a server log. */
export const invitationUrl = (pageUrl: string, token: string) => `${pageUrl.replace(/\/+$/, '')}/#invitation=${token}`;

async function emailOwner(store: Store, email: string): Promise<string | undefined> {
  const owner = (await store.getJson<{ staffId: string }>(emailKey(email)))?.value.staffId;
  if (!owner) return undefined;
  const record = await getStaffRecord(store, owner);
  return record && record.email === email ? owner : undefined;
}

const emailTaken = (email: string) =>
  new ClinicaError('conflict', `another staff account already uses ${email}`, { field: 'email', reason: 'email-taken', exitCode: 2, hint: 'see `clinica staff list`' });

/**
 * Claims an e-mail for an account: a new index entry with If-None-Match, a stale one (its account has another
 * e-mail now, or is gone) replaced with If-Match — so two admins racing for one e-mail cannot both get it.
 */
async function claimEmail(store: Store, email: string, staffId: string): Promise<void> {
  const key = emailKey(email);
  const got = await store.getJson<{ staffId: string }>(key);
  try {
    if (!got) {
      await store.putJson(key, { staffId }, { ifNoneMatch: '*' });
      return;
    }
    if (got.value.staffId === staffId) return;
    const holder = await getStaffRecord(store, got.value.staffId);
    if (holder && holder.email === email) throw emailTaken(email);
    await store.putJson(key, { staffId }, { ifMatch: got.etag });
  } catch (err) {
    if (err instanceof ClinicaError && err.kind === 'conflict') throw emailTaken(email);
    throw err;
  }
}

export interface AddStaffResult {
  staff: StaffMember;
  /** the invitation of an account with an e-mail */
  invitation?: Invitation;
  /** an API token for an account without e-mail (scripts and tests): shown once, never stored */
  token?: string;
}

/**
 * Creates a staff account (If-None-Match: an id is never reused); audited as staff.add. With an e-mail it gets an
 * invitation; without one it is a script account and gets an API token.
 */
export async function addStaff(
  store: Store,
  input: { name: string; role: string; email?: string; demo?: boolean },
  actor: string,
  now = new Date(),
  source: RequestSource = {},
): Promise<AddStaffResult> {
  const name = checkName(input.name);
  const role = checkRole(input.role);
  const email = input.email !== undefined ? checkEmail(input.email) : undefined;
  if (email && (await emailOwner(store, email))) throw emailTaken(email);
  for (let attempt = 0; ; attempt++) {
    const id = newId(name);
    if (await store.head(staffKey(id))) continue; // an id is never reused
    const record: StaffRecord = { id, name, role, createdAt: now.toISOString(), createdBy: actor, authEpoch: 1 };
    if (input.demo) record.demo = true;
    let invitation: Invitation | undefined;
    if (email) {
      record.email = email;
      const made = newInvitation(id, now);
      invitation = made.invitation;
      record.invitation = made.stored;
      await claimEmail(store, email, id); // first: a refused e-mail leaves no account behind
    }
    try {
      await store.putJson(staffKey(id), record, { ifNoneMatch: '*' });
    } catch (err) {
      if (err instanceof ClinicaError && err.kind === 'conflict' && attempt < 3) continue;
      throw err;
    }
    await audit(store, { actor, action: 'staff.add', details: { staffId: id, role, ...(email ? { invited: true } : {}), ...source } }, now);
    const result: AddStaffResult = { staff: publicStaff(record) };
    if (invitation) result.invitation = invitation;
    else {
      const { createApiToken } = await import('./api-tokens.js');
      result.token = (await createApiToken(store, { staffId: id, name: 'first token' }, actor, now)).token;
    }
    return result;
  }
}

export async function getStaffRecord(store: Store, id: string): Promise<StaffRecord | undefined> {
  if (!ID_PATTERN.test(id)) return undefined;
  return (await store.getJson<StaffRecord>(staffKey(id)))?.value;
}

const noSuchStaff = (id: string) => notFound(`no staff member with id "${id}"`, { field: 'id', reason: 'staff-not-found', hint: 'see `clinica staff list`' });

export async function getStaff(store: Store, id: string): Promise<StaffMember> {
  const record = await getStaffRecord(store, id);
  if (!record) throw noSuchStaff(id);
  return publicStaff(record);
}

/** The account of an e-mail (any case), or undefined. */
export async function findStaffByEmail(store: Store, email: string): Promise<StaffRecord | undefined> {
  const e = email.trim().toLowerCase();
  if (!EMAIL.test(e)) return undefined;
  const owner = await emailOwner(store, e);
  return owner ? getStaffRecord(store, owner) : undefined;
}

/** Every staff record, by name. */
export async function listStaffRecords(store: Store): Promise<StaffRecord[]> {
  const keys: string[] = [];
  for await (const item of store.list('staff/')) if (item.key.endsWith('.json')) keys.push(item.key);
  const records = await Promise.all(keys.map(async (key) => (await store.getJson<StaffRecord>(key))?.value));
  return records.filter((r): r is StaffRecord => r !== undefined).sort((a, b) => a.name.localeCompare(b.name, 'pt-BR') || a.id.localeCompare(b.id));
}

/** Every staff account (revoked ones too, marked), by name. */
export async function listStaff(store: Store): Promise<StaffMember[]> {
  return (await listStaffRecords(store)).map(publicStaff);
}

/**
 * Read–change–write of one record with If-Match on its ETag (a change made meanwhile is a 409, never lost).
 * `change` returns the new record, or undefined to leave it as it is.
 */
export async function updateStaffRecord(
  store: Store,
  id: string,
  change: (record: StaffRecord) => StaffRecord | undefined | Promise<StaffRecord | undefined>,
): Promise<StaffRecord> {
  const got = ID_PATTERN.test(id) ? await store.getJson<StaffRecord>(staffKey(id)) : undefined;
  if (!got) throw noSuchStaff(id);
  const next = await change(structuredClone(got.value));
  if (!next) return got.value;
  await store.putJson(staffKey(id), next, { ifMatch: got.etag });
  return next;
}

/** Ends every way in of an account: epoch up (its sessions end at once), sessions deleted. */
function endAccess(record: StaffRecord): StaffRecord {
  record.authEpoch = (record.authEpoch ?? 0) + 1;
  return record;
}

async function deleteSessions(store: Store, id: string): Promise<void> {
  const { endStaffSessions } = await import('./sessions.js');
  await endStaffSessions(store, id);
}

/** Revokes an account (audited as staff.revoke): its sessions end at once, its API tokens stop working. */
export async function revokeStaff(store: Store, id: string, actor: string, now = new Date(), source: RequestSource = {}): Promise<StaffMember> {
  let changed = false;
  const record = await updateStaffRecord(store, id, async (r) => {
    if (r.revokedAt) return undefined;
    changed = true;
    return endAccess({ ...r, revokedAt: now.toISOString(), revokedBy: actor });
  });
  if (changed) {
    await deleteSessions(store, id);
    await audit(store, { actor, action: 'staff.revoke', details: { staffId: id, ...source } }, now);
  }
  return publicStaff(record);
}

/**
 * A new invitation for an account (audited as staff.reset): its password, second factors, old token and
 * sessions stop working at once. A revoked account stays revoked (reset does not undo a revoke).
 */
export async function resetStaff(store: Store, id: string, actor: string, now = new Date(), source: RequestSource = {}): Promise<{ staff: StaffMember; invitation: Invitation }> {
  let invitation: Invitation | undefined;
  const record = await updateStaffRecord(store, id, async (r) => {
    if (r.revokedAt) throw usageError(`${r.name} (${id}) is revoked; a revoked account cannot be reset`, { field: 'id', reason: 'revoked', hint: 'add the person again with `clinica staff add`' });
    if (!r.email) throw usageError(`${r.name} (${id}) has no e-mail to invite`, { field: 'email', reason: 'no-email', hint: `set one first: \`clinica staff edit ${id} --email …\`` });
    const made = newInvitation(id, now);
    invitation = made.invitation;
    const next: StaffRecord = { ...r, invitation: made.stored };
    for (const k of ['passwordHash', 'passwordChangedAt', 'totp', 'pendingTotp', 'recoveryCodes', 'passkeys', 'tokenHash'] as const) delete next[k];
    return endAccess(next);
  });
  await deleteSessions(store, id);
  await audit(store, { actor, action: 'staff.reset', details: { staffId: id, ...source } }, now);
  return { staff: publicStaff(record), invitation: invitation! };
}

/** Changes an account's role and/or e-mail (audited as staff.role / staff.email). */
export async function editStaff(store: Store, id: string, change: { role?: string; email?: string }, actor: string, now = new Date(), source: RequestSource = {}): Promise<StaffMember> {
  const role = change.role !== undefined ? checkRole(change.role) : undefined;
  const email = change.email !== undefined ? checkEmail(change.email) : undefined;
  if (email) await claimEmail(store, email, id);
  let before: StaffRecord | undefined;
  const record = await updateStaffRecord(store, id, (r) => {
    before = r;
    if ((role === undefined || role === r.role) && (email === undefined || email === r.email)) return undefined;
    return { ...r, ...(role ? { role } : {}), ...(email ? { email } : {}) };
  });
  if (role && before && before.role !== role) await audit(store, { actor, action: 'staff.role', details: { staffId: id, from: before.role, to: role, ...source } }, now);
  if (email && before && before.email !== email) await audit(store, { actor, action: 'staff.email', details: { staffId: id, ...source } }, now);
  return publicStaff(record);
}

/** The account an invitation token is for, if the token is right and not expired or used. */
export async function invitationAccount(store: Store, token: string, now = new Date()): Promise<StaffRecord | undefined> {
  const id = TOKEN_PATTERN.exec(token)?.[1];
  const record = id ? await getStaffRecord(store, id) : undefined;
  const same = sameDigest(sha256Hex(token), record?.invitation?.hash);
  if (!record || !same || record.revokedAt || !record.invitation || Date.parse(record.invitation.expiresAt) <= now.getTime()) return undefined;
  return record;
}

const invitationInvalid = () =>
  new ClinicaError('forbidden', 'this invitation link is not valid any more (used, expired or replaced)', {
    reason: 'invitation-invalid',
    hint: 'ask an admin for a new one (`clinica staff reset ID`)',
  });

/**
 * Accepts an invitation: the password is checked and set, the invitation is used up. Audited as
 * staff.invitation-accepted. The second factor is enrolled next, in the session this opens.
 */
export async function acceptInvitation(store: Store, token: string, password: unknown, clinicName: string, now = new Date(), source: RequestSource = {}): Promise<StaffRecord> {
  const found = await invitationAccount(store, token, now);
  if (!found) throw invitationInvalid();
  const chosen = await checkNewPassword(password, [found.name, found.email ?? '', clinicName]);
  const passwordHash = await hashPassword(chosen);
  const record = await updateStaffRecord(store, found.id, (r) => {
    if (!r.invitation || r.invitation.hash !== found.invitation!.hash) throw invitationInvalid();
    const next: StaffRecord = { ...r, passwordHash, passwordChangedAt: now.toISOString(), authEpoch: (r.authEpoch ?? 0) + 1 };
    delete next.invitation;
    delete next.tokenHash;
    return next;
  });
  await audit(store, { actor: staffActor(found.id), action: 'staff.invitation-accepted', details: { staffId: found.id, ...source } }, now);
  return record;
}

/**
 * Changes a password after the current one is re-entered (audited as staff.password): every other session of
 * the account ends (epoch up); the caller opens a new one for the person.
 */
export async function changePassword(store: Store, id: string, current: string, next: unknown, clinicName: string, now = new Date(), source: RequestSource = {}): Promise<StaffRecord> {
  const record = await getStaffRecord(store, id);
  if (!record?.passwordHash || !(await verifyPassword(current, record.passwordHash))) {
    throw new ClinicaError('forbidden', 'the current password is not right', { field: 'currentPassword', reason: 'wrong-password' });
  }
  const chosen = await checkNewPassword(next, [record.name, record.email ?? '', clinicName]);
  const passwordHash = await hashPassword(chosen);
  const updated = await updateStaffRecord(store, id, (r) => endAccess({ ...r, passwordHash, passwordChangedAt: now.toISOString() }));
  await deleteSessions(store, id);
  await audit(store, { actor: staffActor(id), action: 'staff.password', details: { staffId: id, ...source } }, now);
  return updated;
}

/** Sets a password directly (the demo account; no invitation). */
export async function setPassword(store: Store, id: string, password: string, now = new Date()): Promise<StaffRecord> {
  const passwordHash = await hashPassword(password);
  return updateStaffRecord(store, id, (r) => {
    const next = { ...r, passwordHash, passwordChangedAt: now.toISOString() };
    delete next.invitation;
    return next;
  });
}

export interface InviteAllItem {
  id: string;
  name: string;
  ok: boolean;
  staff?: StaffMember;
  invitation?: Invitation;
  error?: string;
}

/** A token-only account (made before e-mail sign-in) that needs an invitation. */
export interface DueInvitation {
  id: string;
  name: string;
  email?: string;
  /** never invited, or invited by invite-all and the link expired unused */
  why: 'token-only' | 'expired';
}

/**
 * The token-only accounts due an invitation: never invited, or invited by invite-all whose link expired before a
 * password was set. An account invited and not expired, active or revoked is not due (so a re-run invites no one twice).
 */
export async function invitationsDue(store: Store, now = new Date()): Promise<DueInvitation[]> {
  const due: DueInvitation[] = [];
  for (const r of await listStaffRecords(store)) {
    if (r.revokedAt || r.passwordHash) continue;
    const status = staffStatus(r);
    const expired = status === 'invited' && r.fromToken === true && r.invitation !== undefined && Date.parse(r.invitation.expiresAt) <= now.getTime();
    if (status !== 'token-only' && !expired) continue;
    due.push({ id: r.id, name: r.name, ...(r.email ? { email: r.email } : {}), why: expired ? 'expired' : 'token-only' });
  }
  return due;
}

/**
 * Invitations for the token-only accounts due one (invitationsDue; `only`: those the plan showed). Their records —
 * and so their audit history, which names them by id — are kept; their old token stops working. An account
 * without an e-mail is reported, not invited; one that is no longer due when its turn comes is skipped.
 */
export async function inviteAll(store: Store, actor: string, now = new Date(), only?: DueInvitation[]): Promise<InviteAllItem[]> {
  const out: InviteAllItem[] = [];
  const due = await invitationsDue(store, now);
  for (const d of only ? due.filter((x) => only.some((o) => o.id === x.id)) : due) {
    if (!d.email) {
      out.push({ id: d.id, name: d.name, ok: false, error: `no e-mail: set one with \`clinica staff edit ${d.id} --email …\`, then run invite-all again` });
      continue;
    }
    try {
      await updateStaffRecord(store, d.id, (r) => ({ ...r, fromToken: true }));
      const { staff, invitation } = await resetStaff(store, d.id, actor, now);
      out.push({ id: d.id, name: d.name, ok: true, staff, invitation });
    } catch (err) {
      out.push({ id: d.id, name: d.name, ok: false, error: (err as Error).message });
    }
  }
  return out;
}

/** The account id a pre-e-mail token names, or undefined if it is not shaped like one. */
export function tokenStaffId(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

/**
 * The active staff member a pre-e-mail token belongs to, or undefined (malformed, unknown, wrong secret,
 * revoked, reset). The hash comparison is constant-time.
 */
export async function verifyStaffToken(store: Store, token: string): Promise<StaffMember | undefined> {
  const id = tokenStaffId(token);
  const record = id ? await getStaffRecord(store, id) : undefined;
  const same = sameDigest(sha256Hex(token), record?.tokenHash);
  if (!record || !same || record.revokedAt) return undefined;
  return publicStaff(record);
}
