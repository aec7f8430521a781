import { rebuildPatientIndex } from '../../clinic/patients.js';
import { openContext } from '../../context.js';
import type { CommandInput } from '../action.js';

export default async function reindex({ opts, ui }: CommandInput): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const spinner = await ui.spinner('rebuilding the patient index from the records');
  const result = await rebuildPatientIndex(store);
  spinner.succeed(`patient index rebuilt: ${result.patients} patient(s)`);
  ui.result(result);
  return 0;
}
