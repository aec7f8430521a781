// Runs the built CLI in a child process for the benchmarks (asynchronously: a local stack started by the bench
// lives in the bench's process and must keep answering). Resolves with the wall time and stdout; rejects on a
// non-zero exit with its stderr.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../bin/clinica.js', import.meta.url));

export function runCli(args, cwd, bin = BIN) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...process.env, NO_COLOR: '1', CI: '1' } });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`clinica ${args.join(' ')} exited ${code}: ${Buffer.concat(err)}`));
      else resolve({ ms, stdout: Buffer.concat(out).toString('utf8') });
    });
  });
}
