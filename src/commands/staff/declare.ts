import type { Command } from 'commander';
import { lazy } from '../action.js';

/** Staff accounts for the backend and the staff page, and the API tokens of scripts. */
export function declareStaff(program: Command): void {
  const staff = program
    .command('staff')
    .description('staff accounts for the staff page: add (an invitation link), list, edit, reset, revoke, invite-all');
  staff
    .command('add')
    .description('create a staff account and print its one-time invitation link (72 h): the person sets a password and a second factor there')
    .argument('<name>', 'the person\'s name, e.g. "Dra. Ana Souza"')
    .requiredOption('-e, --email <email>', 'their e-mail: they sign in with it (one account per e-mail)')
    .requiredOption('-r, --role <role>', 'admin | dentist | assistant | reception')
    .action(lazy(() => import('./add.js')));
  staff
    .command('list')
    .description('list staff accounts: role, status, last sign-in, open sessions')
    .option('--active', 'only accounts that are not revoked')
    .action(lazy(() => import('./list.js')));
  staff
    .command('edit')
    .description("change an account's role or e-mail (a role change applies within 15 s on a running server)")
    .argument('<id>', 'the account id (see `clinica staff list`)')
    .option('-r, --role <role>', 'admin | dentist | assistant | reception')
    .option('-e, --email <email>', 'a new e-mail')
    .action(lazy(() => import('./edit.js')));
  staff
    .command('reset')
    .description('a new invitation link for an account (lost phone, forgotten password): its password, second factors and sessions stop working')
    .argument('<id>', 'the account id (see `clinica staff list`)')
    .action(lazy(() => import('./reset.js')));
  staff
    .command('revoke')
    .description('revoke a staff account: its sessions and API tokens stop working (within 15 s on a running server)')
    .argument('<id>', 'the account id (see `clinica staff list`)')
    .action(lazy(() => import('./revoke.js')));
  staff
    .command('invite-all')
    .description('invitations for the accounts from before e-mail sign-in (token-only); their audit history is kept')
    .action(lazy(() => import('./invite-all.js')));

  const tokens = program.command('tokens').description('API tokens for scripts: add (shown once), list, revoke');
  tokens
    .command('add')
    .description('create a named API token acting as a staff member (Authorization: Bearer …); expires in 90 days unless --days')
    .argument('<name>', 'what it is for, e.g. "backup script"')
    .requiredOption('-s, --staff <id>', 'the account it acts as (its role applies)')
    .option('--days <n>', 'days until it expires (1–366, default 90)')
    .action(lazy(() => import('./tokens.js').then((m) => ({ default: m.add }))));
  tokens
    .command('list')
    .description('list API tokens (never their secrets)')
    .action(lazy(() => import('./tokens.js').then((m) => ({ default: m.list }))));
  tokens
    .command('revoke')
    .description('revoke an API token (a running server stops accepting it within 15 s)')
    .argument('<id>', 'the token id, t_… (see `clinica tokens list`)')
    .action(lazy(() => import('./tokens.js').then((m) => ({ default: m.revoke }))));
}
