/**
 * Patient records. Layout (private bucket):
 *   patients/{id}.json               the record; every write is conditional (If-None-Match on create, If-Match after)
 *   counters/patients.json           { next } — ids P-000001, P-000002 … handed out with If-Match + retry
 *   claims/cpf-hmac/{hmac}.json      { patientId } — written with If-None-Match: * so a CPF belongs to one patient;
 *                                    keyed with the bucket's secret (bucket-key.ts), so no key names or betrays a CPF
 *   index/patients/{00..15}.json     the summaries that list/search read (patient-index.ts)
 * Every change appends an audit entry; so does every full read (showPatient).
 */
import { locales, type Locale } from '../config/schema.js';
import { ClinicaError, conflict, ExitCode, isClinicaError, notFound, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { bucketKey, keyedHash } from './bucket-key.js';
import { maskCpf, normalizeCpf } from './cpf.js';
import { findErased } from './erased.js';
import { BY_PATIENT_PREFIX, listPatientAppointments, upcomingOf, type AppointmentBrief } from './patient-appointments.js';
import { notePatientsChanged } from './patient-changes.js';
import { listPendingIds, readPatientIndex, summaryOf, updatePatientIndex, writePatientIndex } from './patient-index.js';
import { normalizeEmail, normalizePhone } from './contact.js';
import { clean, digitsOf, fold, personKey, refuseControlCharacters } from './text.js';
import { mapLimit } from '../map-limit.js';
import { ageOn, parseDate, todayIn } from './time.js';
import {
  patientStatuses,
  sexes,
  type Consent,
  type Guardian,
  type Patient,
  type PatientChanges,
  type PatientInput,
  type PatientStatus,
  type PatientSummary,
  type Sex,
} from './types.js';

export const PATIENTS_PREFIX = 'patients/';
export const COUNTER_KEY = 'counters/patients.json';
export const CPF_CLAIMS_PREFIX = 'claims/cpf-hmac/';

export const patientKey = (id: string) => `${PATIENTS_PREFIX}${id}.json`;

/** The patient an opened record's object belongs to (its record or its appointment list), else undefined. */
export function patientOfKey(key: string): string | undefined {
  for (const prefix of [PATIENTS_PREFIX, BY_PATIENT_PREFIX]) {
    if (key.startsWith(prefix) && key.endsWith('.json')) {
      const id = key.slice(prefix.length, -'.json'.length);
      if (id && !id.includes('/')) return id;
    }
  }
  return undefined;
}

export const formatPatientId = (n: number) => `P-${String(n).padStart(6, '0')}`;
/** A CPF's claim object, under the bucket's key (an input of its own: it never equals the CPF's erasure mark). */
export const cpfClaimKey = (key: Buffer, cpf: string) => `${CPF_CLAIMS_PREFIX}${keyedHash(key, `cpf-claim:${cpf}`)}.json`;

const LIST_HINT = 'run `clinica patients list --search NAME` to find the id';

/** "p-123", "P-000123", "123" → "P-000123"; anything else (P-0 too: ids start at 1) is a usage error naming the field. */
export function normalizePatientId(text: string, field = 'id'): string {
  const m = /^(?:p-?)?(\d{1,9})$/i.exec(text.trim());
  if (!m || Number(m[1]) === 0) throw usageError(`${field}: "${text}" is not a patient id (expected P-000123)`, { field, hint: LIST_HINT });
  return formatPatientId(Number(m[1]));
}

// ---------------------------------------------------------------- validation

const sexWords: Record<string, Sex> = {
  f: 'female', female: 'female', feminino: 'female', fem: 'female', mulher: 'female',
  m: 'male', male: 'male', masculino: 'male', masc: 'male', homem: 'male',
  o: 'other', other: 'other', outro: 'other', outra: 'other',
  u: 'unknown', unknown: 'unknown', 'nao informado': 'unknown', 'prefere nao informar': 'unknown', ni: 'unknown',
};
export function parseSex(text: string, field = 'sex'): Sex {
  const s = sexWords[fold(text)];
  if (!s) throw usageError(`${field}: "${text}" is not one of ${sexes.join(', ')} (or F/M, feminino/masculino)`, { field });
  return s;
}

const statusWords: Record<string, PatientStatus> = {
  active: 'active', ativo: 'active', ativa: 'active',
  inactive: 'inactive', inativo: 'inactive', inativa: 'inactive',
  archived: 'archived', arquivado: 'archived', arquivada: 'archived',
  deceased: 'deceased', falecido: 'deceased', falecida: 'deceased', obito: 'deceased',
};
export function parseStatus(text: string, field = 'status'): PatientStatus {
  const s = statusWords[fold(text)];
  if (!s) throw usageError(`${field}: "${text}" is not one of ${patientStatuses.join(', ')}`, { field });
  return s;
}

const languageWords: Record<string, Locale> = {
  'pt-br': 'pt-BR', pt: 'pt-BR', portugues: 'pt-BR', 'portugues (brasil)': 'pt-BR',
  en: 'en', english: 'en', ingles: 'en',
};
/** "pt-BR", "pt", "português", "en", "English", "inglês" (case and accents ignored) → the locale. */
export function parseLanguage(text: string, field = 'language'): Locale {
  const l = languageWords[fold(text)];
  if (!l) throw usageError(`${field}: "${text}" is not one of ${locales.join(', ')} (or português/english)`, { field, reason: 'not-one-of', params: { allowed: locales.join(', ') } });
  return l;
}

/** The stored form: exactly one of `locales` (callers parse what people type with parseLanguage). */
function validLanguage(value: unknown, field = 'language'): Locale | undefined {
  if (value === undefined || value === null) return undefined;
  if (!(locales as readonly unknown[]).includes(value)) {
    throw usageError(`${field}: "${String(value)}" is not one of ${locales.join(', ')}`, { field, reason: 'not-one-of', params: { allowed: locales.join(', ') } });
  }
  return value as Locale;
}

const yesWords = new Set(['yes', 'y', 'sim', 's', 'true', '1', 'x', 'ok']);
const noWords = new Set(['no', 'n', 'nao', 'false', '0', '']);
export function parseYesNo(text: string, field: string): boolean {
  const f = fold(text);
  if (yesWords.has(f)) return true;
  if (noWords.has(f)) return false;
  throw usageError(`${field}: "${text}" is not yes/no (sim/não)`, { field });
}

/** One line of text: control characters refused (naming the field), whitespace collapsed; undefined when empty. */
const textLine = (text: string | undefined | null, field: string): string | undefined => clean(typeof text === 'string' ? refuseControlCharacters(text, field) : text);

function validName(text: string | undefined, field: string, required: boolean): string | undefined {
  const v = textLine(text, field);
  if (!v) {
    if (required) throw usageError(`${field}: required`, { field, reason: 'required' });
    return undefined;
  }
  if (v.length > 200) throw usageError(`${field}: longer than 200 characters`, { field, reason: 'too-long', params: { max: 200 } });
  if (!/\p{L}/u.test(v)) throw usageError(`${field}: "${v}" has no letters`, { field, reason: 'no-letters' });
  return v;
}

function validPhone(text: string | undefined, field: string): string | undefined {
  const v = textLine(text, field);
  return v ? normalizePhone(v, field) : undefined;
}

function validEmail(text: string | undefined, field = 'email'): string | undefined {
  const v = textLine(text, field);
  return v ? normalizeEmail(v, field) : undefined;
}

function validBirthDate(text: string, today: string, field = 'birthDate'): string {
  const d = parseDate(text, field);
  if (d > today) throw usageError(`${field}: ${d} is in the future`, { field, reason: 'date-future' });
  if (d < '1900-01-01') throw usageError(`${field}: ${d} is before 1900`, { field, reason: 'date-too-early', params: { min: '1900-01-01' } });
  return d;
}

function validGuardian(g: Guardian | undefined | null): Guardian | undefined {
  if (!g) return undefined;
  const name = validName(g.name, 'guardian.name', false);
  const phone = validPhone(g.phone, 'guardian.phone');
  const cpf = clean(g.cpf) ? normalizeCpf(g.cpf!, 'guardian.cpf') : undefined;
  const relationship = textLine(g.relationship, 'guardian.relationship');
  if (!name) {
    if (phone || cpf || relationship) throw usageError('guardian.name: required when other guardian fields are given', { field: 'guardian.name' });
    return undefined;
  }
  return { name, ...(phone && { phone }), ...(cpf && { cpf }), ...(relationship && { relationship }) };
}

function validAlerts(list: string[] | undefined, field = 'alerts'): string[] {
  return [...new Set((list ?? []).map((a) => textLine(a, field)).filter((a): a is string => Boolean(a)))];
}

/** The alerts with `add` appended and `remove` taken out, compared without case or accents. */
function editAlerts(patient: Patient, add: string[], remove: string[]): string[] {
  let list = [...patient.alerts];
  for (const r of validAlerts(remove, 'removeAlerts')) {
    const at = list.findIndex((a) => fold(a) === fold(r));
    if (at < 0) {
      const has = list.length ? `its alerts are: ${list.join(', ')}` : 'it has none';
      throw usageError(`removeAlerts: "${r}" is not an alert of ${patient.id} (${has})`, { field: 'removeAlerts', reason: 'alert-not-found' });
    }
    list.splice(at, 1);
  }
  for (const a of validAlerts(add, 'addAlerts')) if (!list.some((x) => fold(x) === fold(a))) list = [...list, a];
  return list;
}

/** Free text up to `max` characters; control characters refused (notes keep their line breaks: multiline). */
const clip = (text: string | undefined | null, max: number, field: string, multiline = false): string | undefined => {
  const v = typeof text === 'string' ? refuseControlCharacters(text, field, { multiline }).trim() : undefined;
  if (!v) return undefined;
  if (v.length > max) throw usageError(`${field}: longer than ${max} characters`, { field, reason: 'too-long', params: { max } });
  return v;
};

/** The validated, normalised fields of a new record (throws a usage error naming the first bad field). */
export function validatePatientInput(input: PatientInput, now = new Date()): Omit<Patient, 'id' | 'createdAt' | 'updatedAt' | 'version' | 'consent'> & { emailReminders?: boolean; whatsappReminders?: boolean } {
  const today = now.toISOString().slice(0, 10);
  const fullName = validName(input.fullName, 'fullName', true)!;
  if (clean(input.birthDate) === undefined) throw usageError('birthDate: required (YYYY-MM-DD or DD/MM/YYYY)', { field: 'birthDate', reason: 'required' });
  const out: ReturnType<typeof validatePatientInput> = {
    fullName,
    birthDate: validBirthDate(input.birthDate, today),
    alerts: validAlerts(input.alerts),
    status: input.status ?? 'active',
  };
  const preferredName = validName(input.preferredName, 'preferredName', false);
  if (preferredName) out.preferredName = preferredName;
  if (clean(input.cpf)) out.cpf = normalizeCpf(input.cpf!);
  if (input.sex) out.sex = input.sex;
  const phone = validPhone(input.phone, 'phone');
  if (phone) out.phone = phone;
  const email = validEmail(input.email);
  if (email) out.email = email;
  const address = clip(input.address, 300, 'address');
  if (address) out.address = clean(address);
  const guardian = validGuardian(input.guardian);
  if (guardian) out.guardian = guardian;
  const notes = clip(input.notes, 10_000, 'notes', true);
  if (notes) out.notes = notes;
  if (input.emailReminders !== undefined) out.emailReminders = input.emailReminders;
  if (input.whatsappReminders !== undefined) out.whatsappReminders = input.whatsappReminders;
  if (input.whatsappReminders) whatsappPhone(out);
  const language = validLanguage(input.language);
  if (language) out.language = language;
  if (!patientStatuses.includes(out.status)) throw usageError(`status: "${out.status}" is not one of ${patientStatuses.join(', ')}`, { field: 'status' });
  return out;
}

// ---------------------------------------------------------------- ids and CPF claims

const pause = (attempt: number) => new Promise((r) => setTimeout(r, 5 + Math.random() * 15 * (attempt + 1)));

/** Reserves `count` consecutive id numbers; returns the first. */
export async function allocatePatientNumbers(store: Store, count = 1): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    const got = await store.getJson<{ next: number }>(COUNTER_KEY);
    const first = got?.value.next ?? 1;
    try {
      await store.putJson(COUNTER_KEY, { next: first + count }, got ? { ifMatch: got.etag } : { ifNoneMatch: '*' });
      return first;
    } catch (err) {
      if (!isClinicaError(err, 'conflict') || attempt >= 30) throw err;
      await pause(attempt);
    }
  }
}

/**
 * Makes `cpf` belong to `patientId`. A claim of a patient whose record holds this CPF is a conflict naming that
 * patient; any other claim (its record missing or holding another CPF) is taken over — once S3 says it is
 * CLAIM_SETTLE_MS old, since a younger one may be a create or an update still writing its record.
 */
export async function claimCpf(store: Store, cpf: string, patientId: string): Promise<void> {
  await takeCpfClaim(store, cpfClaimKey((await bucketKey(store, { create: true }))!, cpf), cpf, patientId);
}

/** How old (by S3's clock) a claim whose record does not hold its CPF must be to be taken over: a create or an
 * update writes its record right after its claim; one that took this long died (a few PUT timeouts and more). */
const CLAIM_SETTLE_MS = 5 * 60_000;

async function takeCpfClaim(store: Store, key: string, cpf: string, patientId: string): Promise<void> {
  for (let attempt = 0; attempt < 12; attempt++) {
    try {
      await store.putJson(key, { patientId }, { ifNoneMatch: '*' });
      return;
    } catch (err) {
      if (!isClinicaError(err, 'conflict')) throw err;
    }
    const claim = await store.getJson<{ patientId: string }>(key, { withTimes: true });
    if (!claim) continue; // released meanwhile: try again
    if (claim.value.patientId === patientId) return;
    if (await holdsCpf(store, claim.value.patientId, cpf)) throw cpfTaken(cpf, claim.value.patientId);
    const age = claim.serverTime && claim.lastModified ? claim.serverTime.getTime() - claim.lastModified.getTime() : 0;
    if (age < CLAIM_SETTLE_MS) {
      await new Promise((r) => setTimeout(r, 250)); // its record is probably being written: look again
      continue;
    }
    try {
      await store.putJson(key, { patientId }, { ifMatch: claim.etag });
      return;
    } catch (err) {
      if (!isClinicaError(err, 'conflict')) throw err;
    }
  }
  throw conflict(`cpf: ${maskCpf(cpf)} is being claimed by another write`, {
    field: 'cpf',
    hint: 'try again in a few minutes (a write that stopped half-way holds it for 5)',
    reason: 'busy',
  });
}

/** Does this patient's record hold this CPF now? (a claim is only as good as the record it names) */
async function holdsCpf(store: Store, patientId: string, cpf: string): Promise<boolean> {
  return (await store.getJson<Patient>(patientKey(patientId)))?.value.cpf === cpf;
}

/** The CPF is another patient's: a conflict (HTTP 409) that is bad input on the CLI (exit 2). */
function cpfTaken(cpf: string, owner: string): ClinicaError {
  return conflict(`cpf: ${maskCpf(cpf)} already belongs to patient ${owner}`, {
    field: 'cpf',
    exitCode: ExitCode.usage,
    hint: `run \`clinica patients show ${owner}\``,
    reason: 'cpf-taken',
    params: { patientId: owner },
  });
}

/** Frees a CPF claim, if it is this patient's. */
export async function releaseCpf(store: Store, cpf: string, patientId: string): Promise<void> {
  const key = await bucketKey(store);
  if (!key) return; // no key: no claim was ever made
  const claim = await store.getJson<{ patientId: string }>(cpfClaimKey(key, cpf));
  if (claim?.value.patientId === patientId) await store.delete(cpfClaimKey(key, cpf));
}

/** Whose CPF this is (undefined: nobody's). */
export async function findPatientByCpf(store: Store, cpfText: string): Promise<string | undefined> {
  const cpf = normalizeCpf(cpfText);
  const key = await bucketKey(store);
  if (!key) return undefined;
  const claim = await store.getJson<{ patientId: string }>(cpfClaimKey(key, cpf));
  return claim && (await holdsCpf(store, claim.value.patientId, cpf)) ? claim.value.patientId : undefined;
}

// ---------------------------------------------------------------- records

export async function getPatient(store: Store, id: string): Promise<{ patient: Patient; etag: string }> {
  const pid = normalizePatientId(id);
  const got = await store.getJson<Patient>(patientKey(pid));
  if (!got) throw notFound(`patient ${pid} not found`, { field: 'id', hint: LIST_HINT, reason: 'patient-not-found', params: { id: pid } });
  return { patient: got.value, etag: got.etag };
}

/** Builds a new record (no I/O): used by create, import and the bench's seeding. */
export function newPatientRecord(id: string, input: PatientInput, actor: string, now = new Date()): Patient {
  const { emailReminders, whatsappReminders, ...fields } = validatePatientInput(input, now);
  const at = now.toISOString();
  const consent: Consent = emailReminders === undefined ? { emailReminders: false } : { emailReminders, recordedAt: at, recordedBy: actor };
  if (whatsappReminders !== undefined) consent.whatsapp = { reminders: whatsappReminders, recordedAt: at, recordedBy: actor };
  return {
    id,
    ...fields,
    consent,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
}

export interface CreateOptions {
  /**
   * Refuse a patient with the same name (accents and case ignored) and birth date as a stored one, when one of
   * the two has no CPF — what the import takes for the same person. The CLI's `add` asks for it; 16 index GETs.
   */
  refuseDuplicate?: boolean;
  /** create even so: a namesake born the same day, or a person anonymized at their request who is really returning */
  force?: boolean;
}

/**
 * A new record. Checked before an id is taken (so a refusal burns none): the CPF's claim, a person anonymized
 * at their request, a duplicate (with refuseDuplicate). The conditional CPF claim after that still decides
 * between two creates racing for one CPF.
 */
export async function createPatient(store: Store, input: PatientInput, actor: string, opts: CreateOptions = {}): Promise<Patient> {
  return (await createPatientVersioned(store, input, actor, opts)).patient;
}

/** createPatient, with the ETag of the record written (a client's first edit needs no read). */
export async function createPatientVersioned(store: Store, input: PatientInput, actor: string, opts: CreateOptions = {}): Promise<{ patient: Patient; etag: string }> {
  const now = new Date();
  const draft = newPatientRecord('P-000000', input, actor, now);
  if (draft.cpf) {
    const owner = await findPatientByCpf(store, draft.cpf);
    if (owner) throw cpfTaken(draft.cpf, owner);
  }
  if (!opts.force) {
    const erased = await findErased(store, draft);
    if (erased) throw erasedConflict(draft, erased.by);
  }
  if (opts.refuseDuplicate && !opts.force) {
    const key = personKey(draft.fullName, draft.birthDate);
    await healPatientIndex(store);
    const same = (await readPatientIndex(store)).find((r) => personKey(r.fullName, r.birthDate) === key && (!draft.cpf || !r.cpf));
    if (same) {
      throw conflict(`fullName: "${draft.fullName}" born ${draft.birthDate} is already patient ${same.id}${same.status === 'active' ? '' : ` (${same.status})`}; not created`, {
        field: 'fullName',
        exitCode: ExitCode.usage,
        hint: `run \`clinica patients show ${same.id}\`; if this is another person, add again with --force`,
        reason: 'duplicate-person',
        params: { patientId: same.id, fullName: same.fullName, status: same.status },
      });
    }
  }
  const id = formatPatientId(await allocatePatientNumbers(store));
  const patient = newPatientRecord(id, input, actor, now);
  if (patient.cpf) await claimCpf(store, patient.cpf, id);
  let etag: string;
  try {
    etag = await store.putJson(patientKey(id), patient, { ifNoneMatch: '*' });
  } catch (err) {
    if (patient.cpf) await releaseCpf(store, patient.cpf, id).catch(() => {});
    throw err;
  }
  await updatePatientIndex(store, [{ id, apply: () => summaryOf(patient) }]);
  await audit(store, { actor, action: 'patient.create', patientId: id });
  return { patient, etag };
}

/** A new patient who matches one anonymized at their request (LGPD): not created again without being told. */
function erasedConflict(p: Pick<Patient, 'cpf' | 'fullName' | 'birthDate'>, by: 'cpf' | 'name+birthDate'): ClinicaError {
  const field = by === 'cpf' ? 'cpf' : 'fullName';
  const who = by === 'cpf' ? maskCpf(p.cpf!) : `"${p.fullName}" born ${p.birthDate}`;
  return conflict(`${field}: ${who} matches a patient anonymized at their request (LGPD erasure); not created`, {
    field,
    exitCode: ExitCode.usage,
    hint: 'if this person is returning as a new patient, add them again with --force',
    reason: 'erased-match',
  });
}

type ChangeKey = keyof PatientChanges;

/** Applies changes to a record (no I/O); returns the new record and the fields that really changed. */
export function applyPatientChanges(current: Patient, changes: PatientChanges, actor: string, now = new Date()): { patient: Patient; changed: string[] } {
  const next: Patient = structuredClone(current);
  for (const key of Object.keys(changes) as ChangeKey[]) {
    const value = changes[key];
    if (value !== undefined) applyField(key, value, { current, next, actor, now });
  }
  if (changes.whatsappReminders !== undefined) {
    if (changes.whatsappReminders) whatsappPhone(next);
    if (changes.whatsappReminders !== current.consent.whatsapp?.reminders) {
      next.consent = { ...next.consent, whatsapp: { reminders: changes.whatsappReminders, recordedAt: now.toISOString(), recordedBy: actor } };
    }
  }
  if (changes.addAlerts?.length || changes.removeAlerts?.length) next.alerts = editAlerts(next, changes.addAlerts ?? [], changes.removeAlerts ?? []);
  if (current.anonymized && (next.fullName !== current.fullName || next.cpf || next.email || next.phone || next.address || next.guardian || next.birthDate)) {
    throw usageError(`patient ${current.id} was anonymized: identifiers cannot be set again`, { field: 'id' });
  }
  const changed = (Object.keys({ ...current, ...next }) as (keyof Patient)[]).filter(
    (k) => k !== 'updatedAt' && k !== 'version' && JSON.stringify(current[k]) !== JSON.stringify(next[k]),
  ).sort();
  if (changed.length) {
    next.updatedAt = now.toISOString();
    next.version = current.version + 1;
  }
  return { patient: next, changed };
}

/** One field's change validated onto `next` (a null or empty value clears an optional field). */
function applyField(
  key: ChangeKey,
  value: NonNullable<PatientChanges[ChangeKey]> | null,
  { current, next, actor, now }: { current: Patient; next: Patient; actor: string; now: Date },
): void {
  const set = <K extends keyof Patient>(field: K, v: Patient[K] | undefined) => {
    if (v === undefined) delete next[field];
    else next[field] = v;
  };
  switch (key) {
    case 'fullName':
      next.fullName = validName(value as string, 'fullName', true)!;
      break;
    case 'preferredName':
      set('preferredName', validName(value as string | null ?? undefined, 'preferredName', false));
      break;
    case 'cpf':
      set('cpf', clean(value as string | null) ? normalizeCpf(value as string) : undefined);
      break;
    case 'birthDate':
      next.birthDate = validBirthDate(value as string, now.toISOString().slice(0, 10));
      break;
    case 'sex':
      if (value !== null && !sexes.includes(value as Sex)) throw usageError(`sex: "${String(value)}" is not one of ${sexes.join(', ')}`, { field: 'sex' });
      set('sex', (value as Sex | null) ?? undefined);
      break;
    case 'phone':
      set('phone', validPhone(value as string | null ?? undefined, 'phone'));
      break;
    case 'email':
      set('email', validEmail(value as string | null ?? undefined));
      break;
    case 'address':
      set('address', clean(clip(value as string | null, 300, 'address')));
      break;
    case 'guardian':
      set('guardian', validGuardian(value as Guardian | null));
      break;
    case 'alerts':
      next.alerts = validAlerts(value as string[]);
      break;
    case 'addAlerts':
    case 'removeAlerts':
      break; // by applyPatientChanges, after every field, on the list as set by `alerts`
    case 'notes':
      set('notes', clip(value as string | null, 10_000, 'notes', true));
      break;
    case 'status':
      if (!patientStatuses.includes(value as PatientStatus)) throw usageError(`status: "${String(value)}" is not one of ${patientStatuses.join(', ')}`, { field: 'status' });
      next.status = value as PatientStatus;
      break;
    case 'language':
      set('language', validLanguage(value));
      break;
    case 'emailReminders':
      if (value !== current.consent.emailReminders || !current.consent.recordedAt) {
        next.consent = { ...next.consent, emailReminders: Boolean(value), recordedAt: now.toISOString(), recordedBy: actor };
      }
      break;
    case 'whatsappReminders':
      break; // by applyPatientChanges, after every field: it needs the phone as changed
    default:
      throw usageError(`${String(key)}: not a patient field`, { field: String(key) });
  }
}

export interface UpdateOptions {
  /**
   * The ETag the caller read (a form shown to a person): the write succeeds only if the record is still that
   * version; otherwise a conflict. Without it, a concurrent change to other fields is merged (re-read,
   * re-applied); a concurrent change to the same fields is a conflict — nothing is overwritten.
   */
  etag?: string;
  /** added to the audit entry's details (ids and names only, never personal values) */
  auditDetails?: Record<string, unknown>;
}

/** The one write path for changes to an existing record (update, archive, anonymize). */
export async function writePatientChange(
  store: Store,
  id: string,
  change: (current: Patient) => { patient: Patient; changed: string[] },
  actor: string,
  action: 'patient.update' | 'patient.archive' | 'patient.anonymize',
  opts: UpdateOptions = {},
): Promise<{ patient: Patient; etag: string; changed: string[] }> {
  let { patient: base, etag } = await getPatient(store, id);
  if (opts.etag && opts.etag !== etag) throw staleConflict(base, opts.etag);
  let ours: string[] | undefined;
  for (let attempt = 0; ; attempt++) {
    const { patient: next, changed } = change(base);
    ours = [...new Set([...(ours ?? []), ...changed])];
    if (!changed.length) return { patient: base, etag, changed };
    if (next.cpf && next.cpf !== base.cpf) await claimCpf(store, next.cpf, base.id);
    let newEtag: string;
    try {
      newEtag = await store.putJson(patientKey(base.id), next, { ifMatch: etag });
    } catch (err) {
      // only a write that did not happen gives the new CPF back (the record holds it once written)
      if (next.cpf && next.cpf !== base.cpf) await releaseCpf(store, next.cpf, base.id).catch(() => {});
      if (!isClinicaError(err, 'conflict') || err.field === 'cpf') throw err;
      const fresh = await getPatient(store, base.id);
      if (opts.etag || attempt >= 5) throw staleConflict(fresh.patient, etag);
      const theirs = (Object.keys({ ...base, ...fresh.patient }) as (keyof Patient)[]).filter(
        (k) => k !== 'updatedAt' && k !== 'version' && JSON.stringify(base[k]) !== JSON.stringify(fresh.patient[k]),
      );
      const both = theirs.filter((f) => ours!.includes(f));
      if (both.length) {
        throw conflict(`patient ${base.id} was changed by someone else meanwhile (${both.join(', ')}); nothing was written`, {
          hint: `run \`clinica patients show ${base.id}\` and apply your change again`,
          reason: 'stale',
          params: { id: base.id, fields: both.join(', ') },
        });
      }
      ({ patient: base, etag } = fresh);
      continue;
    }
    await notePatientsChanged(store, [base.id]);
    if (base.cpf && base.cpf !== next.cpf) await releaseCpf(store, base.cpf, base.id);
    const before = JSON.stringify(summaryOf(base));
    if (JSON.stringify(summaryOf(next)) !== before) {
      await updatePatientIndex(store, [{ id: next.id, apply: (old) => summaryOf(next, old?.upcoming) }]);
    }
    // an update that archives the patient is an archive, whichever face made it (a form's status, --status archived)
    const done = action === 'patient.update' && changed.includes('status') && next.status === 'archived' ? 'patient.archive' : action;
    await audit(store, { actor, action: done, patientId: next.id, details: { fields: changed, version: next.version, ...opts.auditDetails } });
    return { patient: next, etag: newEtag, changed };
  }
}

function staleConflict(current: Patient, _etag: string): ClinicaError {
  return conflict(`patient ${current.id} was changed by someone else since it was read (now version ${current.version}); nothing was written`, {
    hint: `read it again (\`clinica patients show ${current.id}\`) and re-apply the change`,
    reason: 'stale',
    params: { id: current.id },
  });
}

export async function updatePatient(
  store: Store,
  id: string,
  changes: PatientChanges,
  actor: string,
  opts: UpdateOptions = {},
): Promise<{ patient: Patient; etag: string }> {
  if (!Object.values(changes).some((v) => v !== undefined)) throw usageError('nothing to change: give at least one field', { hint: 'see `clinica patients update --help`' });
  const { patient, etag } = await writePatientChange(store, id, (p) => applyPatientChanges(p, changes, actor), actor, 'patient.update', opts);
  return { patient, etag };
}

export async function archivePatient(store: Store, id: string, actor: string, opts: UpdateOptions = {}): Promise<{ patient: Patient; etag: string }> {
  return writePatientChange(store, id, (p) => applyPatientChanges(p, { status: 'archived' }, actor), actor, 'patient.archive', opts);
}

// ---------------------------------------------------------------- list and show

export interface ListPatientsOptions {
  /** accent-insensitive; every word must match the full name, preferred name, or (digits) CPF or phone */
  search?: string;
  /** default: everything but archived; 'all' for every status */
  status?: PatientStatus | 'all';
}

/** Reads the index (SHARDS GETs, after healPatientIndex's one LIST), never the records. Sorted by name. */
export async function listPatients(store: Store, options: ListPatientsOptions = {}): Promise<PatientSummary[]> {
  await healPatientIndex(store, { running: false });
  const rows = await readPatientIndex(store);
  const status = options.status;
  const match = options.search ? searchMatcher(options.search) : undefined;
  const picked = rows.filter((r) => (status === 'all' ? true : status ? r.status === status : r.status !== 'archived') && (!match || match(r)));
  const keyed = picked.map((r) => [fold(r.fullName), r] as const);
  keyed.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1].id < b[1].id ? -1 : 1));
  return keyed.map(([, r]) => r);
}

/** A word of a phone number or CPF as typed: digits and their punctuation only ("(11)", "98765-4321", "+55"). */
const numberWord = (w: string) => /\d/.test(w) && /^[\d.\-()/+]+$/.test(w);

export function searchMatcher(search: string): (row: PatientSummary) => boolean {
  // a number typed in pieces — "(11) 98765-4321", "+55 11 98765 4321" — is one number: its words are joined
  const terms: { word: string; digits?: string }[] = [];
  for (const w of fold(search).split(' ').filter(Boolean)) {
    const last = terms[terms.length - 1];
    if (numberWord(w) && last?.digits !== undefined) {
      last.word += ` ${w}`;
      last.digits += digitsOf(w);
    } else terms.push(numberWord(w) ? { word: w, digits: digitsOf(w) } : { word: w });
  }
  return (row) => {
    const numbers = `${row.cpf ?? ''} ${digitsOf(row.phone ?? '')}`;
    const text = fold(`${row.fullName} ${row.preferredName ?? ''} ${row.id}`);
    return terms.every(({ word, digits }) => {
      if (text.includes(word)) return true;
      if (digits === undefined || digits.length < 3) return false;
      // with Brazil's country code typed (+55, or 55 before a full number) for a phone stored without it, the
      // rest still finds it
      const countryCode = word.startsWith('+55') ? digits.length > 5 : digits.startsWith('55') && digits.length >= 12;
      return numbers.includes(digits) || (countryCode && numbers.includes(digits.slice(2)));
    });
  };
}

/** The first upcoming appointment start at `now` (from the index row). */
export function nextAppointment(row: PatientSummary, now = new Date()): string | undefined {
  return row.upcoming?.find((s) => Date.parse(s) >= now.getTime());
}

/** Age in whole years on the clinic's local date (a birthday starts at local midnight, not UTC's). */
export function ageOf(birthDate: string | undefined, now = new Date(), timeZone = 'America/Sao_Paulo'): number | undefined {
  return birthDate ? ageOn(birthDate, todayIn(timeZone, now)) : undefined;
}

/** How many images a patient has (distinct image ids under images/{id}/). */
export async function countPatientImages(store: Store, patientId: string): Promise<number> {
  const ids = new Set<string>();
  for await (const o of store.list(`images/${patientId}/`)) {
    const imageId = o.key.split('/')[2];
    if (imageId) ids.add(imageId);
  }
  return ids.size;
}

/** A patient as opened for a person: the record, its ETag and the appointments (an audited read). */
export interface PatientRecordView {
  patient: Patient;
  etag: string;
  appointments: AppointmentBrief[];
}

export interface PatientView extends PatientRecordView {
  imageCount: number;
}

/**
 * The record and its appointments, read for `actor`: the two reads at once, then the audit entry (written with
 * the other reads of the moment: audit.ts), stored before anything is returned. What the staff page opens — it
 * lists the images itself when it shows them, so counting them here would LIST them twice. `read` reads the two
 * (the server passes its memory of opened records: src/server/patient-records.ts); every read is audited either way.
 */
export async function openPatientRecord(store: Store, id: string, actor: string, read: (id: string) => Promise<PatientRecordView> = (pid) => readPatientRecord(store, pid)): Promise<PatientRecordView> {
  const view = await read(normalizePatientId(id));
  await audit(store, { actor, action: 'patient.read', patientId: view.patient.id });
  return view;
}

/** The record and its appointments, read together and not audited: what openPatientRecord shows (and a cache keeps). */
export async function readPatientRecord(store: Store, id: string): Promise<PatientRecordView> {
  const pid = normalizePatientId(id);
  const [{ patient, etag }, appointments] = await Promise.all([getPatient(store, pid), listPatientAppointments(store, pid)]);
  return { patient, etag, appointments };
}

/** The opened record and how many images the patient has (`patients show`), the count read alongside. */
export async function showPatient(store: Store, id: string, actor: string): Promise<PatientView> {
  const pid = normalizePatientId(id);
  const [view, imageCount] = await Promise.all([openPatientRecord(store, pid, actor), countPatientImages(store, pid)]);
  return { ...view, imageCount };
}

/** May reminders go to this patient by e-mail? (reminders use this; consent recorded yes, an address, alive and active) */
export function canEmailReminders(patient: Patient): boolean {
  return Boolean(patient.consent.emailReminders && patient.email && patient.status === 'active' && !patient.anonymized);
}

/**
 * The patient's number for WhatsApp, in E.164 ("+5511987654321"): WhatsApp addresses a number with its
 * country and area code, so a phone without the DDD is refused for this channel, naming the field.
 */
export function whatsappPhone(patient: Pick<Patient, 'phone'>): string {
  if (!patient.phone) {
    throw usageError('phone: WhatsApp reminders need the patient\'s mobile number with its area code (DDD), e.g. "(11) 98765-4321"', { field: 'phone', reason: 'phone-required' });
  }
  return normalizePhone(patient.phone, 'phone');
}

/** May reminders go to this patient on WhatsApp? (consent recorded yes, a usable number, alive and active) */
export function canWhatsAppReminders(patient: Patient): boolean {
  if (!patient.consent.whatsapp?.reminders || patient.status !== 'active' || patient.anonymized) return false;
  try {
    whatsappPhone(patient);
    return true;
  } catch {
    return false;
  }
}

export interface SharedCpf {
  /** masked, as in lists */
  cpf: string;
  /** the patient who keeps the claim */
  owner: string;
  /** the other records that carry this CPF */
  others: string[];
}

export interface ReindexResult {
  patients: number;
  /** CPFs that have their (keyed) claim */
  cpfClaims: number;
  /** a CPF in more than one record (records written or copied by hand, past the claims) */
  sharedCpfs: SharedCpf[];
}

/**
 * Regenerates what is derived from the records: the index (with each patient's appointment list), the repair
 * for an index left behind by an interrupted write; and the CPF claims — a keyed claim for every CPF in a
 * record. Reads every record — the one operation that does.
 */
export async function reindexPatients(store: Store, now = new Date()): Promise<ReindexResult> {
  const records = await readPatientRecords(store);
  const rows = await mapLimit(records, 16, async (record) => summaryOf(record, upcomingOf(await listPatientAppointments(store, record.id), now)));
  await writePatientIndex(store, rows);
  return { patients: rows.length, ...(await rebuildCpfClaims(store, records)) };
}

/**
 * The records the index has no row for — left by a create or an import stopped between writing its records
 * and their index rows (Ctrl+C, S3 gone). One LIST of patients/, and a read of each such record only (usually
 * none). The import matches against them too (without them a re-run would add such a patient again) and
 * writes their rows with its own.
 */
export async function unindexedRecords(store: Store, index: readonly PatientSummary[]): Promise<Patient[]> {
  const indexed = new Set(index.map((r) => r.id));
  return readPatientRecords(store, (id) => !indexed.has(id));
}

/** How long a marker of pending ids stays after its records were indexed here: the bulk write that left it may
 * still be running (it writes a few hundred records per marker, in seconds), and would miss rows for the records
 * it writes after a deletion; after this long by S3's clock it died. */
const PENDING_SETTLE_MS = 5 * 60_000;
/** A marker younger than this is most likely an import still running, which indexes its own rows within
 * seconds: a list leaves it alone (no reads for it); the duplicate check of an add does not. */
const PENDING_RUNNING_MS = 60_000;

/**
 * Gives an index row to every record a stopped bulk write (an import: Ctrl+C, S3 gone) left without one, so
 * `list`, search and the duplicate check of `add` see them. One LIST of the markers (patient-index.ts) — empty
 * unless an import runs or stopped —, then for each marker a LIST of its id range and a GET of each record there
 * the index lacks. Idempotent; run by listPatients (markers over a minute old) and by the duplicate check (all).
 * Returns how many rows it added.
 */
export async function healPatientIndex(store: Store, { running = true } = {}): Promise<number> {
  const markers = (await listPendingIds(store)).filter((m) => running || !m.lastModified || Date.now() - m.lastModified.getTime() >= PENDING_RUNNING_MS);
  if (!markers.length) return 0;
  const indexed = new Set((await readPatientIndex(store)).map((r) => r.id));
  const keys: string[] = [];
  for (const m of markers) {
    // ids are zero-padded, so the range's keys are listed in order from its first one
    for await (const o of store.list(PATIENTS_PREFIX, { startAfter: patientKey(formatPatientId(m.first - 1)) })) {
      const n = Number(/^patients\/P-(\d+)\.json$/.exec(o.key)?.[1] ?? NaN);
      if (!(n <= m.last)) break;
      if (!indexed.has(formatPatientId(n))) keys.push(o.key);
    }
  }
  const found = (await mapLimit(keys, 16, async (key) => (await store.getJson<Patient>(key))?.value)).filter((r): r is Patient => r !== undefined);
  if (found.length) await updatePatientIndex(store, found.map((r) => ({ id: r.id, apply: (old) => old ?? summaryOf(r) })));
  await mapLimit(markers, 4, async (m) => {
    const got = await store.getJson(m.key, { withTimes: true });
    const age = got?.serverTime && got.lastModified ? got.serverTime.getTime() - got.lastModified.getTime() : 0;
    if (got && age >= PENDING_SETTLE_MS) await store.delete(m.key);
  });
  return found.length;
}

/** The patient records (one LIST of patients/) whose id `wanted` accepts — every one by default — read 16 at a time. */
async function readPatientRecords(store: Store, wanted: (id: string) => boolean = () => true): Promise<Patient[]> {
  const keys: string[] = [];
  for await (const o of store.list(PATIENTS_PREFIX)) {
    const id = /^patients\/(P-\d+)\.json$/.exec(o.key)?.[1];
    if (id && wanted(id)) keys.push(o.key);
  }
  return (await mapLimit(keys, 16, async (key) => (await store.getJson<Patient>(key))?.value)).filter((r): r is Patient => r !== undefined);
}

/** A keyed claim for every CPF in a record; a CPF in more than one record stays with the patient who holds its claim. */
async function rebuildCpfClaims(store: Store, records: Patient[]): Promise<Omit<ReindexResult, 'patients'>> {
  const key = (await bucketKey(store, { create: true }))!;
  const byCpf = new Map<string, string[]>();
  for (const r of records) if (r.cpf) byCpf.set(r.cpf, [...(byCpf.get(r.cpf) ?? []), r.id]);
  const shared: SharedCpf[] = [];
  await mapLimit([...byCpf], 16, async ([cpf, ids]) => {
    // one by one, lowest id first: the one already holding the claim keeps it, else the lowest id gets it
    let owner: string | undefined;
    const others: string[] = [];
    for (const id of ids.sort()) {
      try {
        await takeCpfClaim(store, cpfClaimKey(key, cpf), cpf, id);
        owner ??= id;
      } catch (err) {
        if (!isClinicaError(err, 'conflict') || err.reason !== 'cpf-taken') throw err;
        owner = String(err.params!.patientId);
        others.push(id);
      }
    }
    if (others.length) shared.push({ cpf: maskCpf(cpf), owner: owner!, others });
  });
  return { cpfClaims: byCpf.size, sharedCpfs: shared.sort((a, b) => a.owner.localeCompare(b.owner)) };
}

export { maskCpf };
