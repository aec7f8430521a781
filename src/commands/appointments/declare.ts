import type { Command } from 'commander';
import { lazy } from '../action.js';

export function declareAppointments(program: Command): void {
  const appointments = program.command('appointments').description("the clinic's agenda: book, list, confirm, move, cancel, arrived, done, no-show");
  appointments
    .command('add')
    .description("book an appointment (clinic time zone); refuses overlaps (dentist, patient, chair), times outside the hours, closed days and the past")
    .option('--patient <id>', 'patient id, e.g. P-000123')
    .option('--at <when>', 'clinic-local date and time, "2026-12-01 14:30"')
    .option('--duration <minutes>', 'length in minutes', '30')
    .option('--dentist <id|name>', 'a dentist\'s id or unambiguous name (see `clinica dentists list`), e.g. "Dra. Ana"')
    .option('--chair <id|name>', 'the chair (room) to hold, if the clinic records chairs')
    .option('--procedure <text>', 'e.g. limpeza, canal, avaliação')
    .option('--notes <text>', 'notes')
    .option('--force', 'an encaixe: book despite overlaps and the hours (not a closed day); what it overrode is recorded')
    .action(lazy(() => import('./add.js')));
  appointments
    .command('list')
    .description("a day's or a range's agenda, in the clinic's time zone (default: today)")
    .option('--date <date>', 'one day, YYYY-MM-DD (or "today", "tomorrow")')
    .option('--from <date>', 'first day of a range')
    .option('--to <date>', 'last day of a range (default: --from)')
    .option('--dentist <id|name>', "only this dentist's appointments")
    .option('--all', 'include cancelled appointments')
    .action(lazy(() => import('./list.js')));
  appointments
    .command('free')
    .description('the next free slots within the hours, per dentist (default: the next 14 days)')
    .option('--dentist <id|name>', 'only this dentist')
    .option('--date <date>', 'one day, YYYY-MM-DD (or "today", "tomorrow")')
    .option('--from <date>', 'first day of a range')
    .option('--to <date>', 'last day of a range')
    .option('--duration <minutes>', 'length of the slot', '30')
    .option('--limit <n>', 'at most this many slots', '20')
    .action(lazy(() => import('./free.js')));
  appointments
    .command('show')
    .description('one appointment')
    .argument('<id>', 'appointment id, e.g. A-20261201-k3f9q2')
    .action(lazy(() => import('./show.js')));
  appointments
    .command('confirm')
    .description('mark an appointment confirmed by the patient')
    .argument('<id>', 'appointment id')
    .action(lazy(() => import('./status.js')));
  appointments
    .command('arrived')
    .alias('chegou')
    .description('mark that the patient has arrived ("chegou"); on the appointment\'s day')
    .argument('<id>', 'appointment id')
    .action(lazy(() => import('./status.js')));
  appointments
    .command('done')
    .description('mark an appointment done (the patient was seen); only once it has started')
    .argument('<id>', 'appointment id')
    .action(lazy(() => import('./status.js')));
  appointments
    .command('no-show')
    .description('mark an appointment a no-show (the patient did not come); only once it has started')
    .argument('<id>', 'appointment id')
    .action(lazy(() => import('./status.js')));
  appointments
    .command('cancel')
    .description('cancel an appointment (kept in the record as cancelled)')
    .argument('<id>', 'appointment id')
    .option('--reason <text>', 'why (kept in the notes)')
    .option('--no-notify', 'do not e-mail the patient the cancellation (sent by default, with consent, as reminders)')
    .action(lazy(() => import('./status.js')));
  appointments
    .command('move')
    .description('move to another time; to another day it gets a new id (the old one points to it)')
    .argument('<id>', 'appointment id')
    .requiredOption('--at <when>', 'new clinic-local date and time, "2026-12-01 14:30"')
    .option('--force', 'an encaixe: move despite overlaps and the hours (not a closed day)')
    .option('--no-notify', 'do not e-mail the patient the new time (sent by default, with consent, as reminders)')
    .action(lazy(() => import('./move.js')));
}
