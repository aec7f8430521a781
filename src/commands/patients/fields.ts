/** Flags → patient input/changes, shared by `patients add` and `patients update`. */
import { parseLanguage, parseSex, parseStatus, parseYesNo } from '../../clinic/patients.js';
import type { Guardian, PatientChanges, PatientInput } from '../../clinic/types.js';
import { ClinicaError, usageError } from '../../errors.js';

export interface PatientFlags {
  name?: string;
  preferredName?: string;
  cpf?: string;
  birthDate?: string;
  sex?: string;
  phone?: string;
  email?: string;
  address?: string;
  guardian?: string;
  guardianPhone?: string;
  guardianCpf?: string;
  guardianRelationship?: string;
  alert?: string[];
  notes?: string;
  status?: string;
  emailReminders?: string;
  language?: string;
  whatsappReminders?: string;
}

function guardianOf(f: PatientFlags): Guardian | undefined {
  if (f.guardian === undefined && f.guardianPhone === undefined && f.guardianCpf === undefined && f.guardianRelationship === undefined) return undefined;
  return { name: f.guardian ?? '', phone: f.guardianPhone, cpf: f.guardianCpf, relationship: f.guardianRelationship };
}

export function inputFromFlags(f: PatientFlags): PatientInput {
  return {
    fullName: f.name ?? '',
    birthDate: f.birthDate ?? '',
    preferredName: f.preferredName,
    cpf: f.cpf,
    sex: f.sex === undefined ? undefined : parseSex(f.sex),
    phone: f.phone,
    email: f.email,
    address: f.address,
    guardian: guardianOf(f),
    alerts: f.alert,
    notes: f.notes,
    status: f.status === undefined ? undefined : parseStatus(f.status),
    emailReminders: f.emailReminders === undefined ? undefined : parseYesNo(f.emailReminders, 'email-reminders'),
    language: f.language === undefined ? undefined : parseLanguage(f.language),
    whatsappReminders: f.whatsappReminders === undefined ? undefined : parseYesNo(f.whatsappReminders, 'whatsapp-reminders'),
  };
}

const clearable: Record<string, keyof PatientChanges> = {
  'preferred-name': 'preferredName', cpf: 'cpf', sex: 'sex', phone: 'phone', email: 'email', address: 'address',
  guardian: 'guardian', alerts: 'alerts', notes: 'notes', language: 'language',
};

/** The flags only `patients update` has. */
export interface UpdateFlags {
  clear?: string[];
  addAlert?: string[];
  removeAlert?: string[];
  replaceAlerts?: boolean;
}

export function changesFromFlags(f: PatientFlags & UpdateFlags, current: { guardian?: Guardian }): PatientChanges {
  const c: PatientChanges = {};
  if (f.name !== undefined) c.fullName = f.name;
  if (f.birthDate !== undefined) c.birthDate = f.birthDate;
  if (f.preferredName !== undefined) c.preferredName = f.preferredName;
  if (f.cpf !== undefined) c.cpf = f.cpf;
  if (f.sex !== undefined) c.sex = parseSex(f.sex);
  if (f.phone !== undefined) c.phone = f.phone;
  if (f.email !== undefined) c.email = f.email;
  if (f.address !== undefined) c.address = f.address;
  const g = guardianOf(f);
  if (g) c.guardian = { ...current.guardian, ...Object.fromEntries(Object.entries(g).filter(([, v]) => v !== undefined && v !== '')) } as Guardian;
  if (f.alert !== undefined) c.alerts = f.alert;
  if (f.replaceAlerts && f.alert === undefined) {
    throw usageError('--replace-alerts: goes with --alert (the new list); to empty the list: --clear alerts', { field: 'replaceAlerts' });
  }
  if (f.addAlert !== undefined) c.addAlerts = f.addAlert;
  if (f.removeAlert !== undefined) c.removeAlerts = f.removeAlert;
  if (f.alert !== undefined && (f.addAlert || f.removeAlert)) {
    throw usageError('--alert: replaces the whole list; give it or --add-alert/--remove-alert, not both', { field: 'alerts' });
  }
  if (f.notes !== undefined) c.notes = f.notes;
  if (f.status !== undefined) c.status = parseStatus(f.status);
  if (f.emailReminders !== undefined) c.emailReminders = parseYesNo(f.emailReminders, 'email-reminders');
  if (f.language !== undefined) c.language = parseLanguage(f.language);
  if (f.whatsappReminders !== undefined) c.whatsappReminders = parseYesNo(f.whatsappReminders, 'whatsapp-reminders');
  for (const name of f.clear ?? []) {
    const key = clearable[name];
    if (!key) throw usageError(`--clear: "${name}" cannot be cleared (one of ${Object.keys(clearable).join(', ')})`, { field: 'clear' });
    if (c[key] !== undefined || (key === 'alerts' && (c.addAlerts || c.removeAlerts))) {
      throw usageError(`--clear: --${key === 'alerts' ? 'alert' : name} is also given; clear it or set it, not both`, { field: 'clear' });
    }
    (c as Record<string, unknown>)[key] = key === 'alerts' ? [] : null;
  }
  return c;
}

const flagOf: Record<string, string> = {
  fullName: '--name', preferredName: '--preferred-name', cpf: '--cpf', birthDate: '--birth-date', sex: '--sex', phone: '--phone',
  email: '--email', address: '--address', 'guardian.name': '--guardian', 'guardian.phone': '--guardian-phone',
  'guardian.cpf': '--guardian-cpf', status: '--status', notes: '--notes', alerts: '--alert', addAlerts: '--add-alert', removeAlerts: '--remove-alert', 'email-reminders': '--email-reminders', language: '--language', whatsappReminders: '--whatsapp-reminders', at: '--at',
  duration: '--duration', dentist: '--dentist', patient: '--patient', from: '--from', to: '--to', date: '--date', since: '--since',
  kind: '--kind', teeth: '--teeth', takenAt: '--taken-at',
};

/**
 * Re-labels a core error that names a field with the flag the person typed ("birthDate: …" → "--birth-date: …");
 * kind, exit code, reason, params and extra are kept (a taken CPF stays a conflict, exit 2).
 */
export async function withFlagNames<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    if (err instanceof ClinicaError && err.field && flagOf[err.field] && err.message.startsWith(`${err.field}:`)) {
      throw new ClinicaError(err.kind, `${flagOf[err.field]}${err.message.slice(err.field.length)}`, {
        field: err.field,
        hint: err.hint,
        cause: err,
        exitCode: err.exitCode,
        reason: err.reason,
        params: err.params,
        extra: err.extra,
      });
    }
    throw err;
  }
}
