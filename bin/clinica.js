#!/usr/bin/env node
'use strict';
// The launcher is CommonJS (bin/package.json): Node starts a CommonJS main without its ES module loader, which
// costs ≈5 ms of CPU on every start; the CLI itself (dist/, ES modules) is loaded only when it is needed.

const fs = require('node:fs');

// A reader that stopped reading (`clinica patients list | head -2`): stop quietly with 141 (128 + SIGPIPE), as
// Unix tools do, instead of crashing with "write EPIPE … Unhandled 'error' event".
function quietOnEpipe(stream) {
  return stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(141);
  });
}

// Writes `text` to stdout at once, without building process.stdout (≈2 ms of CPU) unless a full non-blocking
// pipe makes it wait.
function print(text) {
  const bytes = Buffer.from(text);
  let done = 0;
  try {
    while (done < bytes.length) done += fs.writeSync(1, bytes, done);
  } catch (err) {
    if (err.code === 'EPIPE') process.exit(141);
    if (err.code !== 'EAGAIN') throw err;
    quietOnEpipe(process.stdout).write(bytes.subarray(done)); // the stream waits for the reader
  }
}

// Whether stdout is a terminal, without loading node:tty (it brings net and the streams, ≈3 ms of CPU) when the
// answer is plain: a pipe, a file, a socket or /dev/null is none.
function stdoutIsTerminal() {
  try {
    const out = fs.fstatSync(1);
    if (out.isFIFO() || out.isFile() || out.isSocket()) return false;
    if (out.isCharacterDevice() && out.rdev === fs.statSync('/dev/null', { throwIfNoEntry: false })?.rdev) return false;
  } catch {
    // no stdout to look at: tty says
  }
  return require('node:tty').isatty(1);
}

const args = process.argv.slice(2);

/**
 * `clinica [command…] --help` to a pipe or a file: the text commander prints there, from dist/help.json (written
 * by the build from the declarations, see src/help-table.ts), or undefined when commander must answer: a
 * terminal (help is wrapped to its width), an argument that is not a command's name, no table.
 */
function tabledHelp() {
  const last = args[args.length - 1];
  if (last !== '--help' && last !== '-h') return undefined;
  const path = args.slice(0, -1);
  if (!path.every((name) => /^[a-z][a-z0-9-]*$/.test(name)) || stdoutIsTerminal()) return undefined;
  let table;
  try {
    table = JSON.parse(fs.readFileSync(require('node:path').join(__dirname, '../dist/help.json'), 'utf8'));
  } catch {
    return undefined;
  }
  const key = path.join(' ');
  return Object.hasOwn(table, key) ? table[key] : undefined; // `clinica constructor --help` is no command
}

// `clinica --version` and `--help` are asked by scripts and monitoring in tight loops: answered without loading
// the CLI. Everything else goes through dist/cli.js (the bundled commander front; commands load on use).
let help;
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  print(require('../package.json').version + '\n');
} else if ((help = tabledHelp()) !== undefined) {
  print(help);
} else {
  quietOnEpipe(process.stdout);
  quietOnEpipe(process.stderr);
  import('../dist/cli.js').then(({ main }) => main());
}
