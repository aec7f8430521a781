/**
 * The data bucket's secret key, for what clinica must find by a person's identifier without the identifier
 * showing in an object key: the CPF claims (patients.ts) and the anonymization marks (erased.ts).
 *   claims/erasure-key.json   { key } — 32 random bytes (base64), made by the first write that needs it; never
 *                             rewritten, since every claim and mark made under it must keep matching
 * Why a key: object keys are seen by more people than the records are — bucket listings, S3 server access logs,
 * CloudTrail data events, inventory reports. A CPF has nine free digits, so a plain SHA-256 of one is reversed by
 * trying all 10^9 in minutes; an HMAC-SHA-256 under a secret is not. The trade-off: the key lives in the same
 * bucket (no KMS or secret store to depend on), so whoever can read the bucket's objects can test a guess; a
 * listing or a log alone says nothing.
 */
import { createHmac, randomBytes } from 'node:crypto';
import { ClinicaError, isClinicaError } from '../errors.js';
import type { Store } from '../store/store.js';

export const BUCKET_KEY = 'claims/erasure-key.json';

/** Read once per process (a process has one Store per bucket), on first use; "no key yet" is not remembered. */
const loaded = new WeakMap<Store, Promise<Buffer | undefined>>();

function remember(store: Store, load: () => Promise<Buffer | undefined>): Promise<Buffer | undefined> {
  const pending = load();
  loaded.set(store, pending);
  const forget = () => {
    if (loaded.get(store) === pending) loaded.delete(store);
  };
  pending.then((key) => {
    if (!key) forget();
  }, forget);
  return pending;
}

async function readKey(store: Store): Promise<Buffer | undefined> {
  const got = await store.getJson<{ key: string }>(BUCKET_KEY);
  return got ? Buffer.from(got.value.key, 'base64') : undefined;
}

/** Made with If-None-Match: * — of two first writers (two processes), the loser reads and uses the winner's key. */
async function makeKey(store: Store): Promise<Buffer> {
  const fresh = randomBytes(32);
  try {
    await store.putJson(BUCKET_KEY, { key: fresh.toString('base64') }, { ifNoneMatch: '*' });
    return fresh;
  } catch (err) {
    if (!isClinicaError(err, 'conflict')) throw err;
  }
  const theirs = await readKey(store);
  if (!theirs) throw new ClinicaError('internal', `${BUCKET_KEY} was made by another write and then vanished`, { hint: 'try again' });
  return theirs;
}

/** The bucket's key; undefined if none was made yet (so nothing keyed by it exists) — unless `create`. */
export async function bucketKey(store: Store, { create = false } = {}): Promise<Buffer | undefined> {
  const key = await (loaded.get(store) ?? remember(store, () => readKey(store)));
  if (key || !create) return key;
  return (await loaded.get(store)) ?? remember(store, () => makeKey(store));
}

/** HMAC-SHA-256 of `text` under the bucket's key, as hex: what goes in an object key instead of an identifier. */
export const keyedHash = (key: Buffer, text: string): string => createHmac('sha256', key).update(text).digest('hex');
