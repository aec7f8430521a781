/**
 * Phone numbers as the clinic stores and shows them (see contact.ts for the rule). Kept apart from contact.ts,
 * which needs node:url for e-mail domains, and free of Node imports: the staff page (src/web, bundled for the
 * browser) shows phones with the same formatPhone as the CLI.
 */
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
