import { Option, type Command } from 'commander';
import { lazy } from '../action.js';

export function declareRemind(program: Command): void {
  program
    .command('remind')
    .description('send due appointment reminders by e-mail (for cron: idempotent, non-interactive)')
    .option('--dry-run', 'list who would get which reminder; send nothing')
    .option('--at <time>', 'act as if it were this time: clinic time "2026-12-01T08:00" or ISO with offset (tests, catch-up)')
    .option('--rule <name>', 'only this reminder rule (e.g. day-before, 2h-before)')
    .addOption(new Option('--via <where>', 'run in the deployed reminders Lambda instead of here').choices(['lambda']))
    .option('--install-cron', 'print a crontab line that runs `clinica remind` every 15 minutes with this shell\'s target and account (with --yes: install it)')
    .addHelpText(
      'after',
      `
Examples:
  clinica remind                          send what is due now (what cron runs)
  clinica remind --dry-run --json         who would get what, as JSON
  clinica remind --at 2026-12-01T09:00    catch up as if it were 09:00 on 1 December (clinic time)
  clinica remind --via lambda             run it in AWS (the function deploy made)
  clinica remind --install-cron --yes     run it from this machine's crontab every 15 minutes
  clinica remind --install-cron --profile clinic --region us-east-1 --yes
                                          the same against AWS: the line keeps the flags and the
                                          CLINICA_*/AWS_PROFILE/AWS_REGION settings (never secrets)

Each reminder is sent once: runs at the same time, or a re-run after a crash, never send twice.
Exit 0 when every due reminder was sent (or nothing was due), 3 when some failed (e.g. a rejected address),
1 when nothing could be sent (SES unreachable, credentials).`,
    )
    .action(lazy(() => import('./run.js')));
}
