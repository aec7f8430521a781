import { open } from 'node:fs/promises';

/** A file read into a reused buffer: `bytes` is valid until `release()`, after which another file may fill it. */
export interface ReadFile {
  bytes: Buffer;
  release(): void;
}

const MIB = 1 << 20;

/**
 * Reads whole files into a few buffers that are reused once their file is settled. A bulk import reads
 * hundreds of multi-megabyte files: a fresh buffer for each (`fs.readFile`) is memory V8 counts as external,
 * and every few files it starts a full collection that marks the whole heap, the AWS SDK's tables included
 * (≈ 20 collections for 40 photos of 2.5 MB; with the buffers reused, 3). Reusing them keeps that memory flat.
 *
 * Buffers larger than `maxKept` are not kept (a rare 100 MB scan does not pin 100 MB for the rest of the run),
 * and at most `keep` are: the files a run holds at once.
 */
export class FileBuffers {
  private readonly free: Buffer[] = [];

  constructor(
    private readonly keep: number,
    private readonly maxKept = 32 * MIB,
  ) {}

  /** Reads the file to its end (it may have grown since it was listed). Fails as fs.readFile does. */
  async read(path: string): Promise<ReadFile> {
    const handle = await open(path, 'r');
    let buffer: Buffer | undefined;
    try {
      const { size } = await handle.stat();
      buffer = this.take(size + 1); // one byte more than the size, so a full buffer means the file grew
      let length = 0;
      for (;;) {
        if (length === buffer.length) {
          const larger = Buffer.allocUnsafeSlow(roundUp(buffer.length * 2));
          buffer.copy(larger, 0, 0, length);
          this.give(buffer);
          buffer = larger;
        }
        const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null); // from where the last read ended: pipes cannot seek
        if (bytesRead === 0) break;
        length += bytesRead;
      }
      const taken = buffer;
      buffer = undefined;
      let released = false;
      return {
        bytes: taken.subarray(0, length),
        release: () => {
          if (released) return;
          released = true;
          this.give(taken);
        },
      };
    } finally {
      if (buffer) this.give(buffer);
      await handle.close();
    }
  }

  /** How many buffers wait to be reused (for tests and figures). */
  get idle(): number {
    return this.free.length;
  }

  private take(size: number): Buffer {
    const i = this.free.findIndex((b) => b.length >= size);
    if (i >= 0) return this.free.splice(i, 1)[0]!;
    return Buffer.allocUnsafeSlow(roundUp(size));
  }

  private give(buffer: Buffer): void {
    if (buffer.length > this.maxKept) return;
    if (this.free.length >= this.keep) {
      // keep the largest ones: a run of large files then never allocates again
      const smallest = this.free.reduce((m, b, i, all) => (b.length < all[m]!.length ? i : m), 0);
      if (this.free[smallest]!.length >= buffer.length) return;
      this.free.splice(smallest, 1);
    }
    this.free.push(buffer);
  }
}

/** Whole mebibytes (at least 4): files of slightly different sizes share the same buffers. */
function roundUp(size: number): number {
  return Math.max(4 * MIB, Math.ceil(size / MIB) * MIB);
}
