import { getPatient, updatePatient } from '../../clinic/patients.js';
import { openContext } from '../../context.js';
import type { CommandInput } from '../action.js';
import { changesFromFlags, withFlagNames, type PatientFlags } from './fields.js';
import { printPatient } from './render.js';

export default async function update({ args, opts, ui }: CommandInput<PatientFlags & { clear?: string[]; ifMatch?: string }>): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const result = await withFlagNames(async () => {
    const needsCurrent = opts.guardian !== undefined || opts.guardianPhone !== undefined || opts.guardianCpf !== undefined || opts.guardianRelationship !== undefined;
    const current = needsCurrent ? (await getPatient(store, args[0]!)).patient : {};
    return updatePatient(store, args[0]!, changesFromFlags(opts, current), ctx.actor, { etag: opts.ifMatch });
  });
  ui.result(result);
  printPatient(ui, result.patient, ctx.config.clinic.timeZone, { headline: `${ui.green('✓')} updated ${result.patient.id} (version ${result.patient.version})` });
  return 0;
}
