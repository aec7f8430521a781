/** The API over real HTTP against the local S3: every route, the error shape, roles, conflicts, audit. */
import { beforeAll, describe, expect, it } from 'vitest';
import { generateCpf } from '../../src/clinic/cpf.js';
import { createAppointment, getAppointment } from '../../src/clinic/appointments.js';
import { listAudit } from '../../src/clinic/audit.js';
import { anonymizePatient } from '../../src/clinic/lgpd.js';
import { COUNTER_KEY } from '../../src/clinic/patients.js';
import { recordS3Calls } from '../helpers/s3-calls.js';
import { useServerHarness, type ServerHarness } from './harness.js';

/** A clinic-local date `days` from today (São Paulo), YYYY-MM-DD. */
function clinicDate(days: number): string {
  const d = new Date(Date.now() + days * 86_400_000);
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'America/Sao_Paulo', year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
}

const h = useServerHarness();

describe('health, page and headers', () => {
  it('GET /health needs no login and reports version, uptime and S3', async () => {
    const r = await h.call('GET', '/health');
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ status: 'ok', version: 'test', s3: { reachable: true } });
    expect(typeof r.body.uptimeSeconds).toBe('number');
  });

  it('sends security headers on every response: CSP without inline script, nosniff, frame deny, referrer policy', async () => {
    for (const path of ['/health', '/', '/api/patients', '/nope']) {
      const r = await h.call('GET', path);
      const csp = String(r.headers['content-security-policy']);
      expect(csp).toContain("script-src 'self'");
      expect(csp).not.toContain('unsafe-inline');
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain(new URL(h.stack.s3.endpoint).origin); // presigned images and uploads
      expect(r.headers['x-content-type-options']).toBe('nosniff');
      expect(r.headers['x-frame-options']).toBe('DENY');
      expect(r.headers['referrer-policy']).toBe('no-referrer');
      expect(r.headers['x-request-id']).toBeTruthy();
    }
  });

  it('serves the staff page at / with the clinic locale, and its script and styles', async () => {
    const page = await h.call('GET', '/');
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/text\/html/);
    expect(page.text).toContain('<html lang="pt-BR"');
    expect(page.text).toContain('data-clinic="Clínica Sorriso (demo)"');
    expect(page.text).not.toMatch(/<script>(?!\s*<\/script>)/); // no inline script
    const js = await h.call('GET', '/app.js');
    expect(js.headers['content-type']).toMatch(/javascript/);
    const css = await h.call('GET', '/app.css');
    expect(css.headers['content-type']).toMatch(/text\/css/);
    const again = await h.call('GET', '/app.js', { headers: { 'if-none-match': String(js.headers.etag) } });
    expect(again.status).toBe(304);
  });

  it('answers unknown endpoints and methods with the stable error shape', async () => {
    const missing = await h.call('GET', '/api/nothing', { token: h.tokens.admin });
    expect(missing.status).toBe(404);
    expect(missing.body).toEqual({ error: { code: 'not-found', reason: 'endpoint-not-found', message: expect.any(String) } });
    const method = await h.call('DELETE', '/api/patients', { token: h.tokens.admin });
    expect(method.status).toBe(405);
    expect(method.headers.allow).toContain('GET');
    expect(method.body.error.code).toBe('method-not-allowed');
  });
});

describe('login and tokens', () => {
  it('refuses a missing or wrong token with 401', async () => {
    const none = await h.call('GET', '/api/me');
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe('unauthorized');
    const wrong = await h.call('GET', '/api/me', { token: `${h.ids.admin}.${'x'.repeat(43)}` });
    expect(wrong.status).toBe(401);
    const junk = await h.call('POST', '/api/login', { body: { token: 'not-a-token' } });
    expect(junk.status).toBe(401);
  });

  it('logs in with a staff token and tells the role and permissions', async () => {
    const r = await h.call('POST', '/api/login', { body: { token: h.tokens.reception } });
    expect(r.status).toBe(200);
    expect(r.body.staff).toMatchObject({ id: h.ids.reception, role: 'reception', name: 'Test reception' });
    expect(r.body.staff.tokenHash).toBeUndefined();
    expect(r.body.permissions).toEqual(['patients', 'appointments']);
    const me = await h.call('GET', '/api/me', { token: h.tokens.admin });
    expect(me.body.permissions).toEqual(['patients', 'appointments', 'images', 'staff', 'audit']);
  });
});

describe('patients', () => {
  let id: string;
  let etag: string;
  const cpf = generateCpf(424242);

  it('creates a patient (201) with the staff identity in the audit log', async () => {
    const r = await h.call('POST', '/api/patients', {
      token: h.tokens.reception,
      body: { fullName: 'João da Silva Teste', birthDate: '1980-05-17', cpf, phone: '+55 11 98765-4321', alerts: ['penicilina'], emailReminders: true },
    });
    expect(r.status).toBe(201);
    expect(r.body.patient).toMatchObject({ fullName: 'João da Silva Teste', cpf, status: 'active', alerts: ['penicilina'] });
    expect(r.body.patient.consent).toMatchObject({ emailReminders: true, recordedBy: `staff:${h.ids.reception}` });
    expect(r.headers.location).toBe(`/api/patients/${r.body.patient.id}`);
    id = r.body.patient.id;
  });

  it('searches accent-insensitively and masks the CPF in lists', async () => {
    const r = await h.call('GET', '/api/patients?search=joao%20silva', { token: h.tokens.reception });
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(1);
    expect(r.body.patients[0]).toMatchObject({ id, fullName: 'João da Silva Teste' });
    expect(r.body.patients[0].cpf).toBe(`***.${cpf.slice(3, 6)}.${cpf.slice(6, 9)}-**`);
    // the phone as the patient says it, area code first
    const byPhone = await h.call('GET', `/api/patients?search=${encodeURIComponent('(11) 98765-4321')}`, { token: h.tokens.reception });
    expect(byPhone.body.patients.map((p: { id: string }) => p.id)).toEqual([id]);
    const none = await h.call('GET', '/api/patients?search=zzzz', { token: h.tokens.reception });
    expect(none.body).toMatchObject({ total: 0, patients: [] });
    const all = await h.call('GET', '/api/patients?search=', { token: h.tokens.reception });
    expect(all.body.total).toBeGreaterThanOrEqual(1);
  });

  it('reads the full record (with appointments and an ETag) and audits the read', async () => {
    // the S3 calls the read makes: its record and appointment list, not an image LIST (the page lists them itself)
    // (and, at most once a second, the LIST of the change markers: patient-records.ts)
    const reads = (calls: { command: string; key?: string; prefix?: string }[]) =>
      calls.map((c) => `${c.command} ${c.key ?? c.prefix}`).filter((c) => / (patients|index|images)\//.test(c) && !c.includes('index/patient-changes/')).sort();
    const { result: r, calls } = await recordS3Calls(h.stack.dataStore.s3, () => h.call('GET', `/api/patients/${id}`, { token: h.tokens.dentist }));
    expect(reads(calls)).toEqual([`GetObjectCommand index/appointments-by-patient/${id}.json`, `GetObjectCommand patients/${id}.json`]);
    // opened again: the same answer from the server's memory, no S3 read, audited again
    const again = await recordS3Calls(h.stack.dataStore.s3, () => h.call('GET', `/api/patients/${id}`, { token: h.tokens.dentist }));
    expect(reads(again.calls)).toEqual([]);
    expect(again.result.body).toEqual(r.body);
    expect(r.body).not.toHaveProperty('imageCount');
    expect(r.status).toBe(200);
    expect(r.body.patient.cpf).toBe(cpf);
    expect(r.body.appointments).toEqual([]);
    expect(r.headers.etag).toBe(r.body.etag);
    etag = r.body.etag;
    const entries = await listAudit(h.stack.dataStore, { patientId: id });
    expect(entries.map((e) => [e.action, e.actor])).toEqual(
      expect.arrayContaining([
        ['patient.create', `staff:${h.ids.reception}`],
        ['patient.read', `staff:${h.ids.dentist}`],
      ]),
    );
    expect(entries.filter((e) => e.action === 'patient.read' && e.actor === `staff:${h.ids.dentist}`)).toHaveLength(2);
  });

  it('updates with If-Match, and answers 409 to a stale ETag without overwriting', async () => {
    const ok = await h.call('PATCH', `/api/patients/${id}`, { token: h.tokens.reception, headers: { 'if-match': etag }, body: { preferredName: 'Jota', email: 'JOTA@example.com' } });
    expect(ok.status).toBe(200);
    expect(ok.body.patient).toMatchObject({ preferredName: 'Jota', email: 'jota@example.com', version: 2 });
    const stale = await h.call('PATCH', `/api/patients/${id}`, { token: h.tokens.reception, headers: { 'if-match': etag }, body: { preferredName: 'Lost' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error.code).toBe('conflict');
    const now = await h.call('GET', `/api/patients/${id}`, { token: h.tokens.reception });
    expect(now.body.patient.preferredName).toBe('Jota');
    const clear = await h.call('PATCH', `/api/patients/${id}`, { token: h.tokens.reception, headers: { 'if-match': now.body.etag }, body: { email: null } });
    expect(clear.status).toBe(200);
    expect(clear.body.patient.email).toBeUndefined();
  });

  it('refuses an update without If-Match (428, the stable shape) and changes nothing', async () => {
    const before = await h.call('GET', `/api/patients/${id}`, { token: h.tokens.reception });
    const r = await h.call('PATCH', `/api/patients/${id}`, { token: h.tokens.reception, body: { preferredName: 'Sem ETag' } });
    expect(r.status).toBe(428);
    expect(r.body).toEqual({ error: { code: 'precondition-required', reason: 'if-match-required', field: 'If-Match', message: expect.stringContaining('If-Match') } });
    const blank = await h.call('PATCH', `/api/patients/${id}`, { token: h.tokens.reception, headers: { 'if-match': ' ' }, body: { preferredName: 'Sem ETag' } });
    expect(blank.status).toBe(428);
    const after = await h.call('GET', `/api/patients/${id}`, { token: h.tokens.reception });
    expect(after.body.etag).toBe(before.body.etag);
    expect(after.body.patient.preferredName).toBe(before.body.patient.preferredName);
  });

  it('refuses a second patient with the same CPF (409)', async () => {
    const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Outra Pessoa', birthDate: '1990-01-01', cpf } });
    expect(r.status).toBe(409);
    expect(r.body.error.code).toBe('conflict');
  });

  it("refuses, as `patients add` does, the same name + birth date as a stored patient (one without a CPF): 409 naming that patient, no id taken; \"force\": true adds the namesake", async () => {
    const first = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Marta Homônima Teste', birthDate: '1975-07-07', cpf: generateCpf(535351) } });
    expect(first.status).toBe(201);
    const counter = async () => (await h.stack.dataStore.getJson<{ next: number }>(COUNTER_KEY))!.value.next;
    const next = await counter();
    const same = { fullName: 'marta homonima  teste', birthDate: '07/07/1975', phone: '+55 11 97777-0000' };
    const refused = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: same });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'conflict',
      reason: 'duplicate-person',
      field: 'fullName',
      params: { patientId: first.body.patient.id, fullName: 'Marta Homônima Teste', status: 'active' },
      hint: expect.stringContaining('"force": true'),
    });
    expect(refused.body.error.message + refused.body.error.hint).not.toMatch(/--force|clinica patients/);
    expect(await counter()).toBe(next); // no id burnt
    const bad = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { ...same, force: 'yes' } });
    expect(bad.body.error).toMatchObject({ code: 'usage', field: 'force' });
    const forced = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { ...same, force: true } });
    expect(forced.status).toBe(201);
    expect(forced.body.patient).toMatchObject({ fullName: 'marta homonima teste', birthDate: '1975-07-07' });
    expect(forced.body.patient.id).not.toBe(first.body.patient.id);
    // a CPF does not pass a namesake without one (the one just added) …
    const other = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { ...same, cpf: generateCpf(535352) } });
    expect(other.body.error).toMatchObject({ reason: 'duplicate-person', params: { patientId: forced.body.patient.id } });
    // … but two different CPFs are two people
    const withCpf = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Rui Duas Pessoas', birthDate: '1960-06-06', cpf: generateCpf(535353) } });
    const twin = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Rui Duas Pessoas', birthDate: '1960-06-06', cpf: generateCpf(535354) } });
    expect([withCpf.status, twin.status]).toEqual([201, 201]);
  });

  it('refuses a person anonymized at their request (409 erased-match, naming the field that matched); "force": true adds them as a new patient', async () => {
    const erasedCpf = generateCpf(525252);
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Lia Apagada Teste', birthDate: '1982-02-02', cpf: erasedCpf } });
    await anonymizePatient(h.stack.dataStore, made.body.patient.id, 'test:setup');
    const byCpf = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Lia Outro Nome', birthDate: '1982-02-02', cpf: erasedCpf } });
    expect(byCpf.status).toBe(409);
    expect(byCpf.body.error).toMatchObject({ code: 'conflict', reason: 'erased-match', field: 'cpf', hint: expect.stringContaining('"force": true') });
    expect(JSON.stringify(byCpf.body)).not.toContain(made.body.patient.id); // nothing re-links the person to the record
    const byName = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Lia Apagada Teste', birthDate: '1982-02-02' } });
    expect(byName.body.error).toMatchObject({ reason: 'erased-match', field: 'fullName' });
    const returning = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Lia Apagada Teste', birthDate: '1982-02-02', cpf: erasedCpf, force: true } });
    expect(returning.status).toBe(201);
    expect(returning.body.patient.cpf).toBe(erasedCpf);
  });

  it('validates like the CLI: 400 naming the field', async () => {
    const cases: [unknown, string][] = [
      [{ fullName: 'Ana', birthDate: '1990-01-01', cpf: '123.456.789-00' }, 'cpf'],
      [{ fullName: 'Ana', birthDate: '31/31/1990' }, 'birthDate'],
      [{ fullName: 'Ana' }, 'birthDate'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', sex: 'x' }, 'sex'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', nickname: 'a' }, 'nickname'],
      [{ fullName: 42, birthDate: '1990-01-01' }, 'fullName'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', email: 'nope' }, 'email'],
    ];
    for (const [body, field] of cases) {
      const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error).toMatchObject({ code: 'usage', field });
    }
  });

  it("takes the patient's reminder language on create and update (null clears it); a bad one is 400 naming the field", async () => {
    const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Emily Tourist', birthDate: '1988-08-08', language: 'en' } });
    expect(r.status).toBe(201);
    expect(r.body.patient.language).toBe('en');
    const pid = r.body.patient.id;
    const read = await h.call('GET', `/api/patients/${pid}`, { token: h.tokens.reception });
    const pt = await h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': read.body.etag }, body: { language: 'pt-BR' } });
    expect(pt.body.patient.language).toBe('pt-BR');
    const cleared = await h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': pt.body.etag }, body: { language: null } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.patient.language).toBeUndefined();
    const headers = { 'if-match': cleared.body.etag };
    for (const [method, path, body] of [
      ['POST', '/api/patients', { fullName: 'Ana', birthDate: '1990-01-01', language: 'fr' }],
      ['PATCH', `/api/patients/${pid}`, { language: 'english' }],
      ['PATCH', `/api/patients/${pid}`, { language: 1 }],
    ] as const) {
      const bad = await h.call(method, path, { token: h.tokens.reception, body, headers });
      expect(bad.status, JSON.stringify(body)).toBe(400);
      expect(bad.body.error, JSON.stringify(body)).toMatchObject({ code: 'usage', field: 'language' });
    }
    const fr = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Ana', birthDate: '1990-01-01', language: 'fr' } });
    expect(fr.body.error).toMatchObject({ reason: 'not-one-of', params: { allowed: 'pt-BR, en' } });
  });

  it("takes a guardian, checked as the CLI checks it (errors name guardian.<field>); an emptied guardian clears it", async () => {
    const bad: [Record<string, unknown>, string, string][] = [
      [{ relationship: 'mãe' }, 'guardian.name', 'required'],
      [{ name: 'Ana', phone: '12' }, 'guardian.phone', 'phone-format'],
      [{ name: 'Ana', cpf: '123' }, 'guardian.cpf', 'cpf-format'],
      [{ name: 'Ana', age: 40 }, 'guardian.age', 'unknown-field'],
    ];
    for (const [guardian, field, reason] of bad) {
      const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Criança Teste', birthDate: '2019-01-01', guardian } });
      expect(r.status, JSON.stringify(guardian)).toBe(400);
      expect(r.body.error, JSON.stringify(guardian)).toMatchObject({ code: 'usage', field, reason });
    }
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Criança Teste', birthDate: '2019-01-01', guardian: { name: 'Ana Mãe', relationship: 'mãe', phone: '+55 11 95555-1234' } } });
    expect(made.status).toBe(201);
    expect(made.body.patient.guardian).toEqual({ name: 'Ana Mãe', relationship: 'mãe', phone: '+5511955551234' });
    const read = await h.call('GET', `/api/patients/${made.body.patient.id}`, { token: h.tokens.reception });
    const cleared = await h.call('PATCH', `/api/patients/${made.body.patient.id}`, { token: h.tokens.reception, headers: { 'if-match': read.body.etag }, body: { guardian: { name: '', phone: '' } } });
    expect(cleared.status).toBe(200);
    expect(cleared.body.patient.guardian).toBeUndefined();
  });

  it('rejects bad JSON (400), other content types (415) and bodies past the limit (413)', async () => {
    const bad = await h.call('POST', '/api/patients', { token: h.tokens.reception, raw: '{"fullName":', headers: { 'content-type': 'application/json' } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('bad-json');
    const form = await h.call('POST', '/api/patients', { token: h.tokens.reception, raw: 'fullName=x', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    expect(form.status).toBe(415);
    const big = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'A', notes: 'x'.repeat(100_000), birthDate: '1990-01-01' } });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('too-large');
  });

  it('answers 404 for an unknown patient, 400 for a malformed id', async () => {
    const missing = await h.call('GET', '/api/patients/P-999999', { token: h.tokens.reception });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe('not-found');
    const malformed = await h.call('GET', '/api/patients/abc', { token: h.tokens.reception });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.field).toBe('id');
  });

  it('answers a create with the ETag (header and body), so the first edit needs no GET', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Nina Primeira Edição', birthDate: '1999-09-09' } });
    expect(made.status).toBe(201);
    expect(made.headers.etag).toBeTruthy();
    expect(made.body.etag).toBe(made.headers.etag);
    const pid = made.body.patient.id;
    const edited = await h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': made.headers.etag! }, body: { preferredName: 'Nina' } });
    expect(edited.status).toBe(200);
    expect(edited.body.patient).toMatchObject({ preferredName: 'Nina', version: 2 });
    // the create's ETag names the version created: once changed, it is stale
    const late = await h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': made.headers.etag! }, body: { preferredName: 'Outra' } });
    expect(late.status).toBe(409);
    expect((await listAudit(h.stack.dataStore, { patientId: pid })).map((e) => e.action).sort()).toEqual(['patient.create', 'patient.update']);
  });

  it('adds and removes single alerts (addAlerts / removeAlerts), keeping the others; removing one the patient has not is refused and changes nothing', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Otto Alergias Teste', birthDate: '1977-01-01', alerts: ['Penicilina', 'Látex'] } });
    const pid = made.body.patient.id;
    const edit = (etag: string, body: unknown) => h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': etag }, body });
    const one = await edit(made.body.etag, { addAlerts: ['Dipirona', 'penicilina'], removeAlerts: ['latex'] });
    expect(one.status).toBe(200);
    expect(one.body.patient.alerts).toEqual(['Penicilina', 'Dipirona']);
    const missing = await edit(one.body.etag, { removeAlerts: ['Iodo'] });
    expect(missing.status).toBe(400);
    expect(missing.body.error).toMatchObject({ code: 'usage', reason: 'alert-not-found', field: 'removeAlerts' });
    for (const body of [{ addAlerts: 'Iodo' }, { removeAlerts: [1] }]) {
      const bad = await edit(one.body.etag, body);
      expect(bad.body.error, JSON.stringify(body)).toMatchObject({ code: 'usage', field: Object.keys(body)[0] });
    }
    const created = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Otto Outro Teste', birthDate: '1977-01-01', addAlerts: ['Iodo'] } });
    expect(created.body.error).toMatchObject({ reason: 'unknown-field', field: 'addAlerts' }); // a new patient's alerts are `alerts`
    const now = await h.call('GET', `/api/patients/${pid}`, { token: h.tokens.reception });
    expect(now.body.patient).toMatchObject({ alerts: ['Penicilina', 'Dipirona'], version: 2 });
  });

  it('a status set to archived through PATCH is audited as patient.archive (as the archive route), not as an update', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Paciente Arquivada Pela Ficha', birthDate: '1971-01-01' } });
    const pid = made.body.patient.id;
    const archived = await h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': made.body.etag }, body: { status: 'archived', notes: 'mudou de cidade' } });
    expect(archived.body.patient.status).toBe('archived');
    const back = await h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': archived.body.etag }, body: { status: 'active' } });
    expect(back.body.patient.status).toBe('active');
    const entries = (await listAudit(h.stack.dataStore, { patientId: pid })).map((e) => [e.action, e.actor, (e.details as { fields?: string[] } | undefined)?.fields]);
    expect(entries).toEqual([
      ['patient.create', `staff:${h.ids.reception}`, undefined],
      ['patient.archive', `staff:${h.ids.reception}`, ['notes', 'status']],
      ['patient.update', `staff:${h.ids.reception}`, ['status']],
    ]);
  });

  it('archives; archived patients leave the default list', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Paciente Arquivável', birthDate: '1970-01-01' } });
    const r = await h.call('POST', `/api/patients/${made.body.patient.id}/archive`, { token: h.tokens.reception, body: {} });
    expect(r.status).toBe(200);
    expect(r.body.patient.status).toBe('archived');
    const list = await h.call('GET', '/api/patients?search=arquivavel', { token: h.tokens.reception });
    expect(list.body.total).toBe(0);
    const all = await h.call('GET', '/api/patients?search=arquivavel&status=all', { token: h.tokens.reception });
    expect(all.body.total).toBe(1);
  });
});

describe('a patient leaving care with future appointments (archive, status inactive/deceased)', () => {
  it('409 future-appointments with the list, nothing changed; then cancelAppointments cancels only the future ones (audited, staff actor) / keepAppointments keeps them', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Clara Saída Teste', birthDate: '1960-06-06' } });
    const pid = made.body.patient.id;
    const book = async (at: string, dentist: string) => {
      const r = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId: pid, dentist, at, durationMinutes: 30 } });
      expect(r.status).toBe(201);
      return r.body.appointment.id as string;
    };
    const later = await book(`${clinicDate(9)} 15:00`, 'Dra. Saída');
    const sooner = await book(`${clinicDate(8)} 08:30`, 'Dr. Partida');
    expect((await h.call('POST', `/api/appointments/${sooner}/confirm`, { token: h.tokens.reception })).status).toBe(200);
    const past = await createAppointment(h.stack.dataStore, { patientId: pid, dentist: 'Dra. Saída', at: `${clinicDate(-2)} 10:00`, durationMinutes: 30 }, 'test:setup', {
      timeZone: 'America/Sao_Paulo',
      now: new Date(Date.now() - 5 * 86_400_000),
    });
    const status = async (id: string) => (await getAppointment(h.stack.dataStore, id)).appointment.status;

    const refused = await h.call('POST', `/api/patients/${pid}/archive`, { token: h.tokens.reception, body: {} });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'conflict',
      reason: 'future-appointments',
      params: { id: pid, status: 'archived', count: 2 },
      hint: 'send "cancelAppointments": true to cancel them, or "keepAppointments": true to keep them',
    });
    expect(refused.body.error.message).not.toMatch(/--/);
    expect(refused.body.error.appointments).toEqual([
      { id: sooner, start: `${clinicDate(8)}T08:30:00-03:00`, date: clinicDate(8), time: '08:30', durationMinutes: 30, dentist: 'Dr. Partida', status: 'confirmed' },
      { id: later, start: `${clinicDate(9)}T15:00:00-03:00`, date: clinicDate(9), time: '15:00', durationMinutes: 30, dentist: 'Dra. Saída', status: 'scheduled' },
    ]);
    const patch = (body: unknown, etag: string) => h.call('PATCH', `/api/patients/${pid}`, { token: h.tokens.reception, headers: { 'if-match': etag }, body });
    const deceased = await patch({ status: 'deceased', notes: 'óbito informado pela família' }, made.body.etag);
    expect(deceased.status).toBe(409);
    expect(deceased.body.error).toMatchObject({ reason: 'future-appointments', params: { status: 'deceased', count: 2 } });
    const both = await patch({ status: 'inactive', cancelAppointments: true, keepAppointments: true }, made.body.etag);
    expect(both.status).toBe(400);
    expect(both.body.error).toMatchObject({ code: 'usage', field: 'cancelAppointments' });
    const unchanged = await h.call('GET', `/api/patients/${pid}`, { token: h.tokens.reception });
    expect(unchanged.body.patient).toMatchObject({ status: 'active', version: 1 });
    expect(unchanged.body.etag).toBe(made.body.etag);
    expect([await status(sooner), await status(later), await status(past.id)]).toEqual(['confirmed', 'scheduled', 'scheduled']);

    const archived = await h.call('POST', `/api/patients/${pid}/archive`, { token: h.tokens.reception, body: { cancelAppointments: true } });
    expect(archived.status).toBe(200);
    expect(archived.body.patient.status).toBe('archived');
    expect(archived.body.appointmentsCancelled.map((a: { id: string; status: string; notes: string }) => [a.id, a.status, a.notes])).toEqual([
      [sooner, 'cancelled', 'cancelled: patient archived'],
      [later, 'cancelled', 'cancelled: patient archived'],
    ]);
    expect([await status(sooner), await status(later), await status(past.id)]).toEqual(['cancelled', 'cancelled', 'scheduled']);
    const agenda = await h.call('GET', `/api/appointments?date=${clinicDate(8)}&patient=${pid}`, { token: h.tokens.reception });
    expect(agenda.body.appointments).toEqual([expect.objectContaining({ id: sooner, status: 'cancelled' })]);
    const entries = await listAudit(h.stack.dataStore, { patientId: pid });
    const cancels = entries.filter((e) => e.action === 'appointment.cancel');
    expect(cancels.map((e) => [e.actor, e.details?.appointmentId])).toEqual([
      [`staff:${h.ids.reception}`, sooner],
      [`staff:${h.ids.reception}`, later],
    ]);
    expect(entries.find((e) => e.action === 'patient.archive')).toMatchObject({ actor: `staff:${h.ids.reception}`, details: { appointmentsCancelled: [sooner, later] } });

    // keepAppointments: the status changes, the appointment stays booked
    const other = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Caio Pausa Teste', birthDate: '1980-08-08' } });
    const oid = other.body.patient.id;
    const kept = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId: oid, dentist: 'Dra. Saída', at: `${clinicDate(10)} 11:00`, durationMinutes: 30 } });
    const first = await h.call('PATCH', `/api/patients/${oid}`, { token: h.tokens.reception, headers: { 'if-match': other.body.etag }, body: { status: 'inactive' } });
    expect(first.status).toBe(409);
    const keep = await h.call('PATCH', `/api/patients/${oid}`, { token: h.tokens.reception, headers: { 'if-match': other.body.etag }, body: { status: 'inactive', keepAppointments: true } });
    expect(keep.status).toBe(200);
    expect(keep.body).toMatchObject({ patient: { status: 'inactive' }, appointmentsCancelled: [], appointmentsKept: [expect.objectContaining({ id: kept.body.appointment.id })] });
    expect(await status(kept.body.appointment.id)).toBe('scheduled');
    // without future appointments nothing is asked
    const plain = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Dora Sem Consultas', birthDate: '1981-01-01' } });
    const quiet = await h.call('POST', `/api/patients/${plain.body.patient.id}/archive`, { token: h.tokens.reception });
    expect(quiet.status).toBe(200);
    expect(quiet.body).toMatchObject({ patient: { status: 'archived' }, appointmentsCancelled: [], appointmentsKept: [] });
  });
});

describe('appointments', () => {
  let patientId: string;
  const day = clinicDate(3);
  let apptId: string;

  beforeAll(async () => {
    const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Maria Agenda', birthDate: '1985-03-03' } });
    patientId = r.body.patient.id;
  });

  it('books (201) and shows it in the day\'s agenda with the patient\'s name', async () => {
    const r = await h.call('POST', '/api/appointments', {
      token: h.tokens.reception,
      body: { patientId, dentist: 'Dra. Ana', at: `${day} 14:30`, durationMinutes: 45, procedure: 'Limpeza' },
    });
    expect(r.status).toBe(201);
    expect(r.body.appointment).toMatchObject({ patientId, dentist: 'Dra. Ana', status: 'scheduled', durationMinutes: 45 });
    expect(r.body.appointment.start).toMatch(new RegExp(`^${day}T14:30:00[-+]\\d{2}:\\d{2}$`));
    apptId = r.body.appointment.id;
    const agenda = await h.call('GET', `/api/appointments?date=${day}`, { token: h.tokens.reception });
    expect(agenda.status).toBe(200);
    expect(agenda.body).toMatchObject({ from: day, to: day, timeZone: 'America/Sao_Paulo' });
    expect(agenda.body.appointments).toEqual([expect.objectContaining({ id: apptId, patientName: 'Maria Agenda' })]);
    const one = await h.call('GET', `/api/appointments/${apptId}`, { token: h.tokens.reception });
    expect(one.body.appointment.id).toBe(apptId);
  });

  it('refuses an overlapping booking for the same dentist (409) unless forced by a role allowed to (an encaixe)', async () => {
    const body = { patientId, dentist: 'Dra. Ana', at: `${day} 15:00`, durationMinutes: 30 };
    const clash = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('conflict');
    const notAllowed = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { ...body, force: true } });
    expect([notAllowed.status, notAllowed.body.error.reason]).toEqual([403, 'force-not-allowed']);
    const forced = await h.call('POST', '/api/appointments', { token: h.tokens.dentist, body: { ...body, force: true } });
    expect(forced.status).toBe(201);
    await h.call('POST', `/api/appointments/${forced.body.appointment.id}/cancel`, { token: h.tokens.reception, body: {} });
  });

  it('confirms, moves and cancels — each audited with the staff member who did it', async () => {
    const confirmed = await h.call('POST', `/api/appointments/${apptId}/confirm`, { token: h.tokens.reception });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.appointment.status).toBe('confirmed');
    const moved = await h.call('POST', `/api/appointments/${apptId}/move`, { token: h.tokens.assistant, body: { at: `${day} 09:00` } });
    expect(moved.status).toBe(200);
    expect(moved.body.appointment.start).toContain(`${day}T09:00`);
    const cancelled = await h.call('POST', `/api/appointments/${moved.body.appointment.id}/cancel`, { token: h.tokens.dentist, body: { reason: 'paciente pediu' } });
    expect(cancelled.body.appointment.status).toBe('cancelled');
    const entries = (await listAudit(h.stack.dataStore, { patientId }))
      .filter((e) => (e.details as { appointmentId?: string } | undefined)?.appointmentId === apptId)
      .map((e) => [e.action, e.actor]);
    expect(entries).toEqual([
      ['appointment.create', `staff:${h.ids.reception}`],
      ['appointment.confirm', `staff:${h.ids.reception}`],
      ['appointment.move', `staff:${h.ids.assistant}`],
      ['appointment.cancel', `staff:${h.ids.dentist}`],
    ]);
  });

  it('marks what happened at an appointment that has begun: done or no-show (audited); not before it begins, not a cancelled one', async () => {
    const yesterday = clinicDate(-1);
    const past = await createAppointment(h.stack.dataStore, { patientId, dentist: 'Dr. Passado', at: `${yesterday} 10:00`, durationMinutes: 30 }, 'test:setup', {
      timeZone: 'America/Sao_Paulo',
      now: new Date(Date.now() - 3 * 86_400_000),
    });
    const done = await h.call('POST', `/api/appointments/${past.id}/done`, { token: h.tokens.reception, body: {} });
    expect(done.status).toBe(200);
    expect(done.body.appointment).toMatchObject({ id: past.id, status: 'done' });
    const noShow = await h.call('POST', `/api/appointments/${past.id}/no-show`, { token: h.tokens.reception }); // a correction
    expect(noShow.body.appointment.status).toBe('no-show');
    expect((await getAppointment(h.stack.dataStore, past.id)).appointment.status).toBe('no-show');
    const entries = (await listAudit(h.stack.dataStore, { patientId })).filter((e) => (e.details as { appointmentId?: string } | undefined)?.appointmentId === past.id);
    expect(entries.map((e) => [e.action, e.actor, (e.details as { status?: string }).status])).toEqual(
      expect.arrayContaining([
        ['appointment.update', `staff:${h.ids.reception}`, 'done'],
        ['appointment.update', `staff:${h.ids.reception}`, 'no-show'],
      ]),
    );
    const future = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dr. Futuro', at: `${day} 17:00`, durationMinutes: 30 } });
    const early = await h.call('POST', `/api/appointments/${future.body.appointment.id}/done`, { token: h.tokens.reception });
    expect(early.status).toBe(400);
    expect(early.body.error).toMatchObject({ code: 'usage', reason: 'not-begun', field: 'id', params: { date: day, time: '17:00' } });
    const gone = await createAppointment(h.stack.dataStore, { patientId, dentist: 'Dr. Passado', at: `${yesterday} 11:00`, durationMinutes: 30 }, 'test:setup', {
      timeZone: 'America/Sao_Paulo',
      now: new Date(Date.now() - 3 * 86_400_000),
    });
    await h.call('POST', `/api/appointments/${gone.id}/cancel`, { token: h.tokens.reception, body: {} });
    expect((await h.call('POST', `/api/appointments/${gone.id}/no-show`, { token: h.tokens.reception })).status).toBe(400);
    expect((await h.call('POST', '/api/appointments/A-20990101-zzzzzz/done', { token: h.tokens.reception })).status).toBe(404);
  });

  it('marks a patient arrived ("chegou") on the day, audited; not on an earlier day (reason not-today)', async () => {
    const today = await createAppointment(h.stack.dataStore, { patientId, dentist: 'Dr. Chegada', at: `${clinicDate(0)} 23:30`, durationMinutes: 15 }, 'test:setup', {
      timeZone: 'America/Sao_Paulo',
      now: new Date(Date.now() - 86_400_000),
    });
    const arrived = await h.call('POST', `/api/appointments/${today.id}/arrived`, { token: h.tokens.reception, body: {} });
    expect(arrived.status).toBe(200);
    expect(arrived.body.appointment).toMatchObject({ id: today.id, status: 'arrived' });
    const entries = (await listAudit(h.stack.dataStore, { patientId })).filter((e) => (e.details as { appointmentId?: string } | undefined)?.appointmentId === today.id);
    expect(entries.map((e) => [e.action, e.actor, (e.details as { status?: string }).status])).toContainEqual(['appointment.update', `staff:${h.ids.reception}`, 'arrived']);
    const later = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dr. Futuro', at: `${clinicDate(9)} 16:00`, durationMinutes: 30 } });
    const early = await h.call('POST', `/api/appointments/${later.body.appointment.id}/arrived`, { token: h.tokens.reception });
    expect(early.status).toBe(400);
    expect(early.body.error).toMatchObject({ code: 'usage', reason: 'not-today', field: 'id', params: { date: clinicDate(9) } });
  });

  it('reads a range and filters by patient; the patient record lists its appointments', async () => {
    const r = await h.call('GET', `/api/appointments?from=${clinicDate(0)}&to=${clinicDate(7)}&patient=${patientId}`, { token: h.tokens.reception });
    expect(r.status).toBe(200);
    expect(r.body.appointments.length).toBeGreaterThanOrEqual(1);
    expect(r.body.appointments.every((a: { patientId: string }) => a.patientId === patientId)).toBe(true);
    const p = await h.call('GET', `/api/patients/${patientId}`, { token: h.tokens.reception });
    expect(p.body.appointments.length).toBeGreaterThanOrEqual(1);
  });

  it('validates: bad dates, past times, missing fields, too long a range', async () => {
    const bad = await h.call('GET', '/api/appointments?date=2026-02-30', { token: h.tokens.reception });
    expect(bad.status).toBe(400);
    expect(bad.body.error).toMatchObject({ field: 'date', reason: 'date-invalid' }); // the page says the day does not exist
    const shape = await h.call('GET', '/api/appointments?date=30/02/2026', { token: h.tokens.reception });
    expect(shape.body.error).toMatchObject({ field: 'date', reason: 'date-format' });
    const long = await h.call('GET', `/api/appointments?from=${clinicDate(0)}&to=${clinicDate(100)}`, { token: h.tokens.reception });
    expect(long.status).toBe(400);
    const past = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dra. Ana', at: '2020-01-01 10:00', durationMinutes: 30 } });
    expect(past.status).toBe(400);
    expect(past.body.error.field).toBe('at');
    const missing = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, at: `${day} 10:00`, durationMinutes: 30 } });
    expect(missing.body.error).toMatchObject({ code: 'usage', field: 'dentist' });
    const unknown = await h.call('POST', `/api/appointments/A-20990101-zzzzzz/confirm`, { token: h.tokens.reception });
    expect(unknown.status).toBe(404);
  });
});

describe('Idempotency-Key on creating POSTs (a double click or a retry after a lost answer creates once)', () => {
  const countNamed = async (name: string) => (await h.call('GET', `/api/patients?search=${encodeURIComponent(name)}`, { token: h.tokens.admin })).body.total;

  it('a patient: the repeat gets the first answer (Idempotent-Replayed), concurrent repeats wait for it, one record', async () => {
    const body = { fullName: 'Teste Rede Lenta', birthDate: '1990-10-10' };
    const headers = { 'idempotency-key': 'k-patient-0001' };
    const first = await h.call('POST', '/api/patients', { token: h.tokens.reception, body, headers });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    const again = await h.call('POST', '/api/patients', { token: h.tokens.reception, body, headers });
    expect(again.status).toBe(201);
    expect(again.headers['idempotent-replayed']).toBe('true');
    expect(again.body.patient.id).toBe(first.body.patient.id);
    expect(again.headers.location).toBe(first.headers.location);
    const racing = await Promise.all([1, 2, 3].map(() => h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Teste Clique Duplo', birthDate: '1990-10-11' }, headers: { 'idempotency-key': 'k-patient-0002' } })));
    expect(racing.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(new Set(racing.map((r) => r.body.patient.id)).size).toBe(1);
    expect(await countNamed('Teste Rede Lenta')).toBe(1);
    expect(await countNamed('Teste Clique Duplo')).toBe(1);
    // without a key, two requests are two patients (the key is what says "the same request"; two CPFs, two namesakes)
    for (let i = 0; i < 2; i++) expect((await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Teste Sem Chave', birthDate: '1990-10-12', cpf: generateCpf(616161 + i) } })).status).toBe(201);
    expect(await countNamed('Teste Sem Chave')).toBe(2);
  });

  it('keys are per staff member; the same key with another body is refused (422); a refused request can be corrected and sent with its key', async () => {
    const headers = { 'idempotency-key': 'k-patient-0003' };
    const mine = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Teste Chave Um', birthDate: '1990-01-01', cpf: generateCpf(626262) }, headers });
    const theirs = await h.call('POST', '/api/patients', { token: h.tokens.admin, body: { fullName: 'Teste Chave Um', birthDate: '1990-01-01', cpf: generateCpf(626263) }, headers });
    expect(theirs.status).toBe(201);
    expect(theirs.body.patient.id).not.toBe(mine.body.patient.id);
    const other = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Teste Chave Dois', birthDate: '1990-01-01' }, headers });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: 'usage', reason: 'idempotency-key-reused', field: 'Idempotency-Key' });
    expect(await countNamed('Teste Chave Dois')).toBe(0);
    const fixHeaders = { 'idempotency-key': 'k-patient-0004' };
    const bad = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Teste Corrigido', birthDate: '1990-01-01', cpf: '123.456.789-00' }, headers: fixHeaders });
    expect(bad.status).toBe(400);
    const fixed = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Teste Corrigido', birthDate: '1990-01-01' }, headers: fixHeaders });
    expect(fixed.status).toBe(201);
    const junk = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Teste Corrigido', birthDate: '1990-01-01' }, headers: { 'idempotency-key': 'x' } });
    expect(junk.status).toBe(400);
    expect(junk.body.error.field).toBe('Idempotency-Key');
  });

  it('an appointment: booked once for the same key', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Paciente Agenda Idempotente', birthDate: '1970-02-02' } });
    const day = clinicDate(9);
    const body = { patientId: made.body.patient.id, dentist: 'Dr. Idem', at: `${day} 08:00`, durationMinutes: 30 };
    const headers = { 'idempotency-key': 'k-appointment-0001' };
    const [a, b] = await Promise.all([h.call('POST', '/api/appointments', { token: h.tokens.reception, body, headers }), h.call('POST', '/api/appointments', { token: h.tokens.reception, body, headers })]);
    expect([a.status, b.status]).toEqual([201, 201]);
    expect(a.body.appointment.id).toBe(b.body.appointment.id);
    const agenda = await h.call('GET', `/api/appointments?date=${day}&patient=${made.body.patient.id}`, { token: h.tokens.reception });
    expect(agenda.body.appointments).toHaveLength(1);
  });
});

describe('error codes for clients (the page words them by code, reason, field and params)', () => {
  const seen: unknown[] = [];
  const call = async (...args: Parameters<ServerHarness['call']>) => {
    const r = await h.call(...args);
    seen.push(r.body);
    return r;
  };
  let patientId: string;
  let cpf: string;
  const day = clinicDate(4);

  beforeAll(async () => {
    cpf = generateCpf(515151);
    const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Rita Códigos', birthDate: '1975-07-07', cpf } });
    patientId = r.body.patient.id;
  });

  it('names the reason of a bad value: CPF, dates, e-mail, required fields, lengths', async () => {
    const cases: [Record<string, unknown>, string, string, Record<string, unknown>?][] = [
      [{ fullName: 'Ana', birthDate: '1990-01-01', cpf: '123.456' }, 'cpf', 'cpf-format'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', cpf: '123.456.789-00' }, 'cpf', 'cpf-check-digits'],
      [{ fullName: 'Ana', birthDate: 'ontem' }, 'birthDate', 'date-format'],
      [{ fullName: 'Ana', birthDate: '31/02/1990' }, 'birthDate', 'date-invalid'],
      [{ fullName: 'Ana', birthDate: '2999-01-01' }, 'birthDate', 'date-future'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', email: 'nope' }, 'email', 'email-format'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', phone: '12' }, 'phone', 'phone-format'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', phone: '98765-4321' }, 'phone', 'phone-no-area-code'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', email: 'joão@exemplo.com.br' }, 'email', 'email-non-ascii'],
      [{ fullName: 'Api \u001b]0;PWNED\u0007\u001b[2J', birthDate: '1990-01-01' }, 'fullName', 'control-character'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', alerts: ['\u001b[8mlátex'] }, 'alerts', 'control-character'],
      [{ fullName: 'Ana' }, 'birthDate', 'required'],
      [{ birthDate: '1990-01-01' }, 'fullName', 'required'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', address: 'x'.repeat(301) }, 'address', 'too-long', { max: 300 }],
      [{ fullName: 'Ana', birthDate: '1990-01-01', sex: 'x' }, 'sex', 'not-one-of'],
      [{ fullName: 'Ana', birthDate: '1990-01-01', nickname: 'a' }, 'nickname', 'unknown-field'],
    ];
    for (const [body, field, reason, params] of cases) {
      const r = await call('POST', '/api/patients', { token: h.tokens.reception, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error, JSON.stringify(body)).toMatchObject({ code: 'usage', field, reason, ...(params ? { params } : {}) });
    }
  });

  it('a duplicate CPF: conflict cpf-taken with the owner', async () => {
    const r = await call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Outra Rita', birthDate: '1980-01-01', cpf } });
    expect(r.status).toBe(409);
    expect(r.body.error).toMatchObject({ code: 'conflict', reason: 'cpf-taken', field: 'cpf', params: { patientId } });
  });

  it('a stale edit: conflict stale; not found: the entity and id; forbidden: the role', async () => {
    const read = await h.call('GET', `/api/patients/${patientId}`, { token: h.tokens.reception });
    await h.call('PATCH', `/api/patients/${patientId}`, { token: h.tokens.reception, headers: { 'if-match': read.body.etag }, body: { phone: '11 98888-7777' } });
    const stale = await call('PATCH', `/api/patients/${patientId}`, { token: h.tokens.reception, headers: { 'if-match': read.body.etag }, body: { notes: 'x' } });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: 'conflict', reason: 'stale', params: { id: patientId } });
    const missing = await call('GET', '/api/patients/P-999998', { token: h.tokens.reception });
    expect(missing.body.error).toMatchObject({ code: 'not-found', reason: 'patient-not-found', params: { id: 'P-999998' } });
    const appt = await call('POST', '/api/appointments/A-20990101-zzzzzz/confirm', { token: h.tokens.reception });
    expect(appt.body.error).toMatchObject({ code: 'not-found', reason: 'appointment-not-found', params: { id: 'A-20990101-zzzzzz' } });
    const images = await call('GET', `/api/patients/${patientId}/images`, { token: h.tokens.reception });
    expect(images.status).toBe(403);
    expect(images.body.error).toMatchObject({ code: 'forbidden', reason: 'role', params: { role: 'reception', permission: 'images' } });
  });

  it('appointments: overlap (dentist and time), in the past (the time), required and range fields', async () => {
    const first = await h.call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dr. Código', at: `${day} 10:00`, durationMinutes: 60 } });
    expect(first.status).toBe(201);
    const clash = await call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dr. Código', at: `${day} 10:30`, durationMinutes: 30 } });
    expect(clash.status).toBe(409);
    expect(clash.body.error).toMatchObject({
      code: 'conflict',
      reason: 'overlap',
      field: 'at',
      params: { dentist: 'Dr. Código', date: day, from: '10:00', to: '11:00', appointmentId: first.body.appointment.id },
    });
    expect(clash.body.error.hint).toBe('choose another time, or send "force": true to double-book');
    const past = await call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dr. Código', at: '2020-01-01 10:00', durationMinutes: 30 } });
    expect(past.body.error).toMatchObject({ code: 'usage', reason: 'in-past', field: 'at', params: { date: '2020-01-01', time: '10:00' } });
    const noDentist = await call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: ' ', at: `${day} 12:00`, durationMinutes: 30 } });
    expect(noDentist.body.error).toMatchObject({ code: 'usage', field: 'dentist', reason: 'required' });
    const when = await call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dr. Código', at: 'amanhã', durationMinutes: 30 } });
    expect(when.body.error).toMatchObject({ code: 'usage', field: 'at', reason: 'datetime-format' });
    const short = await call('POST', '/api/appointments', { token: h.tokens.reception, body: { patientId, dentist: 'Dr. Código', at: `${day} 12:00`, durationMinutes: 1 } });
    expect(short.body.error).toMatchObject({ code: 'usage', field: 'durationMinutes', reason: 'out-of-range', params: { min: 5, max: 720 } });
  });

  it('images: a tooth outside FDI, a taken-at date in the future, an unaccepted content type', async () => {
    const path = `/api/patients/${patientId}/images`;
    const tooth = await call('POST', path, { token: h.tokens.dentist, body: { contentType: 'image/jpeg', teeth: '11,19' } });
    expect(tooth.body.error).toMatchObject({ code: 'usage', field: 'teeth', reason: 'tooth-invalid', params: { value: '19' } });
    const future = await call('POST', path, { token: h.tokens.dentist, body: { contentType: 'image/jpeg', takenAt: '2999-01-01' } });
    expect(future.body.error).toMatchObject({ code: 'usage', field: 'takenAt', reason: 'date-future' });
    const type = await call('POST', path, { token: h.tokens.dentist, body: { contentType: 'image/gif' } });
    expect(type.body.error).toMatchObject({ code: 'usage', field: 'contentType', reason: 'content-type' });
  });

  it('no error answer carries CLI advice (a `clinica …` command or a --flag)', () => {
    expect(seen.length).toBeGreaterThan(20);
    for (const body of seen) expect(JSON.stringify(body)).not.toMatch(/`clinica|(^|[\s("])--[a-z]/);
  });
});

describe('roles', () => {
  it('reception: patients and appointments, not images, staff or audit', async () => {
    const t = h.tokens.reception;
    expect((await h.call('GET', '/api/patients', { token: t })).status).toBe(200);
    expect((await h.call('GET', '/api/appointments', { token: t })).status).toBe(200);
    const images = await h.call('GET', '/api/patients/P-000001/images', { token: t });
    expect(images.status).toBe(403);
    expect(images.body.error.code).toBe('forbidden');
    expect((await h.call('POST', '/api/patients/P-000001/images', { token: t, body: { contentType: 'image/jpeg' } })).status).toBe(403);
    expect((await h.call('GET', '/api/staff', { token: t })).status).toBe(403);
    expect((await h.call('GET', '/api/audit?since=2020-01-01', { token: t })).status).toBe(403);
  });

  it('dentist and assistant: also images; not staff or audit', async () => {
    for (const role of ['dentist', 'assistant'] as const) {
      const t = h.tokens[role];
      expect((await h.call('GET', '/api/patients/P-000001/images', { token: t })).status).toBe(200);
      expect((await h.call('GET', '/api/staff', { token: t })).status).toBe(403);
      expect((await h.call('POST', '/api/staff', { token: t, body: { name: 'X', role: 'admin' } })).status).toBe(403);
      expect((await h.call('GET', '/api/audit?since=2020-01-01', { token: t })).status).toBe(403);
    }
  });

  it('admin: staff accounts (add, list, revoke — the token stops at once) and the audit log', async () => {
    const t = h.tokens.admin;
    const made = await h.call('POST', '/api/staff', { token: t, body: { name: 'Dra. Nova', role: 'dentist' } });
    expect(made.status).toBe(201);
    expect(made.body.staff).toMatchObject({ name: 'Dra. Nova', role: 'dentist', createdBy: `staff:${h.ids.admin}` });
    expect(made.body.token).toMatch(/^t_[a-z0-9]{12}\.[A-Za-z0-9_-]{43}$/); // no e-mail: a script account with an API token
    expect((await h.call('GET', '/api/me', { token: made.body.token })).status).toBe(200);
    const list = await h.call('GET', '/api/staff', { token: t });
    expect(list.body.staff.map((s: { id: string }) => s.id)).toContain(made.body.staff.id);
    expect(JSON.stringify(list.body)).not.toContain('tokenHash');
    const revoked = await h.call('POST', `/api/staff/${made.body.staff.id}/revoke`, { token: t });
    expect(revoked.body.staff.revokedAt).toBeTruthy();
    expect((await h.call('GET', '/api/me', { token: made.body.token })).status).toBe(401);
    const self = await h.call('POST', `/api/staff/${h.ids.admin}/revoke`, { token: t });
    expect(self.status).toBe(400);
    const badRole = await h.call('POST', '/api/staff', { token: t, body: { name: 'X', role: 'owner' } });
    expect(badRole.body.error).toMatchObject({ code: 'usage', field: 'role' });
    const audit = await h.call('GET', `/api/audit?since=${new Date(Date.now() - 3600_000).toISOString()}`, { token: t });
    expect(audit.status).toBe(200);
    const actions = audit.body.entries.map((e: { action: string }) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['staff.add', 'staff.revoke', 'patient.read', 'patient.create']));
    const needsFilter = await h.call('GET', '/api/audit', { token: t });
    expect(needsFilter.status).toBe(400);
  });
});

describe('logs', () => {
  it('writes one JSON-able line per request, without tokens, query strings or stack traces', async () => {
    await h.call('GET', '/api/patients?search=segredo', { token: h.tokens.reception });
    const text = JSON.stringify(h.log.entries);
    for (const token of Object.values(h.tokens)) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(token.split('.')[1]);
    }
    expect(text).not.toContain('segredo');
    expect(text).not.toMatch(/\n\s+at /);
    const line = h.log.entries.findLast((e) => e.message === 'request' && e.data?.path === '/api/patients');
    expect(line?.data).toMatchObject({ method: 'GET', status: 200, staff: h.ids.reception, ip: '127.0.0.1' });
  });
});
