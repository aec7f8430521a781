import { describe, expect, it } from 'vitest';
import { demoClinicSeeder } from '../../src/local/demo-clinic.js';
import { demoRemindersSeeder } from '../../src/local/demo-reminders.js';
import { seeders } from '../../src/local/demo.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { useTestStack } from '../helpers/stack.js';
import { sp } from '../helpers/reminder-seed.js';

const stack = useTestStack({ publish: false });

describe('dev --demo reminders', () => {
  it('runs after the demo patients and appointments', () => {
    expect(seeders.indexOf(demoRemindersSeeder)).toBeGreaterThan(seeders.indexOf(demoClinicSeeder));
  });

  it("sends the demo appointments' reminders to the local outbox, once — even when seeded at night", async () => {
    // quiet hours: the demo runs as of 09:00 (today's demo appointments are from 09:00 on, tomorrow's at fixed times)
    const night = sp('2030-03-11 03:00');
    await demoClinicSeeder.seed(stack, night);
    const first = await demoRemindersSeeder.seed(stack, night);
    expect(first.summary).toMatch(/^2 e-mails sent to the outbox as of 09:00 \(skipped: .*no-consent 5/);
    const outbox = await readOutbox(stack.ses.endpoint);
    expect(outbox.flatMap((m) => m.destination.to).sort()).toEqual(['carla.amostra@example.com', 'maria.exemplo@example.com']);
    const to = (address: string) => outbox.find((m) => m.destination.to.includes(address))!;
    expect(to('maria.exemplo@example.com').subject).toMatch(/^Lembrete: sua consulta amanhã, 12\/03/);
    // Pedro is a child: the e-mail goes to his mother's address, so it greets her and names his appointment
    expect(to('carla.amostra@example.com').subject).toMatch(/^Lembrete: consulta de Pedro amanhã, 12\/03/);
    expect(to('carla.amostra@example.com').body.text).toMatch(/^Olá, Carla!\n\nEste é um lembrete da consulta de Pedro na Clínica Sorriso \(demo\):\n/);
    const again = await demoRemindersSeeder.seed(stack, night);
    expect(again.summary).toMatch(/^0 e-mails sent/);
    expect(await readOutbox(stack.ses.endpoint)).toHaveLength(2);
  });
});
