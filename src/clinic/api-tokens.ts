/**
 * Named API tokens for scripts: `Authorization: Bearer t_<id>.<secret>`, acting as one staff member (with that
 * member's role). An admin creates, lists and revokes them; each expires (default 90 days). Records live at
 * `api-tokens/{id}.json` with only the token's SHA-256 (32 random bytes: a plain hash is enough). A token of a
 * revoked account stops working with it.
 */
import { randomBytes } from 'node:crypto';
import { notFound, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { getStaffRecord, publicStaff, sameDigest, sha256Hex, type RequestSource, type StaffMember } from './staff.js';
import { randomId } from './text.js';

export const API_TOKEN_DAYS = 90;
const TOKEN = /^(t_[a-z0-9]{12})\.([A-Za-z0-9_-]{43})$/;
const ID = /^t_[a-z0-9]{12}$/;

export interface ApiTokenRecord {
  id: string;
  name: string;
  staffId: string;
  hash: string;
  createdAt: string;
  createdBy: string;
  expiresAt: string;
  revokedAt?: string;
  revokedBy?: string;
}

export type ApiToken = Omit<ApiTokenRecord, 'hash'>;

const key = (id: string) => `api-tokens/${id}.json`;
const publicToken = ({ hash: _h, ...rest }: ApiTokenRecord): ApiToken => rest;

export const isApiToken = (token: string) => TOKEN.test(token);
export const apiTokenId = (token: string) => TOKEN.exec(token)?.[1];

/** Creates a token for a staff member (audited as api-token.create); the secret is returned once. */
export async function createApiToken(
  store: Store,
  input: { staffId: string; name: string; days?: number },
  actor: string,
  now = new Date(),
  source: RequestSource = {},
): Promise<{ apiToken: ApiToken; token: string }> {
  const name = input.name.trim().replace(/\s+/g, ' ');
  if (!name || name.length > 80) throw usageError('token name: 1 to 80 characters, e.g. "backup script"', { field: 'name' });
  const days = input.days ?? API_TOKEN_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > 366) throw usageError(`token expiry: ${days} days — expected 1 to 366`, { field: 'days' });
  const staff = await getStaffRecord(store, input.staffId);
  if (!staff || staff.revokedAt) throw notFound(`no active staff member with id "${input.staffId}"`, { field: 'staffId', hint: 'see `clinica staff list`' });
  const id = `t_${randomId(12)}`;
  const token = `${id}.${randomBytes(32).toString('base64url')}`;
  const record: ApiTokenRecord = {
    id,
    name,
    staffId: staff.id,
    hash: sha256Hex(token),
    createdAt: now.toISOString(),
    createdBy: actor,
    expiresAt: new Date(now.getTime() + days * 86_400_000).toISOString(),
  };
  await store.putJson(key(id), record, { ifNoneMatch: '*' });
  await audit(store, { actor, action: 'api-token.create', details: { tokenId: id, staffId: staff.id, ...source } }, now);
  return { apiToken: publicToken(record), token };
}

export async function listApiTokens(store: Store, filter: { staffId?: string } = {}): Promise<ApiToken[]> {
  const out: ApiToken[] = [];
  for await (const item of store.list('api-tokens/')) {
    const r = (await store.getJson<ApiTokenRecord>(item.key))?.value;
    if (r && (!filter.staffId || r.staffId === filter.staffId)) out.push(publicToken(r));
  }
  return out.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** Revokes a token (audited as api-token.revoke); a running server stops accepting it within its cache time (15 s). */
export async function revokeApiToken(store: Store, id: string, actor: string, now = new Date(), source: RequestSource = {}): Promise<ApiToken> {
  const got = ID.test(id) ? await store.getJson<ApiTokenRecord>(key(id)) : undefined;
  if (!got) throw notFound(`no API token with id "${id}"`, { field: 'id', hint: 'see `clinica tokens list`' });
  if (got.value.revokedAt) return publicToken(got.value);
  const record = { ...got.value, revokedAt: now.toISOString(), revokedBy: actor };
  await store.putJson(key(id), record, { ifMatch: got.etag });
  await audit(store, { actor, action: 'api-token.revoke', details: { tokenId: id, staffId: record.staffId, ...source } }, now);
  return publicToken(record);
}

/** The staff member a token acts as, or undefined (malformed, unknown, wrong, expired, revoked, account revoked). */
export async function verifyApiToken(store: Store, token: string, now = new Date()): Promise<{ staff: StaffMember; tokenId: string } | undefined> {
  const id = apiTokenId(token);
  const record = id ? (await store.getJson<ApiTokenRecord>(key(id)))?.value : undefined;
  const same = sameDigest(sha256Hex(token), record?.hash);
  if (!record || !same || record.revokedAt || Date.parse(record.expiresAt) <= now.getTime()) return undefined;
  const staff = await getStaffRecord(store, record.staffId);
  if (!staff || staff.revokedAt) return undefined;
  return { staff: publicStaff(staff), tokenId: record.id };
}
