/** A patient's preferred language (`language`, absent = the clinic's locale): validation, set/clear, export, anonymize, CSV import, CLI flags. */
import { describe, expect, it } from 'vitest';
import { importPatients } from '../../src/clinic/patient-import.js';
import { anonymizePatient, exportPatient } from '../../src/clinic/lgpd.js';
import { createPatient, getPatient, parseLanguage, updatePatient } from '../../src/clinic/patients.js';
import type { Locale } from '../../src/config/schema.js';
import { changesFromFlags, inputFromFlags } from '../../src/commands/patients/fields.js';
import { useTestStack } from '../helpers/stack.js';

const actor = 'cli:tester@host';
const stack = useTestStack({ publish: false });


describe('parseLanguage', () => {
  it('accepts codes and names in either language, case and accents ignored', () => {
    for (const t of ['pt-BR', 'pt-br', 'PT', 'português', 'Portugues', ' PORTUGUÊS ']) expect(parseLanguage(t)).toBe('pt-BR');
    for (const t of ['en', 'EN', 'English', 'inglês', 'INGLES']) expect(parseLanguage(t)).toBe('en');
  });
  it('refuses anything else in one line naming the field', () => {
    expect(() => parseLanguage('fr')).toThrow('language: "fr" is not one of pt-BR, en (or português/english)');
    expect(() => parseLanguage('espanhol', 'idioma')).toThrow(/^idioma: "espanhol" is not one of pt-BR, en/);
  });
});

describe('the language field on the record', () => {
  it('is optional, set on create, changed, cleared, exported, and kept by anonymize', async () => {
    const store = stack.dataStore;
    const plain = await createPatient(store, { fullName: 'Padrão Teste', birthDate: '1990-01-01' }, actor);
    expect(plain.language).toBeUndefined();

    const p = await createPatient(store, { fullName: 'Emily Tourist', birthDate: '1985-06-07', email: 'emily@example.com', language: 'en' }, actor);
    expect(p.language).toBe('en');
    expect((await getPatient(store, p.id)).patient.language).toBe('en');

    const changed = await updatePatient(store, p.id, { language: 'pt-BR' }, actor);
    expect(changed.patient).toMatchObject({ language: 'pt-BR', version: 2 });
    const cleared = await updatePatient(store, p.id, { language: null }, actor);
    expect(cleared.patient.language).toBeUndefined();
    expect('language' in cleared.patient).toBe(false);
    await updatePatient(store, p.id, { language: 'en' }, actor);

    expect((await exportPatient(store, p.id, actor)).patient.language).toBe('en');
    const anon = await anonymizePatient(store, p.id, actor);
    expect(anon.email).toBeUndefined();
    expect(anon.language).toBe('en');
  });

  it('refuses a language that is not a locale, naming the field, on create and on update', async () => {
    const store = stack.dataStore;
    await expect(createPatient(store, { fullName: 'Fulano Teste', birthDate: '1990-01-01', language: 'fr' as Locale }, actor)).rejects.toMatchObject({
      kind: 'usage',
      field: 'language',
      message: 'language: "fr" is not one of pt-BR, en',
    });
    const p = await createPatient(store, { fullName: 'Beltrano Teste', birthDate: '1990-01-01' }, actor);
    await expect(updatePatient(store, p.id, { language: 'english' as Locale }, actor)).rejects.toMatchObject({ kind: 'usage', field: 'language' });
    expect((await getPatient(store, p.id)).patient.version).toBe(1);
  });
});

describe('CLI flags', () => {
  it('--language takes the same words as the CSV; --clear language clears it', () => {
    expect(inputFromFlags({ name: 'A B', birthDate: '1990-01-01', language: 'English' }).language).toBe('en');
    expect(inputFromFlags({ name: 'A B', birthDate: '1990-01-01' }).language).toBeUndefined();
    expect(changesFromFlags({ language: 'pt-BR' }, {})).toEqual({ language: 'pt-BR' });
    expect(changesFromFlags({ clear: ['language'] }, {})).toEqual({ language: null });
    expect(() => changesFromFlags({ language: 'en', clear: ['language'] }, {})).toThrow('clear: --language is also given');
    expect(() => inputFromFlags({ name: 'A B', birthDate: '1990-01-01', language: 'fr' })).toThrow(/^language: "fr"/);
  });
});

describe('CSV import', () => {
  it('reads "idioma" (pt-BR headers) and rejects a bad value with its line', async () => {
    const store = stack.dataStore;
    const csv = [
      'Nome;Data de Nascimento;Idioma',
      'Carla Idioma;01/02/1980;inglês',
      'Davi Idioma;01/02/1981;Português',
      'Eva Idioma;01/02/1982;',
      'Fábio Idioma;01/02/1983;francês',
    ].join('\n');
    const r = await importPatients(store, csv, actor, { file: 'idiomas.csv' });
    expect(r.mapping).toMatchObject({ Idioma: 'language' });
    expect(r.rejected.map((x) => [x.line, x.field, x.reason])).toEqual([[5, 'language', 'Idioma: "francês" is not one of pt-BR, en (or português/english)']]);
    const langs = await Promise.all(r.created.map(async (c) => [c.line, (await getPatient(store, c.id)).patient.language]));
    expect(langs).toEqual([[2, 'en'], [3, 'pt-BR'], [4, undefined]]);
  });

  it('reads "língua" and the English "language" header', async () => {
    const store = stack.dataStore;
    const pt = await importPatients(store, 'Nome;Data de nascimento;Língua\nGil Língua;1970-01-01;EN\n', actor);
    expect(pt.rejected).toEqual([]);
    expect((await getPatient(store, pt.created[0]!.id)).patient.language).toBe('en');
    const en = await importPatients(store, 'Name,Birth date,Language\nHana Lang,1971-01-01,pt\nIvo Lang,1972-01-01,klingon\n', actor);
    expect(en.rejected.map((x) => [x.line, x.reason])).toEqual([[3, 'Language: "klingon" is not one of pt-BR, en (or português/english)']]);
    expect((await getPatient(store, en.created[0]!.id)).patient.language).toBe('pt-BR');
  });
});
