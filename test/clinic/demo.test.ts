import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAppointments } from '../../src/clinic/appointments.js';
import { isValidCpf } from '../../src/clinic/cpf.js';
import { canEmailReminders, getPatient, listPatients } from '../../src/clinic/patients.js';
import { demoClinicSeeder } from '../../src/local/demo-clinic.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

let stack: TestStack;

beforeAll(async () => {
  stack = await startTestStack({ publish: false, config: { clinic: { name: 'Demo', timeZone: 'America/Manaus' } } });
});
afterAll(async () => {
  await stack?.close();
});

describe('demo clinic seeder', () => {
  it('seeds fake patients with valid CPFs and appointments today and tomorrow (clinic time zone), once', async () => {
    // 23:30 UTC on the 10th is 19:30 on the 10th in Manaus (UTC-4): "today" is the clinic's day, not UTC's
    const now = new Date('2030-06-10T23:30:00Z');
    const first = await demoClinicSeeder.seed(stack, now);
    expect(first.summary).toMatch(/^5 patients \(5 new\), 6 appointments today and tomorrow \(6 new\)$/);
    const second = await demoClinicSeeder.seed(stack, now);
    expect(second.summary).toMatch(/\(0 new\).*\(0 new\)/);

    const patients = await listPatients(stack.dataStore);
    expect(patients.length).toBe(5);
    for (const p of patients) expect(isValidCpf(p.cpf!)).toBe(true);
    const records = await Promise.all(patients.map(async (p) => (await getPatient(stack.dataStore, p.id)).patient));
    expect(records.some((r) => r.email && canEmailReminders(r))).toBe(true);
    expect(records.some((r) => !r.email && !r.consent.emailReminders)).toBe(true);

    const today = await listAppointments(stack.dataStore, { from: '2030-06-10', to: '2030-06-10' }, 'America/Manaus');
    const tomorrow = await listAppointments(stack.dataStore, { from: '2030-06-11', to: '2030-06-11' }, 'America/Manaus');
    // seeded at 19:30: today's are 1, 2, 3 h ahead; the one 4 h 30 ahead would end after midnight
    expect(today.map((a) => a.start.slice(11, 16))).toEqual(['20:30', '21:30', '22:30']);
    expect(tomorrow.map((a) => a.start.slice(11, 16))).toEqual(['09:30', '11:00', '16:00']);
    expect(today[0]!.start).toBe('2030-06-10T20:30:00-04:00');
  });

  it("seeds today's appointments ahead of the moment it runs: never in the past in the evening, from 08:00 at night", async () => {
    const startsOf = async (date: string) =>
      (await listAppointments(stack.dataStore, { from: date, to: date }, 'America/Manaus')).map((a) => a.start.slice(11, 16));
    // 14:10 in Manaus: counted from the next half hour, 14:30
    await demoClinicSeeder.seed(stack, new Date('2030-07-01T18:10:00Z'));
    expect(await startsOf('2030-07-01')).toEqual(['15:30', '16:30', '17:30', '19:00']);
    // 03:00 in Manaus, before the clinic opens: counted from 08:00
    await demoClinicSeeder.seed(stack, new Date('2030-07-10T07:00:00Z'));
    expect(await startsOf('2030-07-10')).toEqual(['09:00', '10:00', '11:00', '12:30']);
  });
});
