import { archivePatient } from '../../clinic/patients.js';
import { openContext } from '../../context.js';
import type { CommandInput } from '../action.js';
import { withFlagNames } from './fields.js';

export default async function archive({ args, opts, ui }: CommandInput): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const patient = await withFlagNames(() => archivePatient(store, args[0]!, ctx.actor));
  ui.result({ patient });
  ui.print(`${ui.green('✓')} archived ${patient.id} ${patient.fullName} — the record is kept; \`clinica patients update ${patient.id} --status active\` brings it back`);
  return 0;
}
