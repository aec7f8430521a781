import { loadConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';
import type { CommandInput } from './action.js';

export default async function notImplemented({ command, opts }: CommandInput): Promise<number> {
  loadConfig(opts); // like every command: a broken config is reported first
  const parent = command.parent && command.parent.name() !== 'clinica' ? `${command.parent.name()} ` : '';
  throw new ClinicaError('usage', `\`clinica ${parent}${command.name()}\` is not implemented yet`, {
    hint: 'see README.md for what works today',
  });
}
