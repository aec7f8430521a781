/**
 * The built artefacts a person runs: `clinica staff add|list|revoke` against a running local stack, and
 * `node dist/server/main.js` configured by environment variables alone (as systemd runs it on EC2), with JSON
 * log lines on stdout and a graceful SIGTERM. Run `npm run build` first (npm test does).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { runtimeEnv } from '../../src/config/runtime.js';
import { verifyStaffToken } from '../../src/clinic/staff.js';
import { DEMO_STAFF_FILE, demoStaffSeeder } from '../../src/local/demo-staff.js';
import { runCli } from '../helpers/cli.js';
import { useTestStack } from '../helpers/stack.js';

const MAIN = fileURLToPath(new URL('../../dist/server/main.js', import.meta.url));

const stack = useTestStack({ publish: true });

describe('clinica staff', () => {
  it('adds (token shown once, only its hash stored), lists and revokes', async () => {
    const add = await runCli(['staff', 'add', 'Dra. Ana Souza', '--role', 'dentist', '--json'], { cwd: stack.projectDir });
    expect(add.code, add.stderr).toBe(0);
    const { staff, token } = JSON.parse(add.stdout);
    expect(staff).toMatchObject({ name: 'Dra. Ana Souza', role: 'dentist' });
    expect(staff.createdBy).toMatch(/^cli:/);
    expect(token.startsWith(`${staff.id}.`)).toBe(true);
    const stored = JSON.stringify((await stack.dataStore.getJson(`staff/${staff.id}.json`))!.value);
    expect(stored).not.toContain(token.split('.')[1]);
    expect(await verifyStaffToken(stack.dataStore, token)).toMatchObject({ id: staff.id });

    const human = await runCli(['staff', 'list'], { cwd: stack.projectDir });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Dra. Ana Souza');
    expect(human.stdout).toContain('dentist');
    expect(human.stdout).not.toContain(token);

    const revoke = await runCli(['staff', 'revoke', staff.id], { cwd: stack.projectDir });
    expect(revoke.code, revoke.stderr).toBe(0);
    expect(await verifyStaffToken(stack.dataStore, token)).toBeUndefined();
    const active = await runCli(['staff', 'list', '--active', '--json'], { cwd: stack.projectDir });
    expect(JSON.parse(active.stdout).staff.map((s: { id: string }) => s.id)).not.toContain(staff.id);
  });

  it('exits 2 with one line naming the problem', async () => {
    const role = await runCli(['staff', 'add', 'X', '--role', 'owner'], { cwd: stack.projectDir });
    expect(role.code).toBe(2);
    expect(role.stderr).toMatch(/role "owner": expected one of admin, dentist, assistant, reception/);
    const missing = await runCli(['staff', 'revoke', 'nobody-1234'], { cwd: stack.projectDir });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('no staff member with id "nobody-1234"');
  });
});

describe('the demo admin', () => {
  it('is created once: re-seeding prints the same token', async () => {
    const first = await demoStaffSeeder.seed(stack, new Date());
    const second = await demoStaffSeeder.seed(stack, new Date());
    expect(second.summary).toBe(first.summary);
    const { token } = JSON.parse(await readFile(join(stack.dir, DEMO_STAFF_FILE), 'utf8'));
    expect(first.summary).toContain(token);
    expect(await verifyStaffToken(stack.dataStore, token)).toMatchObject({ role: 'admin', name: 'Demo Admin' });
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
