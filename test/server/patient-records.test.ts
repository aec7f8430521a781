/**
 * The server's memory of opened records (src/server/patient-records.ts), against the local S3: an opening is
 * served from memory; a change made through the same store is seen at once, one made by another process
 * (another Store on the bucket: the CLI, a Lambda) once its change marker is seen — within checkMs — and a
 * change that left no marker after maxAgeMs.
 */
import { describe, expect, it } from 'vitest';
import { purgePatient } from '../../src/clinic/lgpd.js';
import { recordPatientAppointments } from '../../src/clinic/patient-appointments.js';
import { createPatient, getPatient, patientKey, patientOfKey, updatePatient } from '../../src/clinic/patients.js';
import type { Appointment } from '../../src/clinic/types.js';
import { PatientRecords } from '../../src/server/patient-records.js';
import { Store } from '../../src/store/store.js';
import { recordS3Calls } from '../helpers/s3-calls.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();

/** The cache over the stack's store, on a clock the test moves; and a second Store: another process's writes. */
function setup(options: { maxEntries?: number } = {}) {
  const clock = { now: 0 };
  const records = new PatientRecords(stack.dataStore, { checkMs: 1_000, maxAgeMs: 30_000, now: () => clock.now, ...options });
  const elsewhere = new Store(stack.dataStore.s3, stack.dataStore.bucket);
  return { clock, records, elsewhere };
}

const recordReads = (calls: { command: string; key?: string }[]) => calls.filter((c) => c.command === 'GetObjectCommand' && c.key && patientOfKey(c.key)).map((c) => c.key);

const newPatient = (name: string) => createPatient(stack.dataStore, { fullName: name, birthDate: '1980-05-06' }, 'test');

describe('the server keeps opened records', () => {
  it('opens a record once: the next opening is the same answer with no S3 read', async () => {
    const { records } = setup();
    const p = await newPatient('Ana Lembrada');
    const first = await recordS3Calls(stack.dataStore.s3, () => records.read(p.id));
    expect(recordReads(first.calls).sort()).toEqual([`index/appointments-by-patient/${p.id}.json`, patientKey(p.id)]);
    expect(first.result.patient.fullName).toBe('Ana Lembrada');
    const second = await recordS3Calls(stack.dataStore.s3, () => records.read(p.id.toLowerCase()));
    expect(second.calls).toEqual([]);
    expect(second.result).toBe(first.result);
  });

  it('a change through the same store is seen at once, even one made while a read was under way', async () => {
    const { records } = setup();
    const p = await newPatient('Bruno Editado');
    await records.read(p.id);
    await updatePatient(stack.dataStore, p.id, { preferredName: 'Bruninho' }, 'staff:x');
    expect((await records.read(p.id)).patient.preferredName).toBe('Bruninho');
    // a read that began before the write may return the old version, but is not kept
    const inFlight = records.read(p.id);
    const { etag } = await updatePatient(stack.dataStore, p.id, { preferredName: 'Bru' }, 'staff:x');
    await inFlight;
    const after = await records.read(p.id);
    expect(after.patient.preferredName).toBe('Bru');
    expect(after.etag).toBe(etag);
  });

  it("another process's change to the record or the appointments is seen once its marker is (within checkMs)", async () => {
    const { clock, records, elsewhere } = setup();
    const p = await newPatient('Carla Remota');
    await records.read(p.id);
    await updatePatient(elsewhere, p.id, { alerts: ['Alergia a penicilina'] }, 'cli:ti@clinica');
    expect((await records.read(p.id)).patient.alerts ?? []).toEqual([]); // within checkMs: what was read
    clock.now += 1_000;
    expect((await records.read(p.id)).patient.alerts).toEqual(['Alergia a penicilina']);

    const appointment = { id: 'A-REMOTE1', patientId: p.id, start: '2027-01-05T13:00:00.000Z', durationMinutes: 30, dentist: 'D-01', status: 'confirmed' } as Appointment;
    await recordPatientAppointments(elsewhere, p.id, [appointment]);
    clock.now += 1_000;
    expect((await records.read(p.id)).appointments.map((a) => [a.id, a.status])).toEqual([['A-REMOTE1', 'confirmed']]);

    // only the changed shard is read again: another patient's remembered record stays
    const other = await newPatient('Davi Quieto');
    await records.read(other.id);
    await updatePatient(elsewhere, p.id, { preferredName: 'Carlinha' }, 'cli:ti@clinica');
    clock.now += 1_000;
    const { calls } = await recordS3Calls(stack.dataStore.s3, () => records.read(other.id));
    expect(recordReads(calls)).toEqual([]);
    expect((await records.read(p.id)).patient.preferredName).toBe('Carlinha');
  });

  it('a purge elsewhere is seen as "no such patient"; a change that left no marker is seen after maxAgeMs', async () => {
    const { clock, records, elsewhere } = setup();
    const gone = await newPatient('Elisa Apagada');
    const kept = await newPatient('Elias Mantido');
    await records.read(gone.id);
    await records.read(kept.id);
    await purgePatient(elsewhere, gone.id, 'cli:ti@clinica', { retentionYears: 20, force: true });
    clock.now += 1_000;
    // the next look at the markers lets go of the purged patient's data, even before anyone asks for it
    await records.read(kept.id);
    expect(records.size).toBe(1);
    await expect(records.read(gone.id)).rejects.toMatchObject({ kind: 'not-found' });

    // a writer killed between its write and its marker: the record rewritten with no marker
    const p = await newPatient('Fabio Sem Marca');
    await records.read(p.id);
    const { patient, etag } = await getPatient(elsewhere, p.id);
    await elsewhere.putJson(patientKey(p.id), { ...patient, preferredName: 'Fabinho' }, { ifMatch: etag });
    clock.now += 29_000;
    expect((await records.read(p.id)).patient.preferredName).toBeUndefined();
    clock.now += 1_000;
    expect((await records.read(p.id)).patient.preferredName).toBe('Fabinho');
  });

  it('keeps neither "no such patient" nor a failed read, and at most maxEntries records', async () => {
    const { records, elsewhere } = setup({ maxEntries: 2 });
    const missing = 'P-099001';
    await expect(records.read(missing)).rejects.toMatchObject({ kind: 'not-found' });
    const created = await newPatient('Gabi Recente');
    await elsewhere.putJson(patientKey(missing), { ...created, id: missing });
    expect((await records.read(missing)).patient.id).toBe(missing);

    const [a, b, c] = [await newPatient('Um'), await newPatient('Dois'), await newPatient('Tres')];
    for (const p of [a, b, c]) await records.read(p.id);
    const { calls } = await recordS3Calls(stack.dataStore.s3, async () => {
      await records.read(c.id);
      await records.read(a.id); // the least recently opened: dropped when c came in
    });
    expect(recordReads(calls).sort()).toEqual([`index/appointments-by-patient/${a.id}.json`, patientKey(a.id)]);
    records.close();
  });
});
