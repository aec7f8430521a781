import type { Command } from 'commander';
import { lazy } from '../action.js';

/** Putting data back as it was at a moment, from the bucket's versions or the backup. */
export function declareRestore(program: Command): void {
  program
    .command('restore')
    .description("put a patient's record, appointments and image records (or, with --all, the whole store) back as they were at a moment")
    .option('--patient <id>', 'the patient to restore (e.g. P-000123)')
    .option('--all', 'every object, as of --at, into the bucket of --to-stage (disaster recovery)')
    .option('--at <time>', 'the moment: clinic time "2026-11-01 10:00" or an ISO instant with offset')
    .option('--to-stage <name>', 'with --all: the stage whose data bucket receives the copy (deploy it first)')
    .option('--dry-run', 'show what would change; write nothing')
    .addHelpText(
      'after',
      `
Examples:
  clinica restore --patient P-000123 --at "2026-11-01 10:00" --dry-run
  clinica restore --patient P-000123 --at "2026-11-01 10:00" --yes
  clinica restore --all --at "2026-11-01 10:00" --to-stage drill

Versions come from the data bucket (kept aws.noncurrentVersionDays, default 90) or, when they have
expired there, from the backup bucket (aws.backupRetentionDays, default 400). A restore never deletes:
it writes the old content as a new current version, so it can be undone by restoring again; objects
created after the moment are kept. Every restore is in the audit log.`,
    )
    .action(lazy(() => import('./run.js')));
}
