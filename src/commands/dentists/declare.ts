import type { Command } from 'commander';
import { lazy } from '../action.js';

const hoursHelp = 'working hours, e.g. "mon-fri 08:00-12:00,13:00-18:00; sat 08:00-12:00" (default: the clinic\'s)';

/** The agenda's dentists and chairs as records (docs/agenda.md). */
export function declareDentists(program: Command): void {
  const dentists = program.command('dentists').description("the agenda's dentists: add, list, show, update, deactivate, migrate");
  dentists
    .command('add')
    .description('record a dentist')
    .argument('<name>', 'e.g. "Dra. Ana Souza"')
    .option('--cro <registration>', 'e.g. "CRO-SP 12345"')
    .option('--specialty <text>', 'e.g. ortodontia')
    .option('--color <#rrggbb>', "the colour of the dentist's blocks on the agenda")
    .option('--hours <spec>', hoursHelp)
    .option('--staff <id>', 'the staff account this dentist signs in with (see `clinica staff list`)')
    .action(lazy(() => import('./records.js')));
  dentists
    .command('list')
    .description('the dentists (inactive ones with --all)')
    .option('--all', 'include inactive dentists')
    .action(lazy(() => import('./list.js')));
  dentists
    .command('show')
    .description('one dentist')
    .argument('<dentist>', 'id or name')
    .action(lazy(() => import('./records.js')));
  dentists
    .command('update')
    .description("change a dentist's record (an empty value clears a field)")
    .argument('<dentist>', 'id or name')
    .option('--name <name>', 'the name')
    .option('--cro <registration>', 'e.g. "CRO-SP 12345"')
    .option('--specialty <text>', 'e.g. ortodontia')
    .option('--color <#rrggbb>', 'the colour on the agenda')
    .option('--hours <spec>', `${hoursHelp}; "" = the clinic's again`)
    .option('--staff <id>', 'the linked staff account')
    .option('--active', 'make an inactive dentist active again')
    .action(lazy(() => import('./records.js')));
  dentists
    .command('deactivate')
    .description('no new bookings for this dentist (the record and past appointments stay)')
    .argument('<dentist>', 'id or name')
    .action(lazy(() => import('./records.js')));
  dentists
    .command('migrate')
    .description('link appointments booked with a free-text dentist to records, making the missing ones (safe to re-run)')
    .option('--dry-run', 'show what would be made and linked, change nothing')
    .action(lazy(() => import('./migrate.js')));

  const chairs = program.command('chairs').description('the chairs (rooms) an appointment may hold: add, list, deactivate');
  chairs.command('add').description('record a chair').argument('<name>', 'e.g. "Cadeira 1"').action(lazy(() => import('./chairs.js')));
  chairs.command('list').description('the chairs').action(lazy(() => import('./chairs.js')));
  chairs.command('deactivate').description('no new bookings on this chair').argument('<id>', 'chair id').action(lazy(() => import('./chairs.js')));
}
