/**
 * Staff accounts for the backend: who may use the staff page and the API, with which role.
 *
 * A record lives at `staff/{id}.json` in the data bucket. Each member gets a secret token, shown once when
 * the account is made; the bucket keeps only its SHA-256 (the token is 32 random bytes, so a plain hash is
 * enough — no password stretching needed). The token names its account (`<id>.<secret>`), so checking one
 * is a single read, and the comparison is constant-time.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { slug } from '../config/load.js';
import { ClinicaError, notFound, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';

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

export interface StaffRecord {
  /** "ana-souza-k3f9": readable, unique; the audit log names staff as "staff:<id>" */
  id: string;
  name: string;
  role: StaffRole;
  /** SHA-256 of the token, hex */
  tokenHash: string;
  createdAt: string;
  createdBy: string;
  revokedAt?: string;
  revokedBy?: string;
}

/** A staff record without its token hash: what lists, the API and the page see. */
export type StaffMember = Omit<StaffRecord, 'tokenHash'>;

export const staffKey = (id: string) => `staff/${id}.json`;
/** The audit identity of a staff member. */
export const staffActor = (id: string) => `staff:${id}`;

const ID_PATTERN = /^[a-z0-9][a-z0-9-]{0,40}$/;
const TOKEN_PATTERN = /^([a-z0-9][a-z0-9-]{0,40})\.([A-Za-z0-9_-]{43})$/;

export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

export function publicStaff(record: StaffRecord): StaffMember {
  const { tokenHash: _hash, ...rest } = record;
  return rest;
}

function checkRole(role: string): StaffRole {
  if (!(staffRoles as readonly string[]).includes(role)) {
    throw usageError(`role "${role}": expected one of ${staffRoles.join(', ')}`, { field: 'role' });
  }
  return role as StaffRole;
}

function checkName(name: string): string {
  const trimmed = name.trim().replace(/\s+/g, ' ');
  if (!trimmed) throw usageError('expected the staff member\'s name', { field: 'name' });
  if (trimmed.length > 100) throw usageError('name: at most 100 characters', { field: 'name' });
  return trimmed;
}

function newId(name: string): string {
  const base = slug(name).slice(0, 30).replace(/-+$/, '') || 'staff';
  const suffix = randomBytes(4).readUInt32BE(0).toString(36).padStart(4, '0').slice(-4);
  return `${base}-${suffix}`;
}

export interface AddStaffResult {
  staff: StaffMember;
  /** the secret: shown once, never stored */
  token: string;
}

/** Creates a staff account and its token (If-None-Match: an id is never reused); audited as staff.add. */
export async function addStaff(store: Store, input: { name: string; role: string }, actor: string, now = new Date()): Promise<AddStaffResult> {
  const name = checkName(input.name);
  const role = checkRole(input.role);
  for (let attempt = 0; ; attempt++) {
    const id = newId(name);
    const token = `${id}.${randomBytes(32).toString('base64url')}`;
    const record: StaffRecord = { id, name, role, tokenHash: hashToken(token), createdAt: now.toISOString(), createdBy: actor };
    try {
      await store.putJson(staffKey(id), record, { ifNoneMatch: '*' });
      await audit(store, { actor, action: 'staff.add', details: { staffId: id, role } }, now);
      return { staff: publicStaff(record), token };
    } catch (err) {
      if (err instanceof ClinicaError && err.kind === 'conflict' && attempt < 3) continue;
      throw err;
    }
  }
}

export async function getStaffRecord(store: Store, id: string): Promise<StaffRecord | undefined> {
  if (!ID_PATTERN.test(id)) return undefined;
  return (await store.getJson<StaffRecord>(staffKey(id)))?.value;
}

export async function getStaff(store: Store, id: string): Promise<StaffMember> {
  const record = await getStaffRecord(store, id);
  if (!record) throw notFound(`no staff member with id "${id}"`, { field: 'id', hint: 'see `clinica staff list`' });
  return publicStaff(record);
}

/** Every staff account (revoked ones too, marked), by name. */
export async function listStaff(store: Store): Promise<StaffMember[]> {
  const keys: string[] = [];
  for await (const item of store.list('staff/')) if (item.key.endsWith('.json')) keys.push(item.key);
  const records = await Promise.all(keys.map(async (key) => (await store.getJson<StaffRecord>(key))?.value));
  return records
    .filter((r): r is StaffRecord => r !== undefined)
    .map(publicStaff)
    .sort((a, b) => a.name.localeCompare(b.name, 'pt-BR') || a.id.localeCompare(b.id));
}

/** Revokes an account (audited as staff.revoke): its token stops working — on a running server within its cache time (15 s). */
export async function revokeStaff(store: Store, id: string, actor: string, now = new Date()): Promise<StaffMember> {
  const got = ID_PATTERN.test(id) ? await store.getJson<StaffRecord>(staffKey(id)) : undefined;
  if (!got) throw notFound(`no staff member with id "${id}"`, { field: 'id', hint: 'see `clinica staff list`' });
  if (got.value.revokedAt) return publicStaff(got.value);
  const record: StaffRecord = { ...got.value, revokedAt: now.toISOString(), revokedBy: actor };
  await store.putJson(staffKey(id), record, { ifMatch: got.etag });
  await audit(store, { actor, action: 'staff.revoke', details: { staffId: id } }, now);
  return publicStaff(record);
}

/** The account id a token names, or undefined if it is not shaped like a token. */
export function tokenStaffId(token: string): string | undefined {
  return TOKEN_PATTERN.exec(token)?.[1];
}

const DUMMY_HASH = Buffer.alloc(32);

/**
 * The active staff member a token belongs to, or undefined (malformed, unknown, wrong secret, revoked).
 * The hash comparison is constant-time.
 */
export async function verifyStaffToken(store: Store, token: string): Promise<StaffMember | undefined> {
  const id = tokenStaffId(token);
  const presented = createHash('sha256').update(token).digest();
  const record = id ? await getStaffRecord(store, id) : undefined;
  const stored = record && /^[0-9a-f]{64}$/.test(record.tokenHash) ? Buffer.from(record.tokenHash, 'hex') : DUMMY_HASH;
  const same = timingSafeEqual(presented, stored);
  if (!record || !same || record.revokedAt) return undefined;
  return publicStaff(record);
}
