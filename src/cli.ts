/**
 * The table of contents of clinica. Every command and its options are declared here or in the group's
 * declare.ts (plain commander, nothing heavy); a command's module is imported only when that command runs,
 * so `clinica --version` and `--help` load commander and nothing else.
 */
import { createRequire } from 'node:module';
import { Command, CommanderError, Option } from 'commander';
import { declareInit } from './commands/init/declare.js';
import { declareDev } from './commands/dev/declare.js';
import { declareInfra } from './commands/infra/declare.js';
import { declarePatients } from './commands/patients/declare.js';
import { declareAppointments } from './commands/appointments/declare.js';
import { declareDentists } from './commands/dentists/declare.js';
import { declareImages } from './commands/images/declare.js';
import { declareUpload } from './commands/upload/declare.js';
import { declareRemind } from './commands/remind/declare.js';
import { declareStaff } from './commands/staff/declare.js';
import { declareSite } from './commands/site/declare.js';
import { declareAudit } from './commands/audit/declare.js';
import { declareRestore } from './commands/restore/declare.js';
import { declareBackup } from './commands/backup/declare.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export const EXIT_CODES_HELP = `
Exit codes:
  0  ok
  1  failure (AWS or the local stack unreachable, credentials, a conflict, nothing could be done)
  2  usage or config error (bad flag, bad value, unknown id, invalid clinica.config.json)
  3  partial failure in bulk work (some items failed; the rest were done — re-running is safe)
  130  cancelled with Ctrl+C (what was done is kept; re-running is safe)
  141  the reader of the output went away (e.g. \`| head\`), as for any Unix tool

Environment: CLINICA_CONFIG, CLINICA_STAGE, CLINICA_TARGET (local|aws), CLINICA_ENDPOINT_URL, AWS_PROFILE,
AWS_REGION, NO_COLOR. Flags override the environment, which overrides clinica.config.json.`;

export function buildProgram(): Command {
  const program = new Command('clinica')
    .description("Run a dental clinic's systems on AWS — patients, images, reminders, the staff backend and the public site.\n`clinica dev` runs all of it on this machine, no AWS account needed.")
    .version(version, '-V, --version', 'print the version')
    .option('-c, --config <file>', 'config file (default: ./clinica.config.json, searched upwards)')
    .option('-s, --stage <name>', 'stage to act on, e.g. dev, prod (default: from config)')
    .option('--profile <name>', 'AWS profile (default: AWS_PROFILE or the default chain)')
    .option('--region <region>', 'AWS region (default: from config, AWS_REGION)')
    .option('--endpoint-url <url>', 'use an AWS-compatible endpoint (emulators, tests)')
    .option('--json', 'print one JSON document on stdout; messages go to stderr')
    .option('-y, --yes', 'answer yes, take defaults, never prompt')
    .option('-v, --verbose', 'more detail, and stack traces on errors')
    .addOption(new Option('-q, --quiet', 'only errors and results').conflicts('verbose'))
    .showSuggestionAfterError()
    .showHelpAfterError('(run with --help for usage)')
    .addHelpText('after', EXIT_CODES_HELP)
    .exitOverride();

  declareInit(program);
  declareDev(program);
  declareInfra(program);
  declarePatients(program);
  declareAppointments(program);
  declareDentists(program);
  declareUpload(program);
  declareImages(program);
  declareRemind(program);
  declareStaff(program);
  declareSite(program);
  declareAudit(program);
  declareRestore(program);
  declareBackup(program);

  // Sub-commands inherit the error/exit behaviour of the program.
  const inherit = (cmd: Command) => {
    for (const sub of cmd.commands) {
      // the exit codes and environment are the same for every command: said once, in `clinica --help`
      sub.exitOverride().showSuggestionAfterError();
      inherit(sub);
    }
  };
  inherit(program);
  return program;
}

/**
 * `clinica help stauts` (or `clinica patients help lst`): commander answers an unknown topic with the whole help
 * and an error exit, never saying what was wrong. Hand such a topic to commander as a command instead, so it
 * says "unknown command 'stauts'" with its suggestion, as `clinica stauts` does.
 */
function withKnownHelpTopic(program: Command, argv: string[]): string[] {
  const [node = '', script = '', ...args] = argv;
  const find = (cmd: Command, name: string) => cmd.commands.find((c) => c.name() === name || c.aliases().includes(name));
  let cmd = program;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === 'help' && i + 1 < args.length && !args[i + 1]!.startsWith('-')) {
      return find(cmd, args[i + 1]!) ? argv : [node, script, ...args.slice(0, i), ...args.slice(i + 1)];
    }
    const sub = find(cmd, args[i]!);
    if (!sub) return argv;
    cmd = sub;
  }
  return argv;
}

export async function main(argv: string[] = process.argv): Promise<void> {
  // clinica supports Node 20 and 22; the SDK's notice about its own future Node floor is not the user's concern
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const program = buildProgram();
  let verbose = argv.includes('--verbose') || argv.includes('-v');
  try {
    await program.parseAsync(withKnownHelpTopic(program, argv));
  } catch (err) {
    if (err instanceof CommanderError) {
      // help and version are not errors; everything else commander rejects is a usage error (exit 2)
      process.exitCode = err.exitCode === 0 || err.code === 'commander.helpDisplayed' || err.code === 'commander.version' ? 0 : 2;
      return;
    }
    verbose ||= Boolean(program.opts().verbose);
    const { reportError } = await import('./ui/report-error.js');
    process.exitCode = reportError(err, verbose);
  }
}
