import type { Command } from 'commander';
import { lazy } from '../action.js';

/** deploy, status and destroy: three views of one plan (src/infra/). */
export function declareInfra(program: Command): void {
  program
    .command('deploy')
    .description("create or update this stage's AWS resources to match the config: prints the plan, asks, applies (safe to re-run)")
    .option('--dry-run', 'print the plan, change nothing')
    .addHelpText('after', '\nNeeds AWS credentials with the permissions listed in docs/aws.md. Outputs go to .clinica/outputs.<stage>.json.')
    .action(lazy(() => import('./deploy.js')));
  program
    .command('status')
    .description("compare this stage's AWS resources with the config (drift) and check their health; exit 1 if anything is off")
    .action(lazy(() => import('./status.js')));
  program
    .command('destroy')
    .description("remove this stage's AWS resources in reverse order (the data bucket with patient data is kept unless asked)")
    .option('--delete-patient-data', 'also delete the data bucket: every patient record and image (asks for the clinic name; --yes skips)')
    .action(lazy(() => import('./destroy.js')));
}
