/**
 * The patients' answer page over the real local S3: the signed link, confirm / cancel / reschedule, a second
 * click, tampered and expired links, the languages, and what the page must never show or set.
 */
import { describe, expect, it } from 'vitest';
import { answerLinkKey, signAnswerToken, verifyAnswerToken } from '../../src/clinic/answer-link.js';
import { getAppointment, setAppointmentStatus } from '../../src/clinic/appointments.js';
import { listAudit } from '../../src/clinic/audit.js';
import { answerKey, type PatientAnswer } from '../../src/clinic/patient-answers.js';
import { defaultConfigInput } from '../../src/config/load.js';
import { memoryLog } from '../../src/log.js';
import { handleAnswerRequest, type FunctionUrlEvent } from '../../src/lambdas/patient-answers.js';
import { useTestStack } from '../helpers/stack.js';
import { addPatient, book, sp } from '../helpers/reminder-seed.js';
import { tamper } from '../helpers/tamper.js';

const now = sp('2030-03-10 10:00');

const stack = useTestStack({ publish: false, config: { clinic: { ...defaultConfigInput.clinic, name: 'Clínica Sorriso', address: 'Rua das Flores, 10', phone: '+55 11 3333-4444', timeZone: 'America/Sao_Paulo' } } });

const deps = () => ({ store: stack.dataStore, config: stack.config, log: memoryLog(), now: () => now });
const get = (t: string, headers: Record<string, string> = {}) =>
  handleAnswerRequest({ rawQueryString: `t=${encodeURIComponent(t)}`, headers, requestContext: { http: { method: 'GET' } } }, deps());
const post = (form: Record<string, string>): Promise<Awaited<ReturnType<typeof handleAnswerRequest>>> => {
  const event: FunctionUrlEvent = {
    requestContext: { http: { method: 'POST' } },
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: Buffer.from(new URLSearchParams(form).toString()).toString('base64'),
    isBase64Encoded: true,
  };
  return handleAnswerRequest(event, deps());
};

async function bookWithLink(name: string, language?: 'en') {
  const patient = await addPatient(stack.dataStore, { fullName: name, cpf: undefined, phone: '+55 11 98765-4321', ...(language ? { language } : {}) });
  const appt = await book(stack.dataStore, patient.id, '2030-03-11 14:30');
  const token = signAnswerToken(await answerLinkKey(stack.dataStore), appt.id, new Date(appt.start));
  return { patient, appt, token };
}

describe('the answer link', () => {
  it('round-trips, and refuses a changed id, a changed expiry or a changed MAC', async () => {
    const key = await answerLinkKey(stack.dataStore);
    const token = signAnswerToken(key, 'A-20300311-abc123', sp('2030-03-11 14:30'));
    expect(verifyAnswerToken(key, token, now).appointmentId).toBe('A-20300311-abc123');
    const [id, exp, mac] = token.split('.');
    for (const bad of [`A-20300311-abc124.${exp}.${mac}`, `${id}.${(parseInt(exp!, 36) + 3600).toString(36)}.${mac}`, tamper(token), '', 'x']) {
      expect(() => verifyAnswerToken(key, bad, now)).toThrow(expect.objectContaining({ reason: 'token-invalid' }));
    }
    expect(() => verifyAnswerToken(key, token, sp('2030-03-11 14:30'))).toThrow(expect.objectContaining({ reason: 'token-expired' }));
  });

  it('is one key for the bucket, kept across callers', async () => {
    const a = await answerLinkKey(stack.dataStore);
    const stored = await stack.dataStore.getJson<{ key: string }>('keys/answer-link.json');
    expect(Buffer.from(stored!.value.key, 'base64').equals(a)).toBe(true);
    expect(a.length).toBe(32);
  });
});

describe('the answer page', () => {
  it('shows only the first name, date, time, dentist and the clinic, in pt-BR, with no cookie and the CSP', async () => {
    const { token } = await bookWithLink('Mariana Souza Prado');
    const res = await get(token);
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('Olá, Mariana!');
    expect(res.body).not.toContain('Souza');
    expect(res.body).not.toContain('98765');
    expect(res.body).not.toContain('canal');
    expect(res.body).toContain('14:30');
    expect(res.body).toContain('Dra. Ana Lima');
    expect(res.body).toContain('Rua das Flores, 10');
    expect(res.body).toContain('Confirmar presença');
    expect(res.body).not.toMatch(/<script|https?:\/\//);
    expect(Object.keys(res.headers).map((h) => h.toLowerCase())).not.toContain('set-cookie');
    expect(res.headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-[^']+'; base-uri 'none'; form-action 'self'/);
  });

  it('confirms: the appointment is confirmed by the patient, audited so, and a second click says it was done', async () => {
    const { patient, appt, token } = await bookWithLink('Joana Dias');
    const first = await post({ t: token, action: 'confirm' });
    expect(first.statusCode).toBe(200);
    expect(first.body).toContain('Consulta confirmada');
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('confirmed');
    const trail = await listAudit(stack.dataStore, { patientId: patient.id });
    expect(trail.find((e) => e.action === 'appointment.confirm')?.actor).toBe(`patient:${patient.id}`);
    const stored = await stack.dataStore.getJson<PatientAnswer>(answerKey(appt.id));
    expect(stored?.value).toMatchObject({ action: 'confirm', channel: 'link', at: now.toISOString(), patientId: patient.id });

    const second = await post({ t: token, action: 'cancel' });
    expect(second.statusCode).toBe(200);
    expect(second.body).toContain('Você já confirmou esta consulta');
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('confirmed');
    expect((await get(token)).body).not.toContain('<form');
  });

  it('cancels with a reason: the slot is freed and the reason kept; in English for an English patient', async () => {
    const { patient, appt, token } = await bookWithLink('Peter Hall', 'en');
    expect((await get(token)).body).toContain('Hello, Peter!');
    const res = await post({ t: token, action: 'cancel', reason: 'travelling\u0007 that week' });
    expect(res.body).toContain('Appointment cancelled');
    const after = (await getAppointment(stack.dataStore, appt.id)).appointment;
    expect(after.status).toBe('cancelled');
    expect(after.notes).toContain('pelo paciente');
    const trail = await listAudit(stack.dataStore, { patientId: patient.id });
    expect(trail.find((e) => e.action === 'appointment.cancel')?.actor).toBe(`patient:${patient.id}`);
    expect((await stack.dataStore.getJson<PatientAnswer>(answerKey(appt.id)))?.value.reason).toBe('travelling that week');
  });

  it('once the patient has arrived ("chegou"): no form, a stale cancel or reschedule is a clear 409, a confirm is harmless', async () => {
    // arrived is set on the appointment's own day: this one is later today
    const patient = await addPatient(stack.dataStore, { fullName: 'Célia Chegou', phone: '+55 11 98765-1111' });
    const appt = await book(stack.dataStore, patient.id, '2030-03-10 16:00');
    const token = signAnswerToken(await answerLinkKey(stack.dataStore), appt.id, new Date(appt.start));
    await setAppointmentStatus(stack.dataStore, appt.id, 'arrived', 'staff:recepcao', { now });

    const page = await get(token);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('A recepção já registrou a sua chegada');
    expect(page.body).not.toContain('<form');
    for (const action of ['cancel', 'reschedule']) {
      const res = await post({ t: token, action, reason: 'desisti' });
      expect(res.statusCode).toBe(409);
      expect(res.body).toContain('A recepção já registrou a sua chegada');
      expect(res.body).not.toMatch(/Error|stack/);
    }
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('arrived');
    expect(await stack.dataStore.getJson(answerKey(appt.id))).toBeUndefined();
    const confirmed = await post({ t: token, action: 'confirm' });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.body).toContain('Consulta confirmada');
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('arrived');
  });

  it('a reschedule request changes nothing on the agenda', async () => {
    const { appt, token } = await bookWithLink('Rita Alves');
    const res = await post({ t: token, action: 'reschedule' });
    expect(res.body).toContain('a clínica vai entrar em contato');
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('scheduled');
  });

  it('tampered → 400, expired or begun → 410, each a clear page without a trace; bad link in the browser language', async () => {
    const { appt, token } = await bookWithLink('Beatriz Lima');
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    const bad = await get(tampered);
    expect(bad.statusCode).toBe(400);
    expect(bad.body).toContain('Este link não é válido');
    expect(bad.body).not.toMatch(/Error|at .*\.js/);
    expect((await get(tampered, { 'accept-language': 'en-US,en;q=0.9' })).body).toContain('This link is not valid');
    const expired = signAnswerToken(await answerLinkKey(stack.dataStore), appt.id, new Date(now.getTime() - 1000));
    const gone = await get(expired);
    expect(gone.statusCode).toBe(410);
    expect(gone.body).toContain('Este link expirou');
    const late = await handleAnswerRequest({ rawQueryString: `t=${token}`, requestContext: { http: { method: 'GET' } } }, { ...deps(), now: () => new Date(appt.start) });
    expect(late.statusCode).toBe(410);
    expect((await post({ t: token, action: 'delete' })).statusCode).toBe(409);
    expect((await getAppointment(stack.dataStore, appt.id)).appointment.status).toBe('scheduled');
  });
});
