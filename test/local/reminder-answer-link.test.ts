/**
 * Every reminder e-mail carries the patient's answer link, and under the local stack that link opens the
 * answer page served on its own port (the same handler as the function URL's Lambda), over real HTTP.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getAppointment } from '../../src/clinic/appointments.js';
import { patientAnswersComponent } from '../../src/local/patient-answers.js';
import { runLocalReminders } from '../../src/local/reminders-timer.js';
import { readOutbox } from '../../src/local/ses-server.js';
import { useTestStack } from '../helpers/stack.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';
import { tamper } from '../helpers/tamper.js';

const stack = useTestStack({ publish: false });
let stopPage: (() => Promise<void>) | undefined;

beforeAll(async () => {
  const started = await patientAnswersComponent.start(stack);
  stopPage = started?.stop;
  expect(started?.urls?.[0]?.name).toBe('Patient answer page');
});
afterAll(async () => {
  await stopPage?.();
});

describe('the answer link in the reminder', () => {
  it('is in the e-mail (text and HTML), carries no name or phone, and confirms over HTTP', async () => {
    const patient = await addPatient(stack.dataStore, { fullName: 'Lúcia Ferreira', email: 'lucia@example.com', phone: '+55 11 98888-7777' });
    const appt = await book(stack.dataStore, patient.id, '2030-03-12 15:00');
    const summary = await runLocalReminders(stack, sp('2030-03-11 10:00'));
    expect(summary.sent).toBe(1);
    const [mail] = (await readOutbox(stack.ses.endpoint)).filter((m) => m.destination.to.includes('lucia@example.com'));
    const page = stack.endpoints.extra.answers!;
    const link = new RegExp(`${page.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}\\?t=[^\\s"<]+`).exec(mail!.body.text ?? '')?.[0];
    expect(link).toBeDefined();
    expect(mail!.body.html).toContain(`href="${link!.replace(/&/g, '&amp;')}"`);
    expect(link).toContain(appt.id);
    expect(link).not.toMatch(/L%C3%BAcia|Ferreira|98888/);

    const shown = await fetch(link!);
    expect(shown.status).toBe(200);
    expect(shown.headers.get('set-cookie')).toBeNull();
    expect(await shown.text()).toContain('Olá, Lúcia!');
    const token = new URL(link!).searchParams.get('t')!;
    const answered = await fetch(page, { method: 'POST', body: new URLSearchParams({ t: token, action: 'confirm' }) });
    expect(answered.status).toBe(200);
    expect(await answered.text()).toContain('Consulta confirmada');
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('confirmed');
    const tampered = await fetch(`${page}?t=${tamper(token)}`);
    expect(tampered.status).toBe(400);
  });
});
