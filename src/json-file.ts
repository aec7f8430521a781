/**
 * A JSON file written whole or not at all: into a temporary file beside it, then renamed over it. A reader
 * (another command, `clinica dev`'s endpoints read while dev republishes them) sees the old content or the
 * new, never an empty or half-written file.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

/**
 * Writes `value` as indented JSON with a trailing newline (`compact`: on one line, for a machine's file that may
 * hold thousands of entries); the folder is made when missing, with `dirMode`.
 */
export async function writeJsonFile(path: string, value: unknown, options: { mode?: number; dirMode?: number; compact?: boolean } = {}): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: options.dirMode });
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, options.compact ? JSON.stringify(value) : JSON.stringify(value, null, 2) + '\n', { mode: options.mode });
  await rename(tmp, path);
}
