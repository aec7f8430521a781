/**
 * Glue between commander and a command module: the module is imported only when its command runs, and is
 * handed its positional arguments, its options merged with the global ones, and the Ui.
 */
import { InvalidArgumentError, type Command } from 'commander';
import type { GlobalOptions } from '../config/load.js';
import type { Output, Ui } from '../ui/output.js';

export type { Output } from '../ui/output.js';

export interface CommandInput<O = Record<string, unknown>> {
  args: string[];
  /** the command's own options merged with the global options */
  opts: O & GlobalOptions;
  ui: Ui;
  command: Command;
}

/**
 * A command module's default export. Returns its one result (`Output`: data for --json, a human view, the exit
 * code), which the host prints; or, for a command that streams or prints nothing, the exit code (default 0).
 */
export type CommandRun<O = Record<string, unknown>> = (input: CommandInput<O>) => Promise<Output | number | void>;

/** A command's result: `data` for --json, `render` for people. */
export function output<T>(data: T, render?: Output<T>['render'], more: Omit<Output<T>, 'data' | 'render'> = {}): Output<T> {
  return { data, render, ...more };
}

/** The result of a change the person did not confirm: nothing was done, exit 1. */
export function notConfirmed<T>(data: T, text = 'nothing was changed'): Output<T> {
  return output(data, (ui) => ui.print(text), { exitCode: 1 });
}

type Loader = () => Promise<{ default: CommandRun<never> }>;

export function lazy(load: Loader) {
  return async (...params: unknown[]) => {
    const command = params[params.length - 1] as Command;
    const args = params.slice(0, -2).flatMap((a) => (Array.isArray(a) ? a.map(String) : a === undefined ? [] : [String(a)]));
    const opts = command.optsWithGlobals() as GlobalOptions & Record<string, unknown>;
    const [{ Ui }, { onSlowCall }, mod] = await Promise.all([import('../ui/output.js'), import('../aws/clients.js'), load()]);
    const ui = new Ui(opts);
    // a call to AWS (or the local stack) that takes long says so ("still waiting for S3 at …") on stderr
    onSlowCall((message) => ui.warn(message));
    const code = await runCommand(mod.default as CommandRun, { args, opts, ui, command });
    if (code !== 0) process.exitCode = code;
  };
}

/** The host's run of a command: the command, then its result printed (Ui.show); the exit code. */
export async function runCommand<O>(run: CommandRun<O>, input: CommandInput<O>): Promise<number> {
  const returned = await run(input);
  return typeof returned === 'object' ? input.ui.show(returned) : (returned ?? 0);
}

/**
 * commander's parser for a `--port`-like option (0 = any free port). A bad value is commander's usage error
 * ("option '--s3-port <port>' argument 'abc' is invalid. …", exit 2), not an unexpected one.
 */
export function portNumber(value: string): number {
  const n = /^\d{1,5}$/.test(value) ? Number(value) : NaN;
  if (!(n <= 65535)) throw new InvalidArgumentError('Expected a port number from 0 to 65535 (0 = any free port).');
  return n;
}
