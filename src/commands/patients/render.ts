/** How a patient record reads on a terminal (shared by add, show, update). */
import { formatPhone } from '../../clinic/contact.js';
import { formatCpf } from '../../clinic/cpf.js';
import { ageOf } from '../../clinic/patients.js';
import { localParts } from '../../clinic/time.js';
import type { Patient } from '../../clinic/types.js';
import type { Ui } from '../../ui/output.js';

export function localTime(iso: string, timeZone: string): string {
  const p = localParts(new Date(iso), timeZone);
  return `${p.date} ${p.time}`;
}

export function printPatient(ui: Ui, p: Patient, timeZone: string, opts: { headline?: string; extra?: [string, string][] } = {}): void {
  const age = ageOf(p.birthDate, new Date(), timeZone);
  const rows: [string, string | undefined][] = [
    ['Name', p.preferredName ? `${p.fullName} (${p.preferredName})` : p.fullName],
    ['CPF', p.cpf ? formatCpf(p.cpf) : undefined],
    ['Born', p.birthDate ? `${p.birthDate}${age !== undefined ? ` (${age} years)` : ''}` : p.anonymized?.birthYear ? `${p.anonymized.birthYear}` : undefined],
    ['Sex', p.sex],
    ['Phone', formatPhone(p.phone)],
    ['E-mail', p.email],
    ['Address', p.address],
    ['Guardian', p.guardian ? [p.guardian.name, p.guardian.relationship, formatPhone(p.guardian.phone), p.guardian.cpf && formatCpf(p.guardian.cpf)].filter(Boolean).join(' · ') : undefined],
    ['Alerts', p.alerts.length ? ui.red(p.alerts.join(', ')) : undefined],
    ['Notes', p.notes],
    ['Status', p.status],
    [
      'E-mail reminders',
      `${p.consent.emailReminders ? 'yes' : 'no'}${p.consent.recordedAt ? ` (recorded ${localTime(p.consent.recordedAt, timeZone)} by ${p.consent.recordedBy})` : ' (never asked)'}`,
    ],
    ['WhatsApp reminders', p.consent.whatsapp ? `${p.consent.whatsapp.reminders ? 'yes' : 'no'} (recorded ${localTime(p.consent.whatsapp.recordedAt, timeZone)} by ${p.consent.whatsapp.recordedBy})` : undefined],
    ['Language', p.language ? `${p.language} (reminders)` : undefined],
    ['Anonymized', p.anonymized ? `${localTime(p.anonymized.at, timeZone)} by ${p.anonymized.by}` : undefined],
    ['Record', `version ${p.version}, created ${localTime(p.createdAt, timeZone)}, updated ${localTime(p.updatedAt, timeZone)}`],
    ...(opts.extra ?? []),
  ];
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = [ui.bold(opts.headline ?? p.id)];
  for (const [k, v] of rows) if (v) lines.push(`  ${ui.dim(k.padEnd(width))}  ${v.replace(/\n/g, `\n  ${' '.repeat(width)}  `)}`);
  ui.print(lines.join('\n'));
}
