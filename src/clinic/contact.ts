/**
 * Phone numbers and e-mail addresses as the clinic stores, shows and sends them.
 *
 * Phones are stored in E.164 ("+5511987654321"): Brazil (+55, the clinic's country) when no country is typed,
 * so the same number typed as "(11) 98765-4321", "11987654321", "011 98765 4321" or "+55 11 98765-4321" is one
 * value, searchable and dialable. A number without its area code (DDD) is refused: a reminder or a call to it
 * would depend on where the phone happens to be. Shown as "(11) 98765-4321"; numbers of other countries as
 * stored. Records written before this rule keep their text and are shown normalised when they can be.
 *
 * E-mail: Amazon SES does not support SMTPUTF8, so a local part (before the @) must be ASCII; a domain may be
 * internationalised ("clínica.com.br"): it is kept as typed and sent in punycode (asciiEmail).
 */
import { domainToASCII } from 'node:url';
import { usageError } from '../errors.js';
import { digitsOf } from './text.js';

const EXAMPLE = '"(11) 98765-4321"';

/** "(11) 98765-4321", "+55 11 98765-4321", "+1 415 555 0100" → E.164; a usage error naming the field otherwise. */
export function normalizePhone(text: string, field = 'phone'): string {
  const v = text.trim();
  const bad = (why: string) => usageError(`${field}: "${v}" ${why}`, { field, reason: 'phone-format' });
  if (!/^[\d\s()+\-.]+$/.test(v) || !/\d/.test(v)) throw bad(`is not a phone number (e.g. ${EXAMPLE})`);
  let digits = digitsOf(v);
  let international = v.startsWith('+');
  if (!international && digits.startsWith('00')) {
    international = true; // 00 is the international prefix dialled from Brazil and Europe
    digits = digits.slice(2);
  }
  if (international && !digits.startsWith('55')) {
    if (digits.length < 8 || digits.length > 15) throw bad('is not an international number (a country code and 8–15 digits, e.g. "+1 415 555 0100")');
    return `+${digits}`;
  }
  let national = international ? digits.slice(2) : digits;
  if (!international) {
    if (national.startsWith('0')) {
      national = national.slice(1); // the trunk prefix: "0 11 …", or "0 XX 11 …" with a carrier code
      if (national.length === 12 || national.length === 13) national = national.slice(2);
    } else if ((national.length === 12 || national.length === 13) && national.startsWith('55')) national = national.slice(2);
  }
  if (national.length === 8 || national.length === 9) {
    throw usageError(`${field}: "${v}" has no area code (DDD); type it with the DDD, e.g. ${EXAMPLE}`, { field, reason: 'phone-no-area-code' });
  }
  const ddd = national.slice(0, 2);
  if ((national.length !== 10 && national.length !== 11) || !/^[1-9]{2}$/.test(ddd)) throw bad(`is not a Brazilian phone number (DDD and 8 or 9 digits, e.g. ${EXAMPLE})`);
  if (national.length === 11 && national[2] !== '9') throw bad(`is not a Brazilian phone number (a 9-digit number is a mobile and starts with 9, e.g. ${EXAMPLE})`);
  if (national.length === 10 && national[2] === '0') throw bad(`is not a Brazilian phone number (DDD and 8 or 9 digits, e.g. ${EXAMPLE})`);
  return `+55${national}`;
}

/** A stored phone for people: "(11) 98765-4321" for Brazil, E.164 for elsewhere, as stored if it is neither. */
export function formatPhone(stored: string | undefined): string | undefined {
  if (!stored) return stored;
  let e164: string;
  try {
    e164 = normalizePhone(stored);
  } catch {
    return stored; // written before phones were checked: shown as typed
  }
  if (!e164.startsWith('+55')) return e164;
  const n = e164.slice(3);
  return `(${n.slice(0, 2)}) ${n.slice(2, -4)}-${n.slice(-4)}`;
}

/** A checked e-mail address (lowercase): ASCII before the @, a domain that has a punycode form. */
export function normalizeEmail(text: string, field = 'email'): string {
  const v = text.trim().normalize('NFC').toLowerCase();
  const at = v.lastIndexOf('@');
  const local = v.slice(0, at);
  const domain = v.slice(at + 1);
  if (!/^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(v) || v.length > 200) throw usageError(`${field}: "${v}" is not an e-mail address`, { field, reason: 'email-format' });
  if (/[^\x21-\x7e]/.test(local)) {
    throw usageError(`${field}: "${v}" has letters outside ASCII before the @ ("${local}"), which e-mail reminders (Amazon SES) cannot deliver to — ask for an address without accents before the @`, {
      field,
      reason: 'email-non-ascii',
    });
  }
  const ascii = domainToASCII(domain);
  if (!ascii || !ascii.includes('.')) throw usageError(`${field}: "${v}" is not an e-mail address (the domain "${domain}" is not valid)`, { field, reason: 'email-format' });
  return v;
}

/** The address as sent (SES, the To header): an internationalised domain in punycode ("xn--…"). */
export function asciiEmail(address: string): string {
  const at = address.lastIndexOf('@');
  return at < 0 ? address : `${address.slice(0, at)}@${domainToASCII(address.slice(at + 1)) || address.slice(at + 1)}`;
}
