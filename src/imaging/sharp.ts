/**
 * sharp, loaded lazily (commands that never touch pixels never pay for it) and configured once.
 *
 * Concurrency, deliberately: libvips uses ONE thread per image (sharp.concurrency(1) — also its default on
 * glibc Linux without jemalloc, and on Lambda), and callers run as many images at once as there are cores
 * (imageConcurrency()). Image-level parallelism scales almost linearly, while extra libvips threads inside one
 * image help little for decode + resize + WebP encode (the encoder is single-threaded). libvips' operation
 * cache is off: a bulk import never sees the same image twice, and the cache would only hold memory.
 */
import { availableParallelism } from 'node:os';
import type * as sharpType from 'sharp';

export type Sharp = typeof sharpType.default;

let sharpPromise: Promise<Sharp> | undefined;

export function loadSharp(): Promise<Sharp> {
  sharpPromise ??= import('sharp').then(({ default: sharp }) => {
    sharp.concurrency(1);
    sharp.cache(false);
    return sharp;
  });
  return sharpPromise;
}

/** How many images to process at once: config.images.concurrency, else one per core. */
export function imageConcurrency(configured?: number): number {
  return Math.max(1, configured ?? availableParallelism());
}
