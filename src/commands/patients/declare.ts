import type { Command } from 'commander';
import { lazy } from '../action.js';

const todo = lazy(() => import('../not-implemented.js'));

export function declarePatients(program: Command): void {
  const patients = program.command('patients').description('patient records: add, list, search, show, update, import, export, anonymize');
  patients.command('list').description('list or search patients').action(todo);
}
