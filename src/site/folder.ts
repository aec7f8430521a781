/**
 * Writes a build into a folder (`clinica site build --out DIR`). The folder keeps a list of what the last
 * build wrote (.clinica-site.json), so a rebuild removes files that are gone without ever touching files it
 * did not write; a non-empty folder that is not a previous build is refused.
 */
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join, resolve, sep } from 'node:path';
import { ClinicaError } from '../errors.js';
import { writeJsonFile } from '../json-file.js';
import type { BuiltSite } from './build.js';

export const FOLDER_MANIFEST = '.clinica-site.json';

interface FolderManifest {
  files: string[];
}

async function previousBuild(dir: string): Promise<FolderManifest | undefined> {
  let entries: string[];
  try {
    entries = await readdir(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { files: [] };
    throw err;
  }
  if (entries.length === 0) return { files: [] };
  try {
    return JSON.parse(await readFile(join(dir, FOLDER_MANIFEST), 'utf8')) as FolderManifest;
  } catch {
    return undefined;
  }
}

export interface WriteResult {
  dir: string;
  written: string[];
  removed: string[];
  bytes: number;
}

export async function writeSite(site: BuiltSite, outDir: string): Promise<WriteResult> {
  const dir = resolve(outDir);
  const previous = await previousBuild(dir);
  if (!previous) {
    throw new ClinicaError('usage', `${dir} is not empty and does not hold a previous site build`, {
      hint: 'pick an empty or new folder with --out',
    });
  }
  const inside = (path: string) => {
    const full = resolve(dir, path);
    if (!full.startsWith(dir + sep)) throw new ClinicaError('internal', `site file ${path} would land outside ${dir}`);
    return full;
  };
  const current = new Set(site.files.map((f) => f.path));
  const removed = previous.files.filter((p) => !current.has(p));
  for (const path of removed) await rm(inside(path), { force: true });
  let bytes = 0;
  for (const file of site.files) {
    const full = inside(file.path);
    await mkdir(dirname(full), { recursive: true });
    await writeFile(full, file.body);
    bytes += file.body.length;
  }
  await writeJsonFile(join(dir, FOLDER_MANIFEST), { files: [...current] });
  return { dir, written: [...current], removed, bytes };
}
