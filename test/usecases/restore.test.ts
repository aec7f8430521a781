/**
 * `clinica restore` against the local stack, whose data bucket keeps versions as S3 does: a patient changed
 * three times restored to the middle version (record, appointment, image record), a version found only in the
 * backup, `--all` into another stage's bucket, and the one-line errors. The CLI tests run the built CLI.
 */
import { describe, expect, it } from 'vitest';
import { createAppointment, getAppointment } from '../../src/clinic/appointments.js';
import { listAudit } from '../../src/clinic/audit.js';
import { createPatient, getPatient, updatePatient } from '../../src/clinic/patients.js';
import { recordKey } from '../../src/clinic/images.js';
import { PatientRecords } from '../../src/server/patient-records.js';
import { Store } from '../../src/store/store.js';
import { applyPatientRestore, planPatientRestore } from '../../src/usecases/restore.js';
import { runCli } from '../helpers/cli.js';
import { rejection } from '../helpers/rejection.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();
const actor = 'test:restore';
const SP = 'America/Sao_Paulo';
const tick = () => new Promise((r) => setTimeout(r, 15)); // versions a few ms apart: "the moment" falls between them
const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir });

let day = 0;

async function changedThreeTimes() {
  const store = stack.dataStore;
  day++;
  const now = new Date('2026-11-20T12:00:00Z');
  const patient = await createPatient(store, { fullName: 'Restaura Teste', birthDate: '1980-01-01', phone: '11 91111-1111' }, actor);
  const appointment = await createAppointment(store, { patientId: patient.id, dentist: 'Dra. Ana', at: `2026-12-${String(day).padStart(2, '0')} 14:30`, durationMinutes: 45, procedure: 'limpeza' }, actor, { timeZone: SP, now });
  const image = recordKey(patient.id, 'IMG-RESTORE1');
  await store.putJson(image, { id: 'IMG-RESTORE1', patientId: patient.id, kind: 'radiograph', teeth: [11] });
  await tick();
  await updatePatient(store, patient.id, { phone: '11 92222-2222' }, actor);
  await store.putJson(image, { id: 'IMG-RESTORE1', patientId: patient.id, kind: 'radiograph', teeth: [11, 12] });
  const { appointment: a, etag } = await getAppointment(store, appointment.id);
  await store.putJson(await keyOf(appointment.id), { ...a, procedure: 'canal' }, { ifMatch: etag });
  await tick();
  const middle = new Date();
  await tick();
  await updatePatient(store, patient.id, { phone: '11 93333-3333', notes: 'changed after' }, actor);
  await store.putJson(image, { id: 'IMG-RESTORE1', patientId: patient.id, kind: 'photo', teeth: [] });
  const latest = await getAppointment(store, appointment.id);
  await store.putJson(await keyOf(appointment.id), { ...latest.appointment, procedure: 'extração' }, { ifMatch: latest.etag });
  return { patient, appointment, image, middle };
}

async function keyOf(appointmentId: string) {
  const { appointmentKey } = await import('../../src/clinic/appointments.js');
  return appointmentKey(appointmentId);
}

describe('restore one patient (local versioned store)', () => {
  it('puts the record, an appointment and an image record back as they were in the middle of three changes', async () => {
    const { patient, appointment, image, middle } = await changedThreeTimes();
    const sources = { data: stack.dataStore };
    const plan = await planPatientRestore(sources, patient.id, middle);
    const byKey = Object.fromEntries(plan.items.map((i) => [i.key, i]));
    expect(byKey[`patients/${patient.id}.json`]).toMatchObject({ what: 'patient record', action: 'restore', fields: expect.arrayContaining(['notes', 'phone']) });
    expect(byKey[image]).toMatchObject({ what: 'image record', action: 'restore', fields: ['kind', 'teeth'] });
    expect(byKey[await keyOf(appointment.id)]).toMatchObject({ what: 'appointment', action: 'restore', fields: expect.arrayContaining(['procedure']) });
    const versionsBefore = (await stack.dataStore.listVersions(`patients/${patient.id}.json`)).length;
    // a server (another process: a store of its own) that had the record open sees the restore through its marker
    let clock = 0;
    const server = new PatientRecords(new Store(stack.dataStore.s3, stack.dataStore.bucket), { now: () => clock });
    expect((await server.read(patient.id)).patient.phone).toBe('+5511933333333');

    const result = await applyPatientRestore(sources, plan, actor);
    expect(result.failed).toEqual([]);
    clock += 1_000;
    expect((await server.read(patient.id)).patient.phone).toBe('+5511922222222');
    server.close();
    const restored = (await getPatient(stack.dataStore, patient.id)).patient;
    expect(restored.phone).toBe('+5511922222222');
    expect(restored.notes).toBeUndefined();
    expect((await stack.dataStore.getJson<{ teeth: number[]; kind: string }>(image))?.value).toMatchObject({ kind: 'radiograph', teeth: [11, 12] });
    expect((await getAppointment(stack.dataStore, appointment.id)).appointment.procedure).toBe('canal');
    // nothing later was deleted: the restore is one more version on top
    const versions = await stack.dataStore.listVersions(`patients/${patient.id}.json`);
    expect(versions).toHaveLength(versionsBefore + 1);
    expect(versions.filter((v) => v.deleteMarker)).toEqual([]);
    const entries = await listAudit(stack.dataStore, { patientId: patient.id });
    expect(entries.at(-1)).toMatchObject({ action: 'patient.restore', actor, details: { at: middle.toISOString(), restored: result.restored.length } });
    // restoring again to the same moment changes nothing
    expect((await planPatientRestore(sources, patient.id, middle)).changes).toBe(0);
  });

  it('takes a version from the backup when the data bucket no longer has it', async () => {
    const store = stack.dataStore;
    const patient = await createPatient(store, { fullName: 'Backup Teste', birthDate: '1970-05-05' }, actor);
    const backup = new Store(store.s3, `${stack.config.names.prefix}-${stack.config.stage}-backup`, store.where);
    await backup.ensureBucket();
    await backup.enableVersioning();
    const old = { ...(await getPatient(store, patient.id)).patient, notes: 'only in the backup' };
    await backup.putJson(`patients/${patient.id}.json`, old);
    await tick();
    const moment = new Date();
    // the data bucket's own history starts after the moment: as if its old versions had expired
    await tick();
    const recreated = await createPatientLater(store, patient.id);
    const plan = await planPatientRestore({ data: store, backup }, patient.id, moment);
    expect(plan.items[0]).toMatchObject({ what: 'patient record', action: 'restore', from: { source: 'backup' } });
    await applyPatientRestore({ data: store, backup }, plan, actor);
    expect((await getPatient(store, patient.id)).patient.notes).toBe('only in the backup');
    expect(recreated).toBeTruthy();
  });

  it('refuses an unknown patient, and a moment before the patient existed', async () => {
    const unknown = await rejection(planPatientRestore({ data: stack.dataStore }, 'P-999999', new Date()));
    expect([unknown.kind, unknown.exitCode]).toEqual(['not-found', 2]);
    const { patient } = await changedThreeTimes();
    const before = await rejection(planPatientRestore({ data: stack.dataStore }, patient.id, new Date('2020-01-01T00:00:00Z')));
    expect([before.exitCode, before.message]).toEqual([2, expect.stringMatching(/had no record at 2020-01-01/)]);
  });
});

/** Rewrites a patient's record so its only versions in the data bucket are newer than now. */
async function createPatientLater(store: Store, id: string) {
  const key = `patients/${id}.json`;
  const versions = await store.listVersions(key);
  const { body } = (await store.getVersion(key, versions[0]!.versionId))!;
  const { DeleteObjectsCommand } = await import('@aws-sdk/client-s3');
  await store.s3.send(new DeleteObjectsCommand({ Bucket: store.bucket, Delete: { Objects: versions.map((v) => ({ Key: key, VersionId: v.versionId })) } }));
  await store.put(key, body, { contentType: 'application/json; charset=utf-8' });
  return true;
}

describe('clinica restore (built CLI)', { timeout: 120_000 }, () => {
  it('--dry-run shows the diff and writes nothing; --yes restores', async () => {
    const { patient, middle } = await changedThreeTimes();
    const dry = await cli('restore', '--patient', patient.id, '--at', middle.toISOString(), '--dry-run', '--json');
    expect(dry.code).toBe(0);
    const plan = JSON.parse(dry.stdout) as { changes: number; items: { key: string; action: string }[] };
    expect(plan.changes).toBeGreaterThanOrEqual(3);
    expect((await getPatient(stack.dataStore, patient.id)).patient.phone).toBe('+5511933333333');
    const refused = await cli('restore', '--patient', patient.id, '--at', middle.toISOString());
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--yes/);
    const done = await cli('restore', '--patient', patient.id, '--at', middle.toISOString(), '--yes');
    expect(done.code).toBe(0);
    expect((await getPatient(stack.dataStore, patient.id)).patient.phone).toBe('+5511922222222');
  });

  it('--all --to-stage rebuilds the store as of the moment in another stage\'s bucket', async () => {
    const { patient, middle } = await changedThreeTimes();
    await createPatient(stack.dataStore, { fullName: 'Depois Do Momento', birthDate: '1990-02-02' }, actor);
    const run = await cli('restore', '--all', '--at', middle.toISOString(), '--to-stage', 'drill', '--yes', '--json');
    expect(run.stderr).not.toMatch(/error/);
    expect(run.code).toBe(0);
    const drill = new Store(stack.dataStore.s3, `${stack.config.names.prefix}-drill-data`, stack.dataStore.where);
    expect((await getPatient(drill, patient.id)).patient.phone).toBe('+5511922222222');
    const later = [];
    for await (const o of drill.list('patients/')) later.push(o.key);
    const now = [];
    for await (const o of stack.dataStore.list('patients/')) now.push(o.key);
    expect(later.length).toBeLessThan(now.length); // the patient created after the moment is not there
    expect((await listAudit(drill)).at(-1)).toMatchObject({ action: 'store.restore', details: { to: drill.bucket } });
  });

  it('a bad date, an unknown patient or a missing flag is one line, exit 2', async () => {
    const bad = await cli('restore', '--patient', 'P-000001', '--at', 'ontem');
    expect([bad.code, bad.stderr.trim().split('\n')]).toEqual([2, [expect.stringMatching(/^clinica: at: "ontem" is not a date and time/)]]);
    const unknown = await cli('restore', '--patient', 'P-999999', '--at', '2026-11-01 10:00');
    expect([unknown.code, unknown.stderr.trim().split('\n')]).toEqual([2, [expect.stringMatching(/^clinica: patient P-999999: no record/)]]);
    const same = await cli('restore', '--all', '--at', '2026-11-01 10:00', '--to-stage', stack.config.stage, '--yes');
    expect([same.code, same.stderr]).toEqual([2, expect.stringMatching(/is this stage/)]);
  });
});
