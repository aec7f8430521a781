/**
 * What a function's log must never hold: a patient's name, CPF, e-mail or phone. The deployed functions' logs
 * go to CloudWatch (kept aws.logRetentionDays) and name patients by id only; tests that run the functions'
 * code keep its log entries and check them here against the patients they made.
 */
import type { LogData, LogLevel } from '../../src/log.js';
import type { Patient } from '../../src/clinic/types.js';

export interface LogEntry {
  level: LogLevel;
  message: string;
  data?: LogData;
}

/** The identifying values of a patient, each as it could appear in a line (CPF and phone also as digits). */
function identifiers(p: Patient): string[] {
  const digits = (s?: string) => (s ? [s, s.replace(/\D/g, '')] : []);
  return [p.fullName, p.preferredName, p.email, ...digits(p.cpf), ...digits(p.phone)].filter((v): v is string => Boolean(v && v.length >= 4));
}

/** Every "patient id: value" found in the entries (messages and data, as the JSON lines would carry them). */
export function personalDataIn(entries: LogEntry[], patients: Iterable<Patient>): string[] {
  const lines = entries.map((e) => `${e.message} ${JSON.stringify(e.data ?? {})}`.toLowerCase());
  const found: string[] = [];
  for (const p of patients) {
    for (const value of identifiers(p)) if (lines.some((l) => l.includes(value.toLowerCase()))) found.push(`${p.id}: ${value}`);
  }
  return found;
}
