/** `dev --demo`'s agenda: three dentists, two chairs and a realistic week, seeded once however often it runs. */
import { describe, expect, it } from 'vitest';
import { listAppointments } from '../../src/clinic/appointments.js';
import { listChairs, listDentists } from '../../src/clinic/dentists.js';
import { addDays } from '../../src/clinic/time.js';
import { demoAgendaSeeder, demoWeekSeeder } from '../../src/local/demo-agenda.js';
import { demoClinicSeeder } from '../../src/local/demo-clinic.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack({ publish: false });

describe('demo agenda', () => {
  it('records the dentists and chairs before the demo bookings, then books a week, idempotently', async () => {
    // Monday 2030-06-10, 10:00 in São Paulo
    const now = new Date('2030-06-10T13:00:00Z');
    const run = async () => [await demoAgendaSeeder.seed(stack, now), await demoClinicSeeder.seed(stack, now), await demoWeekSeeder.seed(stack, now)].map((r) => r.summary);
    const first = await run();
    expect(first[0]).toBe('3 dentists and 2 chairs (5 new)');
    // Wednesday to Saturday and Monday: four weekdays of 8 bookings and a Saturday morning of 4
    expect(first[2]).toBe('36 appointments over the next 5 open days for 3 dentists and 2 chairs (36 new)');
    const second = await run();
    expect(second[0]).toBe('3 dentists and 2 chairs (0 new)');
    expect(second[1]).toMatch(/\(0 new\).*\(0 new\)/);
    expect(second[2]).toMatch(/\(0 new\)$/);

    const dentists = await listDentists(stack.dataStore);
    expect(dentists.map((d) => [d.name, d.cro])).toEqual([
      ['Dr. Bruno Demo', 'CRO-SP 00001'],
      ['Dr. Caio Demo', 'CRO-SP 00002'],
      ['Dra. Ana Demo', 'CRO-SP 00000'],
    ]);
    expect(await listChairs(stack.dataStore)).toHaveLength(2);
    const all = await listAppointments(stack.dataStore, { from: '2030-06-10', to: addDays('2030-06-10', 13) }, 'America/Sao_Paulo');
    expect(all.every((a) => a.dentistId)).toBe(true);
    const week = all.filter((a) => a.start >= '2030-06-12');
    expect(week.every((a) => a.chairId && !a.overrode)).toBe(true);
    expect(new Set(week.map((a) => a.dentistId)).size).toBe(3);
    expect(week.filter((a) => a.start.startsWith('2030-06-15')).length).toBe(4); // Saturday: mornings only
  });
});
