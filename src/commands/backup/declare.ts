import type { Command } from 'commander';
import { lazy } from '../action.js';

/** The backup copy (the bucket the data bucket replicates to). */
export function declareBackup(program: Command): void {
  const backup = program.command('backup').description('the backup copy of the data bucket: verify it');
  backup
    .command('verify')
    .description('compare a sample of objects (and every audit object of the last week) with the backup; exit 1 on any difference')
    .option('--sample <n>', 'how many objects to draw at random besides the audit log (default 100)')
    .addHelpText(
      'after',
      `
Each object's checksum (S3's SHA-256, else the ETag) must be the same in the backup. Objects still on their
way (replication status PENDING) are reported as lag, not as differences; FAILED ones are failures.
Exit 0 when the backup matches, 1 on any difference, missing object or failed replication.`,
    )
    .action(lazy(() => import('./verify.js')));
}
