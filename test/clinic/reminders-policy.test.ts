import { describe, expect, it } from 'vitest';
import { agendaRange, calendarEntry, endOfQuietHours, inQuietHours, ineligibility, reminderExitCode, reminderTiming, reminderVerdict, type ReminderSummary } from '../../src/clinic/reminders.js';
import type { Appointment, Patient } from '../../src/clinic/types.js';

const tz = 'America/Sao_Paulo';
const settings = { timeZone: tz, quietHours: { start: '21:00', end: '08:00' } };
const dayBefore = { name: 'day-before', dayBeforeAt: '09:00' };
const twoHours = { name: '2h-before', leadMinutes: 120 };
/** São Paulo is UTC-3 all year (no DST since 2019) */
const sp = (local: string) => new Date(`${local}:00-03:00`);
const at = (local: string) => ({ start: `${local}:00-03:00` });

describe('reminder timing', () => {
  it('day-before: from 09:00 the day before until that day ends', () => {
    const t = reminderTiming(at('2030-03-12T14:30'), dayBefore, settings);
    expect(t.dueAt).toEqual(sp('2030-03-11T09:00'));
    expect(t.expiresAt).toEqual(sp('2030-03-12T00:00'));
  });

  it('lead minutes: from start − lead until the start', () => {
    const t = reminderTiming(at('2030-03-12T14:30'), twoHours, settings);
    expect(t.dueAt).toEqual(sp('2030-03-12T12:30'));
    expect(t.expiresAt).toEqual(sp('2030-03-12T14:30'));
  });

  it('a time inside quiet hours moves to their end when still before the appointment, else there is none', () => {
    expect(reminderTiming(at('2030-03-12T09:30'), twoHours, settings).dueAt).toEqual(sp('2030-03-12T08:00'));
    expect(reminderTiming(at('2030-03-12T07:30'), twoHours, settings).dueAt).toBeUndefined();
    expect(reminderTiming(at('2030-03-12T08:00'), twoHours, settings).dueAt).toBeUndefined();
    // 22:30 appointment: 20:30 is before quiet hours, untouched
    expect(reminderTiming(at('2030-03-12T22:30'), twoHours, settings).dueAt).toEqual(sp('2030-03-12T20:30'));
    // a day-before time configured inside quiet hours (22:00) would move into the appointment's day: none
    expect(reminderTiming(at('2030-03-12T14:30'), { name: 'late', dayBeforeAt: '22:00' }, settings).dueAt).toBeUndefined();
  });

  it('a day-before time the clocks skip (DST) is read as the time after the jump: 02:30 → 03:30, not 04:30', () => {
    // New York springs forward on 2026-03-08 at 02:00 EST → 03:00 EDT: 02:30 does not exist that night
    const ny = { timeZone: 'America/New_York', quietHours: { start: '00:00', end: '00:00' } };
    const t = reminderTiming({ start: '2026-03-09T10:00:00-04:00' }, { name: 'night', dayBeforeAt: '02:30' }, ny);
    expect(t.nominal.toISOString()).toBe('2026-03-08T07:30:00.000Z'); // 03:30 EDT
    expect(t.dueAt).toEqual(t.nominal);
    // a normal night keeps 02:30
    expect(reminderTiming({ start: '2026-03-10T10:00:00-04:00' }, { name: 'night', dayBeforeAt: '02:30' }, ny).nominal.toISOString()).toBe('2026-03-09T06:30:00.000Z');
    // quiet hours that end inside the gap end at 03:30 too
    expect(endOfQuietHours(new Date('2026-03-08T06:00:00Z'), { start: '22:00', end: '02:30' }, 'America/New_York').toISOString()).toBe('2026-03-08T07:30:00.000Z');
  });

  it('quiet hours wrap midnight; a same-day window works too; start = end means none', () => {
    expect(inQuietHours(sp('2030-03-11T21:00'), settings.quietHours, tz)).toBe(true);
    expect(inQuietHours(sp('2030-03-11T03:00'), settings.quietHours, tz)).toBe(true);
    expect(inQuietHours(sp('2030-03-11T08:00'), settings.quietHours, tz)).toBe(false);
    expect(inQuietHours(sp('2030-03-11T20:59'), settings.quietHours, tz)).toBe(false);
    expect(endOfQuietHours(sp('2030-03-11T22:10'), settings.quietHours, tz)).toEqual(sp('2030-03-12T08:00'));
    expect(endOfQuietHours(sp('2030-03-12T01:10'), settings.quietHours, tz)).toEqual(sp('2030-03-12T08:00'));
    const lunch = { start: '12:00', end: '13:00' };
    expect(inQuietHours(sp('2030-03-11T12:30'), lunch, tz)).toBe(true);
    expect(inQuietHours(sp('2030-03-11T13:00'), lunch, tz)).toBe(false);
    expect(inQuietHours(sp('2030-03-11T03:00'), { start: '00:00', end: '00:00' }, tz)).toBe(false);
  });
});

describe('reminder verdict at "now"', () => {
  const appt = at('2030-03-12T14:30');
  it('upcoming before its time, due inside its window, window-closed after it, nothing for past appointments', () => {
    expect(reminderVerdict(appt, dayBefore, sp('2030-03-11T08:59'), settings).state).toBe('upcoming');
    expect(reminderVerdict(appt, dayBefore, sp('2030-03-11T09:00'), settings)).toEqual({ state: 'due', dueAt: sp('2030-03-11T09:00') });
    expect(reminderVerdict(appt, dayBefore, sp('2030-03-11T17:45'), settings).state).toBe('due'); // catch-up later that day
    expect(reminderVerdict(appt, dayBefore, sp('2030-03-12T08:00'), settings)).toMatchObject({ state: 'skip', reason: 'window-closed' });
    expect(reminderVerdict(appt, twoHours, sp('2030-03-12T14:29'), settings).state).toBe('due');
    expect(reminderVerdict(appt, twoHours, sp('2030-03-12T14:30'), settings).state).toBe('past');
  });

  it('a late run inside quiet hours defers; the first run after them sends', () => {
    const dayAhead = { name: '24h-before', leadMinutes: 24 * 60 };
    // due 20:00, the 20:00 run was missed; at 22:00 it waits for 08:00 (still before the 20:00 appointment)
    expect(reminderVerdict(at('2030-03-12T20:00'), dayAhead, sp('2030-03-11T22:00'), settings)).toMatchObject({ state: 'deferred' });
    expect(reminderVerdict(at('2030-03-12T20:00'), dayAhead, sp('2030-03-12T08:00'), settings)).toMatchObject({ state: 'due' });
    // a day-before reminder missed until 22:00: its day ends inside quiet hours, so it is lost to them
    expect(reminderVerdict(appt, dayBefore, sp('2030-03-11T22:00'), settings)).toMatchObject({ state: 'skip', reason: 'quiet-hours' });
    expect(reminderVerdict(at('2030-03-12T09:00'), twoHours, sp('2030-03-12T07:10'), settings).state).toBe('upcoming');
    expect(reminderVerdict(at('2030-03-12T07:30'), twoHours, sp('2030-03-12T06:00'), settings)).toMatchObject({ state: 'skip', reason: 'quiet-hours' });
    expect(reminderVerdict(at('2030-03-12T07:30'), twoHours, sp('2030-03-12T05:00'), settings).state).toBe('upcoming');
  });

  it('reads only the days that can have a reminder due', () => {
    expect(agendaRange([dayBefore, twoHours], sp('2030-03-11T09:00'), tz)).toEqual({ from: '2030-03-11', to: '2030-03-12' });
    expect(agendaRange([twoHours], sp('2030-03-11T09:00'), tz)).toEqual({ from: '2030-03-11', to: '2030-03-11' });
    expect(agendaRange([twoHours], sp('2030-03-11T23:00'), tz)).toEqual({ from: '2030-03-11', to: '2030-03-12' });
  });
});

describe('who gets one', () => {
  const patient = { id: 'P-000001', fullName: 'Ana', status: 'active', email: 'a@x.com', consent: { emailReminders: true }, alerts: [] } as unknown as Patient;
  const appointment = { id: 'A-20300312-aaaaaa', status: 'scheduled' } as Appointment;
  it('names the first reason in a fixed order', () => {
    expect(ineligibility(appointment, patient)).toBeUndefined();
    expect(ineligibility({ ...appointment, status: 'confirmed' }, patient)).toBeUndefined();
    expect(ineligibility({ ...appointment, status: 'cancelled' }, patient)).toBe('cancelled');
    expect(ineligibility({ ...appointment, status: 'done' }, patient)).toBe('not-scheduled');
    expect(ineligibility(appointment, undefined)).toBe('patient-missing');
    expect(ineligibility(appointment, { ...patient, status: 'inactive' })).toBe('patient-inactive');
    expect(ineligibility(appointment, { ...patient, anonymized: { at: 'x', by: 'y' } })).toBe('patient-inactive');
    expect(ineligibility(appointment, { ...patient, consent: { emailReminders: false } })).toBe('no-consent');
    expect(ineligibility(appointment, { ...patient, email: undefined })).toBe('no-email');
  });
});

describe('exit code', () => {
  const base = { sent: 0, failed: 0 } as ReminderSummary;
  it('0 when all went, 3 when some failed, 1 when nothing could be sent', () => {
    expect(reminderExitCode({ ...base, sent: 3 })).toBe(0);
    expect(reminderExitCode(base)).toBe(0);
    expect(reminderExitCode({ ...base, sent: 3, failed: 1 })).toBe(3);
    expect(reminderExitCode({ ...base, failed: 1 })).toBe(3);
    expect(reminderExitCode({ ...base, aborted: { kind: 'unavailable', message: 'x' } })).toBe(1);
    expect(reminderExitCode({ ...base, sent: 2, aborted: { kind: 'unavailable', message: 'x' } })).toBe(3);
  });
});

describe('the calendar entry of a visit', () => {
  it('is named after the first id and revised by the move count; a record moved before these were kept falls back to its origin', () => {
    expect(calendarEntry({ id: 'A-20300312-aaaaaa' })).toEqual({ id: 'A-20300312-aaaaaa', sequence: 0 });
    expect(calendarEntry({ id: 'A-20300312-aaaaaa', moves: 2 })).toEqual({ id: 'A-20300312-aaaaaa', sequence: 2 });
    expect(calendarEntry({ id: 'A-20300314-cccccc', movedFrom: 'A-20300313-bbbbbb', firstId: 'A-20300312-aaaaaa', moves: 3 })).toEqual({ id: 'A-20300312-aaaaaa', sequence: 3 });
    expect(calendarEntry({ id: 'A-20300313-bbbbbb', movedFrom: 'A-20300312-aaaaaa' })).toEqual({ id: 'A-20300312-aaaaaa', sequence: 1 });
  });
});
