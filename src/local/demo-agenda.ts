/**
 * `clinica dev --demo`, the agenda: three dentists (the site's team, with their CRO) and two chairs as records,
 * before the demo appointments are booked; then a realistic week — the next open days after tomorrow, each with
 * eight bookings over the three dentists and both chairs (Dr. Caio sees children in the afternoon and on
 * Saturday mornings), within the hours and the rules. Idempotent: records are matched by name, the week's
 * bookings by patient + day + dentist; appointments of an older data folder with free-text dentists are
 * linked to the records (the migration, itself safe to re-run).
 */
import { agendaCalendar, closureOn, spansOn } from '../clinic/agenda-calendar.js';
import { createAppointment, listAppointments } from '../clinic/appointments.js';
import { migrateDentists } from '../clinic/dentist-migration.js';
import { addChair, addDentist, listChairs, listDentists, nameKey, parseHours, type DentistInput } from '../clinic/dentists.js';
import { findPatientByCpf } from '../clinic/patients.js';
import { addDays, localParts, startOfLocalDay } from '../clinic/time.js';
import { isClinicaError } from '../errors.js';
import { demoPatients } from './demo-clinic.js';
import type { DemoSeeder } from './stack.js';
import { count } from '../plural.js';

const ACTOR = 'demo:seed';

export const demoDentists: DentistInput[] = [
  { name: 'Dra. Ana Demo', cro: 'CRO-SP 00000', specialty: 'Clínica geral e prevenção', color: '#0b6e69' },
  { name: 'Dr. Bruno Demo', cro: 'CRO-SP 00001', specialty: 'Endodontia', color: '#8e44ad' },
  { name: 'Dr. Caio Demo', cro: 'CRO-SP 00002', specialty: 'Odontopediatria', color: '#c0392b', hours: parseHours('mon-fri 13:00-18:00; sat 08:00-12:00') },
];
export const demoChairs = ['Cadeira 1', 'Cadeira 2'];

/** One open day's bookings: [time, dentist, chair, minutes, procedure]; Saturdays take the morning ones. */
const dayTemplate: [string, number, number, number, string][] = [
  ['08:00', 0, 0, 60, 'limpeza'],
  ['08:30', 1, 1, 90, 'tratamento de canal'],
  ['09:30', 0, 0, 30, 'avaliação'],
  ['10:00', 1, 1, 60, 'restauração'],
  ['14:00', 2, 0, 45, 'revisão infantil'],
  ['14:00', 0, 1, 30, 'clareamento'],
  ['15:00', 2, 0, 30, 'aplicação de flúor'],
  ['16:00', 1, 1, 60, 'retorno'],
];

export const demoAgendaSeeder: DemoSeeder = {
  name: 'dentists & chairs',
  async seed(ctx) {
    const store = ctx.dataStore;
    const dentists = await listDentists(store);
    let made = 0;
    for (const d of demoDentists) {
      if (dentists.some((x) => nameKey(x.name) === nameKey(d.name))) continue;
      await addDentist(store, d, ACTOR);
      made++;
    }
    const chairs = await listChairs(store);
    for (const c of demoChairs) {
      if (chairs.some((x) => nameKey(x.name) === nameKey(c))) continue;
      await addChair(store, c, ACTOR);
      made++;
    }
    const migrated = await migrateDentists(store, ACTOR);
    const linked = migrated.linked ? `; ${count(migrated.linked, 'earlier appointment')} linked to their dentist` : '';
    return { summary: `${demoDentists.length} dentists and ${demoChairs.length} chairs (${made} new)${linked}` };
  },
};

export const demoWeekSeeder: DemoSeeder = {
  name: 'agenda week',
  async seed(ctx, now) {
    const store = ctx.dataStore;
    const calendar = agendaCalendar(ctx.config);
    const tz = calendar.timeZone;
    const dentists = await listDentists(store);
    const chairs = await listChairs(store);
    const byName = (name: string) => dentists.find((d) => nameKey(d.name) === nameKey(name));
    const team = demoDentists.map((d) => byName(d.name));
    const seats = demoChairs.map((c) => chairs.find((x) => nameKey(x.name) === nameKey(c)));
    if (team.some((d) => !d) || seats.some((c) => !c)) return { summary: 'skipped: the demo dentists and chairs are not recorded' };
    const patients: string[] = [];
    for (const p of demoPatients) {
      const id = await findPatientByCpf(store, p.cpf!);
      if (id) patients.push(id);
    }
    if (patients.length < demoPatients.length) return { summary: 'skipped: the demo patients are not there' };
    const today = localParts(now, tz).date;
    let made = 0;
    let total = 0;
    let days = 0;
    for (let offset = 2; days < 5 && offset < 14; offset++) {
      const date = addDays(today, offset);
      const open = calendar.hours.length ? spansOn(calendar.hours, date) : [[8 * 60, 18 * 60]];
      if (!open.length || closureOn(calendar, date)) continue;
      days++;
      const closesAt = Math.max(...open.map(([, b]) => b));
      const existing = await listAppointments(store, { from: date, to: date }, tz);
      for (const [k, [time, d, c, minutes, procedure]] of dayTemplate.entries()) {
        const [h, m] = time.split(':').map(Number) as [number, number];
        if (h * 60 + m + minutes > closesAt) continue;
        total++;
        // five patients in turn: bookings that overlap in time are always different patients
        const patientId = patients[(k + offset) % patients.length]!;
        if (existing.some((a) => a.patientId === patientId && a.dentistId === team[d]!.id && a.status !== 'cancelled')) continue;
        try {
          await createAppointment(store, { patientId, dentist: team[d]!.id, chair: seats[c]!.id, at: `${date} ${time}`, durationMinutes: minutes, procedure }, ACTOR, {
            timeZone: tz,
            calendar,
            now: startOfLocalDay(today, tz),
          });
          made++;
        } catch (err) {
          // a clinic's own bookings in the way (or its hours): the demo leaves that slot out
          if (!isClinicaError(err)) throw err;
          total--;
        }
      }
    }
    return { summary: `${total} appointments over the next ${days} open days for ${team.length} dentists and ${seats.length} chairs (${made} new)` };
  },
};
