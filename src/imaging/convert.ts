/**
 * A stored copy in the format a file name asks for: `images get --out foto.jpg` writes JPEG bytes, not the
 * WebP the copies are stored in (a patient's phone or e-mail client goes by the name, and a WebP named .jpg
 * may not open). Only the derivatives are converted; the original is the clinical record, byte for byte.
 */
import { extname } from 'node:path';
import type { ImageFormat } from './inspect.js';
import { loadSharp } from './sharp.js';

const FORMAT_OF_EXTENSION: Record<string, ImageFormat> = {
  '.jpg': 'jpeg',
  '.jpeg': 'jpeg',
  '.jpe': 'jpeg',
  '.jfif': 'jpeg',
  '.png': 'png',
  '.tif': 'tiff',
  '.tiff': 'tiff',
  '.webp': 'webp',
};

/** The image format a file name's extension names, or undefined (no extension, or one clinica does not write). */
export function formatOfFileName(name: string): ImageFormat | undefined {
  return FORMAT_OF_EXTENSION[extname(name).toLowerCase()];
}

/** A WebP derivative re-encoded as `to` (JPEG: transparency flattened on white). No metadata is written. */
export async function convertImage(bytes: Uint8Array, to: ImageFormat): Promise<Buffer> {
  const sharp = await loadSharp();
  const image = sharp(bytes);
  switch (to) {
    case 'jpeg':
      return image.flatten({ background: '#ffffff' }).jpeg({ quality: 90 }).toBuffer();
    case 'png':
      return image.png().toBuffer();
    case 'tiff':
      return image.tiff({ compression: 'lzw' }).toBuffer();
    case 'webp':
      return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
}
