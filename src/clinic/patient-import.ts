/**
 * Bulk migration from another system: a CSV of patients (pt-BR or English headers, comma, semicolon or tab
 * separated, UTF-8 with or without a BOM, or Windows-1252 — see decodeCsv). Every row is validated on its own; bad rows are returned with their line
 * number and reason, good rows are created. A row that matches an existing patient (by CPF, else by name +
 * birth date) is left alone, so re-running the same file creates no duplicates; a row matching a patient
 * anonymized at their request is rejected (erased.ts). Writes are batched: one
 * counter update for all new ids, one conditional write per index shard.
 */
import type { OnProgress } from '../progress.js';
import { parse } from 'csv-parse/sync';
import { csvParseError } from '../csv.js';
import { ClinicaError, isClinicaError, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { bucketKey } from './bucket-key.js';
import { maskCpf } from './cpf.js';
import { erasedMatcher } from './erased.js';
import { markPendingIds, readPatientIndex, summaryOf, updatePatientIndex } from './patient-index.js';
import {
  allocatePatientNumbers,
  claimCpf,
  formatPatientId,
  newPatientRecord,
  parseSex,
  parseStatus,
  parseLanguage,
  parseYesNo,
  patientKey,
  unindexedRecords,
  validatePatientInput,
} from './patients.js';
import { fold, personKey } from './text.js';
import { mapLimit } from '../map-limit.js';
import type { Patient, PatientInput, PatientSummary } from './types.js';

type Field =
  | 'fullName' | 'preferredName' | 'cpf' | 'birthDate' | 'sex' | 'phone' | 'email' | 'address'
  | 'guardianName' | 'guardianPhone' | 'guardianCpf' | 'guardianRelationship'
  | 'alerts' | 'notes' | 'status' | 'emailReminders' | 'language' | 'whatsappReminders';

/** Accepted column names (compared without accents, case, spaces or punctuation). Documented in docs/patients.md. */
export const COLUMN_NAMES: Record<Field, string[]> = {
  fullName: ['nome', 'nome completo', 'nome do paciente', 'paciente', 'name', 'full name', 'patient name', 'patient'],
  preferredName: ['nome social', 'apelido', 'como prefere ser chamado', 'preferred name', 'nickname'],
  cpf: ['cpf', 'cpf do paciente', 'tax id'],
  birthDate: ['data de nascimento', 'nascimento', 'data nascimento', 'dt nascimento', 'dt nasc', 'birth date', 'birthdate', 'date of birth', 'dob'],
  sex: ['sexo', 'genero', 'sex', 'gender'],
  phone: ['telefone', 'celular', 'fone', 'whatsapp', 'phone', 'mobile', 'phone number'],
  email: ['email', 'e-mail', 'correio eletronico'],
  address: ['endereco', 'endereco completo', 'address'],
  guardianName: ['responsavel', 'nome do responsavel', 'guardian', 'guardian name'],
  guardianPhone: ['telefone do responsavel', 'guardian phone'],
  guardianCpf: ['cpf do responsavel', 'guardian cpf'],
  guardianRelationship: ['parentesco', 'relationship', 'guardian relationship'],
  alerts: ['alergias', 'alertas', 'alergias alertas', 'allergies', 'alerts'],
  notes: ['observacoes', 'obs', 'notas', 'anotacoes', 'notes', 'remarks'],
  status: ['situacao', 'status'],
  emailReminders: ['lembretes por email', 'aceita lembretes', 'consentimento email', 'email reminders', 'reminders consent', 'consent'],
  language: ['idioma', 'lingua', 'idioma dos lembretes', 'language', 'preferred language'],
  whatsappReminders: ['lembretes por whatsapp', 'consentimento whatsapp', 'aceita whatsapp', 'whatsapp reminders', 'whatsapp consent'],
};
export const REQUIRED_COLUMNS: Field[] = ['fullName', 'birthDate'];
const REQUIRED_LABELS: Record<string, [string, string]> = { fullName: ['nome', 'name'], birthDate: ['data de nascimento', 'birth date'] };

const squash = (header: string) => fold(header).replace(/[^a-z0-9]/g, '');
const lookup = new Map<string, Field>();
for (const [field, names] of Object.entries(COLUMN_NAMES) as [Field, string[]][]) for (const n of names) lookup.set(squash(n), field);

export interface CsvRow {
  /** the line the row starts on (the header is line 1) */
  line: number;
  values: Record<string, string>;
}

export interface ParsedCsv {
  headers: string[];
  /** header → field, for the columns that were recognised */
  mapping: Record<string, Field>;
  ignored: string[];
  rows: CsvRow[];
  /** the file's separator (the rejects file is written with the same) */
  delimiter: string;
}

export type CsvEncoding = 'utf-8' | 'windows-1252';

/**
 * A CSV file's bytes as text. Valid UTF-8 (with or without a BOM) is read as UTF-8; anything else as
 * Windows-1252 — what pt-BR Excel ("CSV (separado por vírgulas)") and older clinic systems save; Latin-1 is the
 * same for every letter a Brazilian name has. A Windows-1252 file is almost never valid UTF-8 by accident: an
 * accented letter alone (é = E9) is an invalid UTF-8 sequence.
 */
export function decodeCsv(bytes: Uint8Array): { text: string; encoding: CsvEncoding } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes), encoding: 'utf-8' };
  } catch {
    // not TextDecoder('windows-1252'): Node 20.18.3+ decodes it as ISO-8859-1 (nodejs/node#60888), so
    // “ ” – — € (0x80–0x9F, which Excel writes) came out as control characters
    const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
    return { text: text.replace(/[\x80-\x9f]/g, (c) => CP1252_80_9F[c.charCodeAt(0) - 0x80]!), encoding: 'windows-1252' };
  }
}

/** Windows-1252's characters for 0x80–0x9F (the WHATWG index; the five unassigned bytes stay as they are). */
const CP1252_80_9F = [...'€\x81‚ƒ„…†‡ˆ‰Š‹Œ\x8dŽ\x8f\x90‘’“”•–—˜™š›œ\x9džŸ'];

function detectDelimiter(text: string): string {
  const first = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const counts = [';', ',', '\t'].map((d) => [d, first.split(d).length - 1] as const).sort((a, b) => b[1] - a[1]);
  return counts[0]![1] > 0 ? counts[0]![0] : ',';
}

/** Parses the CSV and maps its headers; a missing required column is a usage error naming it (nothing is imported). */
export function parsePatientCsv(text: string, file = 'the CSV'): ParsedCsv {
  let records: { record: string[]; info: { lines: number } }[];
  const delimiter = detectDelimiter(text);
  try {
    records = parse(text, { delimiter, bom: true, info: true, skip_empty_lines: true, relax_column_count: true, trim: true }) as unknown as typeof records;
  } catch (err) {
    throw csvParseError(err, text, delimiter, file);
  }
  if (!records.length) throw usageError(`${file} is empty (expected a header line and one row per patient)`, { field: 'file' });
  const headers = records[0]!.record.map((h) => h.trim());
  const mapping: Record<string, Field> = {};
  const ignored: string[] = [];
  const taken = new Set<Field>();
  for (const h of headers) {
    const f = lookup.get(squash(h));
    if (f && !taken.has(f)) {
      mapping[h] = f;
      taken.add(f);
    } else if (h) ignored.push(h);
  }
  for (const f of REQUIRED_COLUMNS) {
    if (!taken.has(f)) {
      const [pt, en] = REQUIRED_LABELS[f];
      throw usageError(`${file}: missing required column "${pt}" (or "${en}")`, { field: f, hint: `accepted names: ${COLUMN_NAMES[f].join(', ')}` });
    }
  }
  const rows = records.slice(1).map(({ record, info }) => {
    const values: Record<string, string> = {};
    headers.forEach((h, i) => (values[h] = record[i] ?? ''));
    const inner = record.reduce((n, v) => n + (v.match(/\n/g)?.length ?? 0), 0);
    return { line: info.lines - inner, values };
  });
  return { headers, mapping, ignored, rows, delimiter };
}

/** One CSV row → a patient input (throws a usage error naming the column). */
export function rowToInput(row: CsvRow, mapping: Record<string, Field>): PatientInput {
  const v: Partial<Record<Field, string>> = {};
  const column: Partial<Record<Field, string>> = {};
  for (const [header, field] of Object.entries(mapping)) {
    v[field] = row.values[header]?.trim() ?? '';
    column[field] = header;
  }
  const named = (f: Field, fn: () => unknown) => {
    try {
      return fn();
    } catch (err) {
      if (isClinicaError(err, 'usage')) throw usageError(err.message.replace(/^[\w.]+:/, `${column[f]}:`), { field: f });
      throw err;
    }
  };
  const input: PatientInput = { fullName: v.fullName ?? '', birthDate: v.birthDate ?? '' };
  if (v.preferredName) input.preferredName = v.preferredName;
  if (v.cpf) input.cpf = v.cpf;
  if (v.sex) input.sex = named('sex', () => parseSex(v.sex!)) as PatientInput['sex'];
  if (v.phone) input.phone = v.phone;
  if (v.email) input.email = v.email;
  if (v.address) input.address = v.address;
  if (v.guardianName || v.guardianPhone || v.guardianCpf) {
    input.guardian = { name: v.guardianName ?? '', phone: v.guardianPhone, cpf: v.guardianCpf, relationship: v.guardianRelationship };
  }
  if (v.alerts) input.alerts = v.alerts.split(/[;|,]/);
  if (v.notes) input.notes = v.notes;
  if (v.status) input.status = named('status', () => parseStatus(v.status!)) as PatientInput['status'];
  if (v.emailReminders) input.emailReminders = named('emailReminders', () => parseYesNo(v.emailReminders!, 'emailReminders')) as boolean;
  if (v.language) input.language = named('language', () => parseLanguage(v.language!)) as PatientInput['language'];
  if (v.whatsappReminders) input.whatsappReminders = named('whatsappReminders', () => parseYesNo(v.whatsappReminders!, 'whatsappReminders')) as boolean;
  // validate now, so the reason names the CSV column
  try {
    validatePatientInput(input);
  } catch (err) {
    if (isClinicaError(err, 'usage') && err.field) {
      const f = (err.field.startsWith('guardian.') ? `guardian${err.field[9]!.toUpperCase()}${err.field.slice(10)}` : err.field) as Field;
      const header = column[f];
      throw usageError(header ? err.message.replace(/^[\w.]+:/, `${header}:`) : err.message, { field: err.field });
    }
    throw err;
  }
  return input;
}

export interface ImportOutcome {
  line: number;
  id: string;
}

export interface ImportResult {
  rows: number;
  created: ImportOutcome[];
  /** rows that matched a patient already stored (by CPF, else name + birth date): left unchanged */
  existing: (ImportOutcome & { matchedBy: 'cpf' | 'name+birthDate' })[];
  rejected: { line: number; reason: string; field?: string; values: Record<string, string> }[];
  mapping: Record<string, string>;
  ignoredColumns: string[];
  delimiter: string;
}

export interface ImportOptions {
  file?: string;
  progress?: OnProgress;
  /** parallel writes; default 32 */
  concurrency?: number;
}

/** The fewest rows written between two index updates (more in a large file: at most 20 updates a run). */
const CHUNK_MIN = 500;

/** Two rows with one CPF are one person when the name or the birth date agrees (a name may have changed since). */
const samePerson = (a: { fullName: string; birthDate?: string }, b: { fullName: string; birthDate?: string }) =>
  fold(a.fullName) === fold(b.fullName) || (a.birthDate !== undefined && a.birthDate === b.birthDate);

export type ValidRow = { row: CsvRow; record: Patient };
type Rejected = ImportResult['rejected'][number];

/** The CSV's column that holds the CPF (named in messages about it). */
const cpfColumnOf = (mapping: Record<string, string>) => Object.entries(mapping).find(([, f]) => f === 'cpf')?.[0] ?? 'CPF';

/**
 * What an import of this CSV would do, read only: the rows to create, those already stored (left unchanged) and
 * those refused, each with its line and reason. `patients import --dry-run` prints it; applyImport writes it.
 */
export interface ImportPlan extends Omit<ImportResult, 'created'> {
  /** the rows to create, in file order */
  create: ValidRow[];
  /** records an earlier stopped run left without an index row: indexed when the plan is applied */
  unindexed: Patient[];
}

export async function planImport(store: Store, csvText: string, actor: string, options: Pick<ImportOptions, 'file'> = {}): Promise<ImportPlan> {
  const parsed = parsePatientCsv(csvText, options.file);
  const plan: ImportPlan = { rows: parsed.rows.length, create: [], unindexed: [], existing: [], rejected: [], mapping: parsed.mapping, ignoredColumns: parsed.ignored, delimiter: parsed.delimiter };
  const valid = validateRows(parsed.rows, parsed.mapping, actor, new Date(), plan.rejected);
  // the index (no record reads), and the few records it may lack — an earlier run stopped before its index
  // rows was not done, and its re-run must not add them again
  const indexed = await readPatientIndex(store);
  plan.unindexed = await unindexedRecords(store, indexed);
  const candidates = matchStored([...indexed, ...plan.unindexed.map((r) => summaryOf(r))], valid, cpfColumnOf(parsed.mapping), plan);
  plan.create = await withoutErased(store, candidates, plan.rejected);
  sortByLine(plan);
  return plan;
}

/** Writes the plan: its rows created (a row another writer took in the meantime goes to existing or rejected), then the audit summary. */
export async function applyImport(store: Store, plan: ImportPlan, actor: string, options: ImportOptions = {}): Promise<ImportResult> {
  const { create, unindexed, ...rest } = plan;
  const result: ImportResult = { ...rest, created: [], existing: [...plan.existing], rejected: [...plan.rejected] };
  await createPatients(store, create, unindexed, actor, options, result);
  sortByLine(result);
  await audit(store, {
    actor,
    action: 'patient.import',
    details: { rows: result.rows, created: result.created.length, existing: result.existing.length, rejected: result.rejected.length },
  });
  return result;
}

/** Plan and apply in one call. */
export async function importPatients(store: Store, csvText: string, actor: string, options: ImportOptions = {}): Promise<ImportResult> {
  return applyImport(store, await planImport(store, csvText, actor, options), actor, options);
}

/** The outcomes in file order (the rows are written many at a time, and indexed a chunk at a time). */
function sortByLine(outcome: Pick<ImportResult, 'existing' | 'rejected'> & Partial<Pick<ImportResult, 'created'>>): void {
  const byLine = (a: { line: number }, b: { line: number }) => a.line - b.line;
  outcome.existing.sort(byLine);
  outcome.rejected.sort(byLine);
  outcome.created?.sort(byLine);
}

/** Every row validated into a record; duplicates inside the file are rejected (the first one is kept). */
function validateRows(rows: CsvRow[], mapping: Record<string, Field>, actor: string, now: Date, rejected: Rejected[]): ValidRow[] {
  const valid: ValidRow[] = [];
  const seenCpf = new Map<string, { line: number; fullName: string; birthDate?: string }>();
  const seenName = new Map<string, number>();
  for (const row of rows) {
    try {
      const record = newPatientRecord('P-000000', rowToInput(row, mapping), actor, now);
      const sameCpf = record.cpf ? seenCpf.get(record.cpf) : undefined;
      if (sameCpf && !samePerson(sameCpf, record)) {
        throw usageError(`${cpfColumnOf(mapping)}: the same CPF is on line ${sameCpf.line} for another name and birth date`, { field: 'cpf' });
      }
      const dupLine = sameCpf?.line || (!record.cpf ? seenName.get(personKey(record.fullName, record.birthDate)) : undefined);
      if (dupLine) throw usageError(`same patient as line ${dupLine}`, { field: record.cpf ? 'cpf' : 'fullName' });
      if (record.cpf) seenCpf.set(record.cpf, { line: row.line, fullName: record.fullName, birthDate: record.birthDate });
      else seenName.set(personKey(record.fullName, record.birthDate), row.line);
      valid.push({ row, record });
    } catch (err) {
      if (!isClinicaError(err, 'usage')) throw err;
      rejected.push({ line: row.line, reason: err.message, field: err.field, values: row.values });
    }
  }
  return valid;
}

/** The rows matched against the patients stored: present ones go to `existing`, a CPF clash is rejected; the rest are returned. */
function matchStored(index: PatientSummary[], valid: ValidRow[], cpfColumn: string, result: Pick<ImportResult, 'existing' | 'rejected'>): ValidRow[] {
  const byCpf = new Map(index.filter((p) => p.cpf).map((p) => [p.cpf!, p]));
  const byName = new Map<string, { id: string; cpf?: string }>();
  for (const p of index) byName.set(personKey(p.fullName, p.birthDate), { id: p.id, cpf: p.cpf });
  const candidates: ValidRow[] = [];
  for (const v of valid) {
    const cpfMatch = v.record.cpf ? byCpf.get(v.record.cpf) : undefined;
    const nameMatch = byName.get(personKey(v.record.fullName, v.record.birthDate));
    if (cpfMatch && !samePerson(cpfMatch, v.record)) {
      // a CPF typed wrong in the old system, or two people mixed up: not silently dropped as "already present"
      result.rejected.push({
        line: v.row.line,
        reason: `${cpfColumn}: ${maskCpf(v.record.cpf!)} already belongs to patient ${cpfMatch.id}, with another name and birth date`,
        field: 'cpf',
        values: v.row.values,
      });
    } else if (cpfMatch) result.existing.push({ line: v.row.line, id: cpfMatch.id, matchedBy: 'cpf' });
    else if (nameMatch && (!v.record.cpf || !nameMatch.cpf)) result.existing.push({ line: v.row.line, id: nameMatch.id, matchedBy: 'name+birthDate' });
    else candidates.push(v);
  }
  return candidates;
}

/** The rows without those of people anonymized at their request (LGPD): an old file does not bring them back. */
async function withoutErased(store: Store, candidates: ValidRow[], rejected: Rejected[]): Promise<ValidRow[]> {
  const erased = await erasedMatcher(store);
  const matches = await mapLimit(candidates, 16, (v) => erased(v.record));
  return candidates.filter((v, i) => {
    const m = matches[i];
    if (!m) return true;
    const reason = `matches a patient anonymized at their request (LGPD erasure; by ${m.by === 'cpf' ? 'CPF' : 'name and birth date'}) — not re-imported`;
    rejected.push({ line: v.row.line, reason, field: m.by === 'cpf' ? 'cpf' : 'fullName', values: v.row.values });
    return false;
  });
}

/**
 * One block of ids, then claims and records in parallel, their index rows a chunk at a time: each chunk's ids
 * are marked pending before its first record is written, and its index rows are written (then its marker
 * removed) as soon as its last record is — while the records of the next chunk go on, so the writes never wait
 * for the index. A run stopped anywhere leaves the records of a chunk or two without rows, each under a marker
 * that makes the next list or add index them.
 */
async function createPatients(store: Store, fresh: ValidRow[], unindexed: Patient[], actor: string, options: ImportOptions, result: ImportResult): Promise<void> {
  const counter = { done: 0, total: fresh.length };
  options.progress?.({ done: 0, total: counter.total });
  // the bucket's key is made once, not by 32 rows at a time
  if (fresh.some((v) => v.record.cpf)) await bucketKey(store, { create: true });
  if (unindexed.length) await updatePatientIndex(store, unindexed.map((r) => ({ id: r.id, apply: (old: PatientSummary | undefined) => old ?? summaryOf(r) })));
  if (!fresh.length) return;
  const first = await allocatePatientNumbers(store, fresh.length);
  // a few index rewrites per run (each rewrites the shards it touches), and a bounded heal after a stop
  const size = Math.max(CHUNK_MIN, Math.ceil(fresh.length / 20));
  type Written = { row: CsvRow; patient: Patient };
  const chunks = Array.from({ length: Math.ceil(fresh.length / size) }, (_, c) => ({
    left: Math.min(size, fresh.length - c * size),
    written: [] as Written[],
    marker: undefined as Promise<{ key: string }> | undefined,
  }));
  const markerOf = (c: number) => (chunks[c]!.marker ??= markPendingIds(store, first + c * size, first + Math.min((c + 1) * size, fresh.length) - 1));
  // index updates run one after another (each rewrites shards the next may touch too)
  let indexing = Promise.resolve();
  const indexChunk = (c: number) => {
    const { written } = chunks[c]!;
    indexing = indexing.then(async () => {
      await updatePatientIndex(store, written.map(({ patient }) => ({ id: patient.id, apply: () => summaryOf(patient) })));
      await store.delete((await markerOf(c)).key);
      result.created.push(...written.map(({ row, patient }) => ({ line: row.line, id: patient.id })));
    });
    indexing.catch(() => {}); // awaited at the end; until then a failure must not count as unhandled
  };
  await mapLimit(fresh, options.concurrency ?? 32, async (v, i) => {
    const c = Math.floor(i / size);
    const chunk = chunks[c]!;
    try {
      await markerOf(c);
      const written = await createPatient(store, v, formatPatientId(first + i), actor, result);
      if (written) chunk.written.push(written);
    } finally {
      options.progress?.({ done: ++counter.done, total: counter.total });
      if (--chunk.left === 0) indexChunk(c);
    }
  });
  await indexing;
}

/**
 * The planned record with its id and the time it is written: a plan may wait at its confirmation for a while,
 * and the record's creation and the consents it brings are dated when they are stored, not when planned.
 */
function asWrittenNow(record: Patient, id: string): Patient {
  const at = new Date().toISOString();
  const consent = { ...record.consent };
  if (consent.recordedAt) consent.recordedAt = at;
  if (consent.whatsapp) consent.whatsapp = { ...consent.whatsapp, recordedAt: at };
  return { ...record, id, createdAt: at, updatedAt: at, consent };
}

/** One row's CPF claimed, record written and audited; a row refused on the way goes to `existing` or `rejected`. */
async function createPatient(store: Store, { row, record }: ValidRow, id: string, actor: string, result: ImportResult): Promise<{ row: CsvRow; patient: Patient } | undefined> {
  const patient = asWrittenNow(record, id);
  try {
    if (patient.cpf) await claimCpf(store, patient.cpf, patient.id);
    await store.putJson(patientKey(patient.id), patient, { ifNoneMatch: '*' });
    // audited with its record, not after the index: a run stopped in between leaves no unaudited patient
    // (the concurrent rows' entries share their audit writes: audit.ts)
    await audit(store, { actor, action: 'patient.create', patientId: patient.id, details: { via: 'import', line: row.line } });
    return { row, patient };
  } catch (err) {
    if (!(err instanceof ClinicaError) || (err.kind !== 'conflict' && err.kind !== 'usage')) throw err;
    const owner = /patient (P-\d+)/.exec(err.message)?.[1];
    if (owner && err.field === 'cpf') result.existing.push({ line: row.line, id: owner, matchedBy: 'cpf' });
    else result.rejected.push({ line: row.line, reason: err.message, field: err.field, values: row.values });
    return undefined;
  }
}
