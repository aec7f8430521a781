/**
 * What an anonymization leaves behind so that the person it erased does not come back through an old CSV or a
 * new `patients add`: keyed one-way hashes (HMAC-SHA-256) of the CPF and of name + birth date, never the values,
 * and nothing that points to the anonymized record (no id, no time) — matching a person to their old clinical
 * record would undo the anonymization another way.
 *   claims/erased/{hmac}.json       { kind: 'cpf' | 'person', hadCpf? }   written with If-None-Match: *
 * keyed with the bucket's key (bucket-key.ts: why keyed, and the trade-off of keeping the key in the bucket), so
 * whoever can read the whole bucket can still test a guess ("was this CPF erased?"); the listings, logs and
 * copies of the marks alone say nothing. Only the server and the CLI read claims/ (the Lambdas' roles do not).
 */
import { isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';
import { bucketKey, keyedHash } from './bucket-key.js';
import { personKey } from './text.js';

export const ERASED_PREFIX = 'claims/erased/';

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

const markKey = (key: Buffer, text: string) => `${ERASED_PREFIX}${keyedHash(key, text)}.json`;

/** The mark keys of a person: their CPF (if any) and their name (accents and case ignored) + birth date (if any). */
function markKeys(key: Buffer, p: PersonKeys): { cpf?: string; person?: string } {
  return {
    ...(p.cpf && { cpf: markKey(key, `cpf:${p.cpf}`) }),
    ...(p.birthDate && { person: markKey(key, `person:${personKey(p.fullName, p.birthDate)}`) }),
  };
}

/**
 * A person mark that exists counts when the person or the erased patient had no CPF (two people with CPFs are
 * told apart by them); undefined when there is no such mark.
 */
async function personMarkMatches(store: Store, key: string, p: PersonKeys): Promise<ErasedMatch | undefined> {
  const mark = await store.getJson<ErasedMark>(key);
  return mark && (!p.cpf || !mark.value.hadCpf) ? { by: 'name+birthDate' } : undefined;
}

/** Leaves the marks of a patient about to be anonymized (idempotent: an existing mark is kept). */
export async function recordErasure(store: Store, p: PersonKeys): Promise<void> {
  const k = markKeys((await bucketKey(store, { create: true }))!, p);
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
  const key = present.size ? await bucketKey(store) : undefined;
  return async (p) => {
    if (!key) return undefined;
    const k = markKeys(key, p);
    if (k.cpf && present.has(k.cpf)) return { by: 'cpf' };
    return k.person && present.has(k.person) ? personMarkMatches(store, k.person, p) : undefined;
  };
}

/** Does this person match an anonymized patient? (one or two GETs; for a single `add`) */
export async function findErased(store: Store, p: PersonKeys): Promise<ErasedMatch | undefined> {
  const key = await bucketKey(store);
  if (!key) return undefined;
  const k = markKeys(key, p);
  if (k.cpf && (await store.head(k.cpf))) return { by: 'cpf' };
  return k.person ? personMarkMatches(store, k.person, p) : undefined;
}
