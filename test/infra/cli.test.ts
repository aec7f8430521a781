/**
 * The built CLI (npm run build first): deploy --dry-run against an endpoint that answers like an empty account
 * prints the whole plan and changes nothing; an unreachable endpoint and missing credentials are one-line
 * errors.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/infra/bundle.js';
import { runCli } from '../helpers/cli.js';
import { startFakeEndpoint, type FakeEndpoint } from './fake-endpoint.js';

let dir: string;
let endpoint: FakeEndpoint;
const env = {
  AWS_ACCESS_KEY_ID: 'AKIAFAKE',
  AWS_SECRET_ACCESS_KEY: 'fake',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: '/dev/null',
  AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
  // the repo's cache of sharp for linux/arm64: no reinstall per test
  CLINICA_BUILD_DIR: join(PACKAGE_ROOT, '.clinica', 'build'),
};

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-deploy-cli-'));
  await writeFile(
    join(dir, 'clinica.config.json'),
    JSON.stringify({
      clinic: { name: 'Clínica Sorriso', email: 'contato@sorriso.example' },
      target: 'aws',
      stage: 'prod',
      aws: { region: 'sa-east-1', bucketPrefix: 'sorriso' },
      network: { clinicCidrs: ['192.168.10.0/24'], plainHttp: true },
      mail: { sender: 'lembretes@clinicasorriso.com.br' },
    }),
  );
  endpoint = await startFakeEndpoint();
});
afterAll(async () => {
  await endpoint?.close();
  await rm(dir, { recursive: true, force: true });
});

describe('clinica deploy --dry-run (built CLI)', () => {
  it('prints the full plan for an empty account and changes nothing', async () => {
    const r = await runCli(['deploy', '--dry-run', '--endpoint-url', endpoint.url], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.stderr).not.toMatch(/unexpected error/);
    expect(r.code, r.stderr).toBe(0);
    for (const resource of [
      'S3 bucket sorriso-prod-data',
      'S3 bucket sorriso-prod-site',
      'site content s3://sorriso-prod-site/',
      'IAM role sorriso-prod-image-processor',
      'IAM role sorriso-prod-reminders',
      'IAM role sorriso-prod-server',
      'IAM instance profile sorriso-prod-server',
      'Lambda function sorriso-prod-image-processor',
      'Lambda function sorriso-prod-reminders',
      'SQS queue sorriso-prod-image-failures',
      'Lambda on-failure destination sorriso-prod-image-processor → sorriso-prod-image-failures',
      'S3 → Lambda events',
      'server release',
      'EC2 security group sorriso-prod-server',
      'EC2 instance sorriso-prod-server',
      'SES identity lembretes@clinicasorriso.com.br',
    ]) {
      expect(r.stdout).toContain(resource);
    }
    expect(r.stdout.match(/\+ create/g)).toHaveLength(26);
    expect(r.stdout).toContain('dry run: 26 to create, 0 to update, 0 unchanged — nothing was changed');
    expect(endpoint.mutating()).toEqual([]);
    expect(endpoint.calls.filter((c) => c.action.startsWith('GetCallerIdentity'))).toHaveLength(1);
    expect(existsSync(join(dir, '.clinica', 'outputs.prod.json'))).toBe(false);
  }, 120_000);

  it('--json gives the plan as one document', async () => {
    const r = await runCli(['deploy', '--dry-run', '--json', '--endpoint-url', endpoint.url], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.code, r.stderr).toBe(0);
    const doc = JSON.parse(r.stdout) as { dryRun: boolean; plan: { summary: Record<string, number>; steps: { id: string; action: string; why: string }[] } };
    expect(doc.dryRun).toBe(true);
    expect(doc.plan.summary).toEqual({ create: 26, update: 0, 'no-change': 0, delete: 0 });
    expect(doc.plan.steps.find((s) => s.id === 'instance')!.why).toMatch(/IMDSv2 required, encrypted root volume/);
  }, 120_000);

  it('without --yes and without a terminal, deploy refuses to apply', async () => {
    const r = await runCli(['deploy', '--endpoint-url', endpoint.url], { cwd: dir, env, timeoutMs: 120_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/clinica: Apply 26 changes to stage prod .*: not confirmed — pass --yes/);
    expect(endpoint.mutating()).toEqual([]);
  }, 120_000);

  it('an unreachable endpoint is a one-line error, exit 1', async () => {
    const r = await runCli(['deploy', '--dry-run', '--endpoint-url', 'http://127.0.0.1:9'], { cwd: dir, env, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n').filter((l) => l.includes('clinica:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^clinica: STS GetCallerIdentity: cannot reach endpoint http:\/\/127\.0\.0\.1:9 \(ECONNREFUSED\) — check the endpoint/);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/); // no stack trace
  });

  it('an S3-only endpoint (the local S3 of `clinica dev`) is refused in one line saying what --endpoint-url must answer for', async () => {
    // what the local S3 answers to an STS call: 404 "Not Found" in plain text
    const s3Only = createServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('Not Found'));
    s3Only.listen(0, '127.0.0.1');
    await once(s3Only, 'listening');
    const url = `http://127.0.0.1:${(s3Only.address() as AddressInfo).port}`;
    try {
      const r = await runCli(['deploy', '--dry-run', '--endpoint-url', url], { cwd: dir, env, timeoutMs: 60_000 });
      expect(r.code).toBe(1);
      const lines = r.stderr.trim().split('\n').filter((l) => !/^\S+Z (info|error) /.test(l));
      expect(lines).toEqual([expect.stringMatching(new RegExp(`^clinica: endpoint ${url} does not answer as AWS STS \\(GetCallerIdentity: .+\\) — --endpoint-url must answer for every service .*STS, S3, IAM, Lambda, EC2, SSM, SES.*; an S3-only server such as the local S3 of \`clinica dev\` is not enough$`))]);
    } finally {
      await new Promise((r) => s3Only.close(r));
    }
  });

  it('missing credentials are a one-line error naming the fix', async () => {
    const r = await runCli(['status'], { cwd: dir, env: { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' }, timeoutMs: 60_000 });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/clinica: STS GetCallerIdentity: no AWS credentials for AWS \(sa-east-1\) — configure a profile/);
  });

  it('a profile that gives no credentials (mistyped, or never configured) is named in the error', async () => {
    const noKeys = { ...env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: '' };
    const flag = await runCli(['status', '--profile', 'clinicx'], { cwd: dir, env: noKeys, timeoutMs: 60_000 });
    expect(flag.code).toBe(1);
    expect(flag.stderr).toMatch(/^clinica: STS GetCallerIdentity: no AWS credentials for AWS \(sa-east-1, profile clinicx\) — configure a profile/m);
    // the progress line before it does not blame the network for missing credentials
    expect(flag.stderr).toMatch(/^\S+Z error could not open stage prod at AWS \(sa-east-1, profile clinicx\)$/m);
    expect(flag.stderr).not.toContain('cannot connect');
    const variable = await runCli(['status'], { cwd: dir, env: { ...noKeys, AWS_PROFILE: 'clinicx' }, timeoutMs: 60_000 });
    expect(variable.stderr).toMatch(/^clinica: STS GetCallerIdentity: no AWS credentials for AWS \(sa-east-1, profile clinicx\)/m);
    // the staff's commands on target aws say it the same way
    const patients = await runCli(['patients', 'list', '--profile', 'clinicx'], { cwd: dir, env: noKeys, timeoutMs: 60_000 });
    expect([patients.code, patients.stderr]).toEqual([1, expect.stringMatching(/^clinica: no AWS credentials for S3 bucket sorriso-prod-data \(sa-east-1, profile clinicx\) — /)]);
  }, 120_000);
});
