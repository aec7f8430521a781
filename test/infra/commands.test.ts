/**
 * deploy, status and destroy as a person sees them, in-process over the mocked account (so the SDK mocks
 * apply): the plan table, the --yes apply with a line per step, the outputs file, the "no changes" second
 * run, status's drift and health, destroy keeping the patient data.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { deploy } from '../../src/commands/infra/deploy.js';
import { destroy } from '../../src/commands/infra/destroy.js';
import { status } from '../../src/commands/infra/status.js';
import type { ResolvedConfig } from '../../src/config/load.js';
import type { Fetcher } from '../../src/infra/health.js';
import { Ui } from '../../src/ui/output.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { fakeBundles, hosted, testConfig, testUi } from './helpers.js';

let fake: FakeAws;
let config: ResolvedConfig;
beforeEach(async () => {
  fake = fakeAws();
  config = await testConfig();
});
afterEach(() => fake.restore());

const healthy: Fetcher = async (url) => ({ status: 200, body: JSON.stringify({ version: url.includes('172.31') ? 'v' : 'v' }) });
const unreachable: Fetcher = async () => {
  throw new Error('ETIMEDOUT');
};
const deps = (fetcher: Fetcher = unreachable) => ({ infra: { bundles: fakeBundles(), sleep: async () => {} }, fetcher });
const opts = () => ({ config: config.configPath, yes: true });

describe('clinica deploy / status / destroy (in-process, mocked AWS)', () => {
  it('deploy --yes applies the plan, prints and writes the outputs; a second deploy changes nothing and says so', async () => {
    const first = testUi();
    expect(await hosted(deploy, opts(), first.ui, deps())).toBe(0);
    expect(first.out()).toMatch(/Plan for stage prod \(AWS account 123456789012 \(sa-east-1\)\)/);
    expect(first.out()).toMatch(/\+ create \| does not exist: create with public access block, default encryption, tags/);
    expect(first.out()).toContain('deployed stage prod: 29 resources changed');
    expect(first.err()).toMatch(/info created EC2 instance sorriso-prod-server/);
    expect(first.out()).toMatch(/backend \(private\)\s*\| http:\/\/172\.31\.0\.\d+:8080\//);
    expect(first.out()).toMatch(/website\s*\| https:\/\/d[a-z0-9]+\.cloudfront\.net\//);
    const file = join(config.stateDir, 'outputs.prod.json');
    const outputs = JSON.parse(readFileSync(file, 'utf8'));
    expect(outputs).toMatchObject({
      stage: 'prod',
      account: '123456789012',
      buckets: { data: 'sorriso-prod-data', site: 'sorriso-prod-site' },
      functions: { imageProcessor: 'sorriso-prod-image-processor', reminders: 'sorriso-prod-reminders' },
      backend: { state: 'running', privateUrl: expect.stringMatching(/^http:\/\/172\.31\./), publicUrl: expect.stringMatching(/^http:\/\/203\.0\.113\./), release: expect.stringMatching(/^[0-9a-f]{16}$/) },
    });
    expect(outputs.mail.status).toMatch(/verification pending .*; domain clinicasorriso\.com\.br: DKIM pending — publish its 3 CNAME records$/);
    // Easy DKIM: the three CNAME records to publish, in the outputs and printed (the https engineer's Route 53
    // zone can write the same records when clinica manages the domain's DNS)
    const [token] = fake.state.dkim.get('clinicasorriso.com.br')!.DkimTokens;
    expect(outputs.mail.dkimRecords).toHaveLength(3);
    expect(outputs.mail.dkimRecords[0]).toEqual({ name: `${token}._domainkey.clinicasorriso.com.br`, type: 'CNAME', value: `${token}.dkim.amazonses.com` });
    expect(first.err()).toContain("info publish these DNS records for the sender's domain");
    expect(first.out()).toMatch(new RegExp(`${token}\\._domainkey\\.clinicasorriso\\.com\\.br\\s*\\| CNAME \\| ${token}\\.dkim\\.amazonses\\.com`));

    fake.clear();
    const second = testUi();
    expect(await hosted(deploy, opts(), second.ui, deps())).toBe(0);
    expect(second.out()).toContain('no changes: stage prod matches the config — nothing was changed in AWS');
    expect(fake.mutating()).toEqual([]);
  });

  it('--json prints one document with the plan, what was applied, and the outputs', async () => {
    const t = testUi({ json: true });
    expect(await hosted(deploy, opts(), t.ui, deps())).toBe(0);
    const doc = JSON.parse(t.out());
    expect(doc.applied).toHaveLength(29);
    expect(doc.outputs.buckets.data).toBe('sorriso-prod-data');
  });

  it('the plan carries the public site\'s warnings (what `clinica site build` says): deploy --dry-run, --json, status', async () => {
    const bare = await testConfig({ network: { clinicCidrs: ['203.0.113.10/32'], trustedProxies: [], serverPort: 8080 }, site: { tagline: 'Odontologia' } });
    const site = [
      'public site: the privacy notice does not name the data protection officer (encarregado), whose identity LGPD art. 41 §1 asks to be public — set site.privacy.dpoName (a person, or the company that acts as encarregado)',
      expect.stringMatching(/^public site: the footer names no dentist in charge: .* — set site\.responsibleDentist/),
      expect.stringMatching(/^public site: the footer shows no CRO registration of the clinic, .* — set site\.clinicRegistration/),
    ];
    const json = testUi({ json: true });
    expect(await hosted(deploy, { config: bare.configPath, dryRun: true }, json.ui, deps())).toBe(0);
    expect(JSON.parse(json.out()).plan.warnings).toEqual(site);
    const dry = testUi();
    expect(await hosted(deploy, { config: bare.configPath, dryRun: true }, dry.ui, deps())).toBe(0);
    expect(dry.err()).toContain(`warn ${site[0]}`);
    expect(dry.err()).toMatch(/warn public site: the footer names no dentist in charge/);
    const st = testUi();
    await hosted(status, { config: bare.configPath }, st.ui, deps());
    expect(st.err()).toMatch(/warn public site: the footer shows no CRO registration of the clinic/);
    // a site with everything says nothing
    const full = testUi({ json: true });
    await hosted(deploy, { ...opts(), dryRun: true }, full.ui, deps());
    expect(JSON.parse(full.out()).plan.warnings.filter((w: string) => w.startsWith('public site:'))).toEqual([]);
  });

  it('a failure mid-way says what was done before it and exits non-zero; the re-run converges', async () => {
    fake.failNext('RunInstances', Object.assign(new Error('You have requested more vCPU capacity than your current vCPU limit'), { name: 'VcpuLimitExceeded', $metadata: { httpStatusCode: 400 } }));
    const t = testUi();
    await expect(hosted(deploy, opts(), t.ui, deps())).rejects.toThrow(/starting the backend instance failed: VcpuLimitExceeded/);
    expect(t.err()).toMatch(/deploy stopped at EC2 instance sorriso-prod-server; done before it: created S3 bucket sorriso-prod-data; created S3 bucket sorriso-prod-backup; created S3 bucket sorriso-prod-site;/);
    expect(t.err()).toMatch(/run `clinica deploy` again to continue from here/);
    const again = testUi();
    expect(await hosted(deploy, opts(), again.ui, deps())).toBe(0);
    expect(again.out()).toContain('deployed stage prod: 2 resources changed'); // the instance and the SES identity
  });

  it('status: exit 1 with "missing" before deploy; 0 when deployed, verified and healthy; 1 again on drift', async () => {
    const before = testUi();
    expect(await hosted(status, opts(), before.ui, deps())).toBe(1);
    expect(before.out()).toMatch(/S3 bucket sorriso-prod-data\s*\| missing/);
    expect(before.out()).toMatch(/stage prod: 29 resources missing or drifted \(run `clinica deploy`\); \d+ checks failing/);

    await hosted(deploy, opts(), testUi().ui, deps());
    fake.state.identities.set('lembretes@clinicasorriso.com.br', 'Success');
    const good = testUi();
    expect(await hosted(status, opts(), good.ui, deps(healthy))).toBe(0);
    expect(good.out()).toMatch(/backend \/health\s*\| ok\s*\| http:\/\/172\.31\.0\.\d+:8080\/health ok/);
    expect(good.out()).toMatch(/data bucket\s*\| ok\s*\| public access block: all four on; default encryption: SSE-S3; versioning: Enabled; bucket policy: TLS only; audit write-once/);
    expect(good.out()).toMatch(/SES sender\s*\| ok\s*\| lembretes@clinicasorriso\.com\.br verified/);
    expect(good.out()).toMatch(/SES sending quota\s*\| ok\s*\| SES sandbox \(verified recipients only/);
    expect(good.out()).toContain('stage prod matches the config and is healthy');

    // someone turns versioning off by hand; the backend cannot be reached from here (unknown, not a failure)
    fake.clear();
    fake.state.buckets.get('sorriso-prod-data')!.settings.versioning = { Status: 'Suspended' };
    const drifted = testUi();
    expect(await hosted(status, opts(), drifted.ui, deps(unreachable))).toBe(1);
    expect(drifted.out()).toMatch(/S3 bucket sorriso-prod-data\s*\| drift\s*\| versioning Suspended → Enabled/);
    expect(drifted.out()).toMatch(/backend \/health\s*\| unknown\s*\| not reachable from here/);
    expect(drifted.out()).toMatch(/data bucket\s*\| FAIL/);
    expect(fake.mutating()).toEqual([]); // status never changes anything

    // what someone adds by hand beside clinica's own settings is drift too
    fake.state.buckets.get('sorriso-prod-data')!.settings.versioning = { Status: 'Enabled' };
    fake.state.roles.get('sorriso-prod-server')!.inline.set('extra', '{"Version":"2012-10-17","Statement":[]}');
    fake.state.functions.get('sorriso-prod-image-processor')!.policy.push({ Sid: 'open', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunction' });
    [...fake.state.instances.values()][0].MetadataOptions.HttpPutResponseHopLimit = 2;
    const extras = testUi();
    expect(await hosted(status, opts(), extras.ui, deps(healthy))).toBe(1);
    expect(extras.out()).toMatch(/IAM role sorriso-prod-server\s*\| drift\s*\| delete inline policy extra \(added by hand\)/);
    expect(extras.out()).toMatch(/Lambda function sorriso-prod-image-processor\s*\| drift\s*\| remove statement open \(principal \*\)/);
    expect(extras.out()).toMatch(/EC2 instance .*\| drift\s*\| metadata hop limit 2 → 1/);
    expect(extras.out()).toContain('stage prod: 3 resources missing or drifted');
    expect(fake.mutating()).toEqual([]);
  });

  it('on target local, an endpoint URL (as for every other command) names where the stage is: the plan is read there', async () => {
    const local = await testConfig({ target: 'local' });
    const t = testUi();
    expect(await hosted(deploy, { config: local.configPath, endpointUrl: 'http://127.0.0.1:4566', dryRun: true }, t.ui, deps())).toBe(0);
    expect(t.out()).toContain('Plan for stage prod (endpoint http://127.0.0.1:4566)');
    expect(t.out()).toContain('dry run: 29 to create, 0 to update, 0 unchanged — nothing was changed');
    expect(fake.mutating()).toEqual([]);
    // without one, target local is refused before any AWS call
    fake.clear();
    await expect(hosted(status, { config: local.configPath }, testUi().ui, deps())).rejects.toThrow(/the config's target is local/);
    expect(fake.calls).toEqual([]);
  });

  it('status on a terminal flags drift in red (the resource and what changed), what is fine in green', async () => {
    await hosted(deploy, opts(), testUi().ui, deps());
    fake.state.identities.set('lembretes@clinicasorriso.com.br', 'Success');
    fake.state.buckets.get('sorriso-prod-data')!.settings.versioning = { Status: 'Suspended' };
    const terminal = () => Object.assign(new PassThrough(), { isTTY: true });
    const stdout = terminal();
    let text = '';
    stdout.on('data', (c) => (text += c));
    const ui = new Ui({}, { stdout, stderr: terminal(), env: {}, stdinIsTTY: false });
    expect(await hosted(status, { config: config.configPath }, ui, deps(healthy))).toBe(1);
    const ESC = String.fromCharCode(27);
    const row = (name: string) => text.split('\n').find((l) => l.includes(name))!;
    expect(row('S3 bucket sorriso-prod-data')).toContain(`${ESC}[31mdrift${ESC}[0m`);
    expect(row('S3 bucket sorriso-prod-data')).toContain(`${ESC}[31mversioning Suspended → Enabled${ESC}[0m`);
    expect(row('S3 bucket sorriso-prod-site')).toContain(`${ESC}[32mok${ESC}[0m`);
  });

  it('destroy --yes removes the stage and keeps the patient data; --delete-patient-data --yes deletes it too', async () => {
    await hosted(deploy, opts(), testUi().ui, deps());
    const outputs = join(config.stateDir, 'outputs.prod.json');
    expect(existsSync(outputs)).toBe(true);
    const t = testUi();
    expect(await hosted(destroy, opts(), t.ui, deps())).toBe(0);
    // the outputs described the stage that is gone (a terminated instance's URL): removed with it
    expect(existsSync(outputs)).toBe(false);
    expect(t.err()).toContain(`info removed ${outputs}: the stage's outputs are gone with it`);
    expect(t.out()).toMatch(/S3 bucket sorriso-prod-data\s*\|\s+no change \| kept: patient data/);
    expect(t.out()).toMatch(/destroyed stage prod: 19 resources deleted; kept SES identity lembretes@clinicasorriso\.com\.br, log group \/aws\/lambda\/sorriso-prod-reminders, log group \/aws\/lambda\/sorriso-prod-answers, log group \/aws\/lambda\/sorriso-prod-image-processor, S3 bucket sorriso-prod-backup \(us-east-1\), S3 bucket sorriso-prod-data/);
    expect(fake.state.buckets.has('sorriso-prod-data')).toBe(true);

    const all = testUi();
    expect(await hosted(destroy, { ...opts(), deletePatientData: true }, all.ui, deps())).toBe(0);
    expect(fake.state.buckets.has('sorriso-prod-data')).toBe(false);
    expect(all.out()).toMatch(/destroyed stage prod: 5 resources deleted; kept SES identity lembretes@clinicasorriso\.com\.br$/m);
    expect(existsSync(config.stateDir)).toBe(true);
  });

  it('destroy --delete-patient-data of a deployed stage does not say it kept the deleted bucket\'s S3 → Lambda events', async () => {
    await hosted(deploy, opts(), testUi().ui, deps());
    const t = testUi();
    expect(await hosted(destroy, { ...opts(), deletePatientData: true }, t.ui, deps())).toBe(0);
    expect(fake.state.buckets.has('sorriso-prod-data')).toBe(false);
    expect(t.out()).toMatch(/destroyed stage prod: \d+ resources deleted; kept SES identity lembretes@clinicasorriso\.com\.br$/m);
    expect(t.out()).not.toContain('Lambda events');
  });

  it('destroy without --yes and without a terminal refuses', async () => {
    await hosted(deploy, opts(), testUi().ui, deps());
    const out = new PassThrough();
    const ui = new Ui({}, { stdout: out, stderr: new PassThrough(), env: {}, stdinIsTTY: false });
    await expect(hosted(destroy, { config: config.configPath }, ui, deps())).rejects.toThrow(/not confirmed/);
    expect(fake.state.functions.size).toBe(3);
  });
});
