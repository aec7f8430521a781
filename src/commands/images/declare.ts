import type { Command } from 'commander';
import { lazy } from '../action.js';

const todo = lazy(() => import('../not-implemented.js'));

export function declareImages(program: Command): void {
  program.command('upload').description('import radiographs and photos for a patient, or a whole folder with --bulk').action(todo);
}
