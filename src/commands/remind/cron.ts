/**
 * `clinica remind --install-cron`: the crontab line that runs the reminders every 15 minutes from this
 * project's folder, with absolute paths (cron's PATH is minimal and its working folder is $HOME). Printed by
 * default; installed into the user's crontab with --yes, replacing an earlier line for the same folder (the
 * trailing "# clinica remind: <folder>" comment marks it). `--quiet` keeps cron's mail for runs that failed.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../../config/load.js';
import { ClinicaError } from '../../errors.js';
import type { CommandInput } from '../action.js';

const quote = (text: string) => `'${text.replace(/'/g, `'\\''`).replace(/%/g, '\\%')}'`;

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
  configFile?: string;
  stage?: string;
}

export function cronLine(input: CronLineInput): string {
  const path = [...new Set([dirname(input.node), '/usr/local/bin', '/usr/bin', '/bin'])].join(':');
  const args = ['remind', '--quiet', ...(input.configFile ? ['--config', quote(input.configFile)] : []), ...(input.stage ? ['--stage', quote(input.stage)] : [])];
  return `*/15 * * * * cd ${quote(input.projectDir)} && PATH=${quote(path)} ${quote(input.node)} ${quote(input.bin)} ${args.join(' ')} ${marker(input.projectDir)}`;
}

const marker = (projectDir: string) => `# clinica remind: ${projectDir.replace(/%/g, '\\%')}`;

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

export async function installCron({ opts, ui }: CommandInput<{ installCron?: boolean }>): Promise<number> {
  const config = loadConfig(opts);
  const line = cronLine({
    projectDir: config.projectDir,
    node: process.execPath,
    bin: launcher(),
    configFile: opts.config && config.configPath ? resolve(config.configPath) : undefined,
    stage: opts.stage,
  });
  if (!opts.yes) {
    ui.result({ line, installed: false });
    ui.print(line);
    ui.info('add it with `crontab -e`, or run `clinica remind --install-cron --yes` to install it');
    return 0;
  }
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
  const mark = marker(config.projectDir);
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
  ui.result({ line, installed: true, replaced });
  ui.print(line);
  ui.info(`${replaced ? 'replaced the' : 'installed a'} crontab line: reminders run every 15 minutes from ${config.projectDir}`);
  return 0;
}
