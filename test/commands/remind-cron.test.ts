/**
 * The crontab line of `clinica remind --install-cron`, run the way cron runs it: a bare environment, `%`
 * unescaped, through sh — with a stand-in for node that reports the arguments, variables and folder it got.
 */
import { execFile } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cronLineFor, envOnlyCredentials } from '../../src/commands/remind/cron.js';
import { defaultConfigInput, loadConfig, type GlobalOptions } from '../../src/config/load.js';

let dir: string;
let project: string;
let fakeNode: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-cron-'));
  project = join(dir, 'clinic 100%');
  await mkdir(join(project, 'conf'), { recursive: true });
  await writeFile(join(project, 'conf', 'clinica.prod.json'), JSON.stringify({ ...defaultConfigInput, target: 'aws', stage: 'prod' }));
  await writeFile(join(project, 'clinica.config.json'), JSON.stringify(defaultConfigInput));
  fakeNode = join(dir, 'node');
  await writeFile(
    fakeNode,
    `#!/bin/sh\nfor a in "$@"; do printf 'ARG %s\\n' "$a"; done\nenv | grep -E '^(CLINICA_|AWS_)' | sort | sed 's/^/ENV /'\nprintf 'PWD %s\\n' "$(pwd)"\n`,
  );
  await chmod(fakeNode, 0o755);
});
afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

function lineFor(opts: GlobalOptions, env: NodeJS.ProcessEnv) {
  const config = loadConfig(opts, env, project);
  return cronLineFor(opts, config, env, project, { node: fakeNode, bin: '/opt/clinica/bin/clinica.js' });
}

/** What cron would start: the command after the schedule, `\%` made `%`, run by sh with nothing inherited. */
async function runAsCron(line: string): Promise<{ args: string[]; env: Record<string, string>; pwd: string }> {
  const command = line.replace(/^(\S+\s+){5}/, '').replace(/\\%/g, '%');
  const { stdout } = await promisify(execFile)('/bin/sh', ['-c', command], { env: { HOME: dir } });
  const lines = stdout.trim().split('\n');
  const args = lines.filter((l) => l.startsWith('ARG ')).map((l) => l.slice(4));
  const env = Object.fromEntries(lines.filter((l) => l.startsWith('ENV ')).map((l) => l.slice(4).split(/=(.*)/s).slice(0, 2) as [string, string]));
  return { args, env, pwd: lines.find((l) => l.startsWith('PWD '))!.slice(4) };
}

describe('remind --install-cron: the line carries the target and the account, never a secret', () => {
  it('passes on the global flags (the config made absolute) and the clinica/AWS variables in effect', async () => {
    const env = {
      CLINICA_TARGET: 'aws',
      AWS_PROFILE: 'clinic',
      AWS_REGION: 'us-east-1',
      CLINICA_TEMPLATES_DIR: 'my templates',
      AWS_CONFIG_FILE: '/home/ti/.aws/config',
      AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'very-secret',
      AWS_SESSION_TOKEN: 'token-secret',
      HOME: '/home/ti',
    };
    const { line, mark } = lineFor({ config: 'conf/clinica.prod.json', stage: 'prod', profile: "o'brien 100%", region: 'sa-east-1', endpointUrl: 'http://127.0.0.1:4566' }, env);
    expect(line).not.toMatch(/very-secret|token-secret|AKIAEXAMPLE/);
    expect(line.endsWith(` ${mark}`)).toBe(true);
    expect(mark).toBe(`# clinica remind: ${join(project, 'conf', 'clinica.prod.json').replace(/%/g, '\\%')} (stage prod)`);

    const started = await runAsCron(line);
    expect(started.pwd).toBe(join(project, 'conf')); // the config's folder
    expect(started.args).toEqual([
      '/opt/clinica/bin/clinica.js',
      'remind',
      '--quiet',
      '--config',
      join(project, 'conf', 'clinica.prod.json'),
      '--stage',
      'prod',
      '--profile',
      "o'brien 100%",
      '--region',
      'sa-east-1',
      '--endpoint-url',
      'http://127.0.0.1:4566',
    ]);
    expect(started.env).toEqual({
      AWS_CONFIG_FILE: '/home/ti/.aws/config',
      AWS_PROFILE: 'clinic',
      AWS_REGION: 'us-east-1',
      CLINICA_TARGET: 'aws',
      CLINICA_TEMPLATES_DIR: join(project, 'my templates'),
    });
  });

  it('without flags or variables the line is the bare command; the config found and the stage still mark it', async () => {
    const { line, mark } = lineFor({}, {});
    expect(mark).toBe(`# clinica remind: ${join(project, 'clinica.config.json').replace(/%/g, '\\%')} (stage dev)`);
    const started = await runAsCron(line);
    expect(started.args).toEqual(['/opt/clinica/bin/clinica.js', 'remind', '--quiet']);
    expect(started.env).toEqual({});
  });

  it('two stages of one folder are two lines (two markers)', () => {
    const dev = lineFor({}, {});
    const prod = lineFor({}, { CLINICA_STAGE: 'prod' });
    expect(prod.mark).not.toBe(dev.mark);
    expect(prod.mark).toMatch(/\(stage prod\)$/);
    expect(dev.line.endsWith(prod.mark)).toBe(false);
  });

  it('credentials that exist only as variables of this shell are named as the problem; a profile or the local target is fine', () => {
    const keys = { AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'very-secret' };
    const aws = { ...keys, CLINICA_TARGET: 'aws' };
    const problem = envOnlyCredentials(loadConfig({}, aws, project), aws);
    expect(problem).toMatchObject({ kind: 'config', field: 'profile' });
    expect(problem!.message).toMatch(/AWS_ACCESS_KEY_ID.*not put in a crontab/);
    expect(problem!.hint).toMatch(/--profile/);
    expect(envOnlyCredentials(loadConfig({ profile: 'clinic' }, aws, project), aws)).toBeUndefined();
    expect(envOnlyCredentials(loadConfig({}, { ...aws, AWS_PROFILE: 'clinic' }, project), { ...aws, AWS_PROFILE: 'clinic' })).toBeUndefined();
    expect(envOnlyCredentials(loadConfig({}, keys, project), keys)).toBeUndefined(); // the local target
  });
});
