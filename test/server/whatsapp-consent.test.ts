/** WhatsApp consent through the staff API (what the patient form sends), over real HTTP against the local S3. */
import { describe, expect, it } from 'vitest';
import { useServerHarness } from './harness.js';

const h = useServerHarness();

describe('whatsappReminders on the patient API', () => {
  it('records consent by the staff member; a phone without its area code is refused naming phone', async () => {
    const bad = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Wanda Sem DDD', birthDate: '1980-05-17', phone: '98765-4321', whatsappReminders: true } });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ field: 'phone', reason: 'phone-no-area-code' });

    const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Wanda Zap', birthDate: '1980-05-17', phone: '(21) 98765-4321', whatsappReminders: true } });
    expect(r.status).toBe(201);
    expect(r.body.patient.consent.whatsapp).toMatchObject({ reminders: true, recordedBy: `staff:${h.ids.reception}` });

    const read = await h.call('GET', `/api/patients/${r.body.patient.id}`, { token: h.tokens.reception });
    const off = await h.call('PATCH', `/api/patients/${r.body.patient.id}`, { token: h.tokens.reception, headers: { 'if-match': read.body.etag }, body: { whatsappReminders: false } });
    expect(off.status).toBe(200);
    expect(off.body.patient.consent.whatsapp.reminders).toBe(false);
  });
});
