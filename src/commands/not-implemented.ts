import { ClinicaError } from '../errors.js';
import type { CommandInput } from './action.js';

export default async function notImplemented({ command }: CommandInput): Promise<number> {
  throw new ClinicaError('usage', `\`clinica ${command.parent?.name() === 'clinica' ? '' : command.parent?.name() + ' '}${command.name()}\` is not implemented yet`, {
    hint: 'see README.md for what works today',
  });
}
