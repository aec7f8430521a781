/**
 * What an anonymization leaves behind so that the person it erased does not come back through an old CSV or a
 * new `patients add`: keyed one-way hashes (HMAC-SHA-256) of the CPF and of name + birth date, never the values,
 * and nothing that points to the anonymized record (no id, no time) — matching a person to their old clinical
 * record would undo the anonymization another way.
 *   claims/erased/{hmac}.json       { kind: 'cpf' | 'person', hadCpf? }   written with If-None-Match: *
 *   claims/erasure-key.json         { key } — 32 random bytes (base64), made on first use, never rewritten
 * Why keyed: a CPF has nine free digits, so a plain SHA-256 of one is reversed by trying all 10^9 in minutes.
 * The trade-off: the key lives in the same bucket (no KMS or secret store to depend on), so someone who can read
 * the whole bucket can still test a guess ("was this CPF erased?"); the listings, logs and copies of the marks
 * alone say nothing. Only the server and the CLI read claims/ (the Lambdas' roles do not).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';
import { personKey } from './text.js';

export const ERASED_PREFIX = 'claims/erased/';
export const ERASURE_KEY = 'claims/erasure-key.json';

export interface ErasedMark {
  kind: 'cpf' | 'person';
  /** a person mark: did the erased patient have a CPF? (a name + birth date match counts only when one side has none) */
  hadCpf?: boolean;
}

/** What a person is matched by (a record, an import row, an `add`). */
export interface PersonKeys {
  cpf?: string;
  fullName: string;
  birthDate?: string;
}

export interface ErasedMatch {
  by: 'cpf' | 'name+birthDate';
}

const keys = new WeakMap<Store, Buffer>();

/** The bucket's HMAC key; made (If-None-Match: *) by the first anonymization, undefined before (no marks yet). */
async function erasureKey(store: Store, create = false): Promise<Buffer | undefined> {
  const cached = keys.get(store);
  if (cached) return cached;
  const read = async () => {
    const got = await store.getJson<{ key: string }>(ERASURE_KEY);
    return got ? Buffer.from(got.value.key, 'base64') : undefined;
  };
  let key = await read();
  if (!key && create) {
    const fresh = randomBytes(32);
    try {
      await store.putJson(ERASURE_KEY, { key: fresh.toString('base64') }, { ifNoneMatch: '*' });
      key = fresh;
    } catch (err) {
      if (!isClinicaError(err, 'conflict')) throw err;
      key = await read(); // another anonymization made it first
    }
  }
  if (key) keys.set(store, key);
  return key;
}

const markKey = (key: Buffer, text: string) => `${ERASED_PREFIX}${createHmac('sha256', key).update(text).digest('hex')}.json`;

/** The mark keys of a person: their CPF (if any) and their name (accents and case ignored) + birth date (if any). */
function markKeys(key: Buffer, p: PersonKeys): { cpf?: string; person?: string } {
  return {
    ...(p.cpf && { cpf: markKey(key, `cpf:${p.cpf}`) }),
    ...(p.birthDate && { person: markKey(key, `person:${personKey(p.fullName, p.birthDate)}`) }),
  };
}

/** Leaves the marks of a patient about to be anonymized (idempotent: an existing mark is kept). */
export async function recordErasure(store: Store, p: PersonKeys): Promise<void> {
  const k = markKeys((await erasureKey(store, true))!, p);
  const marks: [string | undefined, ErasedMark][] = [
    [k.cpf, { kind: 'cpf' }],
    [k.person, { kind: 'person', hadCpf: Boolean(p.cpf) }],
  ];
  for (const [key, mark] of marks) {
    if (!key) continue;
    try {
      await store.putJson(key, mark, { ifNoneMatch: '*' });
    } catch (err) {
      if (!isClinicaError(err, 'conflict')) throw err;
    }
  }
}

/**
 * A matcher for many people (an import): the marks are listed once (keys only), and a mark is read only for a
 * person who hits one. Same rules as the import's own matching: a CPF match, or a name + birth date match when
 * the person or the erased patient had no CPF.
 */
export async function erasedMatcher(store: Store): Promise<(p: PersonKeys) => Promise<ErasedMatch | undefined>> {
  const present = new Set<string>();
  for await (const o of store.list(ERASED_PREFIX)) present.add(o.key);
  const key = present.size ? await erasureKey(store) : undefined;
  return async (p) => {
    if (!key) return undefined;
    const k = markKeys(key, p);
    if (k.cpf && present.has(k.cpf)) return { by: 'cpf' };
    if (k.person && present.has(k.person)) {
      const mark = await store.getJson<ErasedMark>(k.person);
      if (mark && (!p.cpf || !mark.value.hadCpf)) return { by: 'name+birthDate' };
    }
    return undefined;
  };
}

/** Does this person match an anonymized patient? (one or two GETs; for a single `add`) */
export async function findErased(store: Store, p: PersonKeys): Promise<ErasedMatch | undefined> {
  const key = await erasureKey(store);
  if (!key) return undefined;
  const k = markKeys(key, p);
  if (k.cpf && (await store.head(k.cpf))) return { by: 'cpf' };
  if (k.person) {
    const mark = await store.getJson<ErasedMark>(k.person);
    if (mark && (!p.cpf || !mark.value.hadCpf)) return { by: 'name+birthDate' };
  }
  return undefined;
}
