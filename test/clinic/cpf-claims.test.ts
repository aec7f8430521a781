/**
 * CPF claims against the local S3: keyed with the bucket's secret (no key betrays a CPF), unique also under
 * concurrent creates, and reindex naming a CPF carried by more than one record.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BUCKET_KEY, bucketKey } from '../../src/clinic/bucket-key.js';
import { formatCpf, generateCpf, maskCpf } from '../../src/clinic/cpf.js';
import { ERASED_PREFIX } from '../../src/clinic/erased.js';
import { anonymizePatient } from '../../src/clinic/lgpd.js';
import {
  COUNTER_KEY,
  cpfClaimKey,
  createPatient,
  findPatientByCpf,
  listPatients,
  newPatientRecord,
  patientKey,
  reindexPatients,
  updatePatient,
} from '../../src/clinic/patients.js';
import { Store, type GetOptions } from '../../src/store/store.js';
import { rejection } from '../helpers/rejection.js';
import { useTestStack } from '../helpers/stack.js';

const actor = 'cli:tester@host';
const stack = useTestStack({ publish: false });
let buckets = 0;


/** A new, empty bucket on the same local S3. */
async function freshBucket(): Promise<string> {
  const bucket = `cpf-claims-${++buckets}`;
  await new Store(stack.dataStore.s3, bucket).ensureBucket();
  return bucket;
}
/** A Store as a new process would make it (nothing cached). */
const processOn = (bucket: string) => new Store(stack.dataStore.s3, bucket);

/** A claim's key as a plain SHA-256 of the CPF would make it: never written (it would betray the CPF). */
const plainClaimKey = (cpf: string) => `claims/cpf/${createHash('sha256').update(`clinica-cpf:${cpf}`).digest('hex')}.json`;

async function keysOf(store: Store, prefix = ''): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys;
}

/** A bucket with records and the counter written by hand, no claims: as a copy or a repair by hand leaves it. */
async function recordsOnlyBucket(people: { cpf?: string; fullName: string }[]): Promise<{ bucket: string; ids: string[] }> {
  const bucket = await freshBucket();
  const store = processOn(bucket);
  const ids: string[] = [];
  for (const [i, p] of people.entries()) {
    const id = `P-${String(i + 1).padStart(6, '0')}`;
    ids.push(id);
    await store.putJson(patientKey(id), newPatientRecord(id, { fullName: p.fullName, birthDate: '1980-01-01', ...(p.cpf && { cpf: p.cpf }) }, actor));
  }
  await store.putJson(COUNTER_KEY, { next: people.length + 1 });
  return { bucket, ids };
}

describe('CPF claims are keyed with the bucket secret', () => {
  it('no object key holds the CPF or a plain SHA-256 of it; the claim is not the erasure mark of the same CPF', async () => {
    const store = processOn(await freshBucket());
    const cpf = generateCpf(61_001);
    const p = await createPatient(store, { fullName: 'Chave Secreta', cpf: formatCpf(cpf), birthDate: '1975-05-05' }, actor);
    const keys = await keysOf(store);
    const claims = keys.filter((k) => k.startsWith('claims/cpf-hmac/'));
    expect(claims).toHaveLength(1);
    expect((await store.getJson(claims[0]!))?.value).toEqual({ patientId: p.id });
    expect(keys).toContain(BUCKET_KEY);
    expect(await store.head(plainClaimKey(cpf))).toBeUndefined();
    const everything = keys.join('\n');
    for (const text of [`clinica-cpf:${cpf}`, cpf, `cpf:${cpf}`, `cpf-claim:${cpf}`]) {
      expect(everything).not.toContain(createHash('sha256').update(text).digest('hex'));
    }
    expect(everything).not.toContain(cpf);

    // another process (nothing cached) reads the same key and finds the patient; a duplicate is refused
    const other = processOn(store.bucket);
    expect(await findPatientByCpf(other, formatCpf(cpf))).toBe(p.id);
    const dup = await rejection(createPatient(other, { fullName: 'Outra Pessoa', cpf, birthDate: '1980-01-01' }, actor));
    expect(dup).toMatchObject({ kind: 'conflict', reason: 'cpf-taken', exitCode: 2, field: 'cpf' });

    // the erasure mark left by anonymize is another hash than the claim it replaces (no link between the two)
    const claimHash = claims[0]!.slice('claims/cpf-hmac/'.length);
    await anonymizePatient(store, p.id, actor);
    const after = await keysOf(store, 'claims/');
    expect(after.filter((k) => k.startsWith('claims/cpf-hmac/'))).toEqual([]);
    const marks = after.filter((k) => k.startsWith(ERASED_PREFIX));
    expect(marks.length).toBe(2);
    expect(marks.join('\n')).not.toContain(claimHash);
  });

  it('a duplicate CPF is refused when two processes create at once on a bucket with no key yet: one key, one claim, one record', async () => {
    for (let round = 0; round < 4; round++) {
      const bucket = await freshBucket();
      const [a, b] = [processOn(bucket), processOn(bucket)];
      const cpf = formatCpf(generateCpf(62_000 + round));
      const results = await Promise.allSettled([
        createPatient(a, { fullName: 'Primeira Pessoa', cpf, birthDate: '1970-01-01' }, actor),
        createPatient(b, { fullName: 'Segunda Pessoa', cpf, birthDate: '1971-01-01' }, actor),
      ]);
      const won = results.filter((r) => r.status === 'fulfilled');
      const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
      expect(won).toHaveLength(1);
      expect(lost[0]!.reason).toMatchObject({ kind: 'conflict', field: 'cpf' });
      const winner = (won[0] as PromiseFulfilledResult<{ id: string }>).value.id;
      expect(await keysOf(a, 'claims/cpf-hmac/')).toHaveLength(1);
      const withCpf = (await listPatients(a, { status: 'all' })).filter((r) => r.cpf === generateCpf(62_000 + round));
      expect(withCpf.map((r) => r.id)).toEqual([winner]);
      // both processes hold the same key: each finds the winner
      expect(await findPatientByCpf(a, cpf)).toBe(winner);
      expect(await findPatientByCpf(b, cpf)).toBe(winner);
    }
  });
});

describe('a claim whose patient record does not hold the CPF', () => {
  /** S3 answering that claims were written `minutes` ago (its clock: Last-Modified and Date). */
  const agedClaims = (store: Store, minutes: number) => {
    const aged = Object.create(store) as Store;
    aged.getJson = async <T>(key: string, opts?: GetOptions) => {
      const got = await store.getJson<T>(key, opts);
      if (got?.lastModified && key.startsWith('claims/cpf-hmac/')) got.lastModified = new Date(got.lastModified.getTime() - minutes * 60_000);
      return got;
    };
    return aged;
  };

  it('is not taken over while the create that made it is still writing its record: the second create is refused', async () => {
    const bucket = await freshBucket();
    const cpf = formatCpf(generateCpf(66_001));
    // the first create's record write is slow (a slow network); its claim is already there
    const slow = processOn(bucket);
    const put = slow.putJson.bind(slow);
    slow.putJson = async (key, value, opts) => {
      if (key.startsWith('patients/')) await new Promise((r) => setTimeout(r, 1500));
      return put(key, value, opts);
    };
    const first = createPatient(slow, { fullName: 'Primeira Lenta', cpf, birthDate: '1970-01-01' }, actor);
    const store = processOn(bucket);
    while (!(await keysOf(store, 'claims/cpf-hmac/')).length) await new Promise((r) => setTimeout(r, 20));
    const second = await Promise.allSettled([createPatient(store, { fullName: 'Segunda Rápida', cpf, birthDate: '1971-01-01' }, actor)]);
    const winner = await first;
    expect(second[0]).toMatchObject({ status: 'rejected', reason: { reason: 'cpf-taken', params: { patientId: winner.id } } });
    expect((await listPatients(store)).map((r) => r.id)).toEqual([winner.id]);
    expect(await findPatientByCpf(store, cpf)).toBe(winner.id);
  });

  it('is taken over once S3 says it is minutes old: a create that died, a CPF whose release failed', async () => {
    const bucket = await freshBucket();
    const store = processOn(bucket);
    const [dead, moved] = [generateCpf(67_001), generateCpf(67_002)];
    const old = await createPatient(store, { fullName: 'Mudou de CPF', cpf: moved, birthDate: '1960-01-01' }, actor);
    const claimKeyFor = async (cpf: string) => cpfClaimKey((await bucketKey(store))!, cpf);
    // a create that died after its claim: the claim names a patient with no record
    const deadClaim = await claimKeyFor(dead);
    await store.putJson(deadClaim, { patientId: 'P-000099' });
    // a CPF changed on the record while the release of its claim failed: the claim names a patient holding another CPF
    await updatePatient(store, old.id, { cpf: generateCpf(67_003) }, actor);
    await store.putJson(await claimKeyFor(moved), { patientId: old.id });

    for (const cpf of [dead, moved]) expect(await findPatientByCpf(store, cpf)).toBeUndefined();
    // young: another write may be in progress — refused as busy (a conflict, exit 1), nothing taken over
    const busy = await rejection(createPatient(store, { fullName: 'Cedo Demais', cpf: dead, birthDate: '1990-01-01' }, actor));
    expect(busy).toMatchObject({ kind: 'conflict', reason: 'busy', field: 'cpf' });
    expect((await store.getJson(deadClaim))?.value).toEqual({ patientId: 'P-000099' });
    // minutes old: taken over
    const aged = agedClaims(store, 10);
    const a = await createPatient(aged, { fullName: 'Nova Dona', cpf: dead, birthDate: '1990-01-01' }, actor);
    const b = await createPatient(aged, { fullName: 'Outra Dona', cpf: moved, birthDate: '1990-01-01' }, actor);
    expect(await findPatientByCpf(store, dead)).toBe(a.id);
    expect(await findPatientByCpf(store, moved)).toBe(b.id);
  });
});

describe('reindex', () => {
  it('reindex names a CPF carried by two records: the one already holding the claim keeps it', async () => {
    const cpf = generateCpf(65_001);
    const { bucket, ids } = await recordsOnlyBucket([
      { fullName: 'Dona Original', cpf },
      { fullName: 'Outra Pessoa' },
      { fullName: 'Copia Errada', cpf },
    ]);
    const store = processOn(bucket);
    const first = await reindexPatients(store);
    expect(first.sharedCpfs).toEqual([{ cpf: maskCpf(cpf), owner: ids[0], others: [ids[2]] }]);
    expect(await findPatientByCpf(store, cpf)).toBe(ids[0]);
    // the claim is moved to the later record by hand (say, by a clinica that did not see the other's claim): it keeps it on a re-run
    const claim = (await keysOf(store, 'claims/cpf-hmac/'))[0]!;
    await store.putJson(claim, { patientId: ids[2] });
    expect((await reindexPatients(store)).sharedCpfs).toEqual([{ cpf: maskCpf(cpf), owner: ids[2], others: [ids[0]] }]);
  });
});
