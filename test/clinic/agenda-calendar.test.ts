/** Opening hours, closures and Brazil's national holidays (Easter-based ones included), as plain functions. */
import { describe, expect, it } from 'vitest';
import { brazilianHolidays, closureOn, easterSunday, spansOn, weekdayOf, type AgendaCalendar } from '../../src/clinic/agenda-calendar.js';
import { freeOnDay } from '../../src/clinic/free-slots.js';

describe('the clinic calendar', () => {
  it('computes Easter and the holidays that follow it', () => {
    expect(['2024', '2025', '2026', '2027', '2038'].map((y) => easterSunday(Number(y)))).toEqual(['2024-03-31', '2025-04-20', '2026-04-05', '2027-03-28', '2038-04-25']);
    const h2026 = brazilianHolidays(2026);
    expect(h2026.get('2026-02-16')).toMatch(/Carnaval/);
    expect(h2026.get('2026-02-17')).toMatch(/Carnaval/);
    expect(h2026.get('2026-04-03')).toBe('Sexta-feira Santa');
    expect(h2026.get('2026-06-04')).toBe('Corpus Christi');
    expect(h2026.get('2026-04-21')).toBe('Tiradentes');
    expect(h2026.get('2026-11-20')).toMatch(/Consciência Negra/);
    expect(brazilianHolidays(2023).has('2023-11-20')).toBe(false); // national only from 2024
    expect(h2026.size).toBe(13);
  });

  it('closures: single dates, ranges with a note, holidays only when opted in', () => {
    const cal: AgendaCalendar = { timeZone: 'America/Sao_Paulo', hours: [], closures: ['2026-12-24', { from: '2026-12-28', to: '2027-01-02', note: 'recesso' }], holidays: 'none' };
    expect(closureOn(cal, '2026-12-24')).toBe('fechado');
    expect(closureOn(cal, '2026-12-30')).toBe('recesso');
    expect(closureOn(cal, '2027-01-02')).toBe('recesso');
    expect(closureOn(cal, '2026-12-25')).toBeUndefined();
    expect(closureOn({ ...cal, holidays: 'br-national' }, '2026-12-25')).toBe('Natal');
  });

  it('opening spans per weekday, merged; free minutes around held times on the quarter hour', () => {
    expect(weekdayOf('2026-12-07')).toBe('mon');
    expect(weekdayOf('2026-12-06')).toBe('sun');
    const hours = [
      { days: ['mon', 'tue'] as ('mon' | 'tue')[], open: '08:00', close: '12:00' },
      { days: ['mon'] as 'mon'[], open: '12:00', close: '14:00' },
    ];
    expect(spansOn(hours, '2026-12-07')).toEqual([[480, 840]]);
    expect(spansOn(hours, '2026-12-06')).toEqual([]);
    // 08:00–10:00 open, 08:30–08:50 held, 30 min slots
    expect(freeOnDay([[480, 600]], [[510, 530]], 30)).toEqual([[480, 510], [540, 570], [570, 600]]);
    expect(freeOnDay([[480, 600]], [], 45, 481)).toEqual([[495, 540], [540, 585]]);
  });
});
