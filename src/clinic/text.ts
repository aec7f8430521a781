/** Small text helpers for matching what people type against what is stored. */
import { usageError } from '../errors.js';

/** Lowercase, accents removed, spaces collapsed: "  João  D'Ávila " → "joao d'avila". */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

/** Who a record is, for matching duplicates without a CPF: the name (accents, case, spacing ignored) + birth date. */
export function personKey(fullName: string, birthDate: string | undefined): string {
  return `${fold(fullName)}|${birthDate ?? ''}`;
}

/** An e-mail address inside free text (an SES error names its recipient): for masking or removing it. */
export const EMAIL_IN_TEXT = /[^\s<>"'(),;:]+@[^\s<>"'(),;:]+\.[a-z]{2,}/gi;

export function digitsOf(text: string): string {
  return text.replace(/\D/g, '');
}

/** Trimmed with inner whitespace collapsed; undefined when empty. */
export function clean(text: string | undefined | null): string | undefined {
  if (text === undefined || text === null) return undefined;
  const t = String(text).replace(/\s+/g, ' ').trim();
  return t === '' ? undefined : t;
}

/** A short random id part from an alphabet without look-alikes (no 0/o, 1/l/i). */
export function randomId(length = 6): string {
  const alphabet = '23456789abcdefghjkmnpqrstuvwxyz';
  const bytes = crypto.getRandomValues(new Uint8Array(length));
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** Runs `fn` over items with at most `limit` in flight; results in input order. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** C0 and C1 control characters and DEL: a terminal runs them (ESC sequences clear the screen, retitle the
 * window, hide text; BEL rings) instead of showing them. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f]/g;

/**
 * The text, refused if it holds a control character other than whitespace (usage error naming the field and
 * the character, never echoing the text). Tab, CR and LF are whitespace, not commands: one-line fields collapse
 * them into a space (clean()); with `multiline` (notes) line breaks are kept as LF and a tab as a space.
 */
export function refuseControlCharacters(text: string, field: string, { multiline = false } = {}): string {
  const t = multiline ? text.replace(/\r\n?/g, '\n').replace(/\t/g, ' ') : text;
  for (const m of t.matchAll(CONTROL_CHARACTERS)) {
    if (m[0] === '\n' || m[0] === '\r' || m[0] === '\t') continue;
    const code = `U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')}`;
    throw usageError(`${field}: contains a control character (${code}) at character ${m.index! + 1}; type it again without it`, {
      field,
      reason: 'control-character',
    });
  }
  return t;
}
