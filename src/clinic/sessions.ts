/**
 * Sign-in sessions, kept in the data bucket so that a revoke, a reset or a password change ends them at once —
 * also across a server restart. A session is `sessions/{staffId}/{sha256(secret)}.json`; the browser holds
 * `<staffId>.<secret>` (256 random bits) in an HttpOnly cookie, so the bucket never holds a usable id.
 *
 * Stages: `second-factor` (password right, code or passkey still due; 5 minutes), `enrol` (invitation accepted,
 * a second factor to enrol before anything else) and `full`. Each step to a higher stage makes a new session
 * (a new id) and deletes the old one. Timeouts: idle (config auth.idleMinutes, default 30) and absolute (12 h).
 */
import { createHash, randomBytes } from 'node:crypto';
import { ClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';
import { getStaffRecord, type StaffRecord } from './staff.js';

export type SessionStage = 'second-factor' | 'enrol' | 'full';

export interface SessionRecord {
  /** a public handle (the first 16 hex digits of the hash): lists show it, "end this session" names it */
  id: string;
  staffId: string;
  stage: SessionStage;
  /** the account's authEpoch when the session was made */
  epoch: number;
  createdAt: string;
  lastSeenAt: string;
  /** createdAt + 12 h (5 min for second-factor) */
  expiresAt: string;
  ip: string;
  userAgent?: string;
  /** how the person signed in: password+totp, password+recovery-code, passkey, password (demo) */
  method?: string;
}

export const ABSOLUTE_HOURS = 12;
export const PENDING_MINUTES = 5;
const COOKIE_VALUE = /^([a-z0-9][a-z0-9-]{0,40})\.([A-Za-z0-9_-]{43})$/;

const hashOf = (secret: string) => createHash('sha256').update(secret).digest('hex');
const sessionKey = (staffId: string, hash: string) => `sessions/${staffId}/${hash}.json`;

/** A User-Agent kept for "open sessions": printable ASCII only, at most 160 characters. */
const cleanAgent = (ua: string | undefined) => (ua ? ua.replace(/[^\x20-\x7e]/g, '').slice(0, 160) : undefined);

/** Opens a session; returns the cookie value (shown to no one else) and the record. */
export async function createSession(
  store: Store,
  staff: Pick<StaffRecord, 'id' | 'authEpoch'>,
  input: { stage: SessionStage; ip: string; userAgent?: string; method?: string },
  now = new Date(),
): Promise<{ cookie: string; session: SessionRecord }> {
  const secret = randomBytes(32).toString('base64url');
  const hash = hashOf(secret);
  const lifetime = input.stage === 'full' ? ABSOLUTE_HOURS * 3600_000 : PENDING_MINUTES * 60_000;
  const session: SessionRecord = {
    id: hash.slice(0, 16),
    staffId: staff.id,
    stage: input.stage,
    epoch: staff.authEpoch ?? 0,
    createdAt: now.toISOString(),
    lastSeenAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + lifetime).toISOString(),
    ip: input.ip,
  };
  const ua = cleanAgent(input.userAgent);
  if (ua) session.userAgent = ua;
  if (input.method) session.method = input.method;
  await store.putJson(sessionKey(staff.id, hash), session, { ifNoneMatch: '*' });
  return { cookie: `${staff.id}.${secret}`, session };
}

export type SessionCheck =
  | { ok: true; session: SessionRecord; staff: StaffRecord; key: string; etag: string }
  | { ok: false; reason: 'missing' | 'ended' | 'idle' | 'expired' | 'revoked' };

/**
 * The session a cookie value names, checked against the account (revoked, epoch) and the timeouts. An idle
 * or expired session is deleted. `idleMs`: the idle timeout; `lastSeen` overrides the stored lastSeenAt (the
 * server remembers newer ones than it writes).
 */
export async function checkSession(store: Store, cookie: string | undefined, options: { idleMs: number; now: Date; lastSeen?: number }): Promise<SessionCheck> {
  const m = cookie ? COOKIE_VALUE.exec(cookie) : null;
  if (!m) return { ok: false, reason: 'missing' };
  const key = sessionKey(m[1]!, hashOf(m[2]!));
  const got = await store.getJson<SessionRecord>(key);
  if (!got) return { ok: false, reason: 'ended' };
  const session = got.value;
  const staff = await getStaffRecord(store, session.staffId);
  if (!staff || staff.revokedAt) return { ok: false, reason: 'revoked' };
  if ((staff.authEpoch ?? 0) !== session.epoch) return { ok: false, reason: 'ended' };
  const now = options.now.getTime();
  const lastSeen = Math.max(options.lastSeen ?? 0, Date.parse(session.lastSeenAt));
  const reason = now >= Date.parse(session.expiresAt) ? 'expired' : session.stage === 'full' && now - lastSeen >= options.idleMs ? 'idle' : undefined;
  if (reason) {
    await store.delete(key);
    return { ok: false, reason };
  }
  return { ok: true, session, staff, key, etag: got.etag };
}

/**
 * Writes a newer lastSeenAt (the server does so at most once a minute per session), with If-Match so that a
 * session ended meanwhile is not written back. Returns the new ETag, or undefined when the session is gone.
 */
export async function touchSession(store: Store, key: string, session: SessionRecord, at: Date, etag: string): Promise<string | undefined> {
  if (!(await store.head(key))) return undefined;
  try {
    return await store.putJson(key, { ...session, lastSeenAt: at.toISOString() }, { ifMatch: etag });
  } catch (err) {
    if (err instanceof ClinicaError && err.kind === 'conflict') return undefined;
    throw err;
  }
}

/** Deletes a staff member's sessions that can no longer be used (timed out, of an older epoch, unfinished). */
export async function pruneSessions(store: Store, staff: Pick<StaffRecord, 'id' | 'authEpoch' | 'revokedAt'>, now: Date, idleMs: number): Promise<void> {
  for (const { key, session } of await staffSessions(store, staff.id)) {
    const pendingAlive = session.stage !== 'full' && session.epoch === (staff.authEpoch ?? 0) && Date.parse(session.expiresAt) > now.getTime();
    if (!pendingAlive && !isOpen(session, staff, now.getTime(), idleMs)) await store.delete(key);
  }
}

export async function deleteSession(store: Store, key: string): Promise<void> {
  await store.delete(key);
}

/** A staff member's open sessions (full ones), newest first, with their storage keys. */
export async function staffSessions(store: Store, staffId: string): Promise<{ key: string; session: SessionRecord }[]> {
  const out: { key: string; session: SessionRecord }[] = [];
  for await (const item of store.list(`sessions/${staffId}/`)) {
    const session = (await store.getJson<SessionRecord>(item.key))?.value;
    if (session) out.push({ key: item.key, session });
  }
  return out.sort((a, b) => b.session.createdAt.localeCompare(a.session.createdAt));
}

/** Deletes a staff member's sessions (all, or the one with this public id); returns how many. */
export async function endStaffSessions(store: Store, staffId: string, sessionId?: string): Promise<number> {
  const all = await staffSessions(store, staffId);
  const gone = all.filter((s) => !sessionId || s.session.id === sessionId);
  for (const s of gone) await store.delete(s.key);
  return gone.length;
}

/** Whether a session still lets its holder in: full, of the account's epoch, not expired, not idle. */
export function isOpen(s: SessionRecord, staff: Pick<StaffRecord, 'authEpoch' | 'revokedAt'>, now: number, idleMs: number): boolean {
  return !staff.revokedAt && s.stage === 'full' && s.epoch === (staff.authEpoch ?? 0) && Date.parse(s.expiresAt) > now && now - Date.parse(s.lastSeenAt) < idleMs;
}

/** A staff member's open sessions, newest first. */
export async function openSessions(store: Store, staff: Pick<StaffRecord, 'id' | 'authEpoch' | 'revokedAt'>, now: Date, idleMs: number): Promise<SessionRecord[]> {
  return (await staffSessions(store, staff.id)).map((s) => s.session).filter((s) => isOpen(s, staff, now.getTime(), idleMs));
}
