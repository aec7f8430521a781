import type { Command } from 'commander';
import { lazy } from '../action.js';

/** Staff accounts for the backend and the staff page. */
export function declareStaff(program: Command): void {
  const staff = program
    .command('staff')
    .description('staff accounts for the staff page and API: add (prints a token once), list, revoke');
  staff
    .command('add')
    .description('create a staff account and print its secret token (shown once; only its hash is stored)')
    .argument('<name>', 'the person\'s name, e.g. "Dra. Ana Souza"')
    .requiredOption('-r, --role <role>', 'admin | dentist | assistant | reception')
    .action(lazy(() => import('./add.js')));
  staff
    .command('list')
    .description('list staff accounts (revoked ones marked)')
    .option('--active', 'only accounts that are not revoked')
    .action(lazy(() => import('./list.js')));
  staff
    .command('revoke')
    .description('revoke a staff account: its token stops working')
    .argument('<id>', 'the account id (see `clinica staff list`)')
    .action(lazy(() => import('./revoke.js')));
}
