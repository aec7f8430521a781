import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAppointment } from '../../src/clinic/appointments.js';
import { listAudit } from '../../src/clinic/audit.js';
import { formatCpf, generateCpf } from '../../src/clinic/cpf.js';
import { anonymizePatient, exportPatient, purgePatient, retentionOf } from '../../src/clinic/lgpd.js';
import { defaultConfigInput, parseConfig } from '../../src/config/load.js';
import { IMAGE_HASHES_PREFIX, imageIdKey } from '../../src/clinic/images.js';
import { importPatients } from '../../src/clinic/patient-import.js';
import { createPatient, findPatientByCpf, getPatient, listPatients, updatePatient } from '../../src/clinic/patients.js';
import { rejection } from '../helpers/rejection.js';
import { useTestStack } from '../helpers/stack.js';

const actor = 'cli:tester@host';
const stack = useTestStack({ publish: false });
let tmp: string;

beforeAll(async () => {
  tmp = await mkdtemp(join(tmpdir(), 'clinica-export-'));
});
afterAll(async () => {
  await rm(tmp, { recursive: true, force: true });
});

async function patientWithEverything(name: string, n: number) {
  const store = stack.dataStore;
  const p = await createPatient(
    store,
    { fullName: name, cpf: formatCpf(generateCpf(n)), birthDate: '1977-07-07', phone: '11 95555-0000', email: 'lgpd@example.com', address: 'Rua Teste, 10', alerts: ['látex'], notes: 'bruxismo', emailReminders: true },
    actor,
  );
  const a = await createAppointment(store, { patientId: p.id, dentist: 'Dra. Ana', at: '2030-01-10 10:00', durationMinutes: 30 }, actor, { timeZone: 'America/Sao_Paulo', force: true });
  await store.putJson(`reminders/${a.id}/day-before.json`, { sentAt: '2030-01-09T12:00:00Z', to: 'lgpd@example.com' });
  await store.put(`images/${p.id}/img1/original.jpg`, Buffer.from('fake jpeg bytes'), { contentType: 'image/jpeg' });
  await store.put(`images/${p.id}/img1/thumb.webp`, Buffer.from('fake webp'), { contentType: 'image/webp' });
  // the import's dedupe claim and id pointer: a purge must not leave them behind
  await store.putJson(`${IMAGE_HASHES_PREFIX}${p.id}/${'ab'.repeat(32)}.json`, { imageId: 'img1' });
  await store.putJson(imageIdKey('img1'), { patientId: p.id });
  return { p, a };
}

describe('LGPD: export, anonymize, purge', () => {
  it('exports the record, appointments, reminders, images (links or files) and audit trail', async () => {
    const store = stack.dataStore;
    const { p, a } = await patientWithEverything('Exportável Teste', 501);
    const withLinks = await exportPatient(store, p.id, actor);
    expect(withLinks.patient.fullName).toBe('Exportável Teste');
    expect(withLinks.appointments.map((x) => x.id)).toEqual([a.id]);
    expect(withLinks.reminders).toEqual([{ appointmentId: a.id, key: `reminders/${a.id}/day-before.json`, record: { sentAt: '2030-01-09T12:00:00Z', to: 'lgpd@example.com' } }]);
    expect(withLinks.images.map((i) => i.key).sort()).toEqual([`images/${p.id}/img1/original.jpg`, `images/${p.id}/img1/thumb.webp`]);
    const link = withLinks.images.find((i) => i.key.endsWith('original.jpg'))!.url!;
    expect(await (await fetch(link)).text()).toBe('fake jpeg bytes');
    expect(withLinks.linksExpireAt).toBeDefined();
    expect(withLinks.audit.map((e) => e.action)).toContain('patient.create');

    const out = join(tmp, 'export');
    const withFiles = await exportPatient(store, p.id, actor, { outDir: out });
    const orig = withFiles.images.find((i) => i.key.endsWith('original.jpg'))!;
    expect(orig.url).toBeUndefined();
    expect(await readFile(join(out, orig.file!), 'utf8')).toBe('fake jpeg bytes');
    expect((await listAudit(store, { patientId: p.id })).filter((e) => e.action === 'patient.export').length).toBe(2);
  });

  it('anonymize removes identifiers, keeps clinical content, frees the CPF, and is audited', async () => {
    const store = stack.dataStore;
    const { p, a } = await patientWithEverything('Anônima Teste', 502);
    const failed = { status: 'failed', to: 'lg***@example.com', error: 'MessageRejected: Address blacklisted: lg***@example.com', permanent: true };
    await store.putJson(`reminders/${a.id}/two-hours.json`, failed);
    const anon = await anonymizePatient(store, p.id, actor);
    expect(anon).toMatchObject({ id: p.id, fullName: `Paciente anonimizado ${p.id}`, alerts: ['látex'], notes: 'bruxismo', consent: { emailReminders: false } });
    for (const k of ['cpf', 'phone', 'email', 'address', 'birthDate', 'preferredName', 'guardian'] as const) expect(anon[k]).toBeUndefined();
    expect(anon.anonymized).toMatchObject({ by: actor, birthYear: 1977 });
    expect(await findPatientByCpf(store, formatCpf(generateCpf(502)))).toBeUndefined();
    expect(await listPatients(store, { search: 'anonima' })).toEqual([]);
    expect((await listPatients(store, { search: p.id })).map((x) => x.id)).toEqual([p.id]);
    expect(await store.head(`images/${p.id}/img1/original.jpg`)).toBeDefined();
    // the reminder records are kept, without the (masked) address
    expect((await store.getJson(`reminders/${a.id}/day-before.json`))?.value).toEqual({ sentAt: '2030-01-09T12:00:00Z' });
    expect((await store.getJson(`reminders/${a.id}/two-hours.json`))?.value).toEqual({ status: 'failed', error: 'MessageRejected: Address blacklisted: (address removed)', permanent: true });
    expect((await exportPatient(store, p.id, actor)).appointments.map((x) => x.id)).toEqual([a.id]);
    // the identifiers cannot come back through an update; a second anonymize changes nothing
    expect(await rejection(updatePatient(store, p.id, { email: 'again@example.com' }, actor))).toMatchObject({ kind: 'usage' });
    expect((await anonymizePatient(store, p.id, actor)).version).toBe(anon.version);
    const trail = await listAudit(store, { patientId: p.id });
    const entry = trail.find((e) => e.action === 'patient.anonymize')!;
    expect(entry.details).toMatchObject({ fields: expect.arrayContaining(['fullName', 'cpf', 'email']) });
    expect(JSON.stringify(trail)).not.toContain('Anônima');
  });

  it('an anonymized person does not come back: import rejects the rows, add refuses (but --force), and only keyed hashes are kept', async () => {
    const store = stack.dataStore;
    const cpf = generateCpf(505);
    const { p } = await patientWithEverything('Esquecida Da Silva', 505);
    const noCpf = await createPatient(store, { fullName: 'Sem Documento', birthDate: '1966-06-06' }, actor);
    await anonymizePatient(store, p.id, actor);
    await anonymizePatient(store, noCpf.id, actor);
    // the marks hold neither the CPF nor the name, and are not a plain hash of them
    const { createHash } = await import('node:crypto');
    const marks: string[] = [];
    for await (const o of store.list('claims/')) marks.push(o.key, JSON.stringify((await store.getJson(o.key))?.value));
    const everything = marks.join('\n');
    expect(everything).not.toContain(cpf);
    expect(everything).not.toMatch(/esquecida|Sem Documento|1977-07-07/i);
    expect(everything).not.toContain(createHash('sha256').update(`cpf:${cpf}`).digest('hex'));
    expect(everything).not.toContain(p.id);

    // an old CSV: the same CPF (another spelling of the name), the same name + birth date without a CPF, and a stranger
    const csv = ['Nome;CPF;Data de Nascimento', `ESQUECIDA da silva;${formatCpf(cpf)};07/07/1977`, 'Sem Documento;;06/06/1966', 'Pessoa Nova;;01/01/2001'].join('\n');
    const again = await importPatients(store, csv, actor, { file: 'velho.csv' });
    expect(again.created.map((c) => c.line)).toEqual([4]);
    expect(again.rejected.map((r) => [r.line, r.field, r.reason])).toEqual([
      [2, 'cpf', 'matches a patient anonymized at their request (LGPD erasure; by CPF) — not re-imported'],
      [3, 'fullName', 'matches a patient anonymized at their request (LGPD erasure; by name and birth date) — not re-imported'],
    ]);

    // add: refused, naming the field, exit 2 — read through another Store object, so the key comes from the bucket
    const other = Object.create(store) as typeof store;
    const byCpf = await rejection(createPatient(other, { fullName: 'Outro Nome', cpf: formatCpf(cpf), birthDate: '1980-01-01' }, actor));
    expect(byCpf).toMatchObject({ kind: 'conflict', field: 'cpf', exitCode: 2, reason: 'erased-match' });
    expect(byCpf.message).toBe(`cpf: ***.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-** matches a patient anonymized at their request (LGPD erasure); not created`);
    const byName = await rejection(createPatient(other, { fullName: 'sem documento', birthDate: '1966-06-06' }, actor));
    expect(byName).toMatchObject({ kind: 'conflict', field: 'fullName', exitCode: 2 });
    // same name and birth date but both with a CPF, different: another person
    await createPatient(store, { fullName: 'Esquecida da Silva', cpf: formatCpf(generateCpf(506)), birthDate: '1977-07-07' }, actor);
    const returning = await createPatient(store, { fullName: 'Esquecida da Silva', cpf: formatCpf(cpf), birthDate: '1977-07-07' }, actor, { force: true });
    expect(await findPatientByCpf(store, cpf)).toBe(returning.id);
  });

  it('retention counts from the last entry — record change, appointment, image — not from the creation', async () => {
    const store = stack.dataStore;
    const p = await createPatient(store, { fullName: 'Antiga Teste', birthDate: '1950-01-01' }, actor);
    // a record made and last changed in 2001 (written as an older version of clinica would have left it)
    const old = { ...(await getPatient(store, p.id)).patient, createdAt: '2000-03-01T12:00:00.000Z', updatedAt: '2001-06-01T12:00:00.000Z' };
    await store.putJson(`patients/${p.id}.json`, old);
    expect(await retentionOf(store, old, 20)).toEqual({ lastEntry: new Date('2001-06-01T12:00:00.000Z'), until: new Date('2021-06-01T12:00:00.000Z') });
    // an appointment in 2010 (the per-patient list is what is read)
    await store.putJson(`index/appointments-by-patient/${p.id}.json`, {
      appointments: [
        { id: 'A-20100505-abcdef', start: '2010-05-05T10:00:00-03:00', durationMinutes: 30, dentist: 'Dra. Ana', status: 'done' },
        { id: 'A-20150505-abcdef', start: '2015-05-05T10:00:00-03:00', durationMinutes: 30, dentist: 'Dra. Ana', status: 'cancelled' },
      ],
    });
    expect((await retentionOf(store, old, 20)).until).toEqual(new Date('2030-05-05T13:00:00.000Z'));
    // a radiograph stored today: 20 years from today
    await store.put(`images/${p.id}/img9/original.jpg`, Buffer.from('x'), { contentType: 'image/jpeg' });
    const withImage = await retentionOf(store, old, 20);
    expect(Date.now() - withImage.lastEntry.getTime()).toBeLessThan(3_600_000);
    const refused = await rejection(purgePatient(store, p.id, actor, { retentionYears: 20, now: new Date('2031-01-01T00:00:00Z') }));
    expect(refused).toMatchObject({ kind: 'forbidden' });
    expect(refused.message).toContain(`last entry ${withImage.lastEntry.toISOString().slice(0, 10)}`);
    // an anonymization is no entry: an anonymized record counts from its change before it
    const anon = await anonymizePatient(store, p.id, actor);
    expect(anon.anonymized?.lastUpdatedAt).toBe('2001-06-01T12:00:00.000Z');
    await store.delete(`images/${p.id}/img9/original.jpg`);
    expect((await retentionOf(store, anon, 20)).until).toEqual(new Date('2030-05-05T13:00:00.000Z'));
  });

  it('the config refuses a retention below the legal 20 years (exit 2), citing the law', () => {
    const err = (() => {
      try {
        parseConfig({ ...defaultConfigInput, patients: { retentionYears: 5 } }, 'clinica.config.json');
      } catch (e) {
        return e as Error & { exitCode?: number; kind?: string };
      }
      throw new Error('expected a refusal');
    })();
    expect(err).toMatchObject({ kind: 'config', exitCode: 2 });
    expect(err.message).toBe('clinica.config.json: patients.retentionYears: at least 20: Lei 13.787/2018 (art. 6) keeps the dental record 20 years from its last entry');
    expect(parseConfig({ ...defaultConfigInput, patients: { retentionYears: 25 } }).patients.retentionYears).toBe(25);
  });

  it('purge refuses inside the retention period, deletes everything with force or after it', async () => {
    const store = stack.dataStore;
    const { p, a } = await patientWithEverything('Apagável Teste', 503);
    const refused = await rejection(purgePatient(store, p.id, actor, { retentionYears: 20 }));
    expect(refused).toMatchObject({ kind: 'forbidden', field: 'id' });
    expect(refused.message).toMatch(/must be kept until \d{4}-\d{2}-\d{2}.*nothing was deleted/);
    expect((await getPatient(store, p.id)).patient.id).toBe(p.id);
    // after the retention period, counted from the last entry (the appointment on 2030-01-10): allowed without force
    expect(refused.message).toMatch(/must be kept until 2050-01-10 \(last entry 2030-01-10, retention 20 years — Lei 13\.787\/2018\)/);
    const later = new Date('2050-01-11T00:00:00Z');
    const result = await purgePatient(store, p.id, actor, { retentionYears: 20, now: later });
    expect(result).toEqual({ patientId: p.id, images: 1, appointments: 1, reminders: 1 });
    expect(await rejection(getPatient(store, p.id))).toMatchObject({ kind: 'not-found' });
    expect(await store.head(`images/${p.id}/img1/original.jpg`)).toBeUndefined();
    expect(await store.head(`${IMAGE_HASHES_PREFIX}${p.id}/${'ab'.repeat(32)}.json`)).toBeUndefined();
    expect(await store.head(imageIdKey('img1'))).toBeUndefined();
    expect(await store.head(`reminders/${a.id}/day-before.json`)).toBeUndefined();
    expect(await findPatientByCpf(store, formatCpf(generateCpf(503)))).toBeUndefined();
    expect((await listPatients(store, { status: 'all' })).map((x) => x.id)).not.toContain(p.id);
    expect((await listAudit(store, { patientId: p.id })).map((e) => e.action)).toContain('patient.purge');

    const { p: q } = await patientWithEverything('Forçada Teste', 504);
    expect((await purgePatient(store, q.id, actor, { retentionYears: 20, force: true })).images).toBe(1);
    const entry = (await listAudit(store, { patientId: q.id })).find((e) => e.action === 'patient.purge')!;
    expect(entry.details).toMatchObject({ forced: true });
  });
});
