/** Terminal escape injection (issue 13, item 3), through the built CLI against a local stack. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createAppointment } from '../../src/clinic/appointments.js';
import { validateImageMetadata } from '../../src/clinic/images.js';
import { summaryOf, updatePatientIndex } from '../../src/clinic/patient-index.js';
import { createPatient, getPatient, patientKey } from '../../src/clinic/patients.js';
import { runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();
const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir, env: { ...process.env, NO_COLOR: '1', CI: '1' } });
const ESC = '\u001b';

describe('control characters', { timeout: 120_000 }, () => {
  it('are refused at input: a CLI flag (exit 2, naming it), a CSV row, appointment and image notes', async () => {
    const add = await cli('patients', 'add', '--name', 'Ana Alerta', '--birth-date', '01/01/1990', '--alert', `${ESC}[8mlátex`);
    expect(add.code).toBe(2);
    expect(add.stderr).toMatch(/--alert: contains a control character \(U\+001B\) at character 1/);
    expect(add.stderr).not.toContain(ESC);
    const csv = join(stack.projectDir, 'esc.csv');
    await writeFile(csv, `Nome;Data de nascimento\nBoa Linha;01/01/1990\nMá ${ESC}]0;PWNED\u0007;01/01/1990\n`);
    const imported = await cli('patients', 'import', csv, '--json');
    expect(imported.code).toBe(3);
    const result = JSON.parse(imported.stdout) as { created: unknown[]; rejected: { line: number; reason: string }[] };
    expect(result.created).toHaveLength(1);
    expect(result.rejected).toEqual([{ line: 3, reason: 'Nome: contains a control character (U+001B) at character 4; type it again without it', field: 'fullName' }]);
    const p = await createPatient(stack.dataStore, { fullName: 'Consulta Teste', birthDate: '1990-01-01' }, 'test');
    await expect(createAppointment(stack.dataStore, { patientId: p.id, dentist: 'Dra. Ana', at: '2031-01-10 10:00', durationMinutes: 30, notes: `ok\n${ESC}[2J` }, 'test', { timeZone: 'America/Sao_Paulo', force: true })).rejects.toMatchObject({
      field: 'notes',
      reason: 'control-character',
    });
    expect(() => validateImageMetadata({ kind: 'photo', notes: `x${ESC}[8m` })).toThrow(expect.objectContaining({ field: 'notes', reason: 'control-character' }));
  });

  it('stored before the rule, they are shown as symbols by list and show, never sent raw to the terminal', async () => {
    const p = await createPatient(stack.dataStore, { fullName: 'Velho Registro', birthDate: '1970-01-01' }, 'test');
    // a record written past clinica's checks (by hand, or by another tool), holding what was typed
    const { patient } = await getPatient(stack.dataStore, p.id);
    const dirty = { ...patient, fullName: `Velho ${ESC}]0;PWNED\u0007${ESC}[2J`, alerts: [`${ESC}[8mpenicilina`] };
    await stack.dataStore.putJson(patientKey(p.id), dirty);
    await updatePatientIndex(stack.dataStore, [{ id: p.id, apply: () => summaryOf(dirty) }]);
    for (const args of [['patients', 'list', '--search', 'velho'], ['patients', 'show', p.id]]) {
      const out = await cli(...args);
      expect(out.code, out.stderr).toBe(0);
      expect(out.stdout).not.toContain(ESC);
      expect(out.stdout).not.toContain('\u0007');
      expect(out.stdout).toContain('Velho ␛]0;PWNED␇␛[2J');
    }
    expect((await cli('patients', 'show', p.id)).stdout).toContain('␛[8mpenicilina');
  });
});
