import type { Command } from 'commander';
import { lazy } from '../action.js';

/** The audit log: who read or changed which patient record, when. */
export function declareAudit(program: Command): void {
  program
    .command('audit')
    .description('the audit log: every patient read, change, export, anonymization and purge (who, when, what)')
    .option('--patient <id>', "only this patient's entries")
    .option('--since <date>', 'from this clinic-local date (YYYY-MM-DD) or ISO instant')
    .option('--limit <n>', 'the most recent n entries in the table (default 200; 0 = all); --json gives all')
    .action(lazy(() => import('./list.js')));
}
