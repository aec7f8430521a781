/** WhatsApp consent through the built CLI (bin/clinica.js → dist/) against a real local stack: run `npm run build` first. */
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();
const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir });

describe('patients add|update --whatsapp-reminders (built CLI)', { timeout: 120_000 }, () => {
  it('refuses yes for a phone without its area code in one line naming --phone, exit 2; records yes and no with who and when', async () => {
    const bad = await cli('patients', 'add', '--name', 'Wagner Sem DDD', '--birth-date', '1990-01-01', '--phone', '98765-4321', '--whatsapp-reminders', 'sim');
    expect(bad.code).toBe(2);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^clinica: --phone: "98765-4321" has no area code \(DDD\)/);
    expect((await cli('patients', 'list', '--search', 'wagner', '--json')).stdout.trim()).toBe('[]');

    const add = await cli('patients', 'add', '--name', 'Wagner Com DDD', '--birth-date', '1990-01-01', '--phone', '(11) 98765-4321', '--whatsapp-reminders', 'sim', '--json');
    expect(add.code).toBe(0);
    const { patient } = JSON.parse(add.stdout) as { patient: { id: string; phone: string; consent: { emailReminders: boolean; whatsapp: { reminders: boolean; recordedBy: string } } } };
    expect(patient.phone).toBe('+5511987654321');
    expect(patient.consent.emailReminders).toBe(false);
    expect(patient.consent.whatsapp).toMatchObject({ reminders: true });
    const show = await cli('patients', 'show', patient.id);
    expect(show.stdout).toMatch(/WhatsApp reminders\s+yes \(recorded /);

    const off = await cli('patients', 'update', patient.id, '--whatsapp-reminders', 'não', '--json');
    expect(off.code).toBe(0);
    expect((JSON.parse(off.stdout) as { patient: typeof patient }).patient.consent.whatsapp.reminders).toBe(false);
  });
});
