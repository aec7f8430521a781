/** The bulk import's cache of file hashes: what it trusts, what it forgets, and that it never breaks an import. */
import { mkdir, mkdtemp, readFile, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FileHashCache, RACY_MS } from '../../src/usecases/hash-cache.js';

let dir: string;
let state: string;
let root: string;
const hour = 3_600_000;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-hash-cache-'));
  state = join(dir, '.clinica');
  root = join(dir, 'import');
  await mkdir(join(root, 'P-000001'), { recursive: true });
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** a file last modified an hour ago (an export folder's usual state) */
async function oldFile(name: string, body: string): Promise<string> {
  const path = join(root, name);
  await writeFile(path, body);
  const then = new Date(Date.now() - hour);
  await utimes(path, then, then);
  return path;
}

describe('the import hash cache', () => {
  it('answers for an unchanged file in the next run, and forgets a file whose size, time or inode changed', async () => {
    const a = await oldFile('P-000001/a.jpg', 'aaaa');
    const b = await oldFile('P-000001/b.jpg', 'bbbb');
    const c = await oldFile('P-000001/c.jpg', 'cccc');
    const first = await FileHashCache.open(state, root);
    for (const [path, hash] of [[a, 'hash-a'], [b, 'hash-b'], [c, 'hash-c']] as const) first.remember(path, await stat(path), hash, Date.now());
    await first.save();

    // b: rewritten (new size and time); c: touched (same bytes, new time)
    await writeFile(b, 'bbbbbb');
    await utimes(c, new Date(), new Date());

    const second = await FileHashCache.open(state, root);
    const aStats = await stat(a);
    expect(second.lookup(a, aStats)).toBe('hash-a');
    expect(second.lookup(b, await stat(b))).toBeUndefined();
    expect(second.lookup(c, await stat(c))).toBeUndefined();
    // another file moved into a's place (same name, size and time, another inode)
    expect(second.lookup(a, Object.assign(Object.create(aStats), { ino: aStats.ino + 1 }))).toBeUndefined();
  });

  it('does not remember a file modified just before it was read (a second change would not show)', async () => {
    const fresh = join(root, 'P-000001/fresh.jpg');
    await writeFile(fresh, 'new');
    const cache = await FileHashCache.open(state, root);
    cache.remember(fresh, await stat(fresh), 'hash-fresh', Date.now());
    const settled = await oldFile('P-000001/settled.jpg', 'old');
    cache.remember(settled, await stat(settled), 'hash-settled', Date.now());
    await cache.save();
    const again = await FileHashCache.open(state, root);
    expect(again.lookup(fresh, await stat(fresh))).toBeUndefined();
    expect(again.lookup(settled, await stat(settled))).toBe('hash-settled');
    expect(RACY_MS).toBeGreaterThanOrEqual(1000);
  });

  it('keeps only the files seen in the last run, one cache per import folder, readable by its owner only', async () => {
    const a = await oldFile('P-000001/a.jpg', 'aaaa');
    const gone = await oldFile('P-000001/gone.jpg', 'gone');
    const first = await FileHashCache.open(state, root);
    first.remember(a, await stat(a), 'hash-a', Date.now());
    first.remember(gone, await stat(gone), 'hash-gone', Date.now());
    await first.save();
    const second = await FileHashCache.open(state, root);
    expect(second.lookup(a, await stat(a))).toBe('hash-a'); // seen again; gone.jpg was not
    await second.save();

    const saved = JSON.parse(await readFile(second.path, 'utf8')) as { root: string; files: Record<string, unknown> };
    expect(saved.root).toBe(root);
    expect(Object.keys(saved.files)).toEqual(['P-000001/a.jpg']);
    expect((await stat(second.path)).mode & 0o777).toBe(0o600);

    const elsewhere = await FileHashCache.open(state, join(dir, 'another-import'));
    expect(elsewhere.path).not.toBe(second.path);
    expect(elsewhere.lookup(a, await stat(a))).toBeUndefined();
  });

  it('starts empty from a damaged cache file, and a cache that cannot be written costs nothing but speed', async () => {
    const a = await oldFile('P-000001/a.jpg', 'aaaa');
    const cache = await FileHashCache.open(state, root);
    await mkdir(join(cache.path, '..'), { recursive: true });
    await writeFile(cache.path, '{"root": "/tmp/x", "files": {"P-000001/a.jpg": [4');
    const damaged = await FileHashCache.open(state, root);
    expect(damaged.lookup(a, await stat(a))).toBeUndefined();

    const blocked = await FileHashCache.open(join(a, 'not-a-folder'), root); // its folder cannot be made
    blocked.remember(a, await stat(a), 'hash-a', Date.now());
    await expect(blocked.save()).resolves.toBeUndefined();
  });
});
