/** FileBuffers: whole files read into reused buffers, never one buffer under two files at once. */
import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBuffers } from '../src/file-buffers.js';

const MIB = 1 << 20;

/** Bytes that differ from file to file and from position to position. */
const pattern = (size: number, seed: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 7 + seed * 31) & 0xff));

describe('FileBuffers', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'clinica-buffers-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const file = async (name: string, bytes: Buffer) => {
    const path = join(dir, name);
    await writeFile(path, bytes);
    return path;
  };

  it('reuses a released buffer, and a shorter file after a longer one carries none of its bytes', async () => {
    const long = pattern(300_000, 1);
    const short = pattern(1_000, 2);
    const buffers = new FileBuffers(1);
    const first = await buffers.read(await file('long.bin', long));
    expect(first.bytes.equals(long)).toBe(true);
    first.release();
    expect(buffers.idle).toBe(1);
    const second = await buffers.read(await file('short.bin', short));
    expect(second.bytes.buffer).toBe(first.bytes.buffer); // the same memory, read again
    expect(second.bytes.length).toBe(short.length);
    expect(second.bytes.equals(short)).toBe(true);
    expect(buffers.idle).toBe(0);
  });

  it('files held at once get buffers of their own, even after a double release', async () => {
    const buffers = new FileBuffers(4);
    const a = await buffers.read(await file('a.bin', pattern(5_000, 3)));
    a.release();
    a.release(); // a second release must not hand the same buffer out twice
    const [b, c] = await Promise.all([buffers.read(await file('b.bin', pattern(5_000, 4))), buffers.read(await file('c.bin', pattern(5_000, 5)))]);
    expect(b.bytes.buffer).not.toBe(c.bytes.buffer);
    expect(b.bytes.equals(pattern(5_000, 4))).toBe(true);
    expect(c.bytes.equals(pattern(5_000, 5))).toBe(true);
  });

  it('keeps at most `keep` buffers, the largest, and none larger than maxKept', async () => {
    const buffers = new FileBuffers(2, 8 * MIB);
    const sizes = [1_000, 5 * MIB, 6 * MIB, 9 * MIB];
    const held = await Promise.all(sizes.map(async (size, i) => buffers.read(await file(`k${i}.bin`, Buffer.alloc(size, i + 1)))));
    for (const h of held) h.release();
    expect(buffers.idle).toBe(2);
    // the two kept are the 5 and 6 MiB ones (the 9 MiB one is over maxKept): a 5.5 MiB file fits without allocating
    const again = await buffers.read(await file('k-again.bin', Buffer.alloc(5.5 * MIB, 9)));
    expect(held.slice(1, 3).map((h) => h.bytes.buffer)).toContain(again.bytes.buffer);
    expect(again.bytes.every((b) => b === 9)).toBe(true);
  });

  it('reads a file to its end when it is longer than its size said (a pipe, a file still being written)', async () => {
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const bytes = pattern(9 * MIB + 123, 6); // more than the first buffer (4 MiB for a size of 0) and its double
    const writer = new Promise<void>((resolve, reject) => createWriteStream(fifo).on('error', reject).end(bytes, resolve));
    const buffers = new FileBuffers(2);
    const [read] = await Promise.all([buffers.read(fifo), writer]);
    expect(read.bytes.length).toBe(bytes.length);
    expect(read.bytes.equals(bytes)).toBe(true);
  });

  it('fails as fs.readFile does, and keeps its buffers for the next file', async () => {
    const buffers = new FileBuffers(2);
    (await buffers.read(await file('ok.bin', pattern(10, 7)))).release();
    await expect(buffers.read(join(dir, 'missing.jpg'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(buffers.read(dir)).rejects.toMatchObject({ code: 'EISDIR' });
    expect(buffers.idle).toBe(1);
  });
});
