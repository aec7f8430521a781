/**
 * The agenda. Layout:
 *   appointments/{YYYY-MM-DD}/{id}.json   one record per appointment, under its clinic-local date
 *   locks/agenda/{YYYY-MM-DD}.json        { n } — bumped with If-Match after every booking on that day
 * Ids are "A-YYYYMMDD-xxxxxx": the date in the id gives the key, so get/cancel/move never scan; a day's or a
 * range's agenda lists only those day prefixes. A booking is checked for overlaps, written, and then the
 * day's lock object is bumped with the ETag read before the check: if someone else booked that day in
 * between, the bump fails, the check is redone against what is there now, and an overlapping booking is
 * taken back — so two people cannot double-book the same dentist at the same moment.
 * The lock also carries the day's index: the times held that day ({ id, dentistId, patientId, chairId, start,
 * end }), written with every bump and refreshed after every status change, so free slots read one object per
 * day instead of every record (src/clinic/free-slots.ts). The rules a booking is checked against are in
 * src/clinic/agenda-rules.ts.
 */
import { ClinicaError, conflict, isClinicaError, notFound, usageError } from '../errors.js';
import type { Store } from '../store/store.js';
import type { AgendaCalendar } from './agenda-calendar.js';
import { decide, holdsTime, overlapRefusals, timeRefusals, type Refusal } from './agenda-rules.js';
import { audit } from './audit.js';
import { nameKey, resolveChair, resolveDentist, type DentistRecord } from './dentists.js';
import { recordPatientAppointments } from './patient-appointments.js';
import { getPatient } from './patients.js';
import { clean, refuseControlCharacters } from './text.js';
import { mapLimit } from '../map-limit.js';
import { randomId } from '../random-id.js';
import { addDays, daysBetween, formatZoned, localParts, parseDate, parseDateTime } from './time.js';
import type { Appointment, AppointmentInput, AppointmentStatus } from './types.js';

export const APPOINTMENTS_PREFIX = 'appointments/';
export const AGENDA_LOCKS_PREFIX = 'locks/agenda/';
const dayLockKey = (date: string) => `${AGENDA_LOCKS_PREFIX}${date}.json`;
export const appointmentKey = (id: string) => `${APPOINTMENTS_PREFIX}${dateOfId(id)}/${id}.json`;

const LIST_HINT = 'run `clinica appointments list --date YYYY-MM-DD` to find the id';
export const MAX_RANGE_DAYS = 366;

export function normalizeAppointmentId(text: string, field = 'id'): string {
  const m = /^a-(\d{8})-([a-z0-9]{4,12})$/i.exec(text.trim());
  if (!m) throw usageError(`${field}: "${text}" is not an appointment id (expected A-YYYYMMDD-xxxxxx)`, { field, hint: LIST_HINT });
  return `A-${m[1]}-${m[2]!.toLowerCase()}`;
}

/** The clinic-local date an appointment id was filed under. */
export function dateOfId(id: string): string {
  const d = normalizeAppointmentId(id).slice(2, 10);
  return `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}`;
}

const newId = (date: string) => `A-${date.replace(/-/g, '')}-${randomId(6)}`;

export interface ScheduleOptions {
  /** the clinic's IANA time zone (config.clinic.timeZone) */
  timeZone: string;
  /** opening hours and closures (agendaCalendar(config)); absent: none, only the overlap rules apply */
  calendar?: AgendaCalendar;
  now?: Date;
  /** an encaixe: book despite overlaps and hours (not closures), saying what was overridden */
  force?: boolean;
  /** whether the caller may force (the server: by role, agenda-rules' canForce); default true (the CLI) */
  forceAllowed?: boolean;
}

const calendarOf = (opts: ScheduleOptions): AgendaCalendar => opts.calendar ?? { timeZone: opts.timeZone, hours: [], closures: [], holidays: 'none' };

function checkForce(opts: ScheduleOptions) {
  if (opts.force && opts.forceAllowed === false) {
    throw new ClinicaError('forbidden', 'an encaixe (force) is not allowed for this role', { field: 'force', hint: 'ask an admin or a dentist', reason: 'force-not-allowed' });
  }
}

/** One time held on a day, as the day's index keeps it. */
export interface DaySlot {
  id: string;
  patientId: string;
  dentist: string;
  dentistId?: string;
  chairId?: string;
  start: string;
  durationMinutes: number;
  status: Appointment['status'];
}

/** The day lock: a counter bumped with If-Match by every booking, and the day's held times. */
export interface DayLock {
  n: number;
  slots?: DaySlot[];
}

const slotOf = (a: Appointment): DaySlot => {
  const s: DaySlot = { id: a.id, patientId: a.patientId, dentist: a.dentist, start: a.start, durationMinutes: a.durationMinutes, status: a.status };
  if (a.dentistId) s.dentistId = a.dentistId;
  if (a.chairId) s.chairId = a.chairId;
  return s;
};

/** The index of a day's records: the ones holding their time, by start. */
export const daySlots = (day: readonly Appointment[]): DaySlot[] =>
  day.filter(holdsTime).map(slotOf).sort((a, b) => Date.parse(a.start) - Date.parse(b.start));

export async function getAppointment(store: Store, id: string): Promise<{ appointment: Appointment; etag: string }> {
  const aid = normalizeAppointmentId(id);
  const got = await store.getJson<Appointment>(appointmentKey(aid));
  if (!got) throw notFound(`appointment ${aid} not found`, { field: 'id', hint: LIST_HINT, reason: 'appointment-not-found', params: { id: aid } });
  return { appointment: got.value, etag: got.etag };
}

export const endOf = (a: Pick<Appointment, 'start' | 'durationMinutes'>) => Date.parse(a.start) + a.durationMinutes * 60_000;
const blocking = holdsTime;

/** The day's appointments (all statuses, moved-away included), read from its prefix only. */
export async function readDay(store: Store, date: string): Promise<Appointment[]> {
  const keys: string[] = [];
  for await (const o of store.list(`${APPOINTMENTS_PREFIX}${date}/`)) if (o.key.endsWith('.json')) keys.push(o.key);
  const records = await mapLimit(keys, 16, async (k) => (await store.getJson<Appointment>(k))?.value);
  return records.filter((a): a is Appointment => a !== undefined);
}

/** A dentist's name as compared: no case, accents or punctuation ("Dra. Ana" = "dra ana" = "DRA ANÁ"). */
export const dentistKey = nameKey;

/** The agenda filter: every word given is one of the dentist's name words ("ana" finds "Dra. Ana Demo"). */
export function dentistMatcher(filter: string): (name: string) => boolean {
  const words = dentistKey(filter).split(' ').filter(Boolean);
  return (name) => {
    const have = new Set(dentistKey(name).split(' '));
    return words.every((w) => have.has(w));
  };
}

/** What a booking is checked against besides its day: the calendar's refusals, the chair's name for texts. */
interface Checks {
  timeRefusals: Refusal[];
  chairName?: string;
}

/** The day's refusals for a candidate, decided (force), or an error. Returns what an encaixe overrode. */
function judge(day: Appointment[], candidate: Appointment, checks: Checks, opts: ScheduleOptions): Refusal[] {
  const refusals = [...checks.timeRefusals, ...overlapRefusals(day, candidate, opts.timeZone, dentistKey, checks.chairName)];
  return decide(refusals, Boolean(opts.force));
}

/** How a booking puts its record (`write`, repeated when a concurrent booking changes what it overrode) and takes it back (`undo`). */
interface RecordWrites {
  write: () => Promise<void>;
  undo: () => Promise<void>;
}

/** A record at a new key: created once (If-None-Match), then overwritten; undone by deleting it. */
function newRecord(store: Store, record: Appointment): RecordWrites {
  const key = appointmentKey(record.id);
  let written = false;
  return {
    write: async () => {
      await store.putJson(key, record, written ? {} : { ifNoneMatch: '*' });
      written = true;
    },
    undo: () => store.delete(key),
  };
}

/** `record` over `former` at their key, each write If-Match the last; undone by putting `former` back. */
function rewrittenRecord(store: Store, record: Appointment, former: Appointment, etag: string): RecordWrites {
  const key = appointmentKey(record.id);
  let current = etag;
  return {
    write: async () => void (current = await store.putJson(key, record, { ifMatch: current })),
    undo: async () => void (await store.putJson(key, former, { ifMatch: current })),
  };
}

/** The audit details of what an encaixe overrode (nothing when none). */
function encaixe(overrode: Refusal[]): { encaixe?: string[] } {
  return overrode.length ? { encaixe: overrode.map((r) => r.code) } : {};
}

/**
 * Writes a booking on its day with the rules checked safely against concurrent bookings (see the top).
 * `writes` puts the record, and takes it back if a concurrent booking makes it break a rule.
 * Returns the refusals an encaixe overrode.
 */
async function bookOnDay(store: Store, candidate: Appointment, checks: Checks, opts: ScheduleOptions, writes: RecordWrites): Promise<Refusal[]> {
  const { write, undo } = writes;
  const date = localParts(new Date(candidate.start), opts.timeZone).date;
  const lockKey = dayLockKey(date);
  let lock = await store.getJson<DayLock>(lockKey);
  let day = await readDay(store, date);
  let overrode = judge(day, candidate, checks, opts);
  if (overrode.length) candidate.overrode = overrode.map((r) => r.code);
  await write();
  for (let attempt = 0; ; attempt++) {
    const slots = daySlots([...day.filter((a) => a.id !== candidate.id), candidate]);
    try {
      await store.putJson(lockKey, { n: (lock?.value.n ?? 0) + 1, slots } satisfies DayLock, lock ? { ifMatch: lock.etag } : { ifNoneMatch: '*' });
      return overrode;
    } catch (err) {
      if (!isClinicaError(err, 'conflict') || attempt >= 20) {
        await undo().catch(() => {});
        throw err;
      }
    }
    // someone else booked on this day meanwhile: check again against what is there now
    lock = await store.getJson<DayLock>(lockKey);
    day = await readDay(store, date);
    try {
      const again = judge(day, candidate, checks, opts);
      if (again.length !== overrode.length) {
        overrode = again;
        candidate.overrode = again.map((r) => r.code);
        if (!again.length) delete candidate.overrode;
        await write();
      }
    } catch (err) {
      await undo().catch(() => {});
      throw err;
    }
  }
}

/**
 * Rewrites a day's index from its records (after a status change, a move away, the migration), with If-Match
 * on the lock so it never overwrites a concurrent booking's bump.
 */
export async function refreshDayIndex(store: Store, date: string): Promise<void> {
  const lockKey = dayLockKey(date);
  for (let attempt = 0; attempt < 20; attempt++) {
    const lock = await store.getJson<DayLock>(lockKey);
    const slots = daySlots(await readDay(store, date));
    try {
      await store.putJson(lockKey, { n: (lock?.value.n ?? 0) + 1, slots } satisfies DayLock, lock ? { ifMatch: lock.etag } : { ifNoneMatch: '*' });
      return;
    } catch (err) {
      if (!isClinicaError(err, 'conflict')) throw err;
    }
  }
}

/** A day's held times: from its index, or (a day lock without one) from its records. */
export async function readDaySlots(store: Store, date: string): Promise<DaySlot[]> {
  const lock = await store.getJson<DayLock>(dayLockKey(date));
  if (lock?.value.slots) return lock.value.slots;
  return lock ? daySlots(await readDay(store, date)) : [];
}

/** Day indexes read before, by store and key, with their ETags (a long-running server asks for the same days often). */
const indexCache = new WeakMap<Store, Map<string, { etag: string; slots: DaySlot[] }>>();
const INDEX_CACHE_MAX = 3000;

/**
 * The held times of consecutive days (sorted dates), in order. One LIST of the day locks gives their ETags;
 * only a day whose lock changed since it was last read here is read again, so a repeated query costs one
 * request. A day without a lock has had no booking: nothing held.
 */
export async function readDaysSlots(store: Store, days: readonly string[]): Promise<DaySlot[][]> {
  if (!days.length) return [];
  const last = dayLockKey(days[days.length - 1]!);
  const listed = new Map<string, string>();
  // one lock a day at most: a page as long as the range holds them all, and no later days' (a default page
  // of 1000 keys listed every later lock — years ahead — for a two-month query)
  const pageSize = Math.min(1000, daysBetween(days[0]!, days[days.length - 1]!) + 1);
  for await (const o of store.list('locks/agenda/', { startAfter: dayLockKey(addDays(days[0]!, -1)), pageSize })) {
    if (o.key > last) break;
    listed.set(o.key, o.etag);
  }
  let cache = indexCache.get(store);
  if (!cache) indexCache.set(store, (cache = new Map()));
  if (cache.size > INDEX_CACHE_MAX) cache.clear();
  const known = cache;
  return mapLimit(days, 16, async (day) => {
    const key = dayLockKey(day);
    const etag = listed.get(key);
    if (etag === undefined) return [];
    const hit = known.get(key);
    if (hit && hit.etag === etag) return hit.slots;
    const lock = await store.getJson<DayLock>(key);
    if (!lock) return [];
    const slots = lock.value.slots ?? daySlots(await readDay(store, day));
    if (lock.value.slots) known.set(key, { etag: lock.etag, slots });
    return slots;
  });
}

/** The dentist a booking names (a record, or the free-text name while the clinic has none) and its time rules. */
async function bookingDentist(store: Store, text: string): Promise<{ name: string; record?: DentistRecord }> {
  const name = validDentist(text);
  const record = await resolveDentist(store, name);
  return record ? { name: record.name, record } : { name };
}

async function dentistOf(store: Store, a: Appointment): Promise<DentistRecord | undefined> {
  if (!a.dentistId) return undefined;
  return (await store.getJson<DentistRecord>(`dentists/${a.dentistId}.json`))?.value;
}

function validDentist(text: string): string {
  const d = clean(typeof text === 'string' ? refuseControlCharacters(text, 'dentist') : text);
  if (!d) throw usageError('dentist: required (e.g. --dentist "Dra. Ana")', { field: 'dentist', reason: 'required' });
  if (d.length > 100) throw usageError('dentist: longer than 100 characters', { field: 'dentist', reason: 'too-long', params: { max: 100 } });
  return d;
}

function validDuration(n: number): number {
  if (!Number.isInteger(n) || n < 5 || n > 12 * 60) throw usageError(`duration: "${n}" is not a duration in minutes (5–720)`, { field: 'duration', reason: 'out-of-range', params: { min: 5, max: 720 } });
  return n;
}

function notPast(instant: Date, now: Date, timeZone: string, field = 'at') {
  if (instant.getTime() < now.getTime()) {
    const when = localParts(instant, timeZone);
    const current = localParts(now, timeZone);
    throw usageError(`${field}: ${when.date} ${when.time} is in the past (it is ${current.date} ${current.time} in ${timeZone})`, { field, hint: 'give a future time', reason: 'in-past', params: { date: when.date, time: when.time } });
  }
}

/** An appointment ends by midnight of the day it starts: the overlap checks (and the day's lock) cover that day only. */
function endsOnItsDay(instant: Date, durationMinutes: number, timeZone: string, field: string) {
  const start = localParts(instant, timeZone);
  const end = new Date(instant.getTime() + durationMinutes * 60_000);
  if (localParts(new Date(end.getTime() - 1), timeZone).date === start.date) return;
  const at = localParts(end, timeZone);
  throw usageError(`${field}: ${durationMinutes} min from ${start.time} ends at ${at.time} on ${at.date}; an appointment ends by midnight of the day it starts`, {
    field,
    hint: 'book it earlier or shorter',
    reason: 'crosses-midnight',
    params: { end: at.time, date: at.date },
  });
}

export async function createAppointment(store: Store, input: AppointmentInput, actor: string, opts: ScheduleOptions): Promise<Appointment> {
  const now = opts.now ?? new Date();
  checkForce(opts);
  const dentist = await bookingDentist(store, input.dentist);
  const chair = clean(input.chair) ? await resolveChair(store, input.chair!) : undefined;
  const durationMinutes = validDuration(input.durationMinutes);
  const instant = parseDateTime(input.at, opts.timeZone, 'at');
  notPast(instant, now, opts.timeZone);
  endsOnItsDay(instant, durationMinutes, opts.timeZone, 'duration');
  const { patient } = await getPatient(store, input.patientId);
  if (patient.status === 'archived' || patient.status === 'deceased' || patient.anonymized) {
    throw usageError(`patient: ${patient.id} is ${patient.anonymized ? 'anonymized' : patient.status}; appointments cannot be booked`, {
      field: 'patient',
      reason: 'patient-not-bookable',
      params: { status: patient.anonymized ? 'anonymized' : patient.status },
    });
  }
  const at = new Date().toISOString();
  const date = localParts(instant, opts.timeZone).date;
  const appointment: Appointment = {
    id: newId(date),
    patientId: patient.id,
    dentist: dentist.name,
    ...(dentist.record ? { dentistId: dentist.record.id } : {}),
    ...(chair ? { chairId: chair.id } : {}),
    start: formatZoned(instant, opts.timeZone),
    durationMinutes,
    status: 'scheduled',
    createdAt: at,
    updatedAt: at,
    version: 1,
  };
  const procedure = clean(typeof input.procedure === 'string' ? refuseControlCharacters(input.procedure, 'procedure') : undefined);
  if (procedure) appointment.procedure = procedure;
  const notes = typeof input.notes === 'string' ? refuseControlCharacters(input.notes, 'notes', { multiline: true }).trim() : undefined;
  if (notes) appointment.notes = notes;
  const overrode = await bookOnDay(
    store,
    appointment,
    { timeRefusals: timeRefusals(appointment, calendarOf(opts), dentist.record), ...(chair ? { chairName: chair.name } : {}) },
    opts,
    newRecord(store, appointment),
  );
  await recordPatientAppointments(store, patient.id, [appointment], [], now);
  await audit(store, {
    actor,
    action: 'appointment.create',
    patientId: patient.id,
    details: { appointmentId: appointment.id, start: appointment.start, ...encaixe(overrode) },
  });
  return appointment;
}

/** Moves to a new time; a move to another day gives a new id (the old record is left cancelled, with movedTo). */
export async function moveAppointment(store: Store, id: string, at: string, actor: string, opts: ScheduleOptions): Promise<Appointment> {
  const now = opts.now ?? new Date();
  const instant = parseDateTime(at, opts.timeZone, 'at');
  notPast(instant, now, opts.timeZone);
  checkForce(opts);
  const { appointment: current, etag } = await getAppointment(store, id);
  if (!blocking(current) || current.status === 'done') {
    throw usageError(`${current.id} is ${current.movedTo ? `moved (now ${current.movedTo})` : current.status}; it cannot be moved`, { field: 'id' });
  }
  const start = formatZoned(instant, opts.timeZone);
  if (start === current.start) return current;
  endsOnItsDay(instant, current.durationMinutes, opts.timeZone, 'at');
  const newDate = localParts(instant, opts.timeZone).date;
  const stamp = new Date().toISOString();
  const sameDay = newDate === dateOfId(current.id);
  const moves = (current.moves ?? 0) + 1;
  // a move within the day keeps the id; to another day, a new record on that day
  const moved: Appointment = sameDay
    ? { ...current, start, status: 'scheduled', moves, updatedAt: stamp, version: current.version + 1 }
    : {
        ...current,
        id: newId(newDate),
        start,
        status: 'scheduled',
        movedFrom: current.id,
        firstId: current.firstId ?? current.id,
        moves,
        createdAt: stamp,
        updatedAt: stamp,
        version: 1,
      };
  delete moved.movedTo;
  delete moved.overrode;
  const checks: Checks = { timeRefusals: timeRefusals(moved, calendarOf(opts), await dentistOf(store, current)) };
  const overrode = await bookOnDay(store, moved, checks, opts, sameDay ? rewrittenRecord(store, moved, current, etag) : newRecord(store, moved));
  const touched = sameDay ? [moved] : [moved, await leaveMovedRecord(store, current, etag, moved, stamp)];
  await recordPatientAppointments(store, current.patientId, touched, [], now);
  await audit(store, {
    actor,
    action: 'appointment.move',
    patientId: current.patientId,
    details: { appointmentId: current.id, ...(sameDay ? {} : { newAppointmentId: moved.id }), from: current.start, to: start, ...encaixe(overrode) },
  });
  return moved;
}

/**
 * After a move to another day: the former record cancelled with movedTo, and its day's index rewritten.
 * If someone changed it meanwhile, the new record is deleted and nothing is moved.
 */
async function leaveMovedRecord(store: Store, current: Appointment, etag: string, moved: Appointment, stamp: string): Promise<Appointment> {
  const old: Appointment = { ...current, status: 'cancelled', movedTo: moved.id, updatedAt: stamp, version: current.version + 1 };
  try {
    await store.putJson(appointmentKey(current.id), old, { ifMatch: etag });
  } catch (err) {
    await store.delete(appointmentKey(moved.id)).catch(() => {});
    throw isClinicaError(err, 'conflict')
      ? conflict(`${current.id} was changed by someone else while it was being moved; nothing was moved`, { hint: 'look at it again and retry', reason: 'stale', params: { id: current.id } })
      : err;
  }
  await refreshDayIndex(store, dateOfId(current.id));
  return old;
}

/** The date at `now` in the offset `start` was stored with (the clinic's): "2026-12-07". */
function localDateAt(now: Date, start: string): string {
  const offset = /([+-])(\d\d):(\d\d)$/.exec(start);
  const minutes = offset ? (offset[1] === '-' ? -1 : 1) * (Number(offset[2]) * 60 + Number(offset[3])) : 0;
  return new Date(now.getTime() + minutes * 60_000).toISOString().slice(0, 10);
}

/** What happened at an appointment: set once it has started, never before. */
const outcomes: readonly AppointmentStatus[] = ['done', 'no-show'];

/**
 * Sets the status (If-Match). The rules: a cancelled or moved appointment stays so; done and no-show say what
 * happened, so they are refused before the start and, once set, only swap with each other (a slip corrected) —
 * a done appointment is not cancelled or confirmed afterwards. Arrived ("chegou") is set on the appointment's
 * own day (a patient may come early), and an arrived patient is not confirmed again.
 */
export async function setAppointmentStatus(
  store: Store,
  id: string,
  status: AppointmentStatus,
  actor: string,
  opts: { reason?: string; now?: Date } = {},
): Promise<Appointment> {
  const { appointment: current, etag } = await getAppointment(store, id);
  if (current.status === status) return current;
  if (current.movedTo) throw usageError(`${current.id} was moved to ${current.movedTo}; change that one`, { field: 'id', reason: 'appointment-moved' });
  if (current.status === 'cancelled') throw usageError(`${current.id} is cancelled; book a new appointment instead`, { field: 'id', reason: 'appointment-cancelled' });
  if (outcomes.includes(current.status) && !outcomes.includes(status)) {
    throw usageError(`${current.id} is already ${current.status}; it cannot be ${status} now`, { field: 'id', reason: 'appointment-over', params: { status: current.status } });
  }
  const now = opts.now ?? new Date();
  if (current.status === 'arrived' && status === 'confirmed') {
    throw usageError(`${current.id}: the patient has already arrived; there is nothing to confirm`, { field: 'id', reason: 'appointment-arrived' });
  }
  if (status === 'arrived' && localDateAt(now, current.start) < current.start.slice(0, 10)) {
    const date = current.start.slice(0, 10);
    throw usageError(`${current.id} is on ${date}: the patient can be marked arrived on that day`, { field: 'id', reason: 'not-today', params: { date } });
  }
  if (outcomes.includes(status) && Date.parse(current.start) > now.getTime()) {
    // stored with the clinic's offset: its date and time are the clinic's local ones
    const [date, time] = [current.start.slice(0, 10), current.start.slice(11, 16)];
    throw usageError(`${current.id} begins on ${date} at ${time}: it can be marked ${status} once it has begun`, {
      field: 'id',
      reason: 'not-begun',
      params: { date, time },
    });
  }
  const next: Appointment = { ...current, status, updatedAt: new Date().toISOString(), version: current.version + 1 };
  const reason = clean(opts.reason);
  if (reason) next.notes = current.notes ? `${current.notes}\n${status}: ${reason}` : `${status}: ${reason}`;
  try {
    await store.putJson(appointmentKey(current.id), next, { ifMatch: etag });
  } catch (err) {
    throw isClinicaError(err, 'conflict') ? conflict(`${current.id} was changed by someone else meanwhile; nothing was written`, { hint: 'look at it again and retry', reason: 'stale', params: { id: current.id } }) : err;
  }
  if (holdsTime(current) !== holdsTime(next)) await refreshDayIndex(store, dateOfId(current.id));
  await recordPatientAppointments(store, current.patientId, [next], [], now);
  const action = status === 'cancelled' ? 'appointment.cancel' : status === 'confirmed' ? 'appointment.confirm' : 'appointment.update';
  await audit(store, { actor, action, patientId: current.patientId, details: { appointmentId: current.id, status } });
  return next;
}

export function cancelAppointment(store: Store, id: string, actor: string, opts: { reason?: string } = {}): Promise<Appointment> {
  return setAppointmentStatus(store, id, 'cancelled', actor, opts);
}

export function confirmAppointment(store: Store, id: string, actor: string): Promise<Appointment> {
  return setAppointmentStatus(store, id, 'confirmed', actor);
}

/**
 * The agenda from `from` to `to` (clinic-local dates YYYY-MM-DD, inclusive), sorted by start; reads only
 * those days' prefixes. Moved-away records are left out; cancelled ones are kept (filter on status).
 */
export async function listAppointments(store: Store, range: { from: string; to: string; dentist?: string }, timeZone: string): Promise<Appointment[]> {
  const from = parseDate(range.from, 'from');
  const to = parseDate(range.to, 'to');
  const span = daysBetween(from, to);
  if (span < 0) throw usageError(`to: ${to} is before the range's first day, ${from}`, { field: 'to' });
  if (span >= MAX_RANGE_DAYS) throw usageError(`to: a range of at most ${MAX_RANGE_DAYS} days, got ${span + 1}`, { field: 'to' });
  const days = Array.from({ length: span + 1 }, (_, i) => addDays(from, i));
  const dentist = range.dentist ? dentistMatcher(range.dentist) : undefined;
  const perDay = await mapLimit(days, 8, (d) => readDay(store, d));
  return perDay
    .flat()
    .filter((a) => !a.movedTo && (!dentist || a.dentistId === range.dentist!.trim().toLowerCase() || dentist(a.dentist)))
    .filter((a) => {
      const d = localParts(new Date(a.start), timeZone).date;
      return d >= from && d <= to;
    })
    .sort((a, b) => Date.parse(a.start) - Date.parse(b.start) || a.id.localeCompare(b.id));
}
