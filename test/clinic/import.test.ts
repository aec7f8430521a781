import { describe, expect, it, vi } from 'vitest';
import { listAudit } from '../../src/clinic/audit.js';
import { formatCpf, generateCpf } from '../../src/clinic/cpf.js';
import { applyImport, decodeCsv, importPatients, parsePatientCsv, planImport } from '../../src/clinic/patient-import.js';
import { listPendingIds, readPatientIndex } from '../../src/clinic/patient-index.js';
import { createPatient, getPatient, listPatients } from '../../src/clinic/patients.js';
import { ClinicaError } from '../../src/errors.js';
import { useTestStack } from '../helpers/stack.js';

const actor = 'cli:tester@host';
const stack = useTestStack({ publish: false });


const cpf = (n: number) => formatCpf(generateCpf(n));

/** A pt-BR export: semicolons, BOM, dd/mm/yyyy, a quoted multi-line note, good and bad rows. */
const ptBr = [
  '\uFEFFNome;CPF;Data de Nascimento;Sexo;Telefone;E-mail;Endereço;Alergias;Observações;Lembretes por e-mail;Coluna Extra',
  `Maria Exemplo;${cpf(1001)};01/02/1980;F;(11) 98888-0001;maria@example.com;Rua A, 1;penicilina|dipirona;;sim;x`,
  `José Teste;${cpf(1002)};1975-12-31;masculino;11 3333-0002;;;;"linha 1\nlinha 2";não;y`,
  `Sem CPF Teste;;15/08/2001;;;;;;;;`,
  `CPF Ruim;123.456.789-00;01/01/1990;;;;;;;;`,
  `Data Ruim;;31/02/1990;;;;;;;;`,
  `;${cpf(1003)};01/01/1990;;;;;;;;`,
  `Sexo Ruim;;01/01/1990;talvez;;;;;;;`,
  `Repetida;${cpf(1001)};01/01/1950;;;;;;;;`,
  `E-mail Ruim;;01/01/1990;;;nao-e-email;;;;;`,
].join('\n');

describe('decodeCsv', () => {
  it('reads valid UTF-8 (BOM or not) as UTF-8 and anything else as Windows-1252', () => {
    const text = 'Nome;Observações\nJosé Acentuação;“aspas” – €\n';
    expect(decodeCsv(Buffer.from(text, 'utf8'))).toEqual({ text, encoding: 'utf-8' });
    expect(decodeCsv(Buffer.from('\uFEFF' + text, 'utf8'))).toEqual({ text, encoding: 'utf-8' });
    // Windows-1252 bytes for the same text, as pt-BR Excel writes it (“ ” – € are in 0x80–0x9F)
    const cp1252 = Buffer.from([...'Nome;Observa'].map((c) => c.charCodeAt(0)).concat(
      [0xe7, 0xf5], [...'es\nJos'].map((c) => c.charCodeAt(0)), [0xe9], [...' Acentua'].map((c) => c.charCodeAt(0)), [0xe7, 0xe3],
      [...'o;'].map((c) => c.charCodeAt(0)), [0x93], [...'aspas'].map((c) => c.charCodeAt(0)), [0x94, 0x20, 0x96, 0x20, 0x80, 0x0a],
    ));
    expect(decodeCsv(cp1252)).toEqual({ text, encoding: 'windows-1252' });
    const parsed = parsePatientCsv(decodeCsv(Buffer.from('Nome;Data de nascimento;Observações\nJosé;01/01/1980;obs\n', 'latin1')).text);
    expect(parsed.mapping).toEqual({ Nome: 'fullName', 'Data de nascimento': 'birthDate', Observações: 'notes' });
  });
});

describe('CSV import', () => {
  it('imports good rows, rejects bad ones with line numbers and reasons, and a re-run creates no duplicates', async () => {
    const store = stack.dataStore;
    const first = await importPatients(store, ptBr, actor, { file: 'pacientes.csv' });
    expect(first.rows).toBe(9);
    expect(first.created.map((c) => c.line)).toEqual([2, 3, 5]);
    expect(first.ignoredColumns).toEqual(['Coluna Extra']);
    expect(first.rejected.map((r) => [r.line, r.field, r.reason])).toEqual([
      [6, 'cpf', 'CPF: "123.456.789-00" is not a valid CPF (check digits do not match)'],
      [7, 'birthDate', 'Data de Nascimento: "31/02/1990" is not a calendar date'],
      [8, 'fullName', 'Nome: required'],
      [9, 'sex', expect.stringMatching(/^Sexo: "talvez" is not one of/)],
      [10, 'cpf', 'CPF: the same CPF is on line 2 for another name and birth date'],
      [11, 'email', 'E-mail: "nao-e-email" is not an e-mail address'],
    ]);
    expect(first.rejected[0]!.values.Nome).toBe('CPF Ruim');
    const maria = (await getPatient(store, first.created[0]!.id)).patient;
    expect(maria).toMatchObject({
      fullName: 'Maria Exemplo', cpf: generateCpf(1001), birthDate: '1980-02-01', sex: 'female', email: 'maria@example.com',
      alerts: ['penicilina', 'dipirona'], consent: { emailReminders: true, recordedBy: actor },
    });
    const jose = (await getPatient(store, first.created[1]!.id)).patient;
    expect(jose).toMatchObject({ birthDate: '1975-12-31', sex: 'male', notes: 'linha 1\nlinha 2', consent: { emailReminders: false } });

    const second = await importPatients(store, ptBr, actor, { file: 'pacientes.csv' });
    expect(second.created).toEqual([]);
    expect(second.existing.map((e) => [e.line, e.id, e.matchedBy])).toEqual([
      [2, first.created[0]!.id, 'cpf'],
      [3, first.created[1]!.id, 'cpf'],
      [5, first.created[2]!.id, 'name+birthDate'],
    ]);
    expect(second.rejected.length).toBe(6);
    expect((await readPatientIndex(store)).length).toBe(3);
    const audit = await listAudit(store);
    expect(audit.filter((e) => e.action === 'patient.import').map((e) => e.details)).toEqual([
      { rows: 9, created: 3, existing: 0, rejected: 6 },
      { rows: 9, created: 0, existing: 3, rejected: 6 },
    ]);
    expect(audit.filter((e) => e.action === 'patient.create').length).toBe(3);
  });

  it('a row whose CPF is already another person\'s (other name and birth date) is rejected, not dropped as "already present"', async () => {
    const store = stack.dataStore;
    const csv = [
      'Nome;CPF;Data de Nascimento',
      `Outra Pessoa;${cpf(1001)};05/05/1955`, // Maria's CPF (imported above), someone else
      `Clara Mesma;${cpf(1004)};02/02/2002`,
      `Clara Mesma;${cpf(1004)};02/02/2002`, // the file repeats itself
      `Nome Diferente;${cpf(1004)};03/03/2003`, // same CPF, another person
    ].join('\n');
    const r = await importPatients(store, csv, actor, { file: 'mistura.csv' });
    expect(r.created.map((c) => c.line)).toEqual([3]);
    expect(r.existing).toEqual([]);
    expect(r.rejected.map((x) => [x.line, x.field, x.reason])).toEqual([
      [2, 'cpf', expect.stringMatching(/^CPF: \*\*\*\.\d{3}\.\d{3}-\*\* already belongs to patient P-\d{6}, with another name and birth date$/)],
      [4, 'cpf', 'same patient as line 3'],
      [5, 'cpf', 'CPF: the same CPF is on line 3 for another name and birth date'],
    ]);
    // Maria under her married name since: the same person (her birth date agrees), left unchanged
    const married = await importPatients(store, `Nome;CPF;Data de Nascimento\nMaria Exemplo de Souza;${cpf(1001)};01/02/1980`, actor);
    expect(married.existing.map((e) => [e.line, e.matchedBy])).toEqual([[2, 'cpf']]);
    expect(married.rejected).toEqual([]);
  });

  it('accepts English headers and commas; a bigger file goes in with batched index writes', async () => {
    const store = stack.dataStore;
    const lines = ['Full name,Date of birth,Tax ID,Phone,Email reminders'];
    for (let i = 0; i < 300; i++) lines.push(`Bulk Patient ${i},1990-01-${String((i % 28) + 1).padStart(2, '0')},${i % 2 ? cpf(5000 + i) : ''},+55 11 9${String(i).padStart(4, '0')}-0000,${i % 3 ? 'yes' : 'no'}`);
    const result = await importPatients(store, lines.join('\r\n'), actor);
    expect(result.rejected).toEqual([]);
    expect(result.created.length).toBe(300);
    expect(new Set(result.created.map((c) => c.id)).size).toBe(300);
    expect((await listPatients(store, { search: 'bulk patient 299' })).map((r) => r.fullName)).toContain('Bulk Patient 299');
    expect((await listPatients(store, { search: cpf(5299) })).map((r) => r.fullName)).toEqual(['Bulk Patient 299']);
    const again = await importPatients(store, lines.join('\r\n'), actor);
    expect(again.created.length).toBe(0);
    expect(again.existing.length).toBe(300);
  });

  it('a file of several chunks: every record gets its index row and no pending marker is left, results in file order', async () => {
    const store = stack.dataStore;
    const rows = 1050; // chunks of 500, 500 and 50, indexed while the next chunk's records are written
    const lines = ['Nome;Data de nascimento'];
    for (let i = 0; i < rows; i++) lines.push(`Chunked Patient ${i};1985-02-${String((i % 28) + 1).padStart(2, '0')}`);
    const result = await importPatients(store, lines.join('\n'), actor);
    expect(result.created.map((c) => c.line)).toEqual(Array.from({ length: rows }, (_, i) => i + 2));
    const ids = result.created.map((c) => Number(c.id.slice(2)));
    expect(ids).toEqual(Array.from({ length: rows }, (_, i) => ids[0]! + i));
    const indexed = new Set((await readPatientIndex(store)).map((r) => r.id));
    expect(result.created.filter((c) => !indexed.has(c.id))).toEqual([]);
    expect(await listPendingIds(store)).toEqual([]);
  });

  it('an import stopped between its records and their index rows (Ctrl+C, S3 gone): list and add see them, the re-run adds no one twice', async () => {
    const store = stack.dataStore;
    const file = ['Nome;Data de nascimento;CPF', 'Parada Sem CPF;02/03/1961;', `Parada Com CPF;03/04/1962;${cpf(7701)}`].join('\n');
    // the records are written, then the index's shards cannot be written
    const flaky = Object.create(store) as typeof store;
    flaky.putJson = (key, value, opts) => (/^index\/patients\/\d+\.json$/.test(key) ? Promise.reject(new ClinicaError('unavailable', 'cannot reach S3')) : store.putJson(key, value, opts));
    await expect(importPatients(flaky, file, actor)).rejects.toMatchObject({ kind: 'unavailable' });
    expect((await readPatientIndex(store)).filter((r) => r.fullName.startsWith('Parada'))).toEqual([]);
    const stopped = (await listAudit(store, {})).filter((e) => e.action === 'patient.create' && e.details?.via === 'import');

    // a list right away leaves a marker under a minute old alone (an import still running indexes its own rows)…
    expect(await listPatients(store, { search: 'parada' })).toEqual([]);
    // …and once it is older, the index heals on the list: the records are not hidden
    vi.useFakeTimers({ toFake: ['Date'], now: Date.now() + 61_000 });
    let listed;
    try {
      listed = await listPatients(store, { search: 'parada' });
    } finally {
      vi.useRealTimers();
    }
    expect(listed.map((r) => r.fullName).sort()).toEqual(['Parada Com CPF', 'Parada Sem CPF']);
    // and `add` of one of them is the duplicate it is, not a second record
    await expect(createPatient(store, { fullName: 'Parada Sem CPF', birthDate: '1961-03-02' }, actor, { refuseDuplicate: true })).rejects.toMatchObject({ reason: 'duplicate-person' });

    const again = await importPatients(store, file, actor);
    expect(again.created).toEqual([]);
    expect(again.rejected).toEqual([]);
    expect(again.existing.map((e) => [e.line, e.matchedBy])).toEqual([
      [2, 'name+birthDate'],
      [3, 'cpf'],
    ]);
    expect((await listPatients(store, { search: 'parada' })).map((r) => r.id).sort()).toEqual(listed.map((r) => r.id).sort());
    // their creation was audited, though the run that made them stopped
    for (const { id } of listed) expect(stopped.filter((e) => e.patientId === id)).toHaveLength(1);
  });

  it('an add that finds the index missing rows of a stopped import heals it first (no second record of the person)', async () => {
    const store = stack.dataStore;
    const file = ['Nome;Data de nascimento', 'Escondida Teste;04/05/1963;'].join('\n');
    const flaky = Object.create(store) as typeof store;
    flaky.putJson = (key, value, opts) => (/^index\/patients\/\d+\.json$/.test(key) ? Promise.reject(new ClinicaError('unavailable', 'cannot reach S3')) : store.putJson(key, value, opts));
    await expect(importPatients(flaky, file, actor)).rejects.toMatchObject({ kind: 'unavailable' });
    await expect(createPatient(store, { fullName: 'escondida  teste', birthDate: '04/05/1963' }, actor, { refuseDuplicate: true })).rejects.toMatchObject({
      reason: 'duplicate-person',
    });
    expect((await readPatientIndex(store)).filter((r) => r.fullName === 'Escondida Teste')).toHaveLength(1);
  });

  it('a record and the consents it brings are dated when written, not when the plan was made', async () => {
    const csv = ['Nome;Data de nascimento;Telefone;E-mail;Lembretes por e-mail;Lembretes por WhatsApp', 'Dated Later;02/03/1970;(11) 98888-7001;dated@example.com;sim;sim'].join('\n');
    const plan = await planImport(stack.dataStore, csv, actor);
    expect(plan.rejected).toEqual([]);
    const planned = plan.create[0]!.record;
    // the person at the terminal reads the plan before confirming
    await new Promise((r) => setTimeout(r, 20));
    const confirmed = Date.now();
    const result = await applyImport(stack.dataStore, plan, actor);
    const { patient: stored } = await getPatient(stack.dataStore, result.created[0]!.id);
    for (const at of [stored.createdAt, stored.updatedAt, stored.consent.recordedAt!, stored.consent.whatsapp!.recordedAt]) {
      expect(Date.parse(at)).toBeGreaterThanOrEqual(confirmed);
    }
    expect(Date.parse(planned.createdAt)).toBeLessThan(confirmed);
    expect(stored.consent).toMatchObject({ emailReminders: true, recordedBy: actor, whatsapp: { reminders: true, recordedBy: actor } });
  });

  it('a CSV without a required column is refused as a whole, naming the column', async () => {
    const store = stack.dataStore;
    const before = (await readPatientIndex(store)).length;
    expect(() => parsePatientCsv('Nome;CPF\nFulano;\n', 'x.csv')).toThrow('x.csv: missing required column "data de nascimento" (or "birth date")');
    await expect(importPatients(store, 'CPF;Data de nascimento\n;01/01/1990\n', actor, { file: 'y.csv' })).rejects.toMatchObject({
      kind: 'usage',
      field: 'fullName',
      exitCode: 2,
      message: 'y.csv: missing required column "nome" (or "name")',
    });
    expect((await readPatientIndex(store)).length).toBe(before);
  });
});
