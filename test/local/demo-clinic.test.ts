import { describe, expect, it } from 'vitest';
import { listAppointments } from '../../src/clinic/appointments.js';
import { isValidCpf } from '../../src/clinic/cpf.js';
import { canEmailReminders, getPatient, listPatients } from '../../src/clinic/patients.js';
import { demoClinicSeeder } from '../../src/local/demo-clinic.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack({ publish: false, config: { clinic: { name: 'Demo', timeZone: 'America/Manaus' } } });


describe('demo clinic seeder', () => {
  it('seeds fake patients with valid CPFs and appointments today and tomorrow (clinic time zone), once', async () => {
    // 23:30 UTC on the 10th is 19:30 on the 10th in Manaus (UTC-4): "today" is the clinic's day, not UTC's
    const now = new Date('2030-06-10T23:30:00Z');
    const first = await demoClinicSeeder.seed(stack, now);
    expect(first.summary).toMatch(/^5 patients \(5 new\), 7 appointments today and tomorrow \(7 new\)$/);
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
    // 'soon' (2 h after 19:30) is 21:30, still today
    expect(today.map((a) => a.start.slice(11, 16))).toEqual(['09:00', '10:30', '15:00', '21:30']);
    expect(tomorrow.length).toBe(3);
    expect(today[0]!.start).toBe('2030-06-10T09:00:00-04:00');
  });
});
