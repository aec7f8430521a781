/**
 * Counts shown to people in the CLI's English ("1 e-mail", "2 e-mails", never "2 e-mail(s)"): the form comes
 * from Intl.PluralRules, as the staff page's strings do (src/web/i18n.ts).
 */
const rules = new Intl.PluralRules('en');

/** "3 appointments": the number and the noun in its form; `plural` for nouns not made with a plain "s". */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${rules.select(n) === 'one' ? singular : plural}`;
}
