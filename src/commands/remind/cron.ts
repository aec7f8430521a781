/**
 * `clinica remind --install-cron`: the crontab line that runs the reminders every 15 minutes from this
 * project's folder, with absolute paths (cron's PATH is minimal and its working folder is $HOME) and the
 * target and account this shell uses: the global flags given (--config, --stage, --profile, --region,
 * --endpoint-url) and the clinica/AWS variables in effect, which cron's bare environment would lack. Never a
 * secret: credentials that exist only as environment variables are refused (install) or warned about (print).
 * Printed by default; installed into the user's crontab with --yes, replacing an earlier line for the same
 * config and stage (the trailing "# clinica remind: <config> (stage <stage>)" comment marks it). `--quiet`
 * keeps cron's mail for runs that failed.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type GlobalOptions, type ResolvedConfig } from '../../config/load.js';
import { ClinicaError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';

/** Single-quoted for sh, with cron's `%` (a newline to cron) escaped. */
const quote = (text: string) => `'${text.replace(/'/g, `'\\''`).replace(/%/g, '\\%')}'`;

/**
 * The environment variables clinica and the AWS SDK read for the target and account, carried into the line.
 * Paths among them are made absolute (cron starts elsewhere). AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN never are: secrets do not belong in a crontab.
 */
export const CARRIED_ENV = [
  'CLINICA_CONFIG',
  'CLINICA_STAGE',
  'CLINICA_TARGET',
  'CLINICA_ENDPOINT_URL',
  'CLINICA_TEMPLATES_DIR',
  'AWS_PROFILE',
  'AWS_REGION',
  'AWS_DEFAULT_REGION',
  'AWS_CONFIG_FILE',
  'AWS_SHARED_CREDENTIALS_FILE',
] as const;
const PATH_ENV = new Set(['CLINICA_CONFIG', 'CLINICA_TEMPLATES_DIR', 'AWS_CONFIG_FILE', 'AWS_SHARED_CREDENTIALS_FILE']);

/** The clinica launcher: the one this process runs from, else bin/clinica.js of this package. */
function launcher(): string {
  const argv1 = process.argv[1];
  if (argv1 && /clinica(\.js)?$/.test(basename(argv1)) && existsSync(argv1)) return realpathSync(argv1);
  return resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'bin', 'clinica.js');
}

export interface CronLineInput {
  projectDir: string;
  node: string;
  bin: string;
  /** the global flags to pass on (a --config path absolute) */
  flags?: Pick<GlobalOptions, 'config' | 'stage' | 'profile' | 'region' | 'endpointUrl'>;
  /** VAR=value assignments for the command */
  env?: Record<string, string>;
  /** what the line is for, in its marker: the config file (else the folder) and the stage */
  configFile?: string;
  stage: string;
}

export function cronLine(input: CronLineInput): string {
  const path = [...new Set([dirname(input.node), '/usr/local/bin', '/usr/bin', '/bin'])].join(':');
  const f = input.flags ?? {};
  const flags = (
    [
      ['--config', f.config],
      ['--stage', f.stage],
      ['--profile', f.profile],
      ['--region', f.region],
      ['--endpoint-url', f.endpointUrl],
    ] as const
  ).flatMap(([flag, value]) => (value ? [flag, quote(value)] : []));
  const env = Object.entries(input.env ?? {}).map(([name, value]) => `${name}=${quote(value)}`);
  const command = [`PATH=${quote(path)}`, ...env, quote(input.node), quote(input.bin), 'remind', '--quiet', ...flags].join(' ');
  return `*/15 * * * * cd ${quote(input.projectDir)} && ${command} ${marker(input)}`;
}

/** One line per config and stage: two stages (or two config files) of one folder get two lines. */
const marker = (input: Pick<CronLineInput, 'configFile' | 'projectDir' | 'stage'>) => `# clinica remind: ${input.configFile ?? input.projectDir} (stage ${input.stage})`.replace(/%/g, '\\%');

/** The line for this shell (its flags, its clinica/AWS variables with paths made absolute) and its marker. */
export function cronLineFor(opts: GlobalOptions, config: ResolvedConfig, env: NodeJS.ProcessEnv, cwd: string, tools: { node: string; bin: string }): { line: string; mark: string } {
  const carried: Record<string, string> = {};
  for (const name of CARRIED_ENV) {
    const value = env[name];
    if (value) carried[name] = PATH_ENV.has(name) ? resolve(cwd, value) : value;
  }
  const input: CronLineInput = {
    projectDir: config.projectDir,
    ...tools,
    flags: { config: opts.config ? resolve(cwd, opts.config) : undefined, stage: opts.stage, profile: opts.profile, region: opts.region, endpointUrl: opts.endpointUrl },
    env: carried,
    configFile: config.configPath ? resolve(cwd, config.configPath) : undefined,
    stage: config.stage,
  };
  return { line: cronLine(input), mark: marker(input) };
}

/**
 * Why cron could not reach the same AWS account: the credentials are only in this shell's environment (an
 * access key and no profile), and they are not put in the crontab.
 */
export function envOnlyCredentials(config: ResolvedConfig, env: NodeJS.ProcessEnv): ClinicaError | undefined {
  if (config.target !== 'aws' || config.aws.profile || !env.AWS_ACCESS_KEY_ID) return undefined;
  return new ClinicaError('config', 'the AWS credentials come only from AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY in this shell, and secrets are not put in a crontab: cron would run without them', {
    field: 'profile',
    hint: 'keep them in a profile (`aws configure --profile clinic`) and pass --profile clinic, or run cron on an EC2 instance with a role',
  });
}

function crontab(args: string[], input?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolvePromise, reject) => {
    if (input === undefined) {
      execFile('crontab', args, (err, stdout, stderr) => {
        if (err && (err as NodeJS.ErrnoException).code === 'ENOENT') return reject(err);
        resolvePromise({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      });
      return;
    }
    const child = spawn('crontab', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(input);
  });
}

const noCrontab = (err: unknown) =>
  new ClinicaError('unavailable', 'the crontab command is not available on this machine', {
    hint: 'install cron (e.g. `apt-get install cron`), or run the printed line from a systemd timer',
    cause: err,
  });

export async function installCron({ opts }: CommandInput<{ installCron?: boolean }>): Promise<Output> {
  const config = loadConfig(opts);
  const { line, mark } = cronLineFor(opts, config, process.env, process.cwd(), { node: process.execPath, bin: launcher() });
  const credentials = envOnlyCredentials(config, process.env);
  if (!opts.yes) {
    return output({ line, installed: false }, (ui) => {
      ui.print(line);
      if (credentials) ui.warn(`${credentials.message} — ${credentials.hint}`);
      ui.info('add it with `crontab -e`, or run `clinica remind --install-cron --yes` to install it');
    });
  }
  if (credentials) throw credentials;
  let current = '';
  try {
    const listed = await crontab(['-l']);
    // "no crontab for <user>" is exit 1 with nothing listed: start from an empty table
    if (listed.code === 0) current = listed.stdout;
    else if (!/no crontab/i.test(listed.stderr)) throw new ClinicaError('unavailable', `crontab -l failed: ${listed.stderr.trim()}`);
  } catch (err) {
    if (err instanceof ClinicaError) throw err;
    throw noCrontab(err);
  }
  const kept = current.split('\n').filter((l) => l.trim() && !l.endsWith(mark));
  const replaced = kept.length !== current.split('\n').filter((l) => l.trim()).length;
  const table = [...kept, line].join('\n') + '\n';
  let written;
  try {
    written = await crontab(['-'], table);
  } catch (err) {
    throw noCrontab(err);
  }
  if (written.code !== 0) throw new ClinicaError('unavailable', `crontab could not be written: ${written.stderr.trim()}`);
  return output({ line, installed: true, replaced }, (ui) => {
    ui.print(line);
    ui.info(`${replaced ? 'replaced the' : 'installed a'} crontab line: reminders for stage ${config.stage} run every 15 minutes from ${config.projectDir}`);
  });
}
