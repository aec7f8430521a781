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
