import { beforeAll, describe, expect, it } from 'vitest';
import { isClinicaError } from '../../src/errors.js';
import {
  cancelAppointment,
  confirmAppointment,
  createAppointment,
  getAppointment,
  listAppointments,
  moveAppointment,
  setAppointmentStatus,
} from '../../src/clinic/appointments.js';
import { listAudit } from '../../src/clinic/audit.js';
import { listPatientAppointments } from '../../src/clinic/patient-appointments.js';
import { createPatient, listPatients, nextAppointment } from '../../src/clinic/patients.js';
import { rejection } from '../helpers/rejection.js';
import { useTestStack } from '../helpers/stack.js';

const actor = 'cli:tester@host';
const SP = 'America/Sao_Paulo';
const NY = 'America/New_York';
const stack = useTestStack({ publish: false });
let patientId: string;
/** another patient, for bookings beside patientId's own at the same time (a patient's overlaps are refused) */
let otherId: string;

beforeAll(async () => {
  patientId = (await createPatient(stack.dataStore, { fullName: 'Agenda Teste', birthDate: '1985-06-07' }, actor)).id;
  otherId = (await createPatient(stack.dataStore, { fullName: 'Outro Paciente', birthDate: '1990-01-02' }, actor)).id;
});

const now = new Date('2026-11-20T12:00:00Z');

describe('appointments against the local S3', () => {
  it('books, refuses an overlap for the same dentist (unless forced), allows other dentists and adjacent slots', async () => {
    const store = stack.dataStore;
    const opts = { timeZone: SP, now };
    const a = await createAppointment(store, { patientId, dentist: 'Dra. Ana', at: '2026-12-01 14:30', durationMinutes: 45, procedure: 'limpeza' }, actor, opts);
    expect(a.id).toMatch(/^A-20261201-[a-z0-9]{6}$/);
    expect(a.start).toBe('2026-12-01T14:30:00-03:00');
    expect(a.status).toBe('scheduled');
    const overlap = await rejection(createAppointment(store, { patientId, dentist: 'dra. ana', at: '2026-12-01 15:00', durationMinutes: 30 }, actor, opts));
    expect(overlap).toMatchObject({ kind: 'conflict', field: 'at' });
    expect(overlap.message).toContain(`Dra. Ana is already booked on 2026-12-01 from 14:30 to 15:15 (${a.id})`);
    expect(overlap.hint).toMatch(/--force/);
    await createAppointment(store, { patientId: otherId, dentist: 'Dr. Bruno', at: '2026-12-01 15:00', durationMinutes: 30 }, actor, opts);
    await createAppointment(store, { patientId, dentist: 'Dra. Ana', at: '2026-12-01 15:15', durationMinutes: 30 }, actor, opts);
    const forced = await createAppointment(store, { patientId, dentist: 'Dra. Ana', at: '2026-12-01 14:45', durationMinutes: 15 }, actor, { ...opts, force: true });
    const day = await listAppointments(store, { from: '2026-12-01', to: '2026-12-01' }, SP);
    expect(day.map((x) => x.start.slice(11, 16))).toEqual(['14:30', '14:45', '15:00', '15:15']);
    expect((await listAppointments(store, { from: '2026-12-01', to: '2026-12-01', dentist: 'DRA. ANA' }, SP)).length).toBe(3);
    // a range given backwards names its end, and the first day it should not precede (the CLI says --to)
    const backwards = await rejection(listAppointments(store, { from: '2026-12-02', to: '2026-12-01' }, SP));
    expect([backwards.field, backwards.message]).toEqual(['to', "to: 2026-12-01 is before the range's first day, 2026-12-02"]);
    await cancelAppointment(store, forced.id, actor);
  });

  it('the same dentist typed without the dot or accents is still the same dentist (overlap), and the agenda filter takes part of the name', async () => {
    const store = stack.dataStore;
    const opts = { timeZone: SP, now };
    const a = await createAppointment(store, { patientId, dentist: 'Dra. Bia Lima', at: '2026-12-04 10:00', durationMinutes: 30 }, actor, opts);
    const overlap = await rejection(createAppointment(store, { patientId, dentist: 'dra bia  lima', at: '2026-12-04 10:15', durationMinutes: 30 }, actor, opts));
    expect(overlap).toMatchObject({ kind: 'conflict', field: 'at' });
    expect(overlap.message).toContain(a.id);
    await createAppointment(store, { patientId: otherId, dentist: 'Dr. Caio', at: '2026-12-04 10:00', durationMinutes: 30 }, actor, opts);
    const ids = async (dentist: string) => (await listAppointments(store, { from: '2026-12-04', to: '2026-12-04', dentist }, SP)).map((x) => x.id);
    expect(await ids('bia')).toEqual([a.id]);
    expect(await ids('Dra Bia')).toEqual([a.id]);
    expect(await ids('BIA LIMA')).toEqual([a.id]);
    expect(await ids('Ana')).toEqual([]);
  });

  it('refuses times in the past, malformed times, and unknown patients', async () => {
    const store = stack.dataStore;
    const past = await rejection(createAppointment(store, { patientId, dentist: 'Dra. Ana', at: '2026-11-19 10:00', durationMinutes: 30 }, actor, { timeZone: SP, now }));
    expect(past).toMatchObject({ kind: 'usage', field: 'at' });
    expect(past.message).toMatch(/in the past/);
    const bad = await rejection(createAppointment(store, { patientId, dentist: 'Dra. Ana', at: 'amanhã 10h', durationMinutes: 30 }, actor, { timeZone: SP, now }));
    expect(bad).toMatchObject({ kind: 'usage', field: 'at', exitCode: 2 });
    const unknown = await rejection(createAppointment(store, { patientId: 'P-999999', dentist: 'Dra. Ana', at: '2026-12-02 10:00', durationMinutes: 30 }, actor, { timeZone: SP, now }));
    expect(unknown).toMatchObject({ kind: 'not-found' });
    expect(await listAppointments(store, { from: '2026-12-02', to: '2026-12-02' }, SP)).toEqual([]);
  });

  it('two people booking the same slot at once: exactly one gets it', async () => {
    const store = stack.dataStore;
    const attempts = await Promise.allSettled(
      ['staff:ana', 'staff:bia', 'staff:caio'].map((who) =>
        createAppointment(store, { patientId, dentist: 'Dr. Concorrido', at: '2026-12-03 09:00', durationMinutes: 30 }, who, { timeZone: SP, now }),
      ),
    );
    expect(attempts.filter((r) => r.status === 'fulfilled').length).toBe(1);
    for (const r of attempts) if (r.status === 'rejected') expect(isClinicaError(r.reason, 'conflict')).toBe(true);
    expect((await listAppointments(store, { from: '2026-12-03', to: '2026-12-03' }, SP)).length).toBe(1);
  });

  it('confirms, moves within a day (same id) and to another day (new id, old one cancelled with movedTo), cancels', async () => {
    const store = stack.dataStore;
    const opts = { timeZone: SP, now };
    const a = await createAppointment(store, { patientId, dentist: 'Dr. Carlos', at: '2026-12-10 08:00', durationMinutes: 30 }, actor, opts);
    expect((await confirmAppointment(store, a.id, actor)).status).toBe('confirmed');
    const sameDay = await moveAppointment(store, a.id, '2026-12-10 09:00', actor, opts);
    expect(sameDay).toMatchObject({ id: a.id, start: '2026-12-10T09:00:00-03:00', status: 'scheduled' });
    const otherDay = await moveAppointment(store, a.id, '2026-12-11T10:00', actor, opts);
    expect(otherDay.id).toMatch(/^A-20261211-/);
    expect(otherDay.movedFrom).toBe(a.id);
    expect((await getAppointment(store, a.id)).appointment).toMatchObject({ status: 'cancelled', movedTo: otherDay.id });
    expect(await listAppointments(store, { from: '2026-12-10', to: '2026-12-10', dentist: 'Dr. Carlos' }, SP)).toEqual([]);
    expect((await listAppointments(store, { from: '2026-12-10', to: '2026-12-11', dentist: 'Dr. Carlos' }, SP)).map((x) => x.id)).toEqual([otherDay.id]);
    const moveBack = await rejection(moveAppointment(store, a.id, '2026-12-12 10:00', actor, opts));
    expect(moveBack).toMatchObject({ kind: 'usage' });
    const brief = await listPatientAppointments(store, patientId);
    expect(brief.map((b) => b.id)).toContain(otherDay.id);
    expect(brief.map((b) => b.id)).not.toContain(a.id);
    const [row] = await listPatients(store, { search: 'agenda teste' });
    expect(nextAppointment(row!, now)).toBe('2026-12-01T14:30:00-03:00');
    await cancelAppointment(store, otherDay.id, actor, { reason: 'paciente pediu' });
    expect((await getAppointment(store, otherDay.id)).appointment).toMatchObject({ status: 'cancelled', notes: 'cancelled: paciente pediu' });
    const actions = (await listAudit(store, { patientId })).map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['appointment.create', 'appointment.confirm', 'appointment.move', 'appointment.cancel']));
  });

  it('"next appointment" stays right for a patient with many bookings, from the index alone', async () => {
    const store = stack.dataStore;
    const monthly = (await createPatient(store, { fullName: 'Ortodontia Mensal', birthDate: '2010-02-02' }, actor)).id;
    const starts: string[] = [];
    for (const day of ['2026-12-02', '2027-01-06', '2027-02-03', '2027-03-03', '2027-04-07']) {
      starts.push((await createAppointment(store, { patientId: monthly, dentist: 'Dr. Aparelho', at: `${day} 16:00`, durationMinutes: 30 }, actor, { timeZone: SP, now })).start);
    }
    // nothing is written after the bookings: three months later the fourth is next, the fifth after it
    const [row] = await listPatients(store, { search: 'ortodontia mensal' });
    expect(row!.upcoming).toEqual(starts);
    expect(nextAppointment(row!, new Date('2027-03-04T12:00:00Z'))).toBe('2027-04-07T16:00:00-03:00');
    expect(nextAppointment(row!, new Date('2027-02-10T12:00:00Z'))).toBe('2027-03-03T16:00:00-03:00');
    expect(nextAppointment(row!, new Date('2027-05-01T12:00:00Z'))).toBeUndefined();
  });

  it('arrived ("chegou"): refused before the appointment\'s day (in the clinic\'s time), set on it even before the start; then done', async () => {
    const store = stack.dataStore;
    const a = await createAppointment(store, { patientId, dentist: 'Dra. Chegada', at: '2026-12-22 10:00', durationMinutes: 30 }, actor, { timeZone: SP, now });
    const eveBefore = new Date('2026-12-22T02:30:00Z'); // 23:30 of the 21st in São Paulo, already the 22nd in UTC
    expect(await rejection(setAppointmentStatus(store, a.id, 'arrived', actor, { now: eveBefore }))).toMatchObject({
      kind: 'usage',
      field: 'id',
      reason: 'not-today',
      message: `${a.id} is on 2026-12-22: the patient can be marked arrived on that day`,
    });
    const early = new Date('2026-12-22T12:40:00Z'); // 09:40 in São Paulo, 20 minutes before the start
    expect((await setAppointmentStatus(store, a.id, 'arrived', actor, { now: early })).status).toBe('arrived');
    expect(await rejection(confirmAppointment(store, a.id, actor))).toMatchObject({ kind: 'usage', reason: 'appointment-arrived' });
    expect((await setAppointmentStatus(store, a.id, 'done', actor, { now: new Date('2026-12-22T13:20:00Z') })).status).toBe('done');
    const trail = (await listAudit(store, { patientId })).filter((e) => e.details?.appointmentId === a.id).map((e) => e.details?.status);
    expect(trail).toEqual([undefined, 'arrived', 'done']);
  });

  it('done and no-show: refused before the start, set after it, then only swapped with each other', async () => {
    const store = stack.dataStore;
    const a = await createAppointment(store, { patientId, dentist: 'Dra. Fim', at: '2026-12-20 10:00', durationMinutes: 30 }, actor, { timeZone: SP, now });
    const early = await rejection(setAppointmentStatus(store, a.id, 'no-show', actor, { now }));
    expect(early).toMatchObject({ kind: 'usage', field: 'id', exitCode: 2, message: `${a.id} begins on 2026-12-20 at 10:00: it can be marked no-show once it has begun` });
    const started = new Date('2026-12-20T13:05:00Z'); // 10:05 in São Paulo
    expect((await setAppointmentStatus(store, a.id, 'no-show', actor, { now: started })).status).toBe('no-show');
    expect((await setAppointmentStatus(store, a.id, 'done', actor, { now: started })).status).toBe('done'); // a slip corrected
    // one at a time: both started together, the second could reject before anyone listened (an unhandled rejection)
    for (const attempt of [() => cancelAppointment(store, a.id, actor), () => confirmAppointment(store, a.id, actor)]) {
      expect(await rejection(attempt())).toMatchObject({ kind: 'usage', message: expect.stringMatching(new RegExp(`^${a.id} is already done; it cannot be (cancelled|confirmed) now$`)) });
    }
    expect((await getAppointment(store, a.id)).appointment).toMatchObject({ status: 'done', version: 3 });
    expect((await listPatientAppointments(store, patientId)).find((b) => b.id === a.id)?.status).toBe('done');
    const trail = (await listAudit(store, { patientId })).filter((e) => e.details?.appointmentId === a.id).map((e) => [e.action, e.details?.status]);
    expect(trail).toEqual([['appointment.create', undefined], ['appointment.update', 'no-show'], ['appointment.update', 'done']]);
    const cancelled = await createAppointment(store, { patientId, dentist: 'Dra. Fim', at: '2026-12-21 10:00', durationMinutes: 30 }, actor, { timeZone: SP, now });
    await cancelAppointment(store, cancelled.id, actor);
    expect(await rejection(setAppointmentStatus(store, cancelled.id, 'done', actor, { now: new Date('2027-01-01T00:00:00Z') }))).toMatchObject({ kind: 'usage', field: 'id' });
  });

  it('files appointments under the clinic-local day, across UTC-offset and DST boundaries', async () => {
    const store = stack.dataStore;
    // 23:30 in São Paulo is 02:30 UTC the next day: it belongs to the local day
    const late = await createAppointment(store, { patientId, dentist: 'Dra. Noite', at: '2026-12-15 23:30', durationMinutes: 20 }, actor, { timeZone: SP, now });
    expect(late.id).toMatch(/^A-20261215-/);
    expect((await listAppointments(store, { from: '2026-12-15', to: '2026-12-15' }, SP)).map((x) => x.id)).toEqual([late.id]);
    expect(await listAppointments(store, { from: '2026-12-16', to: '2026-12-16' }, SP)).toEqual([]);

    // New York, 14 March 2027: clocks jump 02:00 → 03:00 (a 23-hour day)
    const nyNow = new Date('2027-03-01T00:00:00Z');
    const opts = { timeZone: NY, now: nyNow };
    const early = await createAppointment(store, { patientId, dentist: 'Dr. York', at: '2027-03-14 00:30', durationMinutes: 30 }, actor, opts);
    const after = await createAppointment(store, { patientId, dentist: 'Dr. York', at: '2027-03-14 03:00', durationMinutes: 30 }, actor, opts);
    const night = await createAppointment(store, { patientId, dentist: 'Dr. York', at: '2027-03-14 23:30', durationMinutes: 30 }, actor, opts);
    expect(early.start).toBe('2027-03-14T00:30:00-05:00');
    expect(after.start).toBe('2027-03-14T03:00:00-04:00');
    expect(night.start).toBe('2027-03-14T23:30:00-04:00');
    const gap = await rejection(createAppointment(store, { patientId, dentist: 'Dr. York', at: '2027-03-14 02:30', durationMinutes: 30 }, actor, opts));
    expect(gap).toMatchObject({ kind: 'usage', field: 'at' });
    expect(gap.message).toMatch(/does not exist in America\/New_York/);
    const dstDay = await listAppointments(store, { from: '2027-03-14', to: '2027-03-14', dentist: 'Dr. York' }, NY);
    expect(dstDay.map((x) => x.id)).toEqual([early.id, after.id, night.id]);
    expect(await listAppointments(store, { from: '2027-03-15', to: '2027-03-15', dentist: 'Dr. York' }, NY)).toEqual([]);
    // 01:00 → 03:00 is one real hour on that day: a 2 h booking at 01:00 overlaps the 03:00 one
    const longOne = await rejection(createAppointment(store, { patientId, dentist: 'Dr. York', at: '2027-03-14 01:00', durationMinutes: 120 }, actor, opts));
    expect(longOne).toMatchObject({ kind: 'conflict' });
  });

  it('an appointment ends on the day it starts: one that would run past midnight is refused (its overlaps there would go unseen)', async () => {
    const store = stack.dataStore;
    const opts = { timeZone: SP, now };
    const early = await createAppointment(store, { patientId, dentist: 'Dr. Madrugada', at: '2026-12-28 00:00', durationMinutes: 30 }, actor, opts);
    const late = await rejection(createAppointment(store, { patientId, dentist: 'Dr. Madrugada', at: '2026-12-27 23:30', durationMinutes: 60 }, actor, opts));
    expect(late).toMatchObject({ kind: 'usage', field: 'duration', exitCode: 2, reason: 'crosses-midnight' });
    expect(late.message).toBe('duration: 60 min from 23:30 ends at 00:30 on 2026-12-28; an appointment ends by midnight of the day it starts');
    expect(await listAppointments(store, { from: '2026-12-27', to: '2026-12-27' }, SP)).toEqual([]);
    // up to midnight is fine; a move that would run past it is refused too, and leaves the appointment as it was
    const lastSlot = await createAppointment(store, { patientId, dentist: 'Dr. Madrugada', at: '2026-12-27 23:30', durationMinutes: 30 }, actor, opts);
    const moved = await rejection(moveAppointment(store, early.id, '2026-12-27 23:45', actor, opts));
    expect(moved).toMatchObject({ kind: 'usage', reason: 'crosses-midnight' });
    expect((await getAppointment(store, early.id)).appointment.start).toBe(early.start);
    expect(lastSlot.start).toBe('2026-12-27T23:30:00-03:00');
  });

  it('rejects malformed and oversized ranges', async () => {
    const store = stack.dataStore;
    expect(await rejection(listAppointments(store, { from: '2026-13-01', to: '2026-12-01' }, SP))).toMatchObject({ kind: 'usage', field: 'from' });
    expect(await rejection(listAppointments(store, { from: '2026-12-02', to: '2026-12-01' }, SP))).toMatchObject({ kind: 'usage', field: 'to' });
    expect(await rejection(listAppointments(store, { from: '2026-01-01', to: '2028-01-01' }, SP))).toMatchObject({ kind: 'usage', field: 'to' });
  });
});
