import { describe, expect, it } from 'vitest';
import { formatCpf, generateCpf, isValidCpf, maskCpf, normalizeCpf } from '../../src/clinic/cpf.js';
import { ageOf, normalizePatientId, searchMatcher } from '../../src/clinic/patients.js';
import { ageOn, formatZoned, parseDate, parseDateTime, startOfLocalDay, zonedToInstant } from '../../src/clinic/time.js';

describe('CPF', () => {
  it('checks the digits, normalises, formats and masks', () => {
    expect(isValidCpf('529.982.247-25')).toBe(true);
    expect(isValidCpf('52998224725')).toBe(true);
    expect(isValidCpf('529.982.247-26')).toBe(false);
    expect(isValidCpf('111.111.111-11')).toBe(false);
    expect(normalizeCpf(' 529.982.247-25 ')).toBe('52998224725');
    expect(() => normalizeCpf('5299822472')).toThrow('cpf: "5299822472" is not a CPF (expected 11 digits, e.g. 123.456.789-09)');
    // its check digits add up, but no such CPF is issued: said as it is
    expect(() => normalizeCpf('111.111.111-11')).toThrow('cpf: "111.111.111-11" is not a valid CPF (all digits the same)');
    expect(() => normalizeCpf('529.982.247-26')).toThrow('cpf: "529.982.247-26" is not a valid CPF (check digits do not match)');
    expect(formatCpf('52998224725')).toBe('529.982.247-25');
    expect(maskCpf('52998224725')).toBe('***.982.247-**');
    for (let n = 0; n < 500; n++) expect(isValidCpf(generateCpf(n * 7919))).toBe(true);
  });
});

describe('clinic time', () => {
  it('converts clinic-local times to instants and back, across offsets', () => {
    expect(formatZoned(zonedToInstant('2026-12-01', '14:30', 'America/Sao_Paulo'), 'America/Sao_Paulo')).toBe('2026-12-01T14:30:00-03:00');
    expect(formatZoned(parseDateTime('2026-12-01T17:30:00Z', 'Asia/Kolkata'), 'Asia/Kolkata')).toBe('2026-12-01T23:00:00+05:30');
    expect(parseDateTime('01/12/2026 9:05', 'America/Sao_Paulo').toISOString()).toBe('2026-12-01T12:05:00.000Z');
  });

  it('refuses a time skipped by DST and takes the earlier of a repeated one', () => {
    expect(() => zonedToInstant('2027-03-14', '02:30', 'America/New_York')).toThrow(/does not exist in America\/New_York/);
    expect(zonedToInstant('2026-11-01', '01:30', 'America/New_York').toISOString()).toBe('2026-11-01T05:30:00.000Z');
    // São Paulo, 4 Nov 2018: midnight did not exist (clocks went 00:00 → 01:00)
    expect(formatZoned(startOfLocalDay('2018-11-04', 'America/Sao_Paulo'), 'America/Sao_Paulo')).toBe('2018-11-04T01:00:00-02:00');
  });

  it('parses dates strictly', () => {
    expect(parseDate('2024-02-29')).toBe('2024-02-29');
    expect(parseDate('29/02/2024')).toBe('2024-02-29');
    expect(() => parseDate('2023-02-29', 'birthDate')).toThrow('birthDate: "2023-02-29" is not a calendar date');
    expect(() => parseDate('ontem', 'date')).toThrow(/not a date/);
    expect(ageOn('2000-02-29', '2026-02-28')).toBe(25);
    expect(ageOn('2000-02-29', '2026-03-01')).toBe(26);
  });
});

describe('search', () => {
  const row = { id: 'P-000007', fullName: 'João Conceição da Silva', preferredName: 'Jão', cpf: '52998224725', phone: '+55 (11) 98765-4321', status: 'active' as const };
  it('ignores accents and case, needs every word, matches CPF and phone digits', () => {
    expect(searchMatcher('joao')(row)).toBe(true);
    expect(searchMatcher('CONCEICAO silva')(row)).toBe(true);
    expect(searchMatcher('jao')(row)).toBe(true);
    expect(searchMatcher('joao souza')(row)).toBe(false);
    expect(searchMatcher('982.247')(row)).toBe(true);
    expect(searchMatcher('98765-4321')(row)).toBe(true);
    expect(searchMatcher('p-000007')(row)).toBe(true);
    expect(searchMatcher('12')(row)).toBe(false);
    // a phone number as people type it, in pieces: one number, not words of two digits to find in the name
    expect(searchMatcher('(11) 98765-4321')(row)).toBe(true);
    expect(searchMatcher('11 98765 4321')(row)).toBe(true);
    expect(searchMatcher('+55 11 98765-4321')(row)).toBe(true);
    expect(searchMatcher('joão (11) 98765-4321')(row)).toBe(true);
    expect(searchMatcher('(21) 98765-4321')(row)).toBe(false);
    expect(searchMatcher('529.982.247-25')(row)).toBe(true);
    const local = { ...row, phone: '11 3333-0002' };
    expect(searchMatcher('+55 (11) 3333-0002')(local)).toBe(true);
    expect(searchMatcher('(11) 3333-0002')(local)).toBe(true);
  });

  it('finds a number typed as people say it, area code and country code included, as one number', () => {
    for (const typed of ['(11) 98765-4321', '11 98765-4321', '+55 11 98765-4321', '55 11 98765 4321', '11987654321', '529 982 247-25']) {
      expect(searchMatcher(typed)(row), typed).toBe(true);
    }
    const local = { ...row, phone: '(11) 98765-4321' }; // stored without the country code
    expect(searchMatcher('+55 11 98765-4321')(local)).toBe(true);
    expect(searchMatcher('55 11 98765-4321')(local)).toBe(true); // 55 before a full number: the country code
    expect(searchMatcher('55 98765')(local)).toBe(false); // too short to be a country code: the digits as typed
    expect(searchMatcher('(21) 98765-4321')(row)).toBe(false); // another area code is another phone
  });
});

describe('ageOf', () => {
  it('counts a birthday from the clinic-local midnight, not UTC', () => {
    // 22:30 on 9 March in São Paulo is already 10 March in UTC
    const evening = new Date('2026-03-10T01:30:00Z');
    expect(ageOf('1990-03-10', evening, 'America/Sao_Paulo')).toBe(35);
    expect(ageOf('1990-03-10', evening, 'UTC')).toBe(36);
    expect(ageOf(undefined, evening)).toBeUndefined();
  });
});

describe('normalizePatientId', () => {
  it('takes the short forms and refuses P-0 (ids start at P-000001)', () => {
    expect(normalizePatientId('p-12')).toBe('P-000012');
    expect(normalizePatientId(' 000123 ')).toBe('P-000123');
    expect(() => normalizePatientId('P-0', 'patient')).toThrow('patient: "P-0" is not a patient id (expected P-000123)');
    expect(() => normalizePatientId('P-000000')).toThrow(/is not a patient id/);
  });
});
