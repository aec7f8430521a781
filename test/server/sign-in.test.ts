/**
 * Signing in over real HTTP against the local S3: invitation → password → TOTP enrolment (codes computed with
 * otplib) → sign out → sign in → idle timeout (injected clock) → a revoke made as the CLI makes it ends the
 * session; replayed codes, common passwords, cross-origin changes and the session id at sign-in.
 */
import { generate } from 'otplib';
import { beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/clinic/audit.js';
import { addStaff, revokeStaff, setPassword } from '../../src/clinic/staff.js';
import { useServerHarness, type CallOptions, type Reply } from './harness.js';
import { SoftAuthenticator } from './soft-authenticator.js';

let clock = Date.parse('2026-12-07T12:00:00Z');
const now = () => new Date(clock);

const h = useServerHarness({ now, auth: { now: () => clock } });

/** A browser of the page: keeps its session cookie and sends the page's Origin on every request. */
function browser() {
  let cookie: string | undefined;
  const b = {
    get cookie() {
      return cookie;
    },
    set cookie(v: string | undefined) {
      cookie = v;
    },
    async call(method: string, path: string, o: CallOptions = {}): Promise<Reply> {
      const r = await h.call(method, path, { ...o, headers: { origin: h.url, 'sec-fetch-site': 'same-origin', ...(cookie ? { cookie } : {}), ...o.headers } });
      const set = r.headers['set-cookie']?.[0];
      if (set) {
        const pair = set.split(';')[0]!;
        cookie = pair.endsWith('=') ? undefined : pair;
      }
      return r;
    },
  };
  return b;
}

const code = (secret: string) => generate({ secret, epoch: Math.floor(clock / 1000) });
const GOOD_PASSWORD = 'cavalo azul pedra lua';

describe('invitation → password → TOTP → sign out → sign in → timeouts → revoke', () => {
  it('runs the whole flow, refusing what must be refused on the way', async () => {
    const admin = browser();
    // an admin (signed in with an API token here) invites Ana
    const invited = await h.call('POST', '/api/staff', { token: h.tokens.admin, body: { name: 'Dra. Ana Souza', email: 'Ana@Clinica.com.br', role: 'dentist' } });
    expect(invited.status).toBe(201);
    const { invitationUrl, expiresAt } = invited.body.invitation;
    expect(invitationUrl).toMatch(new RegExp(`^${h.url}/#invitation=`));
    expect(Date.parse(expiresAt) - clock).toBe(72 * 3600_000);
    const token = invitationUrl.split('#invitation=')[1];
    const anaId = invited.body.staff.id;
    // the same e-mail again, in another case: 409
    const again = await h.call('POST', '/api/staff', { token: h.tokens.admin, body: { name: 'Ana 2', email: 'ana@clinica.com.br', role: 'dentist' } });
    expect([again.status, again.body.error.reason]).toEqual([409, 'email-taken']);

    const ana = browser();
    const info = await ana.call('POST', '/api/invitation', { body: { token } });
    expect(info.body).toMatchObject({ name: 'Dra. Ana Souza', email: 'ana@clinica.com.br', secondFactorRequired: true, password: { min: 12 } });
    // password rules: a common Brazilian password, her name, too short
    for (const [password, reason] of [
      ['flamengo12345', 'common'],
      ['senha12345678', 'common'],
      ['anasouza2026!!', 'contains-name'],
      ['curta', 'too-short'],
    ]) {
      const r = await ana.call('POST', '/api/invitation/accept', { body: { token, password } });
      expect([r.status, r.body.error.reason], password).toEqual([400, reason]);
    }
    const accepted = await ana.call('POST', '/api/invitation/accept', { body: { token, password: GOOD_PASSWORD } });
    expect(accepted.body.next).toBe('enrol');
    const enrolCookie = ana.cookie;
    expect(enrolCookie).toMatch(/^__Host-clinica-session=/);
    expect(accepted.headers['set-cookie']![0]).toMatch(/HttpOnly; SameSite=Strict; Secure/);
    // the invitation is single use
    expect((await browser().call('POST', '/api/invitation/accept', { body: { token, password: GOOD_PASSWORD } })).body.error.reason).toBe('invitation-invalid');
    // an enrol session is not a signed-in one
    expect((await ana.call('GET', '/api/patients')).status).toBe(401);

    const totp = await ana.call('POST', '/api/enrol/totp');
    expect(totp.body.qrDataUrl).toMatch(/^data:image\/svg\+xml;base64,/);
    expect(totp.body.uri).toContain('otpauth://totp/');
    const secret: string = totp.body.secret;
    expect((await ana.call('POST', '/api/enrol/totp/verify', { body: { code: '000000' } })).status).toBe(403);
    const verified = await ana.call('POST', '/api/enrol/totp/verify', { body: { code: await code(secret) } });
    expect(verified.status).toBe(200);
    expect(verified.body.recoveryCodes).toHaveLength(10);
    expect(verified.body.me.staff.id).toBe(anaId);
    expect(ana.cookie).not.toBe(enrolCookie); // a new id once enrolled
    const recoveryCodes: string[] = verified.body.recoveryCodes;
    expect((await ana.call('GET', '/api/patients')).status).toBe(200);

    // sign out: the cookie is cleared and the old session is gone on the server too
    const signedIn = ana.cookie;
    expect((await ana.call('POST', '/api/sign-out')).status).toBe(204);
    expect(ana.cookie).toBeUndefined();
    expect((await h.call('GET', '/api/me', { headers: { cookie: signedIn! } })).status).toBe(401);

    // sign in: wrong password, then right; the same TOTP code again (replay) is refused
    expect((await ana.call('POST', '/api/sign-in', { body: { email: 'ana@clinica.com.br', password: 'cavalo azul pedra sol' } })).body.error.reason).toBe('wrong-credentials');
    const step1 = await ana.call('POST', '/api/sign-in', { body: { email: 'ANA@clinica.com.br', password: GOOD_PASSWORD } });
    expect(step1.body).toEqual({ next: 'second-factor', methods: ['totp', 'recovery-code'] });
    const pending = ana.cookie;
    expect((await ana.call('GET', '/api/me')).status).toBe(401); // password alone is not enough
    const replay = await ana.call('POST', '/api/sign-in/code', { body: { code: await code(secret) } });
    expect([replay.status, replay.body.error.reason]).toEqual([401, 'wrong-code']);
    clock += 30_000;
    const step2 = await ana.call('POST', '/api/sign-in/code', { body: { code: await code(secret) } });
    expect(step2.status).toBe(200);
    expect(step2.body.staff.id).toBe(anaId);
    expect(ana.cookie).not.toBe(pending); // the session id changes at sign-in
    expect((await h.call('GET', '/api/me', { headers: { cookie: pending! } })).status).toBe(401);
    const me = await ana.call('GET', '/api/me');
    expect(me.body.auth).toMatchObject({ via: 'session', idleMinutes: 30 });

    // a recovery code works once
    await ana.call('POST', '/api/sign-out');
    await ana.call('POST', '/api/sign-in', { body: { email: 'ana@clinica.com.br', password: GOOD_PASSWORD } });
    const recovered = await ana.call('POST', '/api/sign-in/code', { body: { recoveryCode: recoveryCodes[0] } });
    expect(recovered.body.recoveryCodesLeft).toBe(9);
    await ana.call('POST', '/api/sign-out');
    await ana.call('POST', '/api/sign-in', { body: { email: 'ana@clinica.com.br', password: GOOD_PASSWORD } });
    expect((await ana.call('POST', '/api/sign-in/code', { body: { recoveryCode: recoveryCodes[0] } })).body.error.reason).toBe('wrong-code');
    clock += 30_000;
    expect((await ana.call('POST', '/api/sign-in/code', { body: { code: await code(secret) } })).status).toBe(200);

    // idle timeout: 29 minutes is fine (and counts as use), 30 more without use ends the session
    clock += 29 * 60_000;
    expect((await ana.call('GET', '/api/me')).status).toBe(200);
    clock += 30 * 60_000;
    const idle = await ana.call('GET', '/api/me');
    expect([idle.status, idle.body.error.reason]).toEqual([401, 'idle']);

    // sign in again; the admin's list shows the open session and the last sign-in
    await ana.call('POST', '/api/sign-in', { body: { email: 'ana@clinica.com.br', password: GOOD_PASSWORD } });
    clock += 30_000;
    await ana.call('POST', '/api/sign-in/code', { body: { code: await code(secret) } });
    const team = await h.call('GET', '/api/staff', { token: h.tokens.admin });
    expect(team.body.staff.find((s: { id: string }) => s.id === anaId)).toMatchObject({ status: 'active', openSessions: 1, lastSignInAt: now().toISOString() });
    const sessions = await ana.call('GET', '/api/me/sessions');
    expect(sessions.body.sessions).toEqual([expect.objectContaining({ current: true, ip: '127.0.0.1' })]);

    // a revoke made with the CLI (straight to the bucket, as `clinica staff revoke` does): the session ends within 15 s
    expect((await ana.call('GET', '/api/me')).status).toBe(200);
    await revokeStaff(h.stack.dataStore, anaId, 'cli:test@host', now());
    clock += 15_000;
    const revoked = await ana.call('GET', '/api/me');
    expect([revoked.status, revoked.body.error.reason]).toEqual([401, 'ended']);
    expect((await ana.call('POST', '/api/sign-in', { body: { email: 'ana@clinica.com.br', password: GOOD_PASSWORD } })).body.error.reason).toBe('wrong-credentials');

    // all of it is in the audit log, with who and from where
    const entries = await listAudit(h.stack.dataStore, { since: new Date(Date.parse('2026-12-07T00:00:00Z')) });
    const mine = entries.filter((e) => (e.details as { staffId?: string } | undefined)?.staffId === anaId).map((e) => [e.action, (e.details as { reason?: string }).reason ?? (e.details as { method?: string }).method ?? '']);
    expect(mine).toEqual(
      expect.arrayContaining([
        ['staff.add', ''],
        ['staff.invitation-accepted', ''],
        ['staff.enrol-totp', ''],
        ['staff.sign-in', 'invitation+totp'],
        ['staff.sign-in-failed', 'wrong-password'],
        ['staff.sign-in-failed', 'wrong-code'],
        ['staff.sign-in', 'password+totp'],
        ['staff.sign-in', 'password+recovery-code'],
        ['staff.recovery-code-used', ''],
        ['staff.revoke', ''],
      ]),
    );
    for (const action of ['staff.add', 'staff.invitation-accepted', 'staff.enrol-totp', 'staff.sign-in', 'staff.sign-in-failed', 'staff.recovery-code-used']) {
      const entry = entries.find((e) => e.action === action && (e.details as { staffId?: string }).staffId === anaId)!;
      expect(entry.details, action).toMatchObject({ ip: '127.0.0.1' }); // who (actor), when (at), from where
    }
    void admin;
  }, 120_000);
});

describe('sessions and requests from elsewhere', () => {
  let email: string;
  let id: string;
  beforeAll(async () => {
    email = 'rita@clinica.com.br';
    const made = await addStaff(h.stack.dataStore, { name: 'Rita Recepção', role: 'reception', email, demo: true }, 'test:setup');
    id = made.staff.id;
    await setPassword(h.stack.dataStore, id, GOOD_PASSWORD);
  }, 30_000);

  it('a demo account on target local signs in with the password alone (the page says demonstração)', async () => {
    const b = browser();
    const r = await b.call('POST', '/api/sign-in', { body: { email, password: GOOD_PASSWORD } });
    expect(r.body).toMatchObject({ next: 'done', demo: true, staff: { id } });
    expect((await b.call('GET', '/api/patients')).status).toBe(200);
  });

  it('refuses a state-changing request from another origin or site, with or without a session', async () => {
    const b = browser();
    await b.call('POST', '/api/sign-in', { body: { email, password: GOOD_PASSWORD } });
    const body = { name: 'Maria', birthDate: '1980-01-01' };
    const elsewhere: Record<string, string>[] = [{ origin: 'http://evil.example' }, { 'sec-fetch-site': 'cross-site' }, { 'sec-fetch-site': 'same-site', origin: 'http://intranet.clinica:8080' }];
    for (const headers of elsewhere) {
      const r = await b.call('POST', '/api/patients', { body, headers });
      expect([r.status, r.body.error.reason], JSON.stringify(headers)).toEqual([403, 'cross-origin']);
    }
    // a cookie with neither header (no browser does that): refused; an API token without them: fine (scripts)
    const bare = await h.call('POST', '/api/patients', { body, headers: { cookie: b.cookie! } });
    expect(bare.status).toBe(403);
    // login CSRF: a sign-in posted from another site
    const crossSignIn = await h.call('POST', '/api/sign-in', { body: { email, password: GOOD_PASSWORD }, headers: { origin: 'http://evil.example' } });
    expect(crossSignIn.status).toBe(403);
    // reading stays possible from the page
    expect((await b.call('GET', '/api/patients')).status).toBe(200);
  });

  describe('with a low limit of failures', () => {
    const limited = useServerHarness({ auth: { maxFailures: 3, maxSourceFailures: 50, windowMs: 60_000 } });

    it('rate-limits wrong passwords per account and source', async () => {
      await addStaff(limited.stack.dataStore, { name: 'Paula', role: 'assistant', email: 'paula@clinica.com.br' }, 'test:setup');
      const call = (password: string) =>
        limited.call('POST', '/api/sign-in', { body: { email: 'paula@clinica.com.br', password }, headers: { origin: limited.url } });
      for (let i = 0; i < 3; i++) expect((await call(`wrong password ${i}`)).status).toBe(401);
      const locked = await call('any password at all');
      expect(locked.status).toBe(429);
      expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    });
  });
});

describe('API tokens', () => {
  it('an admin creates, lists and revokes named tokens (90 days by default); a revoked one stops at once', async () => {
    const made = await h.call('POST', '/api/tokens', { token: h.tokens.admin, body: { name: 'backup script', staffId: h.ids.dentist } });
    expect(made.status).toBe(201);
    expect(Date.parse(made.body.apiToken.expiresAt) - clock).toBe(90 * 86_400_000);
    const t: string = made.body.token;
    expect((await h.call('GET', '/api/me', { token: t })).body.staff.id).toBe(h.ids.dentist);
    const list = await h.call('GET', '/api/tokens', { token: h.tokens.admin });
    expect(JSON.stringify(list.body)).not.toContain(t.split('.')[1]);
    expect(list.body.tokens.map((x: { name: string }) => x.name)).toContain('backup script');
    expect((await h.call('GET', '/api/tokens', { token: t })).status).toBe(403); // a dentist's token
    expect((await h.call('POST', `/api/tokens/${made.body.apiToken.id}/revoke`, { token: h.tokens.admin })).status).toBe(200);
    expect((await h.call('GET', '/api/me', { token: t })).status).toBe(401);
    const used = (await listAudit(h.stack.dataStore, { since: '2026-12-01' })).filter((e) => e.action === 'api-token.use');
    expect(used.some((e) => (e.details as { tokenId: string; ip: string }).tokenId === made.body.apiToken.id)).toBe(true);
  });
});

describe('passkeys (a software authenticator)', () => {
  it('enrols a passkey from the invitation, signs in with it alone, holds several and removes one', async () => {
    const invited = await h.call('POST', '/api/staff', { token: h.tokens.admin, body: { name: 'Bruno Lima', email: 'bruno@clinica.com.br', role: 'assistant' } });
    const token = invited.body.invitation.invitationUrl.split('#invitation=')[1];
    const bruno = browser();
    const device = new SoftAuthenticator(h.url.replace('127.0.0.1', 'localhost'));
    const origin = { origin: h.url.replace('127.0.0.1', 'localhost'), host: new URL(h.url).host.replace('127.0.0.1', 'localhost') };
    expect((await bruno.call('POST', '/api/invitation/accept', { body: { token, password: GOOD_PASSWORD }, headers: origin })).body.next).toBe('enrol');
    const reg = await bruno.call('POST', '/api/enrol/passkey/options', { headers: origin });
    expect(reg.body.options.rp.id).toBe('localhost');
    const made = await bruno.call('POST', '/api/enrol/passkey', { body: { response: device.register(reg.body.options), name: 'Celular do Bruno' }, headers: origin });
    expect(made.status).toBe(201);
    expect(made.body.passkey.name).toBe('Celular do Bruno');
    expect(made.body.me.staff.secondFactor.passkeys).toBe(1);
    // a second passkey, from the signed-in session
    const reg2 = await bruno.call('POST', '/api/enrol/passkey/options', { headers: origin });
    expect(reg2.body.options.excludeCredentials).toHaveLength(1);
    expect((await bruno.call('POST', '/api/enrol/passkey', { body: { response: device.register(reg2.body.options), name: 'Notebook' }, headers: origin })).status).toBe(201);
    await bruno.call('POST', '/api/sign-out', { headers: origin });

    // sign in with the passkey alone (it is both factors); a replayed answer is refused
    const opts = await bruno.call('POST', '/api/sign-in/passkey/options', { headers: origin });
    const answer = device.authenticate(opts.body.options, 0);
    const signedIn = await bruno.call('POST', '/api/sign-in/passkey', { body: { response: answer }, headers: origin });
    expect(signedIn.status).toBe(200);
    expect(signedIn.body.staff.email).toBe('bruno@clinica.com.br');
    expect((await bruno.call('POST', '/api/sign-in/passkey', { body: { response: answer }, headers: origin })).body.error.reason).toBe('passkey-invalid');
    // a password sign-in now offers the passkey as the second step
    expect((await browser().call('POST', '/api/sign-in', { body: { email: 'bruno@clinica.com.br', password: GOOD_PASSWORD }, headers: origin })).body.methods).toEqual(['passkey']);

    const list = await bruno.call('GET', '/api/me/passkeys', { headers: origin });
    expect(list.body.passkeys.map((p: { name: string }) => p.name)).toEqual(['Celular do Bruno', 'Notebook']);
    expect((await bruno.call('DELETE', `/api/me/passkeys/${encodeURIComponent(list.body.passkeys[0].id)}`, { headers: origin })).status).toBe(204);
    // the removed passkey no longer signs in
    const again = await bruno.call('POST', '/api/sign-in/passkey/options', { headers: origin });
    expect((await bruno.call('POST', '/api/sign-in/passkey', { body: { response: device.authenticate(again.body.options, 0) }, headers: origin })).status).toBe(401);
  }, 60_000);
});

describe('ending sessions: password change, admin actions, a restart', () => {
  it('a password change ends the other sessions and keeps the current one (new id); an admin changes the role, ends sessions and resets; all audited', async () => {
    const made = await addStaff(h.stack.dataStore, { name: 'Carla Dias', role: 'assistant', email: 'carla@clinica.com.br', demo: true }, 'test:setup');
    const id = made.staff.id;
    await setPassword(h.stack.dataStore, id, GOOD_PASSWORD);
    const desk = browser();
    const laptop = browser();
    for (const b of [desk, laptop]) expect((await b.call('POST', '/api/sign-in', { body: { email: 'carla@clinica.com.br', password: GOOD_PASSWORD } })).body.next).toBe('done');
    const wrong = await desk.call('POST', '/api/me/password', { body: { currentPassword: 'not it at all', newPassword: 'outra senha bem longa 42' } });
    expect([wrong.status, wrong.body.error.reason]).toEqual([403, 'wrong-password']);
    const before = desk.cookie;
    const changed = await desk.call('POST', '/api/me/password', { body: { currentPassword: GOOD_PASSWORD, newPassword: 'outra senha bem longa 42' } });
    expect(changed.status).toBe(200);
    expect(desk.cookie).not.toBe(before);
    expect((await desk.call('GET', '/api/me')).status).toBe(200);
    expect((await laptop.call('GET', '/api/me')).body.error.reason).toBe('ended');
    // an API token cannot change its owner's password
    expect((await h.call('POST', '/api/me/password', { token: h.tokens.dentist, body: { currentPassword: 'x', newPassword: 'y' } })).body.error.reason).toBe('session-only');

    const role = await h.call('PATCH', `/api/staff/${id}`, { token: h.tokens.admin, body: { role: 'dentist' } });
    expect(role.body.staff.role).toBe('dentist');
    expect((await desk.call('GET', '/api/me')).body.staff.role).toBe('dentist'); // at once on this server
    expect((await h.call('POST', `/api/staff/${id}/end-sessions`, { token: h.tokens.admin })).body.ended).toBe(1);
    expect((await desk.call('GET', '/api/me')).status).toBe(401);
    const reset = await h.call('POST', `/api/staff/${id}/reset`, { token: h.tokens.admin });
    expect(reset.body.invitation.invitationUrl).toContain(`#invitation=${id}.`);
    expect(reset.body.staff).toMatchObject({ status: 'invited', secondFactor: { totp: false, passkeys: 0 } });
    expect((await browser().call('POST', '/api/sign-in', { body: { email: 'carla@clinica.com.br', password: 'outra senha bem longa 42' } })).status).toBe(401);
    const actions = (await listAudit(h.stack.dataStore, { since: '2026-12-01' }))
      .filter((e) => (e.details as { staffId?: string } | undefined)?.staffId === id)
      .map((e) => e.action);
    expect(actions).toEqual(expect.arrayContaining(['staff.password', 'staff.role', 'staff.end-sessions', 'staff.reset']));
  }, 60_000);

  it('sessions live in the bucket: a restarted server knows them; a CLI revoke reaches it within 15 s', async () => {
    const made = await addStaff(h.stack.dataStore, { name: 'Davi Reis', role: 'reception', email: 'davi@clinica.com.br', demo: true }, 'test:setup');
    await setPassword(h.stack.dataStore, made.staff.id, GOOD_PASSWORD);
    const b = browser();
    await b.call('POST', '/api/sign-in', { body: { email: 'davi@clinica.com.br', password: GOOD_PASSWORD } });
    const { createBackend } = await import('../../src/server/app.js');
    const { memoryLog } = await import('../../src/log.js');
    const { request } = await import('./harness.js');
    const restarted = await createBackend({ config: h.stack.config, store: h.stack.dataStore, log: memoryLog(), now, auth: { now: () => clock } });
    const url = await restarted.listen(0, '127.0.0.1');
    try {
      const port = Number(new URL(url).port);
      expect((await request<{ staff: { id: string } }>(port, 'GET', '/api/me', { headers: { cookie: b.cookie! } })).body.staff.id).toBe(made.staff.id);
      await revokeStaff(h.stack.dataStore, made.staff.id, 'cli:test@host', now());
      clock += 15_000;
      const after = await request<{ error: { reason: string } }>(port, 'GET', '/api/me', { headers: { cookie: b.cookie! } });
      expect([after.status, after.body.error.reason]).toEqual([401, 'ended']);
    } finally {
      await restarted.close(100);
    }
  }, 60_000);
});

describe('target aws', () => {
  it('never skips the second factor, not even for a demo account', async () => {
    const made = await addStaff(h.stack.dataStore, { name: 'Elisa Demo', role: 'admin', email: 'elisa@clinica.com.br', demo: true }, 'test:setup');
    await setPassword(h.stack.dataStore, made.staff.id, GOOD_PASSWORD);
    const { createBackend } = await import('../../src/server/app.js');
    const { memoryLog } = await import('../../src/log.js');
    const { request } = await import('./harness.js');
    const aws = await createBackend({ config: { ...h.stack.config, target: 'aws' }, store: h.stack.dataStore, log: memoryLog(), now, auth: { now: () => clock } });
    const url = await aws.listen(0, '127.0.0.1');
    try {
      const r = await request<{ next: string; demo?: boolean }>(Number(new URL(url).port), 'POST', '/api/sign-in', {
        body: { email: 'elisa@clinica.com.br', password: GOOD_PASSWORD },
        headers: { origin: url },
      });
      expect(r.body.next).toBe('enrol');
      expect(r.body.demo).toBeUndefined();
    } finally {
      await aws.close(100);
    }
  }, 60_000);
});

describe('invitations made on the page', () => {
  it('are e-mailed when the server can send mail (on AWS: SES); a failed e-mail still answers the link', async () => {
    const { createBackend } = await import('../../src/server/app.js');
    const { memoryLog } = await import('../../src/log.js');
    const { request } = await import('./harness.js');
    const sent: { to: string; url: string }[] = [];
    let fail = false;
    const log = memoryLog();
    const backend = await createBackend({
      config: h.stack.config,
      store: h.stack.dataStore,
      log,
      sendInvitation: async (i) => {
        if (fail) throw new Error('SES said no');
        sent.push(i);
      },
    });
    const url = await backend.listen(0, '127.0.0.1');
    try {
      const port = Number(new URL(url).port);
      const invite = (email: string) => request<{ invitation: { invitationUrl: string; emailed: boolean } }>(port, 'POST', '/api/staff', { token: h.tokens.admin, body: { name: 'Fábio Nunes', email, role: 'reception' } });
      const ok = await invite('fabio@clinica.com.br');
      expect(ok.body.invitation.emailed).toBe(true);
      expect(sent).toEqual([expect.objectContaining({ to: 'fabio@clinica.com.br', url: ok.body.invitation.invitationUrl })]);
      fail = true;
      const failed = await invite('fabio2@clinica.com.br');
      expect([failed.status, failed.body.invitation.emailed]).toEqual([201, false]);
      expect(log.entries.some((e) => e.message === 'invitation e-mail not sent')).toBe(true);
      expect(JSON.stringify(log.entries)).not.toContain('#invitation='); // the link is a secret: never logged
    } finally {
      await backend.close(100);
    }
  }, 60_000);
});
