import type { Command } from 'commander';
import { lazy } from '../action.js';

const todo = lazy(() => import('../not-implemented.js'));

/** deploy, status and destroy: three views of one plan (src/infra/). */
export function declareInfra(program: Command): void {
  program.command('deploy').description('show the plan for this stage on AWS and apply it (idempotent)').option('--dry-run', 'print the plan, change nothing').action(todo);
  program.command('status').description("compare this stage's AWS resources with the config; health and drift").action(todo);
  program.command('destroy').description("remove this stage's AWS resources (patient data is kept unless asked)").action(todo);
}
