/**
 * The help of every command exactly as commander prints it for `clinica [command…] --help` when stdout is not a
 * terminal (80 columns, no colour), keyed by the command's path: '' for clinica itself, 'patients list', …
 * `npm run build` writes it to dist/help.json, and bin/clinica.js prints a help from it without loading the CLI,
 * so `--help` costs about what `node -e 0` does (docs/architecture.md, Start-up). A terminal's help is wrapped
 * to its width, so there the launcher lets commander build it.
 */
import type { Command } from 'commander';
import { buildProgram } from './cli.js';

/** Every command's path under `program`, the program's own ([]) first, in declaration order. */
export function commandPaths(program: Command): string[][] {
  const paths: string[][] = [];
  const walk = (cmd: Command, path: string[]) => {
    paths.push(path);
    for (const sub of cmd.commands) walk(sub, [...path, sub.name()]);
  };
  walk(program, []);
  return paths;
}

/** What `clinica …path --help` prints, asked of a fresh program with its output captured. */
function helpOf(path: string[]): string {
  const program = buildProgram();
  let out = '';
  const capture = (cmd: Command) => {
    cmd.configureOutput({
      writeOut: (text) => (out += text),
      writeErr: (text) => {
        throw new Error(`clinica ${[...path, '--help'].join(' ')} wrote an error: ${text}`);
      },
      getOutHelpWidth: () => 80, // what commander uses when stdout is not a terminal
      getOutHasColors: () => false,
    });
    cmd.commands.forEach(capture);
  };
  capture(program);
  try {
    program.parse([...path, '--help'], { from: 'user' });
  } catch (err) {
    // help ends the parse with this code (exitOverride): anything else is a bug in a declaration
    if ((err as { code?: unknown }).code !== 'commander.helpDisplayed') throw err;
  }
  return out;
}

export function helpTable(): Record<string, string> {
  return Object.fromEntries(commandPaths(buildProgram()).map((path) => [path.join(' '), helpOf(path)]));
}
