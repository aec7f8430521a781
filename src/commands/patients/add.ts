import { createPatient } from '../../clinic/patients.js';
import { openContext } from '../../context.js';
import type { CommandInput } from '../action.js';
import { inputFromFlags, withFlagNames, type PatientFlags } from './fields.js';
import { printPatient } from './render.js';

export default async function add({ opts, ui }: CommandInput<PatientFlags>): Promise<number> {
  const ctx = openContext(opts);
  if (ui.interactive && (opts.name === undefined || opts.birthDate === undefined)) {
    const { input } = await import('@inquirer/prompts');
    const required = (v: string) => (v.trim() ? true : 'required');
    opts.name ??= await input({ message: 'Full name', validate: required });
    opts.birthDate ??= await input({ message: 'Birth date (YYYY-MM-DD or DD/MM/YYYY)', validate: required });
    opts.cpf ??= (await input({ message: 'CPF (optional)' })) || undefined;
    opts.phone ??= (await input({ message: 'Phone (optional)' })) || undefined;
  }
  const store = await ctx.dataStore();
  const patient = await withFlagNames(() => createPatient(store, inputFromFlags(opts), ctx.actor));
  ui.result({ patient });
  printPatient(ui, patient, ctx.config.clinic.timeZone, { headline: `${ui.green('✓')} added ${patient.id}` });
  return 0;
}
