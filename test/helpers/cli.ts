/** Runs the built CLI (bin/clinica.js → dist/) as a user would, without a terminal. */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/clinica.js', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runCli(args: string[], options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<CliResult> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [BIN, ...args],
      {
        cwd: options.cwd,
        env: { ...process.env, NO_COLOR: '1', CI: '1', ...options.env },
        timeout: options.timeoutMs ?? 60_000,
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
    if (options.input !== undefined) child.stdin?.end(options.input);
    else child.stdin?.end();
  });
}

export interface RunningCli {
  child: ChildProcess;
  /** what it wrote so far (all of it once `exited` resolves) */
  output: { stdout: string; stderr: string };
  /** its exit code, or the signal that ended it */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
}

/** Starts the built CLI in the background (for tests that stop or kill it mid-way). */
export function spawnCli(args: string[], options: { cwd: string }): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: options.cwd, env: { ...process.env, NO_COLOR: '1', CI: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = { stdout: '', stderr: '' };
  child.stdout!.on('data', (c) => (output.stdout += c));
  child.stderr!.on('data', (c) => (output.stderr += c));
  return { child, output, exited: once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]> };
}

/** Waits until `reached()` holds, checking every 25 ms, for at most `ms` (the assertions after it say what was wanted). */
export async function waitUntil(reached: () => Promise<boolean>, ms = 60_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await reached()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}
