/**
 * Secure by default: on target aws the staff page is served over HTTPS at network.domain; without it deploy
 * and status refuse (exit 2, one line naming network.domain and the fix) unless network.plainHttp says so,
 * and then every plan warns in red. `clinica init --domain/--site-domain` write the two names.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploy } from '../../src/commands/infra/deploy.js';
import { status } from '../../src/commands/infra/status.js';
import { ClinicaError } from '../../src/errors.js';
import { Ui } from '../../src/ui/output.js';
import { PassThrough } from 'node:stream';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { CLINIC_CIDR, fakeBundles, hosted, testConfig, testUi } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const deps = () => ({ infra: { bundles: fakeBundles(), sleep: async () => {} }, fetcher: async () => ({ status: 200, body: '{}' }) });
const noDomain = { clinicCidrs: [CLINIC_CIDR], trustedProxies: [], serverPort: 8080, plainHttp: false };

describe('serving the staff page on target aws', () => {
  it('deploy and status refuse plain HTTP without network.domain: exit 2, one line naming it and the fix, no AWS change', async () => {
    const config = await testConfig({ network: noDomain });
    for (const run of [() => hosted(deploy, { config: config.configPath, dryRun: true }, testUi().ui, deps()), () => hosted(status, { config: config.configPath }, testUi().ui, deps())]) {
      const err = await run().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(ClinicaError);
      const e = err as ClinicaError;
      expect(e.exitCode).toBe(2);
      expect(e.message).not.toContain('\n');
      expect(e.message).toMatch(/^network\.domain is not set.*clinica init --domain.*network\.plainHttp: true/);
    }
    expect(fake.mutating()).toEqual([]);
  });

  it('with network.plainHttp the plan goes ahead and warns in red, in the table and in --json', async () => {
    const config = await testConfig({ network: { ...noDomain, plainHttp: true } });
    // a terminal (colour on) that is not interactive: --yes
    const tty = () => Object.assign(new PassThrough(), { isTTY: true, columns: 0 });
    const err = tty();
    let stderr = '';
    err.on('data', (c) => (stderr += c));
    const ui = new Ui({ yes: true }, { stdout: tty(), stderr: err, env: {}, stdinIsTTY: false });
    expect(await hosted(deploy, { config: config.configPath, dryRun: true }, ui, deps())).toBe(0);
    expect(stderr).toContain(`\u001b[31mnetwork.plainHttp is true: the staff page, patient records and image links cross the network UNENCRYPTED`);
    const json = testUi({ json: true });
    expect(await hosted(deploy, { config: config.configPath, dryRun: true }, json.ui, deps())).toBe(0);
    expect(JSON.parse(json.out()).plan.plainHttp).toBe(true);
  });
});

describe('clinica init --domain / --site-domain', () => {
  async function init(options: Record<string, unknown>) {
    const [{ default: run }, { runCommand }] = await Promise.all([import('../../src/commands/init/run.js'), import('../../src/commands/action.js')]);
    const dir = mkdtempSync(join(tmpdir(), 'clinica-init-domain-'));
    const config = join(dir, 'clinica.config.json');
    const ui = testUi().ui;
    const code = await runCommand(run, { args: [], opts: { config, ...options }, ui, command: undefined as never }).catch((e: unknown) => e);
    return { code, written: () => JSON.parse(readFileSync(config, 'utf8')) };
  }

  it('writes network.domain and site.domain', async () => {
    const r = await init({ name: 'Odonto Vida', target: 'aws', domain: 'sistema.odontovida.com.br', siteDomain: 'www.odontovida.com.br' });
    expect(r.code).toBe(0);
    expect(r.written().network.domain).toBe('sistema.odontovida.com.br');
    expect(r.written().site.domain).toBe('www.odontovida.com.br');
  });

  it('refuses a name that is not a domain, naming the flag; nothing is written', async () => {
    const r = await init({ name: 'Odonto Vida', target: 'aws', domain: 'https://Sistema' });
    expect(r.code).toBeInstanceOf(ClinicaError);
    expect((r.code as ClinicaError).message).toMatch(/^--domain \(network\.domain\): expected a lowercase domain name.*nothing was written/);
  });
});
