/**
 * The agenda's dentists and chairs as records:
 *   dentists/{id}.json   name, CRO registration, specialty, colour, working hours (absent: the clinic's),
 *                        an optional staff account, active flag; `aliases` keeps the free-text spellings
 *                        bookings use for this dentist (`dentists migrate`), so those names still resolve
 *   chairs/{id}.json     a chair (room): name, active flag
 * Ids are readable and never reused ("ana-souza-k3f9"). Writes use If-Match / If-None-Match like every record.
 * A booking names a dentist by id or by an unambiguous name (resolveDentist); until the clinic records its
 * first dentist the agenda takes names as free text.
 */
import { slug } from '../config/load.js';
import { openingSchema, type Opening } from '../config/site.js';
import { conflict, isClinicaError, notFound, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { clean, fold } from './text.js';
import { mapLimit } from '../map-limit.js';
import { randomId } from '../random-id.js';

export interface DentistRecord {
  id: string;
  name: string;
  /** e.g. "CRO-SP 12345" */
  cro?: string;
  specialty?: string;
  /** #rrggbb, the colour of the dentist's blocks on the agenda */
  color: string;
  /** working hours; absent: the clinic's opening hours */
  hours?: Opening[];
  /** the staff account this dentist signs in with ("minha agenda") */
  staffId?: string;
  active: boolean;
  /** earlier free-text spellings of this dentist's name (kept by the migration) */
  aliases?: string[];
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface ChairRecord {
  id: string;
  name: string;
  active: boolean;
  createdAt: string;
  updatedAt: string;
  version: number;
}

export interface DentistInput {
  name: string;
  cro?: string;
  specialty?: string;
  color?: string;
  hours?: Opening[];
  staffId?: string;
}

/** A partial update; `null` clears an optional field (hours: null = the clinic's hours again). */
export type DentistChanges = { name?: string; active?: boolean } & {
  [K in 'cro' | 'specialty' | 'color' | 'hours' | 'staffId']?: DentistInput[K] | null;
};

export const DENTISTS_PREFIX = 'dentists/';
export const CHAIRS_PREFIX = 'chairs/';
const dentistKeyOf = (id: string) => `${DENTISTS_PREFIX}${id}.json`;
const chairKeyOf = (id: string) => `${CHAIRS_PREFIX}${id}.json`;
const ID = /^[a-z0-9][a-z0-9-]{0,60}$/;

/** Colours the agenda gives dentists added without one, in turn (distinct, readable with white text). */
export const DENTIST_COLORS = ['#0b6e69', '#8e44ad', '#c0392b', '#2c5aa0', '#b9770e', '#117a65', '#6c3483', '#a04000'];

/** A name as compared: no case, accents or punctuation ("Dra. Ana" = "dra ana" = "DRA ANÁ"). */
export const nameKey = (name: string) => fold(name).replace(/[^\p{L}\p{N}]+/gu, ' ').trim();

function validName(text: string | undefined, what: string): string {
  const name = clean(text);
  if (!name) throw usageError(`${what}: a name is required`, { field: 'name', reason: 'required' });
  if (name.length > 100) throw usageError(`${what}: the name is longer than 100 characters`, { field: 'name', reason: 'too-long', params: { max: 100 } });
  return name;
}

function validColor(text: string): string {
  if (!/^#[0-9a-fA-F]{6}$/.test(text.trim())) throw usageError(`color: "${text}" is not a colour (expected #rrggbb, e.g. "#0b6e69")`, { field: 'color', reason: 'color-format' });
  return text.trim().toLowerCase();
}

function validText(text: string | undefined, field: string, max: number): string | undefined {
  const t = clean(text);
  if (t && t.length > max) throw usageError(`${field}: longer than ${max} characters`, { field, reason: 'too-long', params: { max } });
  return t;
}

function validHours(hours: Opening[]): Opening[] {
  return hours.map((h, i) => {
    const parsed = openingSchema.safeParse(h);
    if (!parsed.success) throw usageError(`hours: entry ${i + 1} is not valid (${parsed.error.issues[0]?.message})`, { field: 'hours', reason: 'hours-format' });
    return parsed.data;
  });
}

/**
 * Working hours as typed on the command line: "mon-fri 08:00-12:00,13:00-18:00; sat 08:00-12:00"
 * (days: mon … sun, a range "mon-fri" or a list "mon,wed"; times 24 h).
 */
export function parseHours(text: string): Opening[] {
  const days = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
  const out: Opening[] = [];
  for (const part of text.split(';').map((p) => p.trim()).filter(Boolean)) {
    const m = /^([a-z,-]+)\s+(.+)$/i.exec(part);
    const bad = () =>
      usageError(`hours: "${part}" is not working hours (expected e.g. "mon-fri 08:00-12:00,13:00-18:00; sat 08:00-12:00")`, { field: 'hours', reason: 'hours-format' });
    if (!m) throw bad();
    const picked = new Set<(typeof days)[number]>();
    for (const item of m[1]!.toLowerCase().split(',')) {
      const [a, b] = item.split('-');
      const i = days.indexOf(a as (typeof days)[number]);
      const j = b === undefined ? i : days.indexOf(b as (typeof days)[number]);
      if (i < 0 || j < i) throw bad();
      for (let k = i; k <= j; k++) picked.add(days[k]!);
    }
    for (const span of m[2]!.split(',')) {
      const t = /^\s*(\d{2}:\d{2})\s*[-–]\s*(\d{2}:\d{2})\s*$/.exec(span);
      if (!t) throw bad();
      out.push({ days: [...picked], open: t[1]!, close: t[2]! });
    }
  }
  return validHours(out);
}

/** Records read before, per store, by key with the ETag they were read at: a record unchanged is not read again. */
const recordCache = new WeakMap<Store, Map<string, { etag: string; value: unknown }>>();

/**
 * Every record under `prefix`: one LIST, then a GET only of what changed since this store last read it (a
 * server answering the agenda all day reads the dentists once). Each caller gets its own copies.
 */
async function readAll<T>(store: Store, prefix: string): Promise<T[]> {
  const listed: { key: string; etag: string }[] = [];
  for await (const o of store.list(prefix)) if (o.key.endsWith('.json')) listed.push({ key: o.key, etag: o.etag });
  let cache = recordCache.get(store);
  if (!cache) recordCache.set(store, (cache = new Map()));
  const known = cache;
  const records = await mapLimit(listed, 16, async ({ key, etag }) => {
    const hit = known.get(key);
    if (hit && hit.etag === etag) return structuredClone(hit.value) as T;
    const got = await store.getJson<T>(key);
    if (got) known.set(key, { etag: got.etag, value: structuredClone(got.value) });
    return got?.value;
  });
  return records.filter((r): r is Awaited<T> => r !== undefined) as T[];
}

const byName = <T extends { name: string; active: boolean }>(a: T, b: T) => Number(b.active) - Number(a.active) || a.name.localeCompare(b.name, 'pt-BR');

/** Every dentist (inactive ones too), active first, by name. */
export async function listDentists(store: Store): Promise<DentistRecord[]> {
  return (await readAll<DentistRecord>(store, DENTISTS_PREFIX)).sort(byName);
}

const DENTIST_HINT = 'run `clinica dentists list` to see the ids';

export async function getDentist(store: Store, id: string): Promise<{ dentist: DentistRecord; etag: string }> {
  const key = id.trim().toLowerCase();
  const got = ID.test(key) ? await store.getJson<DentistRecord>(dentistKeyOf(key)) : undefined;
  if (!got) throw notFound(`dentist ${id} not found`, { field: 'dentist', hint: DENTIST_HINT, reason: 'dentist-not-found', params: { id } });
  return { dentist: got.value, etag: got.etag };
}

export async function addDentist(store: Store, input: DentistInput, actor: string, opts: { aliases?: string[]; now?: Date } = {}): Promise<DentistRecord> {
  const name = validName(input.name, 'dentist');
  const existing = await listDentists(store);
  const same = existing.find((d) => nameKey(d.name) === nameKey(name));
  if (same) throw conflict(`a dentist named "${same.name}" is already recorded (${same.id})`, { field: 'name', hint: 'use `clinica dentists update` to change it', reason: 'dentist-exists', params: { id: same.id } });
  const at = (opts.now ?? new Date()).toISOString();
  const record: DentistRecord = {
    id: `${slug(name).slice(0, 40).replace(/-+$/, '') || 'dentista'}-${randomId(4)}`,
    name,
    color: input.color ? validColor(input.color) : DENTIST_COLORS[existing.length % DENTIST_COLORS.length]!,
    active: true,
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const cro = validText(input.cro, 'cro', 40);
  if (cro) record.cro = cro;
  const specialty = validText(input.specialty, 'specialty', 80);
  if (specialty) record.specialty = specialty;
  if (input.hours?.length) record.hours = validHours(input.hours);
  const staffId = validText(input.staffId, 'staffId', 60);
  if (staffId) record.staffId = staffId;
  if (opts.aliases?.length) record.aliases = opts.aliases;
  await store.putJson(dentistKeyOf(record.id), record, { ifNoneMatch: '*' });
  await audit(store, { actor, action: 'dentist.create', details: { dentistId: record.id } });
  return record;
}

export async function updateDentist(store: Store, id: string, changes: DentistChanges, actor: string, now = new Date()): Promise<DentistRecord> {
  const { dentist: current, etag } = await getDentist(store, id);
  const next: DentistRecord = { ...current };
  if (changes.name !== undefined) {
    next.name = validName(changes.name, 'dentist');
    const clash = (await listDentists(store)).find((d) => d.id !== current.id && nameKey(d.name) === nameKey(next.name));
    if (clash) throw conflict(`a dentist named "${clash.name}" is already recorded (${clash.id})`, { field: 'name', reason: 'dentist-exists', params: { id: clash.id } });
  }
  if (changes.active !== undefined) next.active = changes.active;
  if (changes.color !== undefined) next.color = changes.color === null ? current.color : validColor(changes.color);
  for (const [field, max] of [['cro', 40], ['specialty', 80], ['staffId', 60]] as const) {
    const v = changes[field];
    if (v === undefined) continue;
    const t = v === null ? undefined : validText(v, field, max);
    if (t) next[field] = t;
    else delete next[field];
  }
  if (changes.hours !== undefined) {
    if (changes.hours === null || changes.hours.length === 0) delete next.hours;
    else next.hours = validHours(changes.hours);
  }
  const changed = (Object.keys(next) as (keyof DentistRecord)[]).filter((k) => JSON.stringify(next[k]) !== JSON.stringify(current[k]));
  if (!changed.length && Object.keys(next).length === Object.keys(current).length) return current;
  next.updatedAt = now.toISOString();
  next.version = current.version + 1;
  try {
    await store.putJson(dentistKeyOf(current.id), next, { ifMatch: etag });
  } catch (err) {
    throw isClinicaError(err, 'conflict') ? conflict(`dentist ${current.id} was changed by someone else meanwhile; nothing was written`, { hint: 'look at it again and retry', reason: 'stale', params: { id: current.id } }) : err;
  }
  await audit(store, { actor, action: 'dentist.update', details: { dentistId: current.id, fields: changed } });
  return next;
}

/** Matches of a text among dentists: the id, the name or an alias (case, accents, dots ignored), or name words. */
function dentistMatches(dentists: DentistRecord[], text: string): DentistRecord[] {
  const t = text.trim();
  const byId = dentists.find((d) => d.id === t.toLowerCase());
  if (byId) return [byId];
  const key = nameKey(t);
  const exact = dentists.filter((d) => nameKey(d.name) === key || d.aliases?.some((a) => nameKey(a) === key));
  if (exact.length) return exact;
  const words = key.split(' ').filter(Boolean);
  return dentists.filter((d) => {
    const have = new Set([d.name, ...(d.aliases ?? [])].flatMap((n) => nameKey(n).split(' ')));
    return words.length > 0 && words.every((w) => have.has(w));
  });
}

/**
 * The dentist a booking names: an id or an unambiguous name among the active dentists. Unknown or ambiguous →
 * a usage error (exit 2, HTTP 400) listing the matches (or every active dentist). No dentist recorded at all
 * → undefined: the name is taken as free text (see the top).
 */
export async function resolveDentist(store: Store, text: string, dentists?: DentistRecord[]): Promise<DentistRecord | undefined> {
  const all = dentists ?? (await listDentists(store));
  if (!all.length) return undefined;
  const active = all.filter((d) => d.active);
  const matches = dentistMatches(active, text);
  const list = (ds: DentistRecord[]) => ds.map((d) => `${d.name} (${d.id})`).join(', ');
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    throw usageError(`dentist: "${text}" matches ${matches.length} dentists: ${list(matches)}`, {
      field: 'dentist',
      hint: 'give the id or the full name',
      reason: 'dentist-ambiguous',
      params: { text, matches: list(matches) },
      extra: { matches: matches.map((d) => ({ id: d.id, name: d.name })) },
    });
  }
  const inactive = dentistMatches(all.filter((d) => !d.active), text);
  throw usageError(
    inactive.length === 1
      ? `dentist: ${inactive[0]!.name} (${inactive[0]!.id}) is no longer active`
      : `dentist: no active dentist matches "${text}"${active.length ? `; the dentists are: ${list(active)}` : ''}`,
    {
      field: 'dentist',
      hint: active.length ? 'give one of those ids or names' : 'add one with `clinica dentists add`',
      reason: inactive.length === 1 ? 'dentist-inactive' : 'dentist-unknown',
      params: { text, matches: list(active) },
      extra: { matches: active.map((d) => ({ id: d.id, name: d.name })) },
    },
  );
}

// --- chairs ---------------------------------------------------------------------------------------------

export async function listChairs(store: Store): Promise<ChairRecord[]> {
  return (await readAll<ChairRecord>(store, CHAIRS_PREFIX)).sort(byName);
}

export async function addChair(store: Store, name: string, actor: string, now = new Date()): Promise<ChairRecord> {
  const n = validName(name, 'chair');
  const same = (await listChairs(store)).find((c) => nameKey(c.name) === nameKey(n));
  if (same) throw conflict(`a chair named "${same.name}" is already recorded (${same.id})`, { field: 'name', reason: 'chair-exists', params: { id: same.id } });
  const at = now.toISOString();
  const record: ChairRecord = { id: `${slug(n).slice(0, 30).replace(/-+$/, '') || 'cadeira'}-${randomId(4)}`, name: n, active: true, createdAt: at, updatedAt: at, version: 1 };
  await store.putJson(chairKeyOf(record.id), record, { ifNoneMatch: '*' });
  await audit(store, { actor, action: 'chair.create', details: { chairId: record.id } });
  return record;
}

export async function setChairActive(store: Store, id: string, active: boolean, actor: string, now = new Date()): Promise<ChairRecord> {
  const got = ID.test(id.trim().toLowerCase()) ? await store.getJson<ChairRecord>(chairKeyOf(id.trim().toLowerCase())) : undefined;
  if (!got) throw notFound(`chair ${id} not found`, { field: 'chair', hint: 'run `clinica chairs list` to see the ids', reason: 'chair-not-found', params: { id } });
  if (got.value.active === active) return got.value;
  const next: ChairRecord = { ...got.value, active, updatedAt: now.toISOString(), version: got.value.version + 1 };
  await store.putJson(chairKeyOf(next.id), next, { ifMatch: got.etag });
  await audit(store, { actor, action: 'chair.update', details: { chairId: next.id, active } });
  return next;
}

/** The chair a booking names: id or unambiguous name among the active chairs; otherwise exit 2 / 400 listing them. */
export async function resolveChair(store: Store, text: string): Promise<ChairRecord> {
  const active = (await listChairs(store)).filter((c) => c.active);
  const t = text.trim();
  const key = nameKey(t);
  const byId = active.filter((c) => c.id === t.toLowerCase());
  const matches = byId.length ? byId : active.filter((c) => nameKey(c.name) === key || nameKey(c.name).split(' ').includes(key));
  if (matches.length === 1) return matches[0]!;
  const list = (active.length ? active : []).map((c) => `${c.name} (${c.id})`).join(', ');
  throw usageError(
    matches.length > 1 ? `chair: "${text}" matches ${matches.length} chairs: ${matches.map((c) => c.name).join(', ')}` : `chair: no active chair matches "${text}"${list ? `; the chairs are: ${list}` : ''}`,
    {
      field: 'chair',
      hint: active.length ? 'give one of those ids or names' : 'add one with `clinica chairs add`',
      reason: matches.length > 1 ? 'chair-ambiguous' : 'chair-unknown',
      params: { text, matches: list },
      extra: { matches: (matches.length > 1 ? matches : active).map((c) => ({ id: c.id, name: c.name })) },
    },
  );
}
