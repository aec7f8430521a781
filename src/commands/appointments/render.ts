import { endOf } from '../../clinic/appointments.js';
import { localParts } from '../../clinic/time.js';
import type { Appointment } from '../../clinic/types.js';
import type { Ui } from '../../ui/output.js';

export function slot(a: Appointment, timeZone: string): string {
  const s = localParts(new Date(a.start), timeZone);
  const e = localParts(new Date(endOf(a)), timeZone);
  return `${s.date} ${s.time}–${e.time}`;
}

export function printAppointment(ui: Ui, a: Appointment, timeZone: string, headline: string): void {
  const rows: [string, string | undefined][] = [
    ['When', `${slot(a, timeZone)} (${a.durationMinutes} min, ${timeZone})`],
    ['Patient', a.patientId],
    ['Dentist', a.dentistId ? `${a.dentist} (${a.dentistId})` : a.dentist],
    ['Chair', a.chairId],
    ['Procedure', a.procedure],
    ['Status', a.status],
    ['Notes', a.notes],
    ['Moved to', a.movedTo],
    ['Moved from', a.movedFrom],
    ['Encaixe', a.overrode ? `overrode ${a.overrode.join(', ')}` : undefined],
  ];
  ui.print([ui.bold(headline), ...rows.filter(([, v]) => v).map(([k, v]) => `  ${ui.dim(k.padEnd(10))}  ${v}`)].join('\n'));
}
