import type { Command } from 'commander';
import { lazy } from '../action.js';

const todo = lazy(() => import('../not-implemented.js'));

export function declareRemind(program: Command): void {
  program.command('remind').description('send due appointment reminders by e-mail (for cron: idempotent, non-interactive)').action(todo);
}
