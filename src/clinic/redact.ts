/**
 * Finds one person's identifiers in free text (notes, image file names) and takes them out, for the
 * anonymization (LGPD): the name — each of its words, accents and case ignored, so "zanzibar" in a note about
 * Zanzibar Xavier goes too —, the preferred name, the CPF and the phone in any punctuation, the e-mail address;
 * the guardian's name, CPF and phone likewise. Clinical words stay. Says which kinds it removed, never the values.
 */
import { normalizePhone } from './contact.js';
import { digitsOf, EMAIL_IN_TEXT, fold } from './text.js';
import type { Patient } from './types.js';

export type RedactedKind = 'name' | 'cpf' | 'phone' | 'email';

export interface Redacted {
  text: string;
  /** the kinds of identifier found and removed, in a fixed order */
  removed: RedactedKind[];
}

/** What stands where an identifier was (the records are the clinic's, in Portuguese). */
export const REDACTION_MARKS: Record<RedactedKind, string> = { name: '[nome removido]', cpf: '[CPF removido]', phone: '[telefone removido]', email: '[e-mail removido]' };

/** Short words of Brazilian names that are also ordinary words: never removed alone. */
const CONNECTIVES = new Set(['da', 'de', 'do', 'das', 'dos', 'e', 'di', 'du', 'del', 'van', 'von', 'la', 'le']);

export type PersonIdentifiers = Pick<Patient, 'fullName' | 'preferredName' | 'cpf' | 'phone' | 'email' | 'guardian'>;

/** A matcher for one person's identifiers, made once and applied to every text of the patient. */
export function identifierRedactor(person: PersonIdentifiers): (text: string, marks?: Partial<Record<RedactedKind, string>>) => Redacted {
  const names = new Set<string>();
  for (const n of [person.fullName, person.preferredName, person.guardian?.name]) {
    for (const w of fold(n ?? '').split(/[^\p{L}'’]+/u)) if (w.length >= 2 && !CONNECTIVES.has(w)) names.add(w);
  }
  const numberPattern = (digits: string) => digits.split('').join('[\\s.\\-/()]*');
  const cpfs = [person.cpf, person.guardian?.cpf].filter((c): c is string => Boolean(c)).map((c) => digitsOf(c));
  const phones: string[] = [];
  for (const p of [person.phone, person.guardian?.phone]) {
    if (!p) continue;
    let e164: string;
    try {
      e164 = normalizePhone(p);
    } catch {
      e164 = `+${digitsOf(p)}`;
    }
    const national = e164.startsWith('+55') ? e164.slice(3) : e164.slice(1);
    // with or without the country code or the area code: "+55 (11) 98765-4321", "11987654321", "98765-4321"
    const ddd = numberPattern(national.slice(0, 2));
    phones.push(`(?:\\+?55[\\s.\\-]*)?(?:(?:\\(\\s*${ddd}\\s*\\)|${ddd})[\\s.\\-]*)?${numberPattern(national.slice(2))}`);
  }
  const cpfRe = cpfs.length ? new RegExp(`(?<!\\d)(?:${cpfs.map(numberPattern).join('|')})(?!\\d)`, 'g') : undefined;
  const phoneRe = phones.length ? new RegExp(`(?<!\\d)(?:${phones.join('|')})(?!\\d)`, 'g') : undefined;
  const email = person.email?.toLowerCase();

  return (text, marks = {}) => {
    const mark = { ...REDACTION_MARKS, ...marks };
    const removed = new Set<RedactedKind>();
    let out = text;
    if (email) {
      out = out.replace(EMAIL_IN_TEXT, (m) => {
        if (m.toLowerCase() !== email) return m;
        removed.add('email');
        return mark.email;
      });
    }
    if (cpfRe) out = out.replace(cpfRe, () => (removed.add('cpf'), mark.cpf));
    if (phoneRe) out = out.replace(phoneRe, () => (removed.add('phone'), mark.phone));
    if (names.size) {
      out = out.replace(/[\p{L}\p{M}'’]+/gu, (w) => {
        if (!names.has(fold(w))) return w;
        removed.add('name');
        return mark.name;
      });
    }
    return { text: out, removed: (['name', 'cpf', 'phone', 'email'] as const).filter((k) => removed.has(k)) };
  };
}

/** A file name without the person's identifiers: "Zanzibar Xavier 31415926590 foto.png" → "foto.png". */
export function redactFileName(name: string, redact: ReturnType<typeof identifierRedactor>, fallback: string): Redacted {
  const dot = name.lastIndexOf('.');
  const [base, ext] = dot > 0 ? [name.slice(0, dot), name.slice(dot)] : [name, ''];
  const r = redact(base, { name: '', cpf: '', phone: '', email: '' });
  if (!r.removed.length) return { text: name, removed: [] };
  const left = r.text.replace(/[\s_\-.]+/g, (m) => m[0]!).replace(/^[\s_\-.]+|[\s_\-.]+$/g, '');
  return { text: `${left || fallback}${ext}`, removed: r.removed };
}
