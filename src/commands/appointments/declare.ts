import type { Command } from 'commander';
import { lazy } from '../action.js';

const todo = lazy(() => import('../not-implemented.js'));

export function declareAppointments(program: Command): void {
  const appointments = program.command('appointments').description("the clinic's agenda: book, list, confirm, move, cancel");
  appointments.command('list').description("a day's or a range's agenda").action(todo);
}
