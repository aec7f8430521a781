/**
 * What each file of a bulk import hashed to, so that a re-run — after Ctrl+C, a killed process, or to pick up
 * the files added since — does not read again every file it has already seen. On a clinic's export of
 * thousands of radiographs, reading every byte again is most of a re-run's time.
 *
 * A file is known by its size, modification time and inode, as git's index and rsync know unchanged files;
 * when any of them changed, the file is read and hashed again. A file modified within RACY_MS of being read is
 * not remembered: a second change in the same clock tick would not show in its timestamp.
 *
 * The cache only says what a file's bytes hash to. Whether that image is already in the bucket is always asked
 * of the bucket (its hash claim), so a lost, stale or deleted cache costs a re-read, never an image.
 *
 * One file per import folder under `.clinica/import-cache/`, rewritten with the entries of the files seen in
 * the run (it never outgrows the folder), readable by its owner only (paths may name patients).
 */
import { createHash } from 'node:crypto';
import type { Stats } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { writeJsonFile } from '../json-file.js';

/** a file changed this close to being read is not remembered */
export const RACY_MS = 2_000;
/** how many new entries between two saves during a run (a killed run keeps most of what it hashed) */
const SAVE_EVERY = 500;

/** [size, mtimeMs, ino, sha256] */
type Entry = [number, number, number, string];

interface CacheFile {
  root: string;
  files: Record<string, Entry>;
}

export class FileHashCache {
  private readonly seen = new Map<string, Entry>();
  private unsaved = 0;
  private saving: Promise<void> = Promise.resolve();

  private constructor(
    /** the cache file */
    readonly path: string,
    /** the import folder (entries are keyed relative to it) */
    readonly root: string,
    private readonly known: Record<string, Entry>,
  ) {}

  /** The cache of one import folder; empty when there is none yet or it cannot be read. */
  static async open(stateDir: string, root: string): Promise<FileHashCache> {
    const name = createHash('sha256').update(root).digest('hex').slice(0, 16);
    const path = join(stateDir, 'import-cache', `${name}.json`);
    let known: Record<string, Entry> = {};
    try {
      const file = JSON.parse(await readFile(path, 'utf8')) as CacheFile;
      if (file.root === root && file.files && typeof file.files === 'object') known = file.files;
    } catch {
      // no cache yet, or an unreadable one: every file is read, as without a cache
    }
    return new FileHashCache(path, root, known);
  }

  private key(file: string): string {
    return relative(this.root, file);
  }

  /** The SHA-256 this file had when it was last read, if nothing about it changed since. */
  lookup(file: string, stats: Stats): string | undefined {
    const key = this.key(file);
    const entry = this.known[key];
    if (!entry || entry[0] !== stats.size || entry[1] !== stats.mtimeMs || entry[2] !== stats.ino) return undefined;
    this.seen.set(key, entry);
    return entry[3];
  }

  /** Remembers what a file hashed to; `readAt` is when its bytes were read (epoch ms). */
  remember(file: string, stats: Stats, sha256: string, readAt: number): void {
    if (stats.mtimeMs > readAt - RACY_MS) return;
    this.seen.set(this.key(file), [stats.size, stats.mtimeMs, stats.ino, sha256]);
    if (++this.unsaved >= SAVE_EVERY) void this.save();
  }

  /**
   * Writes the entries seen in this run (written whole, so a crash never leaves half a cache). Failing to
   * write only costs the next run a re-read, so errors are not thrown.
   */
  save(): Promise<void> {
    this.unsaved = 0;
    const snapshot: CacheFile = { root: this.root, files: Object.fromEntries(this.seen) }; // entries are replaced, never changed
    this.saving = this.saving.then(async () => {
      try {
        await writeJsonFile(this.path, snapshot, { mode: 0o600, dirMode: 0o700, compact: true });
      } catch {
        // a read-only project folder: no cache
      }
    });
    return this.saving;
  }
}
