import { ClinicaError, oneLine } from '../errors.js';
import { colorAllowed, printable } from './output.js';

/**
 * The only place errors are printed: one line on stderr ("clinica: <message> — <fix>"), the stack only with
 * --verbose. Returns the exit code. The label is red under the same rule as the rest of the output.
 */
export function reportError(err: unknown, verbose: boolean, stderr: NodeJS.WritableStream = process.stderr, env: NodeJS.ProcessEnv = process.env): number {
  const label = colorAllowed(stderr, env) ? '\u001b[31mclinica:\u001b[0m' : 'clinica:';
  if (err instanceof ClinicaError) {
    stderr.write(`${label} ${printable(oneLine(err))}\n`);
    if (verbose) {
      stderr.write(`${err.stack}\n`);
      if (err.cause) stderr.write(`caused by: ${(err.cause as Error)?.stack ?? String(err.cause)}\n`);
    }
    return err.exitCode;
  }
  // Ctrl+C (or a closed terminal) at an inquirer prompt: the person stopped, nothing went wrong
  if ((err as Error)?.name === 'ExitPromptError') {
    stderr.write(`${label} cancelled\n`);
    return 130;
  }
  stderr.write(`${label} unexpected error: ${printable(oneLine(err))}${verbose ? '' : ' (run with --verbose for details)'}\n`);
  if (verbose) stderr.write(`${(err as Error)?.stack ?? String(err)}\n`);
  return 1;
}
