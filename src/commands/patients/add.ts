import { createPatient, validatePatientInput } from '../../clinic/patients.js';
import { isClinicaError } from '../../errors.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { inputFromFlags, withFlagNames, type PatientFlags } from './fields.js';
import { printPatient } from './render.js';

export default async function add({ opts, ui }: CommandInput<PatientFlags & { force?: boolean }>): Promise<Output> {
  const ctx = openContext(opts);
  if (ui.interactive && (opts.name === undefined || opts.birthDate === undefined)) {
    // each answer is checked by the same rules as the flags, so a typo is asked again, not reported at the end
    const check = (field: 'fullName' | 'birthDate' | 'cpf' | 'phone') => (v: string) => {
      try {
        validatePatientInput({ fullName: 'Nome', birthDate: '2000-01-01', [field]: v });
        return true;
      } catch (err) {
        if (isClinicaError(err, 'usage')) return err.message.replace(/^[\w.]+: /, '');
        throw err;
      }
    };
    opts.name ??= await ui.ask('Full name', { validate: check('fullName') });
    opts.birthDate ??= await ui.ask('Birth date (YYYY-MM-DD or DD/MM/YYYY)', { validate: check('birthDate') });
    opts.cpf ??= (await ui.ask('CPF (optional)', { validate: check('cpf') })) || undefined;
    opts.phone ??= (await ui.ask('Phone (optional)', { validate: check('phone') })) || undefined;
  }
  const store = await ctx.dataStore();
  const patient = await withFlagNames(() => createPatient(store, inputFromFlags(opts), ctx.actor, { refuseDuplicate: true, force: opts.force }));
  return output({ patient }, (ui) => printPatient(ui, patient, ctx.config.clinic.timeZone, { headline: `${ui.green('✓')} added ${patient.id}` }));
}
