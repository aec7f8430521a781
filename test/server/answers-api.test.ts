/** The patients' answers through the staff API (real HTTP, local S3): the list, the phone for a reschedule, seen. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerLinkFor } from '../../src/clinic/answer-link.js';
import { addDays, todayIn } from '../../src/clinic/time.js';
import { recordPatientAnswer } from '../../src/clinic/patient-answers.js';
import { startServerHarness, type ServerHarness } from './harness.js';
import { addPatient, book } from '../helpers/reminder-seed.js';

let h: ServerHarness;
beforeAll(async () => {
  h = await startServerHarness({});
});
afterAll(async () => {
  await h?.close();
});

describe('GET /api/answers', () => {
  it('lists the answers newest first, with the phone only for a reschedule; marking seen takes it off the unseen list', async () => {
    const day = addDays(todayIn('America/Sao_Paulo'), 5);
    const ana = await addPatient(h.stack.dataStore, { fullName: 'Ana Confirma', phone: '+55 11 91111-1111' });
    const rui = await addPatient(h.stack.dataStore, { fullName: 'Rui Remarca', phone: '+55 11 92222-2222' });
    const a1 = await book(h.stack.dataStore, ana.id, `${day} 09:00`);
    const a2 = await book(h.stack.dataStore, rui.id, `${day} 10:00`);
    const token = async (a: { id: string; start: string }) => new URL(await answerLinkFor(h.stack.dataStore, 'http://page.test/', a)).searchParams.get('t')!;
    await recordPatientAnswer(h.stack.dataStore, await token(a1), { action: 'confirm' }, new Date(Date.now() - 60_000));
    await recordPatientAnswer(h.stack.dataStore, await token(a2), { action: 'reschedule' });

    const list = await h.call('GET', '/api/answers?unseen=1', { token: h.tokens.reception });
    expect(list.status).toBe(200);
    expect(list.body.unseen).toBe(2);
    expect(list.body.answers.map((x: { appointmentId: string; action: string; phone?: string }) => [x.appointmentId, x.action, x.phone])).toEqual([
      [a2.id, 'reschedule', rui.phone],
      [a1.id, 'confirm', undefined],
    ]);
    const seen = await h.call('POST', `/api/answers/${a2.id}/seen`, { token: h.tokens.reception });
    expect(seen.status).toBe(200);
    expect(seen.body.answer.seen.by).toMatch(/^staff:/);
    const after = await h.call('GET', '/api/answers?unseen=1', { token: h.tokens.reception });
    expect(after.body.answers.map((x: { appointmentId: string }) => x.appointmentId)).toEqual([a1.id]);
    expect((await h.call('POST', '/api/answers/A-20300101-nope00/seen', { token: h.tokens.reception })).status).toBe(404);
  });
});
