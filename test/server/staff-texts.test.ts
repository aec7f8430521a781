/**
 * Every error reason the API can send has a text on the staff page, in pt-BR and in English: a reason without
 * one falls back to a generic line with the server's English detail. The reasons are collected from the
 * source (`reason: '…'` in src/clinic, src/server, src/store), so a new one without texts fails here.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ruleCodes } from '../../src/clinic/agenda-rules.js';
import { agendaTexts } from '../../src/clinic/agenda-texts.js';

const ROOT = process.cwd();
/** Why a reminder was skipped is a run's result (`clinica remind`, the Lambda), not an error: the server runs none. */
const NOT_API = new Set(['src/clinic/reminders.ts']);

function sourceFiles(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? sourceFiles(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : [],
  );
}

/** reason → the files that give it */
function apiReasons(): Map<string, string[]> {
  const reasons = new Map<string, string[]>();
  for (const file of ['src/clinic', 'src/server', 'src/store'].flatMap(sourceFiles)) {
    if (NOT_API.has(file)) continue;
    for (const m of readFileSync(join(ROOT, file), 'utf8').matchAll(/\breason: '([a-z][a-z0-9-]*)'/g)) {
      reasons.set(m[1]!, [...(reasons.get(m[1]!) ?? []), file]);
    }
  }
  // the booking rules' refusals carry their code as a value (agenda-rules.ts refusalError)
  for (const code of ruleCodes) reasons.set(code, [...(reasons.get(code) ?? []), 'src/clinic/agenda-rules.ts']);
  return reasons;
}

/** A text, or its plural forms ({ one, other }: Intl.PluralRules categories). */
type Text = string | Record<string, string>;

/** The page's dictionaries: src/web/strings/<locale>.json, one per language. */
function pageMessages(): Record<string, Record<string, Text>> {
  const dir = join(ROOT, 'src/web/strings');
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));
  expect(files.length, 'src/web/strings: no <locale>.json').toBeGreaterThan(0);
  return Object.fromEntries(files.map((f) => [f.slice(0, -'.json'.length), JSON.parse(readFileSync(join(dir, f), 'utf8')) as Record<string, Text>]));
}

describe('staff page texts', () => {
  it('has a pt-BR and an English text for every error reason thrown in src/clinic, src/server and src/store', () => {
    const reasons = apiReasons();
    // the collector sees what it must: reasons of each room, the patients' newest among them
    for (const known of ['duplicate-person', 'erased-match', 'cpf-repeated-digits', 'not-begun', 'overlap', 'if-match-required', 'stale']) {
      expect([...reasons.keys()]).toContain(known);
    }
    const messages = pageMessages();
    expect(Object.keys(messages).sort()).toEqual(['en', 'pt-BR']);
    // the agenda's refusals are worded in src/clinic/agenda-texts.ts (sent with each booking refusal too)
    const worded = (locale: 'pt-BR' | 'en', reason: string) => messages[locale]![`err.${reason}`] ?? agendaTexts[locale][reason];
    const missing = [...reasons].flatMap(([reason, files]) =>
      (['pt-BR', 'en'] as const).filter((locale) => !worded(locale, reason)).map((locale) => `${locale} err.${reason} (${[...new Set(files)].join(', ')})`),
    );
    expect(missing).toEqual([]);
  });

  it('translates every text of the page\'s HTML: each data-i18n key has both languages, and no aria-label is left in one language', () => {
    const html = readFileSync(join(ROOT, 'templates/staff/index.html'), 'utf8');
    const messages = pageMessages();
    const keys = [...html.matchAll(/\bdata-i18n(?:-label|-placeholder)?="([^"]+)"/g)].map((m) => m[1]!);
    expect(keys.length).toBeGreaterThan(50);
    const missing = [...new Set(keys)].flatMap((key) => ['pt-BR', 'en'].filter((locale) => !messages[locale]![key]).map((locale) => `${locale} ${key}`));
    expect(missing).toEqual([]);
    // a fixed aria-label would be read out in English on the Portuguese page: each one is worded by data-i18n-label
    const fixed = [...html.matchAll(/<[^>]*\baria-label="[^"]*"[^>]*>/g)].map((m) => m[0]).filter((tag) => !/\bdata-i18n-label="/.test(tag));
    expect(fixed).toEqual([]);
  });

  it('gives each plural text the forms its language needs (Intl.PluralRules), never a "(s)"', () => {
    const messages = pageMessages();
    for (const [locale, texts] of Object.entries(messages)) {
      const categories = new Intl.PluralRules(locale).resolvedOptions().pluralCategories;
      for (const [key, text] of Object.entries(texts)) {
        const forms = typeof text === 'string' ? [text] : Object.values(text);
        for (const form of forms) expect(form, `${locale} ${key}`).not.toMatch(/\w\(s\)/);
        if (typeof text !== 'string') expect(Object.keys(text).sort(), `${locale} ${key}`).toEqual([...categories].filter((c) => c === 'one' || c === 'other').sort());
      }
    }
  });

  it("words a reason with the same values in both languages (a translation cannot drop the patient's id or the time)", () => {
    const messages = pageMessages();
    // every plural form of a text (`1 consulta` may spell the number out) says what the text's forms say together
    const names = (text: Text = '') =>
      [...new Set((typeof text === 'string' ? [text] : Object.values(text)).flatMap((form) => [...form.matchAll(/\{(\w+)\}/g)].map((m) => m[1])))].sort();
    for (const reason of apiReasons().keys()) {
      expect(names(messages.en![`err.${reason}`]), `err.${reason}`).toEqual(names(messages['pt-BR']![`err.${reason}`]));
    }
    for (const reason of Object.keys(agendaTexts.en)) {
      expect(names(agendaTexts.en[reason]), `agenda ${reason}`).toEqual(names(agendaTexts['pt-BR'][reason]));
    }
  });
});
