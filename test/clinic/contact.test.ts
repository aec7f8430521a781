import { describe, expect, it } from 'vitest';
import { asciiEmail, formatPhone, normalizeEmail, normalizePhone } from '../../src/clinic/contact.js';
import { validatePatientInput, applyPatientChanges, newPatientRecord } from '../../src/clinic/patients.js';
import { refuseControlCharacters } from '../../src/clinic/text.js';
import type { PatientInput } from '../../src/clinic/types.js';
import { printable } from '../../src/ui/output.js';

describe('phones', () => {
  it('stores every way of typing a Brazilian number as one E.164 value (+55 when no country is typed)', () => {
    for (const typed of ['(11) 98765-4321', '11 98765-4321', '11987654321', '011 98765 4321', '0 41 11 98765-4321', '+55 11 98765-4321', '5511987654321', '0055 11 98765 4321']) {
      expect(normalizePhone(typed), typed).toBe('+5511987654321');
    }
    expect(normalizePhone('(21) 3333-0002')).toBe('+552133330002');
    expect(normalizePhone('+1 (415) 555-0100')).toBe('+14155550100');
    expect(normalizePhone('+351 912 345 678')).toBe('+351912345678');
  });

  it('refuses a number without its area code (DDD), naming the field, and what is not a phone', () => {
    expect(() => normalizePhone('98765-4321')).toThrow('phone: "98765-4321" has no area code (DDD); type it with the DDD, e.g. "(11) 98765-4321"');
    expect(() => normalizePhone('3333-0002', 'guardian.phone')).toThrow(expect.objectContaining({ field: 'guardian.phone', reason: 'phone-no-area-code' }));
    expect(() => normalizePhone('abc')).toThrow('phone: "abc" is not a phone number');
    expect(() => normalizePhone('(10) 98765-4321')).toThrow('is not a Brazilian phone number');
    expect(() => normalizePhone('11 88765-4321')).toThrow('a 9-digit number is a mobile and starts with 9');
    expect(() => newPatientRecord('P-000001', { fullName: 'Ana', birthDate: '1990-01-01', phone: '98765-4321' }, 't')).toThrow(expect.objectContaining({ field: 'phone' }));
  });

  it('shows Brazilian numbers as "(11) 98765-4321" — also those stored before the rule, in other formats', () => {
    expect(formatPhone('+5511987654321')).toBe('(11) 98765-4321');
    expect(formatPhone('+552133330002')).toBe('(21) 3333-0002');
    expect(formatPhone('11 3333-0002')).toBe('(11) 3333-0002');
    expect(formatPhone('+55 (11) 98765-4321')).toBe('(11) 98765-4321');
    expect(formatPhone('+14155550100')).toBe('+14155550100');
    expect(formatPhone('9876-5432')).toBe('9876-5432'); // no DDD: shown as it was typed
    expect(formatPhone(undefined)).toBeUndefined();
  });
});

describe('e-mail addresses', () => {
  it('refuses letters outside ASCII before the @ with the reason (SES cannot deliver there)', () => {
    expect(() => normalizeEmail('joão@exemplo.com.br')).toThrow(
      'email: "joão@exemplo.com.br" has letters outside ASCII before the @ ("joão"), which e-mail reminders (Amazon SES) cannot deliver to — ask for an address without accents before the @',
    );
    expect(() => validatePatientInput({ fullName: 'João', birthDate: '1990-01-01', email: 'joão@exemplo.com.br' })).toThrow(expect.objectContaining({ field: 'email', reason: 'email-non-ascii' }));
  });

  it('keeps an internationalised domain as typed and sends it in punycode', () => {
    expect(normalizeEmail('Joao@Clínica.com.br')).toBe('joao@clínica.com.br');
    expect(asciiEmail('joao@clínica.com.br')).toBe('joao@xn--clnica-4va.com.br');
    expect(asciiEmail('ana@example.com')).toBe('ana@example.com');
  });
});

describe('control characters', () => {
  const esc = 'Api \u001b]0;PWNED\u0007\u001b[2J';
  it('are refused in every one-line field (naming it, not echoing the text); notes keep their line breaks', () => {
    expect(() => validatePatientInput({ fullName: esc, birthDate: '1990-01-01' })).toThrow('fullName: contains a control character (U+001B) at character 5; type it again without it');
    const cases: [PatientInput, string][] = [
      [{ fullName: '', birthDate: '', preferredName: 'x\u0007' }, 'preferredName'],
      [{ fullName: '', birthDate: '', alerts: ['alergia \u001b[8m'] }, 'alerts'],
      [{ fullName: '', birthDate: '', address: 'Rua \u009b1' }, 'address'],
      [{ fullName: '', birthDate: '', notes: 'ok\nthen \u001b[2J' }, 'notes'],
      [{ fullName: '', birthDate: '', email: 'a\u001b@b.com' }, 'email'],
      [{ fullName: '', birthDate: '', guardian: { name: 'Mãe', relationship: 'mãe\u0000' } }, 'guardian.relationship'],
    ];
    for (const [input, field] of cases) {
      expect(() => validatePatientInput({ ...input, fullName: 'Ana', birthDate: '1990-01-01' }), field).toThrow(expect.objectContaining({ field, reason: 'control-character' }));
    }
    const ok = validatePatientInput({ fullName: 'Ana\tMaria', birthDate: '1990-01-01', notes: 'linha 1\r\nlinha 2\tfim' });
    expect(ok.fullName).toBe('Ana Maria');
    expect(ok.notes).toBe('linha 1\nlinha 2 fim');
    const p = newPatientRecord('P-000001', { fullName: 'Ana', birthDate: '1990-01-01' }, 't');
    expect(() => applyPatientChanges(p, { addAlerts: ['\u001b[8mlátex'] }, 't')).toThrow(expect.objectContaining({ field: 'addAlerts' }));
    expect(() => refuseControlCharacters('a\u007fb', 'x')).toThrow('x: contains a control character (U+007F) at character 2');
  });

  it('are printed as their symbols, never raw; the Ui\'s own colours stay when colour is on', () => {
    expect(printable(esc)).toBe('Api ␛]0;PWNED␇␛[2J');
    expect(printable('a\u001b[8mhidden\u001b[0m\tb\nc\r')).toBe('a␛[8mhidden␛[0m\tb\nc␍');
    expect(printable('\u001b[31mred\u001b[0m \u001b[8mx', true)).toBe('\u001b[31mred\u001b[0m ␛[8mx');
    expect(printable('\u009b2J')).toBe('\ufffd2J');
  });
});
