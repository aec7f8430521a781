/**
 * The patient's answer link: `?t=<appointmentId>.<expiry>.<mac>`, where mac is an HMAC-SHA256 (base64url) over
 * the appointment id and the expiry (seconds since epoch, base 36) with the clinic's answer-link key. The URL
 * carries no name, CPF or phone: whoever holds the link can answer for that one appointment, until it begins.
 *
 * The key lives in the data bucket at `keys/answer-link.json` rather than in SSM: the functions that need it
 * (the reminders sender and the answers page) already read that bucket, the local stack has S3 but no SSM,
 * and IAM grants GetObject on that one key only to those two roles (the staff backend's role does not get
 * it). It is made on first use with If-None-Match: * so two first runs agree on one key.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { ClinicaError, isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';

export const ANSWER_KEY_OBJECT = 'keys/answer-link.json';

interface StoredKey {
  key: string;
  createdAt: string;
}

const keys = new WeakMap<Store, Promise<Buffer>>();

/** The answer-link key (made once, then cached per store). */
export function answerLinkKey(store: Store): Promise<Buffer> {
  let key = keys.get(store);
  if (!key) {
    key = readOrCreateKey(store).catch((err: unknown) => {
      keys.delete(store);
      throw err;
    });
    keys.set(store, key);
  }
  return key;
}

async function readOrCreateKey(store: Store): Promise<Buffer> {
  const found = await store.getJson<StoredKey>(ANSWER_KEY_OBJECT);
  if (found) return Buffer.from(found.value.key, 'base64');
  const made: StoredKey = { key: randomBytes(32).toString('base64'), createdAt: new Date().toISOString() };
  try {
    await store.putJson(ANSWER_KEY_OBJECT, made, { ifNoneMatch: '*' });
    return Buffer.from(made.key, 'base64');
  } catch (err) {
    if (!isClinicaError(err, 'conflict')) throw err;
    // another run made it first: use theirs
    const theirs = await store.getJson<StoredKey>(ANSWER_KEY_OBJECT);
    if (!theirs) throw err;
    return Buffer.from(theirs.value.key, 'base64');
  }
}

const mac = (key: Buffer, payload: string) => createHmac('sha256', key).update(payload).digest('base64url');

/** A token for one appointment, valid until `expiresAt` (the appointment's start). */
export function signAnswerToken(key: Buffer, appointmentId: string, expiresAt: Date): string {
  const payload = `${appointmentId}.${Math.floor(expiresAt.getTime() / 1000).toString(36)}`;
  return `${payload}.${mac(key, payload)}`;
}

/** Why a token is refused: the page says which, with a 4xx. */
export type TokenProblem = 'token-invalid' | 'token-expired';

const TOKEN_SHAPE = /^(A-\d{8}-[a-z0-9]{1,20})\.([0-9a-z]{1,10})\.([A-Za-z0-9_-]{43})$/;

/**
 * The appointment a token is for. Tampered or malformed → ClinicaError reason token-invalid (400); past its
 * expiry → token-expired (410). The MAC is compared in constant time and checked before the expiry, so a
 * forged token never learns whether its appointment exists or has begun.
 */
export function verifyAnswerToken(key: Buffer, token: string, now: Date): { appointmentId: string; expiresAt: Date } {
  const m = TOKEN_SHAPE.exec(token);
  const invalid = () => new ClinicaError('usage', 'this answer link is not valid', { reason: 'token-invalid', field: 't' });
  if (!m) throw invalid();
  const payload = `${m[1]}.${m[2]}`;
  const expected = Buffer.from(mac(key, payload));
  const given = Buffer.from(m[3]!);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw invalid();
  const expiresAt = new Date(parseInt(m[2]!, 36) * 1000);
  if (now.getTime() >= expiresAt.getTime()) throw new ClinicaError('usage', 'this answer link has expired', { reason: 'token-expired', field: 't' });
  return { appointmentId: m[1]!, expiresAt };
}

/** The link a reminder carries: the answer page's address with the token as its only parameter. */
export function answerLinkUrl(page: string, token: string): string {
  const url = new URL(page);
  url.search = '';
  url.searchParams.set('t', token);
  return url.toString();
}

/** The link for one appointment (until it begins), on the answer page at `page`. */
export async function answerLinkFor(store: Store, page: string, appointment: { id: string; start: string }): Promise<string> {
  return answerLinkUrl(page, signAnswerToken(await answerLinkKey(store), appointment.id, new Date(appointment.start)));
}
