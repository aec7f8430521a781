/**
 * Phone numbers and e-mail addresses as the clinic stores, shows and sends them.
 *
 * Phones are stored in E.164 ("+5511987654321"): Brazil (+55, the clinic's country) when no country is typed,
 * so the same number typed as "(11) 98765-4321", "11987654321", "011 98765 4321" or "+55 11 98765-4321" is one
 * value, searchable and dialable. A number without its area code (DDD) is refused: a reminder or a call to it
 * would depend on where the phone happens to be. Shown as "(11) 98765-4321"; numbers of other countries as
 * stored. A stored number this rule would refuse is kept as it is and shown normalised when it can be.
 *
 * E-mail: Amazon SES does not support SMTPUTF8, so a local part (before the @) must be ASCII; a domain may be
 * internationalised ("clínica.com.br"): it is kept as typed and sent in punycode (asciiEmail).
 */
import { domainToASCII } from 'node:url';
import { usageError } from '../errors.js';

export { formatPhone, normalizePhone } from './phone.js';

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
