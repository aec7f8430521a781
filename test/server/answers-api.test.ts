/** The patients' answers through the staff API (real HTTP, local S3): the list, the phone for a reschedule, seen. */
import { describe, expect, it } from 'vitest';
import { answerLinkFor } from '../../src/clinic/answer-link.js';
import { addDays, todayIn } from '../../src/clinic/time.js';
import { recordPatientAnswer } from '../../src/clinic/patient-answers.js';
import { storeTextReply } from '../../src/clinic/whatsapp-replies.js';
import { useServerHarness } from './harness.js';
import { addPatient, book } from '../helpers/reminder-seed.js';

const h = useServerHarness({});

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
    expect(list.body.answers.map((x: { id: string; appointmentId: string; action: string; phone?: string }) => [x.id, x.appointmentId, x.action, x.phone])).toEqual([
      [a2.id, a2.id, 'reschedule', rui.phone],
      [a1.id, a1.id, 'confirm', undefined],
    ]);
    const seen = await h.call('POST', `/api/answers/${a2.id}/seen`, { token: h.tokens.reception });
    expect(seen.status).toBe(200);
    expect(seen.body.answer.seen.by).toMatch(/^staff:/);
    const after = await h.call('GET', '/api/answers?unseen=1', { token: h.tokens.reception });
    expect(after.body.answers.map((x: { appointmentId: string }) => x.appointmentId)).toEqual([a1.id]);
    expect((await h.call('POST', '/api/answers/A-20300101-nope00/seen', { token: h.tokens.reception })).status).toBe(404);
  });

  it('lists free-text WhatsApp messages with their text, the number to answer and an id that marks them seen', async () => {
    const day = addDays(todayIn('America/Sao_Paulo'), 6);
    const eva = await addPatient(h.stack.dataStore, { fullName: 'Eva Escreve', phone: '+55 11 93333-3333' });
    const a = await book(h.stack.dataStore, eva.id, `${day} 11:00`);
    const now = new Date();
    await storeTextReply(h.stack.dataStore, { messageId: 'wamid.eva-1', from: '5511933333333', text: 'Posso levar meu filho?', at: now }, now);
    await storeTextReply(h.stack.dataStore, { messageId: 'wamid.stranger-1', from: '5521988887777', text: '<b>oi</b>', at: new Date(now.getTime() + 1000) }, now);

    const list = await h.call('GET', '/api/answers?unseen=1', { token: h.tokens.reception });
    const messages = list.body.answers.filter((x: { action: string }) => x.action === 'message');
    expect(messages.map((x: { id: string; appointmentId: string; patientName?: string; text: string; phone: string }) => [x.appointmentId, x.patientName, x.text, x.phone])).toEqual([
      ['', undefined, '<b>oi</b>', '+5521988887777'],
      [a.id, 'Eva Escreve', 'Posso levar meu filho?', eva.phone],
    ]);
    for (const m of messages) expect(m.id).toMatch(/^m-[0-9a-f]{32}$/);
    const seen = await h.call('POST', `/api/answers/${messages[1].id}/seen`, { token: h.tokens.reception });
    expect(seen.status).toBe(200);
    expect(seen.body.answer.text).toBe('Posso levar meu filho?');
    const after = await h.call('GET', '/api/answers?unseen=1', { token: h.tokens.reception });
    expect(after.body.answers.map((x: { id: string }) => x.id)).toContain(messages[0].id);
    expect(after.body.answers.map((x: { id: string }) => x.id)).not.toContain(messages[1].id);
    // anything else is no answer: not a way to reach another key
    for (const bad of ['m-123', 'm-..%2F..%2Fpatients%2Fx', 'messages%2Fabc']) expect((await h.call('POST', `/api/answers/${bad}/seen`, { token: h.tokens.reception })).status).toBe(404);
  });
});
