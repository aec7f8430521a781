#!/usr/bin/env node
// A reader that stopped reading (`clinica patients list | head -2`): stop quietly with 141 (128 + SIGPIPE), as
// Unix tools do, instead of crashing with "write EPIPE … Unhandled 'error' event".
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code !== 'EPIPE') throw err;
    process.exit(141);
  });
}
// `clinica --version` is asked by scripts and monitoring in tight loops: answer it without loading anything.
// Everything else goes through the CLI (dist/cli.js, the bundled commander front; commands load on use).
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  const { readFileSync } = await import('node:fs');
  process.stdout.write(JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version + '\n');
} else {
  const { main } = await import('../dist/cli.js');
  await main();
}
