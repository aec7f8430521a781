/** The built CLI: dentists, chairs, every booking refusal with its exit code, encaixe, free slots, migration. */
import { beforeAll, describe, expect, it } from 'vitest';
import { createAppointment } from '../../src/clinic/appointments.js';
import { createPatient } from '../../src/clinic/patients.js';
import { addDays, todayIn } from '../../src/clinic/time.js';
import { runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';

const SP = 'America/Sao_Paulo';
let d = addDays(todayIn(SP), 21);
while (new Date(`${d}T12:00:00Z`).getUTCDay() !== 1) d = addDays(d, 1);
const mon = d;
const closed = addDays(mon, 2);

const stack = useTestStack({
  config: {
    clinic: {
      name: 'Clínica CLI',
      hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '18:00' }],
      closures: [closed],
    },
  },
});
let p1: string;
let p2: string;
const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir });
const firstLine = (stderr: string) => stderr.trim().split('\n')[0];

beforeAll(async () => {
  p1 = (await createPatient(stack.dataStore, { fullName: 'Paciente Um', birthDate: '1980-01-01' }, 'test:setup')).id;
  p2 = (await createPatient(stack.dataStore, { fullName: 'Paciente Dois', birthDate: '1980-01-01' }, 'test:setup')).id;
});

describe('clinica dentists / chairs / appointments rules (built CLI)', { timeout: 120_000 }, () => {
  it('migrate (run twice), then add, list, show, update, deactivate', async () => {
    // an earlier agenda: a free-text dentist, booked before any record existed
    await createAppointment(stack.dataStore, { patientId: p1, dentist: 'Dra. Antiga', at: `${addDays(mon, 7)} 09:00`, durationMinutes: 30 }, 'test:setup', { timeZone: SP });
    const first = await cli('dentists', 'migrate');
    expect([first.code, first.stdout]).toEqual([0, expect.stringContaining('recorded Dra. Antiga')]);
    const again = await cli('dentists', 'migrate', '--json');
    expect(JSON.parse(again.stdout)).toMatchObject({ created: [], linked: 0, failed: [] });

    const add = await cli('dentists', 'add', 'Dra. Ana Souza', '--cro', 'CRO-SP 12345', '--specialty', 'ortodontia', '--hours', 'mon-fri 08:00-12:00,13:00-18:00', '--json');
    expect(add.code).toBe(0);
    const ana = JSON.parse(add.stdout).dentist;
    expect(ana).toMatchObject({ name: 'Dra. Ana Souza', cro: 'CRO-SP 12345', hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '12:00' }, { open: '13:00', close: '18:00' }] });
    expect((await cli('dentists', 'add', 'Dra. Ana Paula')).code).toBe(0);
    const dup = await cli('dentists', 'add', 'dra ana souza');
    expect([dup.code, firstLine(dup.stderr)]).toEqual([1, expect.stringContaining('already recorded')]);
    const badHours = await cli('dentists', 'add', 'Dr. X', '--hours', 'someday 8-9');
    expect([badHours.code, firstLine(badHours.stderr)]).toEqual([2, expect.stringContaining('hours: "someday 8-9" is not working hours')]);
    const table = await cli('dentists', 'list');
    expect(table.stdout).toContain('CRO-SP 12345');
    expect(table.stdout).toContain('Dra. Antiga');
    const show = await cli('dentists', 'show', 'Ana Souza');
    expect(show.stdout).toContain(ana.id);
    const upd = await cli('dentists', 'update', ana.id, '--specialty', '', '--color', '#aa0000', '--json');
    expect(JSON.parse(upd.stdout).dentist).toMatchObject({ color: '#aa0000' });
    expect(JSON.parse(upd.stdout).dentist.specialty).toBeUndefined();
    expect((await cli('dentists', 'deactivate', 'Antiga')).code).toBe(0);
    expect(JSON.parse((await cli('dentists', 'list', '--json')).stdout).dentists).toHaveLength(2);
    expect((await cli('chairs', 'add', 'Cadeira 1')).code).toBe(0);
  });

  it('each refusal: its exit code and one line; an encaixe says what it overrode', async () => {
    const add = (...more: string[]) => cli('appointments', 'add', '--duration', '30', ...more);
    const ok = await add('--patient', p1, '--dentist', 'Ana Souza', '--at', `${mon} 09:00`, '--chair', 'Cadeira 1');
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    const cases: [string[], number, RegExp][] = [
      [['--patient', p2, '--dentist', 'Dra. Ana', '--at', `${mon} 10:00`], 2, /matches 2 dentists: .*Dra\. Ana Paula.*Dra\. Ana Souza/],
      [['--patient', p2, '--dentist', 'Dr. Ninguém', '--at', `${mon} 10:00`], 2, /no active dentist matches "Dr\. Ninguém"; the dentists are: /],
      [['--patient', p2, '--dentist', 'Antiga', '--at', `${mon} 10:00`], 2, /is no longer active/],
      [['--patient', p2, '--dentist', 'Ana Souza', '--at', `${mon} 09:15`], 1, /Dra\. Ana Souza is already booked on .* from 09:00 to 09:30/],
      [['--patient', p1, '--dentist', 'Ana Paula', '--at', `${mon} 09:15`], 1, /already has an appointment/],
      [['--patient', p2, '--dentist', 'Ana Paula', '--at', `${mon} 09:15`, '--chair', 'cadeira 1'], 1, /Chair Cadeira 1 is already taken/],
      [['--patient', p2, '--dentist', 'Ana Paula', '--at', `${mon} 18:00`], 2, /The clinic is not open on .* from 18:00 to 18:30/],
      [['--patient', p2, '--dentist', 'Ana Souza', '--at', `${mon} 12:00`], 2, /Dra\. Ana Souza does not work on .* from 12:00 to 12:30/],
      [['--patient', p2, '--dentist', 'Ana Souza', '--at', `${closed} 10:00`], 2, /The clinic is closed on/],
    ];
    for (const [args, code, message] of cases) {
      const r = await add(...args);
      expect([r.code, firstLine(r.stderr)], args.join(' ')).toEqual([code, expect.stringMatching(message)]);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
    const forced = await add('--patient', p2, '--dentist', 'Ana Souza', '--at', `${mon} 09:00`, '--force');
    expect(forced.code).toBe(0);
    expect(forced.stdout).toContain('(encaixe)');
    expect(forced.stdout).toMatch(/Encaixe\s+overrode overlap/);
  });

  it('appointments free: table and --json [{ dentistId, start, end }]', async () => {
    const r = await cli('appointments', 'free', '--date', mon, '--dentist', 'Ana Souza', '--duration', '60', '--json');
    expect(r.code).toBe(0);
    const slots = JSON.parse(r.stdout) as { dentistId: string; start: string; end: string }[];
    expect(slots.map((s) => s.start.slice(11, 16))).toEqual(['08:00', '09:30', '10:30', '13:00', '14:00', '15:00', '16:00', '17:00']);
    expect(Object.keys(slots[0]!).sort()).toEqual(['dentistId', 'end', 'start']);
    const table = await cli('appointments', 'free', '--date', mon, '--limit', '3');
    expect(table.stdout).toContain('Dra. Ana Paula');
    expect(table.stderr + table.stdout).toContain('the first 3');
  });
});
