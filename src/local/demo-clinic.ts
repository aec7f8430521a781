/**
 * `clinica dev --demo`: synthetic patients (obviously fake names, valid generated CPFs) and appointments for
 * the rest of today and tomorrow in the clinic's time zone. Idempotent: patients are matched by CPF, appointments by
 * patient + day + dentist, so a re-run adds nothing. Maria has an e-mail and reminder consent; João has
 * neither; Zé has an e-mail but said no to it, and yes to WhatsApp (his reminder is in the WhatsApp outbox) — the reminder cases. The patients are made by createPatient, so their
 * CPF claims are keyed ones.
 */
import { createAppointment, listAppointments } from '../clinic/appointments.js';
import { formatCpf, generateCpf } from '../clinic/cpf.js';
import { createPatient, findPatientByCpf } from '../clinic/patients.js';
import { addDays, localParts, zonedToInstant } from '../clinic/time.js';
import type { PatientInput } from '../clinic/types.js';
import type { DemoSeeder } from './stack.js';

const ACTOR = 'demo:seed';

export const demoPatients: PatientInput[] = [
  { fullName: 'Maria Exemplo da Silva', preferredName: 'Maria', cpf: formatCpf(generateCpf(900_000_001)), birthDate: '1985-03-14', sex: 'female', phone: '+55 11 90000-0001', email: 'maria.exemplo@example.com', emailReminders: true, alerts: ['penicilina'], address: 'Rua Fictícia, 100 — São Paulo' },
  { fullName: 'João Teste Fictício', cpf: formatCpf(generateCpf(900_000_002)), birthDate: '1972-11-02', sex: 'male', phone: '+55 11 90000-0002', emailReminders: false, notes: 'Prefere horários pela manhã.' },
  { fullName: 'Ana Demonstração Souza', cpf: formatCpf(generateCpf(900_000_003)), birthDate: '1990-07-21', sex: 'female', phone: '+55 11 90000-0003', email: 'ana.demo@example.com', emailReminders: true },
  { fullName: 'Pedro Amostra Lima', cpf: formatCpf(generateCpf(900_000_004)), birthDate: '2016-05-09', sex: 'male', guardian: { name: 'Carla Amostra Lima', relationship: 'mãe', phone: '+55 11 90000-0044' }, email: 'carla.amostra@example.com', emailReminders: true, alerts: ['asma'] },
  { fullName: 'Zé Fulano de Tal', preferredName: 'Zé', cpf: formatCpf(generateCpf(900_000_005)), birthDate: '1960-01-30', sex: 'male', phone: '+55 11 90000-0005', email: 'ze.fulano@example.com', emailReminders: false, whatsappReminders: true },
];

/**
 * [patient index, day (0 today, 1 tomorrow), when, dentist, procedure]. Tomorrow's are at clinic-local times;
 * today's are minutes after the seeding moment (from 08:00 when seeded before the clinic opens, on the half
 * hour), so `dev --demo` run in the evening still shows today's appointments ahead, never in the past — the
 * one ≈2 h ahead gets its "2 hours before" reminder. Those that would end after midnight are left out.
 */
const demoAppointments: [number, 0 | 1, string | number, string, string][] = [
  [0, 0, 60, 'Dra. Ana Demo', 'limpeza'],
  [4, 0, 120, 'Dr. Caio Demo', 'retorno'],
  [1, 0, 180, 'Dr. Bruno Demo', 'avaliação'],
  [2, 0, 270, 'Dra. Ana Demo', 'restauração'],
  [0, 1, '09:30', 'Dra. Ana Demo', 'clareamento'],
  [3, 1, '11:00', 'Dr. Bruno Demo', 'aplicação de flúor'],
  [4, 1, '16:00', 'Dra. Ana Demo', 'canal'],
];

const HALF_HOUR = 30 * 60_000;
/** Today's demo appointments are counted from here when seeded earlier in the day. */
const DEMO_DAY_STARTS = '08:00';

export const demoClinicSeeder: DemoSeeder = {
  name: 'patients & appointments',
  async seed(ctx, now) {
    const store = ctx.dataStore;
    const tz = ctx.config.clinic.timeZone;
    const ids: string[] = [];
    let newPatients = 0;
    for (const input of demoPatients) {
      let id = await findPatientByCpf(store, input.cpf!);
      if (!id) {
        id = (await createPatient(store, input, ACTOR)).id;
        newPatients++;
      }
      ids.push(id);
    }
    const today = localParts(now, tz).date;
    const opening = zonedToInstant(today, DEMO_DAY_STARTS, tz).getTime();
    const base = Math.ceil(Math.max(now.getTime(), opening) / HALF_HOUR) * HALF_HOUR;
    let newAppointments = 0;
    let total = 0;
    for (const day of [0, 1] as const) {
      const date = addDays(today, day);
      const existing = await listAppointments(store, { from: date, to: date }, tz);
      for (const [p, d, when, dentist, procedure] of demoAppointments) {
        if (d !== day) continue;
        const patientId = ids[p]!;
        let at: string;
        if (typeof when === 'number') {
          const start = base + when * 60_000;
          // still today, and over by midnight (an appointment ends on its day)
          if (localParts(new Date(start), tz).date !== date || localParts(new Date(start + HALF_HOUR - 1), tz).date !== date) continue;
          at = localParts(new Date(start), tz).time;
        } else {
          at = when;
        }
        total++;
        if (existing.some((a) => a.patientId === patientId && a.dentist === dentist && a.status !== 'cancelled')) continue;
        try {
          zonedToInstant(date, at, tz);
        } catch {
          continue; // a time skipped by DST on this day
        }
        await createAppointment(store, { patientId, dentist, at: `${date} ${at}`, durationMinutes: 30, procedure }, ACTOR, { timeZone: tz, now, force: true });
        newAppointments++;
      }
    }
    return { summary: `${ids.length} patients (${newPatients} new), ${total} appointments today and tomorrow (${newAppointments} new)` };
  },
};
