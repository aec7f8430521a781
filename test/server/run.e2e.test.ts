/**
 * The built artefacts a person runs: `clinica staff …` and `clinica tokens …` against a running local stack, and
 * `node dist/server/main.js` configured by environment variables alone (as systemd runs it on EC2), with JSON
 * log lines on stdout and a graceful SIGTERM. Run `npm run build` first (npm test does).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runtimeEnv } from '../../src/config/runtime.js';
import { verifyApiToken } from '../../src/clinic/api-tokens.js';
import { verifyPassword } from '../../src/clinic/passwords.js';
import { addStaff, findStaffByEmail, invitationAccount, type StaffRecord } from '../../src/clinic/staff.js';
import { DEMO_STAFF_FILE, demoStaffSeeder } from '../../src/local/demo-staff.js';
import { runCli } from '../helpers/cli.js';
import { startTestStack, type TestStack } from '../helpers/stack.js';

const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

let stack: TestStack;
beforeAll(async () => {
  stack = await startTestStack({ publish: true });
});
afterAll(() => stack?.close());

describe('clinica staff', () => {
  it('adds with an invitation link (--json: id, invitationUrl, expiresAt; only its hash stored), lists, resets and revokes', async () => {
    const add = await runCli(['staff', 'add', 'Dra. Ana Souza', '--email', 'ana@clinica.com.br', '--role', 'dentist', '--json'], { cwd: stack.projectDir });
    expect(add.code, add.stderr).toBe(0);
    const out = JSON.parse(add.stdout);
    expect(Object.keys(out).sort()).toEqual(['emailed', 'expiresAt', 'id', 'invitationUrl']);
    expect(out.invitationUrl).toMatch(/\/#invitation=[a-z0-9-]+\.[A-Za-z0-9_-]{43}$/);
    const token = out.invitationUrl.split('#invitation=')[1];
    const stored = (await stack.dataStore.getJson<StaffRecord>(`staff/${out.id}.json`))!.value;
    expect(stored).toMatchObject({ name: 'Dra. Ana Souza', email: 'ana@clinica.com.br', role: 'dentist' });
    expect(stored.createdBy).toMatch(/^cli:/);
    expect(JSON.stringify(stored)).not.toContain(token.split('.')[1]);
    expect((await invitationAccount(stack.dataStore, token))?.id).toBe(out.id);

    const twice = await runCli(['staff', 'add', 'Ana de novo', '--email', 'ANA@clinica.com.br', '--role', 'dentist'], { cwd: stack.projectDir });
    expect(twice.code).toBe(2);
    expect(twice.stderr).toContain('another staff account already uses ana@clinica.com.br');

    const human = await runCli(['staff', 'list'], { cwd: stack.projectDir });
    expect(human.code).toBe(0);
    expect(human.stdout).toMatch(/Dra\. Ana Souza.*ana@clinica\.com\.br.*dentist.*invited/);
    expect(human.stdout).not.toContain(token);

    const reset = await runCli(['staff', 'reset', out.id, '--json'], { cwd: stack.projectDir });
    expect(reset.code, reset.stderr).toBe(0);
    expect(await invitationAccount(stack.dataStore, token)).toBeUndefined(); // the old link no longer works
    expect(await invitationAccount(stack.dataStore, JSON.parse(reset.stdout).invitationUrl.split('#invitation=')[1])).toBeDefined();

    const revoke = await runCli(['staff', 'revoke', out.id], { cwd: stack.projectDir });
    expect(revoke.code, revoke.stderr).toBe(0);
    const active = await runCli(['staff', 'list', '--active', '--json'], { cwd: stack.projectDir });
    expect(JSON.parse(active.stdout).staff.map((s: { id: string }) => s.id)).not.toContain(out.id);
  });

  it('tokens: add (shown once, 90 days), list, revoke', async () => {
    const made = await addStaff(stack.dataStore, { name: 'Backup', role: 'reception' }, 'test:setup');
    const add = await runCli(['tokens', 'add', 'backup script', '--staff', made.staff.id, '--json'], { cwd: stack.projectDir });
    expect(add.code, add.stderr).toBe(0);
    const { apiToken, token } = JSON.parse(add.stdout);
    expect((await verifyApiToken(stack.dataStore, token))?.staff.id).toBe(made.staff.id);
    const list = await runCli(['tokens', 'list'], { cwd: stack.projectDir });
    expect(list.stdout).toContain('backup script');
    expect(list.stdout).not.toContain(token);
    expect((await runCli(['tokens', 'revoke', apiToken.id], { cwd: stack.projectDir })).code).toBe(0);
    expect(await verifyApiToken(stack.dataStore, token)).toBeUndefined();
  });

  it('invite-all: invitations for token-only accounts (kept, with their audit history); one without e-mail is reported (exit 3)', async () => {
    const old = { id: 'rosa-old1', name: 'Rosa Antiga', role: 'reception', createdAt: '2026-01-01T00:00:00.000Z', createdBy: 'cli:x', tokenHash: 'a'.repeat(64) };
    await stack.dataStore.putJson('staff/rosa-old1.json', old);
    const first = await runCli(['staff', 'invite-all', '--json'], { cwd: stack.projectDir });
    expect(first.code).toBe(3);
    expect(JSON.parse(first.stdout).invited).toEqual([expect.objectContaining({ id: 'rosa-old1', ok: false })]);
    expect((await runCli(['staff', 'edit', 'rosa-old1', '--email', 'rosa@clinica.com.br'], { cwd: stack.projectDir })).code).toBe(0);
    const second = await runCli(['staff', 'invite-all', '--json'], { cwd: stack.projectDir });
    expect(second.code, second.stderr).toBe(0);
    expect(JSON.parse(second.stdout).invited).toEqual([expect.objectContaining({ id: 'rosa-old1', ok: true, invitationUrl: expect.stringContaining('#invitation=rosa-old1.') })]);
    const record = (await stack.dataStore.getJson<StaffRecord>('staff/rosa-old1.json'))!.value;
    expect(record).toMatchObject({ id: 'rosa-old1', createdAt: old.createdAt, email: 'rosa@clinica.com.br' });
    expect(record.tokenHash).toBeUndefined();
    expect(JSON.parse((await runCli(['staff', 'invite-all', '--json'], { cwd: stack.projectDir })).stdout).invited).toEqual([]); // a re-run: nothing left
  });

  it('exits 2 with one line naming the problem', async () => {
    const role = await runCli(['staff', 'add', 'X', '--email', 'x@clinica.com.br', '--role', 'owner'], { cwd: stack.projectDir });
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/role "owner": expected one of admin, dentist, assistant, reception/);
    const email = await runCli(['staff', 'add', 'X', '--email', 'not-an-email', '--role', 'admin'], { cwd: stack.projectDir });
    expect(email.code).toBe(2);
    expect(email.stderr).toContain('e-mail "not-an-email"');
    const missing = await runCli(['staff', 'revoke', 'nobody-1234'], { cwd: stack.projectDir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no staff member with id "nobody-1234"');
  });
});

describe('the demo admin', () => {
  it('is created once: re-seeding prints the same e-mail and password, which sign in', async () => {
    const first = await demoStaffSeeder.seed(stack, new Date());
    const second = await demoStaffSeeder.seed(stack, new Date());
    expect(second.summary).toBe(first.summary);
    const saved = JSON.parse(await readFile(join(stack.dir, DEMO_STAFF_FILE), 'utf8'));
    expect(first.summary).toContain(`admin ${saved.email} / password ${saved.password}`);
    const record = (await findStaffByEmail(stack.dataStore, saved.email))!;
    expect(record).toMatchObject({ role: 'admin', name: 'Demo Admin', demo: true });
    expect(await verifyPassword(saved.password, record.passwordHash!)).toBe(true);
    expect((await verifyApiToken(stack.dataStore, saved.token))?.staff.id).toBe(record.id);
  });
});

describe('node dist/server/main.js', () => {
  it('starts from environment variables, logs JSON lines, serves, and stops cleanly on SIGTERM', async () => {
    const env = {
      ...process.env,
      ...runtimeEnv(stack.config, { s3Endpoint: stack.s3.endpoint }),
      PORT: '0',
      HOST: '127.0.0.1',
      CLINICA_VERSION: '9.9.9-test',
    };
    const child = spawn(process.execPath, [MAIN], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: Record<string, unknown>[] = [];
    let buffer = '';
    let stderr = '';
    child.stderr.on('data', (c) => (stderr += c));
    const listening = new Promise<string>((resolve, reject) => {
      child.stdout.on('data', (chunk) => {
        buffer += chunk;
        let nl;
        while ((nl = buffer.indexOf('\n')) !== -1) {
          const line = JSON.parse(buffer.slice(0, nl)) as Record<string, unknown>;
          buffer = buffer.slice(nl + 1);
          lines.push(line);
          if (line.message === 'listening') resolve(line.url as string);
        }
      });
      child.once('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const url = await listening;
    const health = await fetch(`${url}/health`);
    expect(await health.json()).toMatchObject({ status: 'ok', version: '9.9.9-test', s3: { reachable: true } });
    expect((await fetch(`${url}/`)).status).toBe(200);
    const exited = once(child, 'exit');
    child.kill('SIGTERM');
    const [code] = await exited;
    expect(code).toBe(0);
    expect(lines.map((l) => l.message)).toEqual(expect.arrayContaining(['listening', 'request', 'stopping', 'stopped']));
    expect(lines.every((l) => typeof l.time === 'string' && typeof l.level === 'string' && l.service === 'clinica-server')).toBe(true);
    expect(stderr).toBe('');
  });

  it('exits 1 with one JSON line when the config is missing', async () => {
    const child = spawn(process.execPath, [MAIN], { env: { ...process.env, CLINICA_CONFIG_JSON: '' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const [code] = await once(child, 'exit');
    expect(code).toBe(1);
    const line = JSON.parse(out.trim());
    expect(line).toMatchObject({ level: 'error', message: 'cannot start' });
    expect(line.error).toContain('CLINICA_CONFIG_JSON is not set');
  });
});
