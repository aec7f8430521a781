import { reindexPatients } from '../../clinic/patients.js';
import { openContext } from '../../command-context.js';
import { ExitCode } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

export default async function reindex({ opts, ui }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const spinner = await ui.spinner('rebuilding the patient index and the CPF claims from the records');
  const result = await reindexPatients(store);
  spinner.succeed(`patient index rebuilt: ${count(result.patients, 'patient')}; CPF claims: ${result.cpfClaims} (keyed)`);
  for (const s of result.sharedCpfs) {
    ui.warn(`CPF ${s.cpf} is in the records of ${[s.owner, ...s.others].join(', ')}; ${s.owner} keeps it — correct the others (\`clinica patients update ${s.others[0]} --cpf …\`)`);
  }
  return output(result, undefined, { exitCode: result.sharedCpfs.length ? ExitCode.partial : 0 });
}
