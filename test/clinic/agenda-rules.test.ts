/**
 * The agenda's rules against the local S3: every refusal with its code and both texts, the encaixe, dentists
 * named by id or name (unknown and ambiguous listed), free slots from the day indexes, and the migration of
 * free-text dentists run twice.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { agendaCalendar } from '../../src/clinic/agenda-calendar.js';
import { cancelAppointment, createAppointment, getAppointment, listAppointments, moveAppointment, readDaySlots } from '../../src/clinic/appointments.js';
import { listAudit } from '../../src/clinic/audit.js';
import { migrateDentists } from '../../src/clinic/dentist-migration.js';
import { addChair, addDentist, listDentists, parseHours } from '../../src/clinic/dentists.js';
import { freeSlots } from '../../src/clinic/free-slots.js';
import { createPatient } from '../../src/clinic/patients.js';
import type { ClinicaError } from '../../src/errors.js';
import { useTestStack } from '../helpers/stack.js';

const actor = 'cli:tester@host';
const now = new Date('2026-11-20T12:00:00Z');
const stack = useTestStack({
  publish: false,
  config: {
    clinic: {
      name: 'Clínica Agenda',
      hours: [
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '12:00' },
        { days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '13:00', close: '18:00' },
        { days: ['sat'], open: '08:00', close: '12:00' },
      ],
      closures: ['2026-12-24', { from: '2026-12-28', to: '2026-12-31', note: 'recesso' }],
      holidays: 'br-national',
    },
  },
});
let ana: string;
let bruno: string;
let p1: string;
let p2: string;

beforeAll(async () => {
  const s = stack.dataStore;
  ana = (await addDentist(s, { name: 'Dra. Ana Souza', cro: 'CRO-SP 12345', specialty: 'ortodontia' }, actor)).id;
  bruno = (await addDentist(s, { name: 'Dr. Bruno Lima', hours: parseHours('tue,thu 13:00-18:00') }, actor)).id;
  await addDentist(s, { name: 'Dra. Ana Paula Reis' }, actor);
  p1 = (await createPatient(s, { fullName: 'Paciente Um', birthDate: '1980-01-01' }, actor)).id;
  p2 = (await createPatient(s, { fullName: 'Paciente Dois', birthDate: '1981-01-01' }, actor)).id;
});

async function refusal(p: Promise<unknown>): Promise<ClinicaError & { extra: { refusals: { reason: string; text: Record<string, string> }[] } }> {
  try {
    await p;
  } catch (err) {
    return err as never;
  }
  throw new Error('expected a refusal');
}

const book = (input: { patientId: string; dentist: string; at: string; durationMinutes?: number; chair?: string }, extra: { force?: boolean; forceAllowed?: boolean } = {}) =>
  createAppointment(stack.dataStore, { durationMinutes: 30, ...input }, actor, { timeZone: 'America/Sao_Paulo', calendar: agendaCalendar(stack.config), now, ...extra });

describe('booking rules', () => {
  it('names a dentist by id or unambiguous name; unknown and ambiguous names list the matches (exit 2)', async () => {
    const byId = await book({ patientId: p1, dentist: ana, at: '2026-12-01 08:00' });
    expect(byId).toMatchObject({ dentistId: ana, dentist: 'Dra. Ana Souza' });
    const byName = await book({ patientId: p1, dentist: 'ana souza', at: '2026-12-01 09:00' });
    expect(byName.dentistId).toBe(ana);
    const ambiguous = await refusal(book({ patientId: p1, dentist: 'Dra. Ana', at: '2026-12-01 10:00' }));
    expect(ambiguous).toMatchObject({ kind: 'usage', exitCode: 2, reason: 'dentist-ambiguous', field: 'dentist' });
    expect(ambiguous.message).toContain('Dra. Ana Souza');
    expect(ambiguous.message).toContain('Dra. Ana Paula Reis');
    const unknown = await refusal(book({ patientId: p1, dentist: 'Dr. Ninguém', at: '2026-12-01 10:00' }));
    expect(unknown).toMatchObject({ exitCode: 2, reason: 'dentist-unknown' });
    expect((unknown.extra as unknown as { matches: unknown[] }).matches).toHaveLength(3);
  });

  it("refuses the dentist's, the patient's and the chair's overlaps, each with its code and both texts", async () => {
    const chair = await addChair(stack.dataStore, 'Cadeira 1', actor);
    const first = await book({ patientId: p1, dentist: ana, at: '2026-12-02 10:00', chair: chair.id });
    const dentist = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-02 10:15' }));
    expect(dentist).toMatchObject({ kind: 'conflict', exitCode: 1, reason: 'overlap' });
    expect(dentist.extra.refusals[0]!.text['pt-BR']).toBe(`Dra. Ana Souza já tem um horário em 02/12/2026 das 10:00 às 10:30 (${first.id}).`);
    const patient = await refusal(book({ patientId: p1, dentist: 'Dr. Bruno Lima', at: '2026-12-01 14:00' }).then(() => book({ patientId: p1, dentist: ana, at: '2026-12-01 14:15' })));
    expect(patient.reason).toBe('patient-overlap');
    expect(patient.extra.refusals[0]!.text.en).toContain(`Patient ${p1} already has an appointment on 2026-12-01 from 14:00 to 14:30 with Dr. Bruno Lima`);
    const seat = await refusal(book({ patientId: p2, dentist: 'Dra. Ana Paula Reis', at: '2026-12-02 10:10', chair: 'cadeira 1' }));
    expect(seat.reason).toBe('chair-overlap');
    expect(seat.extra.refusals[0]!.text['pt-BR']).toContain('A cadeira Cadeira 1 já está ocupada');
  });

  it('refuses times outside the opening hours, the dentist\'s hours, and closed days (closures and holidays)', async () => {
    const sunday = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-06 03:00' }));
    expect(sunday).toMatchObject({ kind: 'usage', exitCode: 2, reason: 'outside-opening-hours' });
    expect(sunday.extra.refusals[0]!.text['pt-BR']).toBe('A clínica não atende em 06/12/2026 das 03:00 às 03:30: o horário de domingo é fechado.');
    const lunch = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-03 11:45' }));
    expect(lunch.extra.refusals[0]!.text.en).toBe('The clinic is not open on 2026-12-03 from 11:45 to 12:15: its hours on Thursday are 08:00–12:00, 13:00–18:00.');
    const monday = await refusal(book({ patientId: p2, dentist: bruno, at: '2026-12-07 14:00' }));
    expect(monday.reason).toBe('outside-working-hours');
    expect(monday.extra.refusals[0]!.text['pt-BR']).toBe('Dr. Bruno Lima não atende em 07/12/2026 das 14:00 às 14:30: o horário de segunda-feira é fechado.');
    const eve = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-24 09:00' }));
    expect(eve.reason).toBe('clinic-closed');
    const recess = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-29 09:00' }));
    expect(recess.extra.refusals[0]!.text['pt-BR']).toBe('A clínica está fechada em 29/12/2026 (recesso).');
    const christmas = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-25 09:00' }));
    expect(christmas.extra.refusals[0]!.text.en).toBe('The clinic is closed on 2026-12-25 (Natal).');
  });

  it('an encaixe overrides overlaps and hours (not closures), only when allowed, and says and audits what it overrode', async () => {
    const base = await book({ patientId: p1, dentist: ana, at: '2026-12-09 16:00' });
    const notAllowed = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-09 16:00' }, { force: true, forceAllowed: false }));
    expect(notAllowed).toMatchObject({ kind: 'forbidden', reason: 'force-not-allowed' });
    const forced = await book({ patientId: p2, dentist: ana, at: '2026-12-09 16:00', durationMinutes: 150 }, { force: true });
    expect(forced.overrode).toEqual(['outside-opening-hours', 'overlap']);
    const entries = await listAudit(stack.dataStore, { patientId: p2 });
    expect(entries.find((e) => e.details?.appointmentId === forced.id)?.details).toMatchObject({ encaixe: ['outside-opening-hours', 'overlap'] });
    const closed = await refusal(book({ patientId: p2, dentist: ana, at: '2026-12-24 09:00' }, { force: true }));
    expect(closed.reason).toBe('clinic-closed');
    // a move is judged by the same rules
    const moved = await refusal(moveAppointment(stack.dataStore, base.id, '2026-12-09 19:00', actor, { timeZone: 'America/Sao_Paulo', calendar: agendaCalendar(stack.config), now }));
    expect(moved.reason).toBe('outside-opening-hours');
  });
});

describe('free slots', () => {
  it("lists a dentist's free slots within the hours, around held times, skipping closed days; a cancel frees its slot", async () => {
    const cal = agendaCalendar(stack.config);
    const held = await book({ patientId: p2, dentist: bruno, at: '2026-12-15 13:30', durationMinutes: 60 });
    const slots = await freeSlots(stack.dataStore, { from: '2026-12-14', to: '2026-12-15', dentist: 'Bruno', durationMinutes: 60, now }, cal);
    // Monday: Bruno does not work; Tuesday 13:00–18:00 with 13:30–14:30 held
    expect(slots.map((s) => s.start)).toEqual(['2026-12-15T14:30:00-03:00', '2026-12-15T15:30:00-03:00', '2026-12-15T16:30:00-03:00']);
    expect(slots[0]).toMatchObject({ dentistId: bruno, end: '2026-12-15T15:30:00-03:00' });
    expect((await readDaySlots(stack.dataStore, '2026-12-15')).map((s) => s.id)).toEqual([held.id]);
    await cancelAppointment(stack.dataStore, held.id, actor);
    expect(await readDaySlots(stack.dataStore, '2026-12-15')).toEqual([]);
    const after = await freeSlots(stack.dataStore, { from: '2026-12-15', to: '2026-12-15', dentist: bruno, durationMinutes: 60, now }, cal);
    expect(after[0]!.start).toBe('2026-12-15T13:00:00-03:00');
    const holiday = await freeSlots(stack.dataStore, { from: '2026-12-24', to: '2026-12-25', durationMinutes: 30, now }, cal);
    expect(holiday).toEqual([]);
  });
});

describe('migration of free-text dentists', () => {
  // a stack of its own: the migration starts from a bucket without dentist records (the file's stack has three)
  const fresh = useTestStack({ publish: false });

  it('links every appointment to a record, making the missing ones, once: a second run changes nothing', async () => {
    const s = fresh.dataStore;
    const pid = (await createPatient(s, { fullName: 'Migra', birthDate: '1970-01-01' }, actor)).id;
    const opts = { timeZone: 'America/Sao_Paulo', now };
    // before any record: free text, in three spellings of one dentist and another dentist
    const a = await createAppointment(s, { patientId: pid, dentist: 'Dra. Ana Demo', at: '2026-12-01 09:00', durationMinutes: 30 }, actor, opts);
    const b = await createAppointment(s, { patientId: pid, dentist: 'dra ana demo', at: '2026-12-02 09:00', durationMinutes: 30 }, actor, opts);
    const c = await createAppointment(s, { patientId: pid, dentist: 'Dra. Ana Demo', at: '2026-12-03 09:00', durationMinutes: 30 }, actor, opts);
    const d = await createAppointment(s, { patientId: pid, dentist: 'Dr. Outro', at: '2026-12-01 10:00', durationMinutes: 30 }, actor, opts);
    expect(a.dentistId).toBeUndefined();
    const dry = await migrateDentists(s, actor, { dryRun: true });
    expect(dry.created.map((x) => [x.name, x.aliases, x.appointments])).toEqual([
      ['Dra. Ana Demo', ['dra ana demo'], 3],
      ['Dr. Outro', [], 1],
    ]);
    expect(await listDentists(s)).toEqual([]);
    const first = await migrateDentists(s, actor);
    expect([first.created.length, first.linked, first.failed]).toEqual([2, 4, []]);
    const dentists = await listDentists(s);
    const demo = dentists.find((x) => x.name === 'Dra. Ana Demo')!;
    expect(demo.aliases).toEqual(['dra ana demo']);
    for (const appt of [a, b, c]) {
      const { appointment } = await getAppointment(s, appt.id);
      expect(appointment.dentistId).toBe(demo.id);
      expect(appointment.dentist).toBe(appt.dentist); // the name as booked is kept
    }
    expect((await getAppointment(s, d.id)).appointment.dentistId).toBe(dentists.find((x) => x.name === 'Dr. Outro')!.id);
    expect((await readDaySlots(s, '2026-12-01')).map((x) => x.dentistId).sort()).toEqual([demo.id, dentists.find((x) => x.name === 'Dr. Outro')!.id].sort());
    const second = await migrateDentists(s, actor);
    expect([second.created, second.linked, second.failed]).toEqual([[], 0, []]);
    expect(await listDentists(s)).toHaveLength(2);
    // the old spelling now resolves to the record
    const e = await createAppointment(s, { patientId: pid, dentist: 'dra ana demo', at: '2026-12-04 09:00', durationMinutes: 30 }, actor, opts);
    expect(e.dentistId).toBe(demo.id);
    expect((await listAppointments(s, { from: '2026-12-01', to: '2026-12-04', dentist: demo.id }, 'America/Sao_Paulo')).length).toBe(4);
  });
});
