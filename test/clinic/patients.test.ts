import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClinicaError, isClinicaError } from '../../src/errors.js';
import { listAudit } from '../../src/clinic/audit.js';
import { generateCpf, formatCpf } from '../../src/clinic/cpf.js';
import {
  archivePatient,
  createPatient,
  findPatientByCpf,
  getPatient,
  listPatients,
  showPatient,
  updatePatient,
} from '../../src/clinic/patients.js';
import { readPatientIndex } from '../../src/clinic/patient-index.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const actor = 'cli:tester@host';
let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ publish: false });
});
afterAll(async () => {
  await stack?.close();
});

async function rejection(p: Promise<unknown>) {
  try {
    await p;
  } catch (err) {
    return err as Error & { kind?: string; field?: string; exitCode?: number };
  }
  throw new Error('expected a rejection');
}

describe('patients against the local S3', () => {
  it('adds, lists, searches without accents, shows, updates and archives', async () => {
    const store = stack.dataStore;
    const joao = await createPatient(
      store,
      { fullName: 'João da Silva Teste', preferredName: 'Joãozinho', cpf: formatCpf(generateCpf(111)), birthDate: '1980-02-03', phone: '+55 11 98765-4321', email: 'Joao@Example.com', emailReminders: true },
      actor,
    );
    expect(joao.id).toMatch(/^P-\d{6}$/);
    expect(joao.cpf).toBe(generateCpf(111));
    expect(joao.email).toBe('joao@example.com');
    expect(joao.consent).toMatchObject({ emailReminders: true, recordedBy: actor });
    const ana = await createPatient(store, { fullName: 'Ana Fictícia', birthDate: '02/01/2015', guardian: { name: 'Beltrano Responsável' } }, actor);
    expect(ana.birthDate).toBe('2015-01-02');
    expect(ana.consent).toEqual({ emailReminders: false });

    const all = await listPatients(store);
    expect(all.map((p) => p.id)).toEqual([ana.id, joao.id]);
    expect((await listPatients(store, { search: 'joao' })).map((p) => p.id)).toEqual([joao.id]);
    expect((await listPatients(store, { search: 'JOÃOZINHO' })).map((p) => p.id)).toEqual([joao.id]);
    expect((await listPatients(store, { search: 'ficticia' })).map((p) => p.id)).toEqual([ana.id]);
    expect((await listPatients(store, { search: generateCpf(111).slice(3, 9) })).map((p) => p.id)).toEqual([joao.id]);
    expect((await listPatients(store, { search: '98765-4321' })).map((p) => p.id)).toEqual([joao.id]);
    expect(await listPatients(store, { search: 'nobody' })).toEqual([]);

    const view = await showPatient(store, joao.id, actor);
    expect(view.patient.fullName).toBe('João da Silva Teste');
    expect(view.imageCount).toBe(0);

    const { patient: updated } = await updatePatient(store, joao.id, { phone: '+55 11 91111-2222', preferredName: null }, actor);
    expect(updated.version).toBe(2);
    expect(updated.preferredName).toBeUndefined();
    expect((await listPatients(store, { search: '91111' })).map((p) => p.id)).toEqual([joao.id]);

    await archivePatient(store, ana.id, actor);
    expect((await listPatients(store)).map((p) => p.id)).toEqual([joao.id]);
    expect((await listPatients(store, { status: 'archived' })).map((p) => p.id)).toEqual([ana.id]);

    const entries = await listAudit(store, { patientId: joao.id });
    expect(entries.map((e) => e.action)).toEqual(['patient.create', 'patient.read', 'patient.update']);
    expect(entries[2]!.details).toEqual({ fields: ['phone', 'preferredName'], version: 2 });
    expect(entries.every((e) => e.actor === actor)).toBe(true);
    expect((await listAudit(store, { patientId: ana.id })).map((e) => e.action)).toEqual(['patient.create', 'patient.archive']);
  });

  it('refuses a bad CPF, a duplicate CPF, an unknown id — naming the field, storing nothing', async () => {
    const store = stack.dataStore;
    const before = await readPatientIndex(store);
    const bad = await rejection(createPatient(store, { fullName: 'Fulano Teste', cpf: '123.456.789-00', birthDate: '1990-01-01' }, actor));
    expect(bad).toMatchObject({ kind: 'usage', field: 'cpf', exitCode: 2 });
    expect(bad.message).toMatch(/not a valid CPF/);
    const date = await rejection(createPatient(store, { fullName: 'Fulano Teste', birthDate: '31/02/1990' }, actor));
    expect(date).toMatchObject({ kind: 'usage', field: 'birthDate' });
    const cpf = formatCpf(generateCpf(222));
    const first = await createPatient(store, { fullName: 'Cicrano Teste', cpf, birthDate: '1970-05-05' }, actor);
    const counter = async () => (await store.getJson<{ next: number }>('counters/patients.json'))!.value.next;
    const next = await counter();
    const dup = await rejection(createPatient(store, { fullName: 'Outro Teste', cpf, birthDate: '1971-05-05' }, actor));
    // a conflict (HTTP 409) that is bad input on the CLI (exit 2), found before an id is taken
    expect(dup).toMatchObject({ kind: 'conflict', field: 'cpf', exitCode: 2, reason: 'cpf-taken' });
    expect(dup.message).toBe(`cpf: ${'***.'}${generateCpf(222).slice(3, 6)}.${generateCpf(222).slice(6, 9)}-** already belongs to patient ${first.id}`);
    expect(await counter()).toBe(next);
    expect(await findPatientByCpf(store, cpf)).toBe(first.id);
    const unknown = await rejection(getPatient(store, 'P-999999'));
    expect(unknown).toMatchObject({ kind: 'not-found', field: 'id', exitCode: 2 });
    expect(unknown.message).toBe('patient P-999999 not found');
    const malformed = await rejection(getPatient(store, 'banana'));
    expect(malformed).toMatchObject({ kind: 'usage', field: 'id' });
    const after = await readPatientIndex(store);
    expect(after.length).toBe(before.length + 1);
    // updating to a taken CPF is refused and the record is unchanged
    const other = await createPatient(store, { fullName: 'Quarto Teste', birthDate: '1960-01-01' }, actor);
    const taken = await rejection(updatePatient(store, other.id, { cpf }, actor));
    expect(taken).toMatchObject({ kind: 'conflict', field: 'cpf' });
    expect((await getPatient(store, other.id)).patient.version).toBe(1);
  });

  it('refuseDuplicate: the same name and birth date as a stored patient (one of them without a CPF) is refused unless forced', async () => {
    const store = stack.dataStore;
    const first = await createPatient(store, { fullName: 'Repetida da Costa', birthDate: '1955-05-05' }, actor);
    const counter = async () => (await store.getJson<{ next: number }>('counters/patients.json'))!.value.next;
    const next = await counter();
    const dup = await rejection(createPatient(store, { fullName: 'REPETIDA DA  COSTA', birthDate: '05/05/1955', cpf: formatCpf(generateCpf(333)) }, actor, { refuseDuplicate: true }));
    expect(dup).toMatchObject({ kind: 'conflict', field: 'fullName', exitCode: 2, reason: 'duplicate-person' });
    expect(dup.message).toBe(`fullName: "REPETIDA DA COSTA" born 1955-05-05 is already patient ${first.id}; not created`);
    expect(await counter()).toBe(next);
    // both with a CPF, different ones: two people; forced: a namesake born the same day
    const withCpf = await createPatient(store, { fullName: 'Gêmea Teste', birthDate: '1990-09-09', cpf: formatCpf(generateCpf(334)) }, actor);
    const other = await createPatient(store, { fullName: 'Gemea Teste', birthDate: '1990-09-09', cpf: formatCpf(generateCpf(335)) }, actor, { refuseDuplicate: true });
    expect(other.id).not.toBe(withCpf.id);
    const forced = await createPatient(store, { fullName: 'Repetida da Costa', birthDate: '1955-05-05' }, actor, { refuseDuplicate: true, force: true });
    expect(forced.id).not.toBe(first.id);
  });

  it('alerts: addAlerts and removeAlerts change one entry and keep the others; removing one the patient has not is refused', async () => {
    const store = stack.dataStore;
    const p = await createPatient(store, { fullName: 'Alérgica Teste', birthDate: '1970-03-03', alerts: ['penicilina', 'látex'] }, actor);
    const added = await updatePatient(store, p.id, { addAlerts: ['dipirona', 'LATEX'] }, actor);
    expect(added.patient.alerts).toEqual(['penicilina', 'látex', 'dipirona']);
    const removed = await updatePatient(store, p.id, { removeAlerts: ['Penicilina'] }, actor);
    expect(removed.patient.alerts).toEqual(['látex', 'dipirona']);
    const unknown = await rejection(updatePatient(store, p.id, { removeAlerts: ['amoxicilina'] }, actor));
    expect(unknown).toMatchObject({ kind: 'usage', field: 'removeAlerts', exitCode: 2 });
    expect(unknown.message).toBe(`removeAlerts: "amoxicilina" is not an alert of ${p.id} (its alerts are: látex, dipirona)`);
    expect((await getPatient(store, p.id)).patient).toMatchObject({ alerts: ['látex', 'dipirona'], version: 3 });
    // two staff adding an alert at the same moment: both land, or one is told of the conflict; none is lost silently
    const both = await Promise.allSettled([updatePatient(store, p.id, { addAlerts: ['AAS'] }, 'staff:ana'), updatePatient(store, p.id, { addAlerts: ['iodo'] }, 'staff:bia')]);
    const final = (await getPatient(store, p.id)).patient.alerts;
    both.forEach((r, i) => {
      if (r.status === 'fulfilled') expect(final).toContain(['AAS', 'iodo'][i]);
      else expect(isClinicaError(r.reason, 'conflict')).toBe(true);
    });
    expect(final.slice(0, 2)).toEqual(['látex', 'dipirona']);
  });

  it('concurrent updates: a stale ETag is a conflict, disjoint changes merge, same-field changes conflict', async () => {
    const store = stack.dataStore;
    const p = await createPatient(store, { fullName: 'Concorrente Teste', birthDate: '1990-01-01' }, actor);
    const { etag } = await getPatient(store, p.id);
    await updatePatient(store, p.id, { notes: 'first writer' }, 'staff:ana', { etag });
    const stale = await rejection(updatePatient(store, p.id, { notes: 'second writer' }, 'staff:bia', { etag }));
    expect(isClinicaError(stale, 'conflict')).toBe(true);
    expect((await getPatient(store, p.id)).patient.notes).toBe('first writer');

    // two writers at the same moment over HTTP: both land (different fields) or one conflicts (same field); nothing is lost
    const results = await Promise.allSettled([
      updatePatient(store, p.id, { phone: '11 3333-4444' }, 'staff:ana'),
      updatePatient(store, p.id, { address: 'Rua Fictícia, 1' }, 'staff:bia'),
      updatePatient(store, p.id, { alerts: ['penicilina'] }, 'staff:caio'),
    ]);
    expect(results.every((r) => r.status === 'fulfilled')).toBe(true);
    const final = (await getPatient(store, p.id)).patient;
    expect(final).toMatchObject({ phone: '+551133334444', address: 'Rua Fictícia, 1', alerts: ['penicilina'], notes: 'first writer', version: 5 });

    const same = await Promise.allSettled([
      updatePatient(store, p.id, { notes: 'from ana' }, 'staff:ana'),
      updatePatient(store, p.id, { notes: 'from bia' }, 'staff:bia'),
    ]);
    const ok = same.filter((r) => r.status === 'fulfilled');
    const failed = same.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(ok.length).toBeGreaterThanOrEqual(1);
    for (const f of failed) expect(isClinicaError(f.reason, 'conflict')).toBe(true);
    const notes = (await getPatient(store, p.id)).patient.notes;
    expect(['from ana', 'from bia']).toContain(notes);
  });

  it('a CPF written to the record stays claimed when a later step (the index write) fails', async () => {
    const store = stack.dataStore;
    const p = await createPatient(store, { fullName: 'Índice Falho', birthDate: '1980-05-05' }, actor);
    const cpf = generateCpf(7331);
    // the record write succeeds, the index write after it fails (e.g. the network drops)
    const flaky = Object.create(store) as typeof store;
    flaky.putJson = (key, value, opts) =>
      key.startsWith('index/') ? Promise.reject(new ClinicaError('unavailable', 'cannot reach S3')) : store.putJson(key, value, opts);
    const err = await rejection(updatePatient(flaky, p.id, { cpf }, actor));
    expect(err).toMatchObject({ kind: 'unavailable' });
    expect((await getPatient(store, p.id)).patient.cpf).toBe(cpf);
    expect(await findPatientByCpf(store, cpf)).toBe(p.id);
    const dup = await rejection(createPatient(store, { fullName: 'Outra Pessoa', birthDate: '1970-01-01', cpf }, actor));
    expect(dup).toMatchObject({ kind: 'conflict', field: 'cpf' });
    // the documented repair for a write interrupted between the record and its index row
    const { reindexPatients } = await import('../../src/clinic/patients.js');
    await reindexPatients(store);
    expect((await readPatientIndex(store)).find((r) => r.id === p.id)?.cpf).toBe(cpf);
  });
});

describe('patient index repair', () => {
  it('reindexPatients regenerates a lost or stale index from the records', async () => {
    const { reindexPatients } = await import('../../src/clinic/patients.js');
    const { SHARDS, shardKey } = await import('../../src/clinic/patient-index.js');
    const store = stack.dataStore;
    const before = await listPatients(store, { status: 'all' });
    for (let i = 0; i < SHARDS; i++) await store.delete(shardKey(i));
    expect(await listPatients(store, { status: 'all' })).toEqual([]);
    expect((await reindexPatients(store)).patients).toBe(before.length);
    expect(await listPatients(store, { status: 'all' })).toEqual(before);
  });
});
