/** Small text helpers for matching what people type against what is stored. */

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
