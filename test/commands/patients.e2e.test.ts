/** The built CLI (bin/clinica.js → dist/) against a real local stack: run `npm run build` first. */
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatCpf, generateCpf } from '../../src/clinic/cpf.js';
import { runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();
const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir });
const json = <T = unknown>(stdout: string) => JSON.parse(stdout) as T;
const oneLine = (stderr: string) => stderr.trim().split('\n');
/** An appointment booked back then (1 March 2024) for a time now past: the CLI refuses to book in the past. */
const bookedInThePast = async (patientId: string, dentist: string, at: string) => {
  const { createAppointment } = await import('../../src/clinic/appointments.js');
  return createAppointment(stack.dataStore, { patientId, dentist, at, durationMinutes: 30 }, 'test', { timeZone: 'America/Sao_Paulo', now: new Date('2024-03-01T12:00:00Z') });
};


describe('clinica patients / appointments / audit (built CLI)', { timeout: 120_000 }, () => {
  let id = '';

  it('patients add and list --json', async () => {
    const cpf = formatCpf(generateCpf(4242));
    const add = await cli('patients', 'add', '--name', 'Márcia Ponta-a-Ponta', '--cpf', cpf, '--birth-date', '12/03/1988', '--phone', '11 97777-0000', '--email-reminders', 'sim', '--alert', 'látex', '--json');
    expect(add.stderr).toBe('');
    expect(add.code).toBe(0);
    const { patient } = json<{ patient: { id: string; cpf: string; birthDate: string; consent: { emailReminders: boolean } } }>(add.stdout);
    id = patient.id;
    expect(patient).toMatchObject({ cpf: generateCpf(4242), birthDate: '1988-03-12', consent: { emailReminders: true } });
    const list = await cli('patients', 'list', '--search', 'marcia', '--json');
    expect(list.code).toBe(0);
    const rows = json<{ id: string; name: string; cpf: string; age: number }[]>(list.stdout);
    expect(rows).toEqual([expect.objectContaining({ id, name: 'Márcia Ponta-a-Ponta', cpf: `***.${generateCpf(4242).slice(3, 6)}.${generateCpf(4242).slice(6, 9)}-**` })]);
    const table = await cli('patients', 'list');
    expect(table.stdout).toContain('Márcia Ponta-a-Ponta');
    expect(table.stdout).not.toContain(cpf);
  });

  it('bad input: one-line errors naming the field, exit 2, nothing stored', async () => {
    const badCpf = await cli('patients', 'add', '--name', 'Fulano Teste', '--birth-date', '1990-01-01', '--cpf', '111.222.333-44');
    expect(badCpf.code).toBe(2);
    expect(oneLine(badCpf.stderr)).toEqual(['clinica: --cpf: "111.222.333-44" is not a valid CPF (check digits do not match) — check the number on the document']);
    const badDate = await cli('patients', 'add', '--name', 'Fulano Teste', '--birth-date', '1990-02-30');
    expect(badDate.code).toBe(2);
    expect(oneLine(badDate.stderr)).toEqual(['clinica: --birth-date: "1990-02-30" is not a calendar date']);
    const missing = await cli('patients', 'add', '--name', 'Fulano Teste');
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)[0]).toMatch(/^clinica: --birth-date: required/);
    const badLanguage = await cli('patients', 'add', '--name', 'Fulano Teste', '--birth-date', '1990-01-01', '--language', 'fr');
    expect(badLanguage.code).toBe(2);
    expect(oneLine(badLanguage.stderr)).toEqual(['clinica: --language: "fr" is not one of pt-BR, en (or português/english)']);
    const unknown = await cli('patients', 'show', 'P-987654');
    expect(unknown.code).toBe(2);
    expect(oneLine(unknown.stderr)).toEqual(['clinica: patient P-987654 not found — run `clinica patients list --search NAME` to find the id']);
    const dupCpf = await cli('patients', 'add', '--name', 'Outra Pessoa', '--birth-date', '1990-01-01', '--cpf', formatCpf(generateCpf(4242)));
    expect(dupCpf.code).toBe(2);
    expect(oneLine(dupCpf.stderr)).toEqual([`clinica: --cpf: ***.${generateCpf(4242).slice(3, 6)}.${generateCpf(4242).slice(6, 9)}-** already belongs to patient ${id} — run \`clinica patients show ${id}\``]);
    const samePerson = await cli('patients', 'add', '--name', 'marcia ponta-a-ponta', '--birth-date', '1988-03-12');
    expect(samePerson.code).toBe(2);
    expect(oneLine(samePerson.stderr)).toEqual([
      `clinica: --name: "marcia ponta-a-ponta" born 1988-03-12 is already patient ${id}; not created — run \`clinica patients show ${id}\`; if this is another person, add again with --force`,
    ]);
    const badClear = await cli('patients', 'update', id, '--clear', 'bad');
    expect(badClear.code).toBe(2);
    expect(oneLine(badClear.stderr)[0]).toMatch(/^clinica: --clear: "bad" cannot be cleared \(one of preferred-name, cpf, /);
    const list = json<{ id: string }[]>((await cli('patients', 'list', '--json')).stdout);
    expect(list.length).toBe(1);
    // no id was burned by the refusals: the next patient is the one after
    const next = await cli('patients', 'add', '--name', 'marcia ponta-a-ponta', '--birth-date', '1988-03-12', '--force', '--json');
    expect(json<{ patient: { id: string } }>(next.stdout).patient.id).toBe(`P-${String(Number(id.slice(2)) + 1).padStart(6, '0')}`);
    await cli('patients', 'archive', json<{ patient: { id: string } }>(next.stdout).patient.id);
  });

  it('show, update, appointments with overlap refusal, audit', async () => {
    const upd = await cli('patients', 'update', id, '--phone', '11 96666-0000', '--clear', 'alerts', '--json');
    expect(upd.code).toBe(0);
    expect(json<{ patient: { phone: string; alerts: string[]; version: number } }>(upd.stdout).patient).toMatchObject({ phone: '+5511966660000', alerts: [], version: 2 });
    const book = await cli('appointments', 'add', '--patient', id, '--at', '2031-05-05 10:00', '--duration', '45', '--dentist', 'Dra. Ana', '--json');
    expect(book.code).toBe(0);
    const overlap = await cli('appointments', 'add', '--patient', id, '--at', '2031-05-05 10:30', '--dentist', 'Dra. Ana');
    expect(overlap.code).toBe(1);
    expect(oneLine(overlap.stderr)).toHaveLength(1);
    expect(overlap.stderr).toMatch(/Dra\. Ana is already booked on 2031-05-05 from 10:00 to 10:45 .*--force/);
    const past = await cli('appointments', 'add', '--patient', id, '--at', '2001-05-05 10:30', '--dentist', 'Dra. Ana');
    expect(past.code).toBe(2);
    expect(past.stderr).toMatch(/^clinica: --at: 2001-05-05 10:30 is in the past/);
    const day = await cli('appointments', 'list', '--date', '2031-05-05', '--json');
    expect(json<{ patientId: string; start: string }[]>(day.stdout)).toEqual([expect.objectContaining({ patientId: id, start: '2031-05-05T10:00:00-03:00' })]);
    const show = await cli('patients', 'show', id, '--json');
    expect(json<{ appointments: unknown[]; imageCount: number }>(show.stdout)).toMatchObject({ imageCount: 0, appointments: [expect.objectContaining({ dentist: 'Dra. Ana' })] });
    const audit = await cli('audit', '--patient', id, '--json');
    expect(json<{ action: string; actor: string }[]>(audit.stdout).map((e) => e.action)).toEqual(['patient.create', 'patient.update', 'appointment.create', 'patient.read']);
    expect(json<{ actor: string }[]>(audit.stdout)[0]!.actor).toMatch(/^cli:.+@.+/);
  });

  it('update: --alert does not silently replace existing alerts; --add-alert / --remove-alert / --replace-alerts', async () => {
    const alerts = async () => json<{ patient: { alerts: string[] } }>((await cli('patients', 'show', id, '--json')).stdout).patient.alerts;
    expect(await alerts()).toEqual([]); // cleared above: a first list may be given with --alert
    expect((await cli('patients', 'update', id, '--alert', 'penicilina')).code).toBe(0);
    expect((await cli('patients', 'update', id, '--add-alert', 'látex', '--add-alert', 'dipirona')).code).toBe(0);
    expect(await alerts()).toEqual(['penicilina', 'látex', 'dipirona']);
    const replace = await cli('patients', 'update', id, '--alert', 'AAS');
    expect(replace.code).toBe(2);
    expect(oneLine(replace.stderr)).toEqual([
      `clinica: --alert: ${id} has alerts (penicilina, látex, dipirona) and --alert replaces the whole list; nothing was changed — add one with --add-alert, take one out with --remove-alert, or add --replace-alerts to replace them all`,
    ]);
    expect(await alerts()).toEqual(['penicilina', 'látex', 'dipirona']);
    const remove = await cli('patients', 'update', id, '--remove-alert', 'LATEX', '--json');
    expect(json<{ patient: { alerts: string[] } }>(remove.stdout).patient.alerts).toEqual(['penicilina', 'dipirona']);
    const missing = await cli('patients', 'update', id, '--remove-alert', 'ibuprofeno');
    expect(missing.code).toBe(2);
    expect(oneLine(missing.stderr)).toEqual([`clinica: --remove-alert: "ibuprofeno" is not an alert of ${id} (its alerts are: penicilina, dipirona)`]);
    const replaced = await cli('patients', 'update', id, '--alert', 'AAS', '--replace-alerts', '--json');
    expect(replaced.code).toBe(0);
    expect(json<{ patient: { alerts: string[] } }>(replaced.stdout).patient.alerts).toEqual(['AAS']);
    expect((await cli('patients', 'update', id, '--replace-alerts')).stderr).toMatch(/^clinica: --replace-alerts: goes with --alert/);
    expect((await cli('patients', 'update', '--help')).stdout).toMatch(/--alert <text>\s+REPLACES THE WHOLE LIST/);
  });

  it('appointments done / no-show: after the start only, exit 2 before it', async () => {
    const past = await bookedInThePast(id, 'Dr. Passado', '2024-03-04 09:00');
    const done = await cli('appointments', 'done', past.id, '--json');
    expect(done.code).toBe(0);
    expect(json<{ appointment: { status: string } }>(done.stdout).appointment.status).toBe('done');
    const [future] = json<{ id: string }[]>((await cli('appointments', 'list', '--date', '2031-05-05', '--json')).stdout);
    const early = await cli('appointments', 'no-show', future!.id);
    expect(early.code).toBe(2);
    expect(oneLine(early.stderr)).toEqual([`clinica: ${future!.id} begins on 2031-05-05 at 10:00: it can be marked no-show once it has begun`]);
  });

  it('appointments arrived (alias chegou): on the appointment\'s day, exit 2 on an earlier one', async () => {
    const past = await bookedInThePast(id, 'Dr. Passado', '2024-03-05 09:00');
    const arrived = await cli('appointments', 'chegou', past.id, '--json');
    expect(arrived.code).toBe(0);
    expect(json<{ appointment: { status: string } }>(arrived.stdout).appointment.status).toBe('arrived');
    expect((await cli('appointments', 'show', past.id)).stdout).toMatch(/arrived/);
    const [future] = json<{ id: string }[]>((await cli('appointments', 'list', '--date', '2031-05-05', '--json')).stdout);
    const early = await cli('appointments', 'arrived', future!.id);
    expect(early.code).toBe(2);
    expect(oneLine(early.stderr)).toEqual([`clinica: ${future!.id} is on 2031-05-05: the patient can be marked arrived on that day`]);
  });

  it("--language sets the patient's reminder language (shown by show), --clear language clears it", async () => {
    const english = await cli('patients', 'update', id, '--language', 'English', '--json');
    expect(json<{ patient: { language: string } }>(english.stdout).patient.language).toBe('en');
    expect((await cli('patients', 'show', id)).stdout).toMatch(/Language\s+en \(reminders\)/);
    const cleared = await cli('patients', 'update', id, '--clear', 'language', '--json');
    expect(json<{ patient: { language?: string } }>(cleared.stdout).patient.language).toBeUndefined();
  });

  it('import: good and bad rows, rejects CSV, exit 3; re-run adds nothing; missing column exit 2', async () => {
    const file = join(stack.projectDir, 'pacientes.csv');
    await writeFile(file, `Nome;Data de nascimento;CPF\nImportada Um;01/01/1990;${formatCpf(generateCpf(7001))}\nImportada Dois;31/02/1990;\nImportada Três;02/02/1992;\n`);
    const run = await cli('patients', 'import', file, '--json');
    expect(run.code).toBe(3);
    const result = json<{ created: unknown[]; rejected: { line: number; reason: string }[]; rejectsFile: string }>(run.stdout);
    expect(result.created).toHaveLength(2);
    expect(result.rejected).toEqual([{ line: 3, field: 'birthDate', reason: 'Data de nascimento: "31/02/1990" is not a calendar date' }]);
    const rejects = await readFile(result.rejectsFile, 'utf8');
    expect(rejects).toBe('\uFEFFline;reason;Nome;Data de nascimento;CPF\n3;"Data de nascimento: ""31/02/1990"" is not a calendar date";Importada Dois;31/02/1990;\n');
    const again = await cli('patients', 'import', file);
    expect(again.code).toBe(3);
    expect(again.stdout).toMatch(/already present \(left unchanged\)\s*\|\s*2/);
    // the bad row fixed: no rejects left, and the old rejects file does not linger as if it were this run's
    await writeFile(file, `Nome;Data de nascimento;CPF\nImportada Um;01/01/1990;${formatCpf(generateCpf(7001))}\nImportada Dois;28/02/1990;\n`);
    const fixed = await cli('patients', 'import', file);
    expect(fixed.code).toBe(0);
    expect(fixed.stderr).toMatch(/removed .*pacientes\.rejects\.csv: it listed the rows rejected by an earlier run, and none was rejected this time/);
    expect(existsSync(result.rejectsFile)).toBe(false);
    const noColumn = join(stack.projectDir, 'sem-nome.csv');
    await writeFile(noColumn, 'CPF,Birth date\n,1990-01-01\n');
    const bad = await cli('patients', 'import', noColumn);
    expect(bad.code).toBe(2);
    expect(oneLine(bad.stderr)).toEqual([expect.stringMatching(/^clinica: .*sem-nome\.csv: missing required column "nome" \(or "name"\) — accepted names: /)]);
  });

  it('import --dry-run: prints the plan (created, already stored, rejected with its reason) and writes nothing', async () => {
    const file = join(stack.projectDir, 'plano.csv');
    await writeFile(file, 'Nome;Data de nascimento\nPlano Existente;03/03/1983\n');
    expect((await cli('patients', 'import', file)).code).toBe(0);
    await writeFile(file, 'Nome;Data de nascimento\nPlano Existente;03/03/1983\nPlano Novo;04/04/1984\nPlano Ruim;31/02/1990\n');
    const keys = async () => {
      const all: string[] = [];
      for await (const o of stack.dataStore.list('')) all.push(`${o.key} ${o.etag}`);
      return all.sort();
    };
    const before = await keys();
    const dry = await cli('patients', 'import', file, '--dry-run', '--json');
    expect(dry.code, dry.stderr).toBe(3);
    const plan = json<Record<string, unknown>>(dry.stdout);
    expect(plan).toMatchObject({
      dryRun: true,
      rows: 3,
      create: [{ line: 3, fullName: 'Plano Novo' }],
      existing: [{ line: 2, id: expect.stringMatching(/^P-\d+$/), matchedBy: 'name+birthDate' }],
      rejected: [{ line: 4, field: 'birthDate', reason: 'Data de nascimento: "31/02/1990" is not a calendar date' }],
    });
    expect(plan).not.toHaveProperty('created');
    const human = await cli('patients', 'import', file, '--dry-run');
    expect(human.code).toBe(3);
    expect(human.stdout).toMatch(/To create[\s\S]*Plano Novo/);
    expect(human.stdout).toMatch(/Rejected because[\s\S]*is not a calendar date/);
    expect(human.stdout).toMatch(/to create\s*\|\s*1/);
    expect(human.stdout).toMatch(/dry run: 1 patient would be created; nothing was written/);
    expect(await keys()).toEqual(before);
    expect(existsSync(join(stack.projectDir, 'plano.rejects.csv'))).toBe(false);
    // without a terminal and without --yes the plan is applied as before (scripted imports)
    const real = await cli('patients', 'import', file, '--json');
    expect(real.code).toBe(3);
    expect(json<{ created: { line: number }[] }>(real.stdout).created.map((c) => c.line)).toEqual([3]);
  });

  it('import: a Windows-1252 (Latin-1) CSV from pt-BR Excel is read as such, said so; the rejects CSV is UTF-8 with a BOM', async () => {
    const file = join(stack.projectDir, 'latin1.csv');
    const text = 'Nome;Data de nascimento;Observações\r\nJosé Acentuação;01/01/1980;Alérgico a látex\r\nConceição Inválida;31/02/1990;\r\n';
    await writeFile(file, Buffer.from(text, 'latin1'));
    expect((await readFile(file)).includes(Buffer.from('José', 'utf8'))).toBe(false); // really not UTF-8
    const run = await cli('patients', 'import', file, '--json');
    expect(run.code).toBe(3);
    expect(run.stderr).toMatch(/latin1\.csv is not UTF-8: read as Windows-1252 \(Latin-1\)/);
    const result = json<{ encoding: string; ignoredColumns: string[]; created: { id: string }[]; rejectsFile: string }>(run.stdout);
    expect(result).toMatchObject({ encoding: 'windows-1252', ignoredColumns: [] });
    const found = json<{ id: string; name: string }[]>((await cli('patients', 'list', '--search', 'jose acentuacao', '--json')).stdout);
    expect(found).toEqual([expect.objectContaining({ id: result.created[0]!.id, name: 'José Acentuação' })]);
    const shown = json<{ patient: { notes: string } }>((await cli('patients', 'show', found[0]!.id, '--json')).stdout);
    expect(shown.patient.notes).toBe('Alérgico a látex');
    const rejects = await readFile(result.rejectsFile, 'utf8');
    expect(rejects.startsWith('\uFEFFline;reason;Nome;Data de nascimento;Observações\n')).toBe(true);
    expect(rejects).toContain(';Conceição Inválida;31/02/1990;');
    // a UTF-8 file is read as UTF-8, without the note
    const utf8 = join(stack.projectDir, 'utf8.csv');
    await writeFile(utf8, 'Nome;Data de nascimento\nÂngela Utf;02/02/1992\n');
    const plain = await cli('patients', 'import', utf8, '--json');
    expect(plain.code).toBe(0);
    expect(plain.stderr).not.toMatch(/not UTF-8/);
    expect(json<{ encoding: string }>(plain.stdout).encoding).toBe('utf-8');
  });

  it('export --out, anonymize, purge needs --yes and respects retention', async () => {
    const out = join(stack.projectDir, 'export');
    const exp = await cli('patients', 'export', id, '--out', out);
    expect(exp.code).toBe(0);
    expect(existsSync(join(out, `${id}.json`))).toBe(true);
    const onFile = await cli('patients', 'export', id, '--out', `export/${id}.json`); // the file just written
    expect(onFile.code).toBe(2);
    expect(oneLine(onFile.stderr)).toEqual([`clinica: --out: export/${id}.json is a file (give a folder) — the export writes <folder>/<id>.json and <folder>/images/`]);
    const underFile = await cli('patients', 'export', id, '--out', `export/${id}.json/sub`);
    expect(underFile.code).toBe(2);
    expect(oneLine(underFile.stderr)).toEqual([`clinica: --out: cannot make the folder export/${id}.json/sub (ENOTDIR)`]);
    const forceAlone = await cli('patients', 'anonymize', id, '--force', '--yes');
    expect(forceAlone.code).toBe(2);
    expect(oneLine(forceAlone.stderr)).toEqual(['clinica: --force: only with --purge (it purges inside the retention period); anonymizing needs no force']);
    const noYes = await cli('patients', 'anonymize', id, '--purge');
    expect(noYes.code).toBe(1); // inside the retention period: refused before asking
    expect(noYes.stderr).toMatch(/must be kept until/);
    const noConfirm = await cli('patients', 'anonymize', id, '--purge', '--force');
    expect(noConfirm.code).toBe(2);
    expect(noConfirm.stderr).toMatch(/confirm with --yes/);
    const anon = await cli('patients', 'anonymize', id, '--yes', '--json');
    expect(anon.code).toBe(0);
    expect(json<{ patient: { fullName: string; cpf?: string } }>(anon.stdout).patient).toMatchObject({ fullName: `Paciente anonimizado ${id}` });
    const back = await cli('patients', 'add', '--name', 'Márcia Ponta-a-Ponta', '--cpf', formatCpf(generateCpf(4242)), '--birth-date', '12/03/1988');
    expect(back.code).toBe(2);
    expect(oneLine(back.stderr)).toEqual([
      `clinica: --cpf: ***.${generateCpf(4242).slice(3, 6)}.${generateCpf(4242).slice(6, 9)}-** matches a patient anonymized at their request (LGPD erasure); not created — if this person is returning as a new patient, add them again with --force`,
    ]);
    const purge = await cli('patients', 'anonymize', id, '--purge', '--force', '--yes', '--json');
    expect(purge.code).toBe(0);
    expect((await cli('patients', 'show', id)).code).toBe(2);
  });

  it('archive / a status leaving care with future appointments: refused without a flag (nothing changed); --cancel-appointments cancels only the future ones, audited; --keep-appointments keeps them', async () => {
    const { getAppointment } = await import('../../src/clinic/appointments.js');
    const add = await cli('patients', 'add', '--name', 'Rita Saindo', '--birth-date', '1950-05-05', '--json');
    const pid = json<{ patient: { id: string } }>(add.stdout).patient.id;
    const book = async (at: string, dentist: string) => {
      const r = await cli('appointments', 'add', '--patient', pid, '--at', at, '--duration', '30', '--dentist', dentist, '--json');
      expect(r.code).toBe(0);
      return json<{ appointment: { id: string } }>(r.stdout).appointment.id;
    };
    const first = await book('2031-06-10 09:00', 'Dra. Ana');
    const second = await book('2031-06-11 14:30', 'Dr. Beto');
    expect((await cli('appointments', 'confirm', second)).code).toBe(0);
    // booked back then for a time now past, never marked done: not this change's business
    const past = await bookedInThePast(pid, 'Dra. Ana', '2024-03-05 09:00');
    const status = async (aid: string) => (await getAppointment(stack.dataStore, aid)).appointment.status;
    const patientStatus = async () => json<{ patient: { status: string; version: number } }>((await cli('patients', 'show', pid, '--json')).stdout).patient;

    // no terminal, no flag: one line naming both flags, exit 2, nothing changed
    const refused = await cli('patients', 'archive', pid);
    expect(refused.code).toBe(2);
    expect(oneLine(refused.stderr)).toEqual([
      `clinica: ${pid} has 2 future appointments (2031-06-10 09:00 with Dra. Ana; 2031-06-11 14:30 with Dr. Beto); archiving the patient would leave them booked; nothing was changed — pass --cancel-appointments to cancel them, or --keep-appointments to keep them`,
    ]);
    const deceased = await cli('patients', 'update', pid, '--status', 'falecido', '--phone', '11 95555-0000', '--json');
    expect(deceased.code).toBe(2);
    expect(oneLine(deceased.stderr)).toHaveLength(1);
    expect(deceased.stderr).toMatch(/marking the patient deceased would leave them booked; nothing was changed — pass --cancel-appointments .* or --keep-appointments/);
    expect(deceased.stdout).toBe('');
    expect(await patientStatus()).toMatchObject({ status: 'active', version: 1 });
    expect([await status(first), await status(second), await status(past.id)]).toEqual(['scheduled', 'confirmed', 'scheduled']);
    const both = await cli('patients', 'archive', pid, '--cancel-appointments', '--keep-appointments');
    expect(both.code).toBe(2);
    expect(oneLine(both.stderr)[0]).toMatch(/^clinica: --cancel-appointments and --keep-appointments: give one/);
    const noStatus = await cli('patients', 'update', pid, '--phone', '11 95555-0000', '--keep-appointments');
    expect(noStatus.code).toBe(2);
    expect(oneLine(noStatus.stderr)[0]).toMatch(/^clinica: --keep-appointments: only with --status archived\|inactive\|deceased/);

    // --cancel-appointments: the two future ones cancelled (reason in the notes), the past one untouched
    const archived = await cli('patients', 'archive', pid, '--cancel-appointments', '--json');
    expect(archived.stderr).toBe('');
    expect(archived.code).toBe(0);
    const out = json<{ patient: { status: string }; appointmentsCancelled: { id: string; status: string; notes: string }[]; appointmentsKept: unknown[] }>(archived.stdout);
    expect(out.patient.status).toBe('archived');
    expect(out.appointmentsCancelled.map((a) => [a.id, a.status, a.notes])).toEqual([
      [first, 'cancelled', 'cancelled: patient archived'],
      [second, 'cancelled', 'cancelled: patient archived'],
    ]);
    expect(out.appointmentsKept).toEqual([]);
    expect([await status(first), await status(second), await status(past.id)]).toEqual(['cancelled', 'cancelled', 'scheduled']);
    const day = json<{ id: string; status: string }[]>((await cli('appointments', 'list', '--date', '2031-06-10', '--all', '--json')).stdout);
    expect(day).toEqual([expect.objectContaining({ id: first, status: 'cancelled' })]);
    const audit = json<{ action: string; actor: string; details?: Record<string, unknown> }[]>((await cli('audit', '--patient', pid, '--json')).stdout);
    const cancels = audit.filter((e) => e.action === 'appointment.cancel');
    expect(cancels.map((e) => e.details?.appointmentId)).toEqual([first, second]);
    for (const e of cancels) expect(e.actor).toMatch(/^cli:.+@.+/);
    expect(audit.find((e) => e.action === 'patient.archive')?.details).toMatchObject({ fields: ['status'], appointmentsCancelled: [first, second] });

    // --keep-appointments: kept booked, on purpose (and the audit says which)
    const other = json<{ patient: { id: string } }>((await cli('patients', 'add', '--name', 'Otávio Mudou', '--birth-date', '1970-07-07', '--json')).stdout).patient.id;
    const r = await cli('appointments', 'add', '--patient', other, '--at', '2031-06-12 08:00', '--dentist', 'Dra. Ana', '--json');
    const kept = json<{ appointment: { id: string } }>(r.stdout).appointment.id;
    const inactive = await cli('patients', 'update', other, '--status', 'inactive', '--keep-appointments', '--json');
    expect(inactive.code).toBe(0);
    const keptOut = json<{ patient: { status: string }; appointmentsCancelled: unknown[]; appointmentsKept: { id: string; date: string; time: string; dentist: string }[] }>(inactive.stdout);
    expect(keptOut.patient.status).toBe('inactive');
    expect(keptOut.appointmentsCancelled).toEqual([]);
    expect(keptOut.appointmentsKept).toEqual([expect.objectContaining({ id: kept, date: '2031-06-12', time: '08:00', dentist: 'Dra. Ana' })]);
    expect(await status(kept)).toBe('scheduled');
    const otherAudit = json<{ action: string; details?: Record<string, unknown> }[]>((await cli('audit', '--patient', other, '--json')).stdout);
    expect(otherAudit.find((e) => e.action === 'patient.update')?.details).toMatchObject({ appointmentsKept: [kept] });
    expect(otherAudit.some((e) => e.action === 'appointment.cancel')).toBe(false);
    // the help says it
    expect((await cli('patients', 'archive', '--help')).stdout).toMatch(/--cancel-appointments[\s\S]*--keep-appointments[\s\S]*Past appointments are never touched/);
  });
});
