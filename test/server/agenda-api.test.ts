/** The agenda's rules, dentists, chairs and free slots through the API (real HTTP, local S3). */
import { beforeAll, describe, expect, it } from 'vitest';
import { addDays, todayIn, zonedToInstant } from '../../src/clinic/time.js';
import { useServerHarness } from './harness.js';

const SP = 'America/Sao_Paulo';
/** The first Monday at least three weeks from today (clinic-local), so every booking is in the future. */
function monday(): string {
  let d = addDays(todayIn(SP), 21);
  while (new Date(`${d}T12:00:00Z`).getUTCDay() !== 1) d = addDays(d, 1);
  return d;
}
const mon = monday();
const tue = addDays(mon, 1);
const closed = addDays(mon, 2);

let patientA: string;
let patientB: string;
let ana: string;

const h = useServerHarness({
  config: {
    clinic: {
      name: 'Clínica API',
      hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '18:00' }],
      closures: [{ from: closed, to: closed, note: 'dedetização' }],
    },
  },
});
beforeAll(async () => {
  const made = async (fullName: string) => (await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName, birthDate: '1990-01-01' } })).body.patient.id as string;
  patientA = await made('Paciente A');
  patientB = await made('Paciente B');
});

const book = (token: string, body: Record<string, unknown>) => h.call('POST', '/api/appointments', { token, body: { durationMinutes: 30, ...body } });

describe('dentists and chairs over the API', () => {
  it('admin adds and changes dentists and chairs; other roles read them only', async () => {
    const refused = await h.call('POST', '/api/dentists', { token: h.tokens.reception, body: { name: 'Dra. Ana Souza' } });
    expect(refused.status).toBe(403);
    const added = await h.call('POST', '/api/dentists', { token: h.tokens.admin, body: { name: 'Dra. Ana Souza', cro: 'CRO-SP 12345', specialty: 'ortodontia', color: '#123456' } });
    expect(added.status).toBe(201);
    ana = added.body.dentist.id;
    expect(added.body.dentist).toMatchObject({ name: 'Dra. Ana Souza', cro: 'CRO-SP 12345', color: '#123456', active: true });
    const bruno = await h.call('POST', '/api/dentists', { token: h.tokens.admin, body: { name: 'Dr. Bruno Lima', hours: [{ days: ['tue'], open: '13:00', close: '18:00' }] } });
    expect(bruno.status).toBe(201);
    await h.call('POST', '/api/dentists', { token: h.tokens.admin, body: { name: 'Dra. Ana Paula Reis' } });
    const patched = await h.call('PATCH', `/api/dentists/${ana}`, { token: h.tokens.admin, body: { specialty: null, staffId: h.ids.dentist } });
    expect(patched.body.dentist).toMatchObject({ staffId: h.ids.dentist });
    expect(patched.body.dentist.specialty).toBeUndefined();
    const list = await h.call('GET', '/api/dentists', { token: h.tokens.reception });
    expect(list.body.dentists.map((d: { name: string }) => d.name)).toEqual(['Dr. Bruno Lima', 'Dra. Ana Paula Reis', 'Dra. Ana Souza']);
    const badHours = await h.call('POST', '/api/dentists', { token: h.tokens.admin, body: { name: 'Dr. Errado', hours: [{ days: ['xyz'], open: '8', close: '9' }] } });
    expect([badHours.status, badHours.body.error.reason]).toEqual([400, 'hours-format']);
    // the page's form sends hours as the CLI writes them
    const asText = await h.call('PATCH', `/api/dentists/${bruno.body.dentist.id}`, { token: h.tokens.admin, body: { hours: 'tue 13:00-18:00' } });
    expect(asText.body.dentist.hours).toEqual([{ days: ['tue'], open: '13:00', close: '18:00' }]);
    const badText = await h.call('PATCH', `/api/dentists/${bruno.body.dentist.id}`, { token: h.tokens.admin, body: { hours: 'terça de tarde' } });
    expect([badText.status, badText.body.error.reason]).toEqual([400, 'hours-format']);
    expect((await h.call('POST', '/api/chairs', { token: h.tokens.admin, body: { name: 'Cadeira 1' } })).status).toBe(201);
    expect((await h.call('GET', '/api/chairs', { token: h.tokens.reception })).body.chairs).toHaveLength(1);
  });
});

describe('booking rules over the API', () => {
  it('unknown and ambiguous dentists are 400s listing the matches', async () => {
    const ambiguous = await book(h.tokens.reception, { patientId: patientA, dentist: 'Dra. Ana', at: `${mon} 09:00` });
    expect([ambiguous.status, ambiguous.body.error.reason]).toEqual([400, 'dentist-ambiguous']);
    expect(ambiguous.body.error.matches.map((m: { name: string }) => m.name).sort()).toEqual(['Dra. Ana Paula Reis', 'Dra. Ana Souza']);
    const unknown = await book(h.tokens.reception, { patientId: patientA, dentist: 'Dr. Ninguém', at: `${mon} 09:00` });
    expect([unknown.status, unknown.body.error.reason, unknown.body.error.matches.length]).toEqual([400, 'dentist-unknown', 3]);
  });

  it('every refusal: its status, reason and texts in both languages', async () => {
    const first = await book(h.tokens.reception, { patientId: patientA, dentist: ana, at: `${mon} 09:00`, chair: 'Cadeira 1' });
    expect(first.status).toBe(201);
    expect(first.body.appointment).toMatchObject({ dentistId: ana, dentist: 'Dra. Ana Souza' });
    const cases: [Record<string, unknown>, number, string][] = [
      [{ patientId: patientB, dentist: ana, at: `${mon} 09:15` }, 409, 'overlap'],
      [{ patientId: patientA, dentist: 'Bruno', at: `${tue} 13:00` }, 201, ''],
      [{ patientId: patientA, dentist: 'Paula', at: `${tue} 13:15` }, 409, 'patient-overlap'],
      [{ patientId: patientB, dentist: 'Paula', at: `${mon} 09:10`, chair: 'cadeira 1' }, 409, 'chair-overlap'],
      [{ patientId: patientB, dentist: ana, at: `${mon} 19:00` }, 400, 'outside-opening-hours'],
      [{ patientId: patientB, dentist: 'Bruno', at: `${mon} 14:00` }, 400, 'outside-working-hours'],
      [{ patientId: patientB, dentist: ana, at: `${closed} 10:00` }, 400, 'clinic-closed'],
    ];
    for (const [body, status, reason] of cases) {
      const r = await book(h.tokens.reception, body);
      expect([r.status, r.body.error?.reason ?? ''], JSON.stringify(body)).toEqual([status, reason]);
      if (!reason) continue;
      const refusal = r.body.error.refusals[0];
      expect(refusal.reason).toBe(reason);
      expect(refusal.text['pt-BR']).toMatch(/\d{2}\/\d{2}\/\d{4}/);
      expect(refusal.text.en).toMatch(/\d{4}-\d{2}-\d{2}/);
    }
  });

  it('an encaixe: refused to reception, allowed to a dentist, saying what it overrode', async () => {
    const body = { patientId: patientB, dentist: ana, at: `${mon} 09:00`, force: true };
    const reception = await book(h.tokens.reception, body);
    expect([reception.status, reception.body.error.reason]).toEqual([403, 'force-not-allowed']);
    const dentist = await book(h.tokens.dentist, body);
    expect(dentist.status).toBe(201);
    expect(dentist.body.appointment.overrode).toEqual(['overlap']);
    const closedDay = await book(h.tokens.admin, { ...body, at: `${closed} 09:00` });
    expect([closedDay.status, closedDay.body.error.reason]).toEqual([400, 'clinic-closed']);
  });

  it('moves follow the same rules', async () => {
    const booked = await book(h.tokens.reception, { patientId: patientB, dentist: ana, at: `${tue} 10:00` });
    const r = await h.call('POST', `/api/appointments/${booked.body.appointment.id}/move`, { token: h.tokens.reception, body: { at: `${tue} 07:00` } });
    expect([r.status, r.body.error.reason]).toEqual([400, 'outside-opening-hours']);
  });
});

describe('free slots over the API', () => {
  it('GET /api/appointments/free gives [{ dentistId, start, end }] within the hours', async () => {
    const r = await h.call('GET', `/api/appointments/free?date=${tue}&dentist=Bruno&duration=60`, { token: h.tokens.reception });
    expect(r.status).toBe(200);
    // Bruno works Tuesdays 13:00–18:00; 13:00–13:30 is held
    const at = (hhmm: string) => zonedToInstant(tue, hhmm, SP).getTime();
    expect(r.body.slots.map((s: { start: string }) => Date.parse(s.start))).toEqual([at('13:30'), at('14:30'), at('15:30'), at('16:30')]);
    expect(Object.keys(r.body.slots[0]).sort()).toEqual(['dentistId', 'end', 'start']);
    const closedDay = await h.call('GET', `/api/appointments/free?date=${closed}`, { token: h.tokens.reception });
    expect(closedDay.body.slots).toEqual([]);
    const bad = await h.call('GET', `/api/appointments/free?date=${tue}&duration=2`, { token: h.tokens.reception });
    expect(bad.status).toBe(400);
  });
});
