/**
 * What an incoming file is, and whether clinica accepts it. Only JPEG, PNG, TIFF and WebP are accepted; the
 * format is recognised from the file's first bytes before sharp sees it (so an SVG, PDF or HTML file is never
 * handed to a decoder), then the header is read for the dimensions. Anything refused throws ImageRejected with
 * a reason a person can act on.
 */
import { createHash } from 'node:crypto';
import type * as sharpType from 'sharp';
import { ClinicaError } from '../errors.js';
import { loadSharp } from './sharp.js';

export const IMAGE_FORMATS = ['jpeg', 'png', 'tiff', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

export const FORMAT_EXTENSION: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' };
export const FORMAT_CONTENT_TYPE: Record<ImageFormat, string> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  tiff: 'image/tiff',
  webp: 'image/webp',
};
/** file extensions a bulk import picks up (others in the folder are listed as skipped) */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.jpe', '.jfif', '.png', '.tif', '.tiff', '.webp'];
/**
 * Extensions of images clinica does not take (an iPhone's HEIC, a sensor's DICOM, …): a bulk import reports
 * them as failed, with the reason read from their bytes — listed as "skipped, not an image" they would pass
 * for the folder's clutter while a patient's photos or radiographs stayed out of the record.
 */
export const REFUSED_IMAGE_EXTENSIONS = ['.heic', '.heif', '.avif', '.gif', '.bmp', '.dcm', '.dicom', '.svg', '.jp2', '.j2k', '.j2c', '.jpc', '.jpf', '.jpx'];

/** An image clinica will not take, with the reason (exit 2 on its own; one row of a bulk import's failures). */
/**
 * Why an image was refused. `reason` (the ClinicaError's) is a stable code — empty, unsupported-format,
 * truncated, damaged, too-many-pixels — with `params`, for pages that show it in their own language.
 */
export class ImageRejected extends ClinicaError {
  constructor(reason: string, options: { cause?: unknown; hint?: string; reason?: string; params?: Record<string, string | number> } = {}) {
    super('usage', reason, { field: 'image', ...options });
    this.name = 'ImageRejected';
  }
}

export interface ImageInfo {
  format: ImageFormat;
  /** stored pixel size (before EXIF orientation) */
  width: number;
  height: number;
  /** size as displayed (after EXIF orientation) */
  orientedWidth: number;
  orientedHeight: number;
  /** EXIF orientation 1–8 (1 when absent) */
  orientation: number;
  channels: number;
  bitDepth: 8 | 16;
  /** libvips interpretation: srgb, b-w, grey16, cmyk, rgb16, … */
  space: string;
  hasAlpha: boolean;
  /** a single greyscale channel of 16 bits: windowed to 8 bits for display */
  grey16: boolean;
  /** pages of a multi-page TIFF, frames of an animated WebP; 1 for everything else */
  pages: number;
  /** an animated WebP (its pages are frames of one moving picture, not pages of a document) */
  animated: boolean;
}

/** The colour facts of one page's header (libvips' metadata). */
export function colourFacts(meta: Pick<sharpType.Metadata, 'depth' | 'channels' | 'hasAlpha' | 'space'>): Pick<ImageInfo, 'channels' | 'bitDepth' | 'space' | 'hasAlpha' | 'grey16'> {
  const bitDepth = meta.depth === 'ushort' || meta.depth === 'short' ? 16 : 8;
  const channels = meta.channels ?? 3;
  const hasAlpha = Boolean(meta.hasAlpha);
  return { channels, bitDepth, space: meta.space ?? 'srgb', hasAlpha, grey16: bitDepth === 16 && channels - (hasAlpha ? 1 : 0) === 1 };
}

/** The format from the magic bytes, or a description of what the file looks like instead. */
export function sniffFormat(bytes: Uint8Array): ImageFormat | { not: string } {
  const b = bytes;
  const ascii = (from: number, to: number) => Buffer.from(b.subarray(from, to)).toString('latin1');
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && ascii(0, 8) === '\x89PNG\r\n\x1a\n') return 'png';
  if (b.length >= 4 && (ascii(0, 4) === 'II*\0' || ascii(0, 4) === 'MM\0*' || ascii(0, 4) === 'II+\0' || ascii(0, 4) === 'MM\0+')) return 'tiff';
  if (b.length >= 12 && ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP') return 'webp';
  if (b.length >= 6 && (ascii(0, 6) === 'GIF87a' || ascii(0, 6) === 'GIF89a')) return { not: 'a GIF image' };
  if (b.length >= 2 && ascii(0, 2) === 'BM') return { not: 'a BMP image' };
  if (b.length >= 5 && ascii(0, 5) === '%PDF-') return { not: 'a PDF document' };
  if (b.length >= 12 && ascii(4, 8) === 'ftyp') return { not: 'a HEIC/AVIF or video file' };
  // JPEG 2000 (dental sensors export it): the JP2 box signature, or a bare J2K codestream (SOC + SIZ markers).
  // The libvips in sharp's prebuilt binaries has no JPEG 2000 decoder, so it is refused with what to do.
  if ((b.length >= 12 && ascii(0, 12) === '\0\0\0\x0CjP  \r\n\x87\n') || (b.length >= 4 && b[0] === 0xff && b[1] === 0x4f && b[2] === 0xff && b[3] === 0x51)) {
    return { not: 'a JPEG 2000 image, which clinica cannot decode (export it as PNG or TIFF first)' };
  }
  if (b.length >= 132 && ascii(128, 132) === 'DICM') return { not: 'a DICOM file (export it as PNG or TIFF first)' };
  const head = Buffer.from(b.subarray(0, 512)).toString('utf8').trimStart().toLowerCase();
  if (head.startsWith('<svg') || head.startsWith('<?xml')) return { not: 'an SVG/XML file' };
  if (head.startsWith('<!doctype html') || head.startsWith('<html')) return { not: 'an HTML page' };
  if (b.subarray(0, 512).every((c) => c >= 0x20 || c === 0x09 || c === 0x0a || c === 0x0d)) return { not: 'a text file' };
  return { not: 'an unknown kind of file' };
}

export const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function describeMegapixels(pixels: number): string {
  return `${(pixels / 1e6).toFixed(pixels < 10e6 ? 1 : 0)} MP`;
}

/**
 * Validates a file's bytes and reads its header. Throws ImageRejected for an empty file, an unaccepted
 * format, an unreadable header, or more pixels than `maxPixels`. A file whose header is fine but whose data
 * is truncated passes here and is rejected when it is decoded (processImage).
 */
export async function inspectImage(bytes: Uint8Array, options: { maxPixels: number }): Promise<ImageInfo> {
  if (bytes.length === 0) throw new ImageRejected('the file is empty', { reason: 'empty' });
  const sniffed = sniffFormat(bytes);
  if (typeof sniffed !== 'string') {
    throw new ImageRejected(`not an accepted image: it is ${sniffed.not}`, { hint: 'clinica takes JPEG, PNG, TIFF and WebP files', reason: 'unsupported-format' });
  }
  const sharp = await loadSharp();
  let meta: sharpType.Metadata;
  try {
    // the header only: the pixel limit is checked below, with the dimensions in the message
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (err) {
    throw rejectionFor(err, sniffed, options.maxPixels, bytes);
  }
  if (meta.format !== sniffed) {
    throw new ImageRejected(`the ${sniffed.toUpperCase()} header could not be read (sharp sees ${meta.format ?? 'nothing'})`, {
      reason: 'damaged',
      params: { format: sniffed.toUpperCase() },
    });
  }
  const width = meta.width ?? 0;
  const height = meta.height ?? 0;
  if (!width || !height) throw new ImageRejected(`the ${sniffed.toUpperCase()} header gives no dimensions`, { reason: 'damaged', params: { format: sniffed.toUpperCase() } });
  const pixels = width * height;
  if (pixels > options.maxPixels) {
    throw new ImageRejected(
      `the image is too large: ${width}×${height} = ${describeMegapixels(pixels)}, over the limit of ${describeMegapixels(options.maxPixels)}`,
      {
        hint: 'reduce it, or raise images.maxPixels in clinica.config.json',
        reason: 'too-many-pixels',
        params: { width, height, megapixels: describeMegapixels(pixels), limit: describeMegapixels(options.maxPixels) },
      },
    );
  }
  const orientation = meta.orientation && meta.orientation >= 1 && meta.orientation <= 8 ? meta.orientation : 1;
  const swap = orientation >= 5;
  const pages = Math.max(1, meta.pages ?? 1);
  return {
    format: sniffed,
    width,
    height,
    orientedWidth: swap ? height : width,
    orientedHeight: swap ? width : height,
    orientation,
    ...colourFacts(meta),
    pages,
    animated: sniffed === 'webp' && pages > 1,
  };
}

/**
 * Whether a JPEG or PNG visibly ends early: no end-of-image marker (JPEG FFD9 within the last KiB) or no IEND
 * chunk (PNG). Consulted only after a decode failed: libvips keeps one error buffer per process, so with
 * several images decoding at once its message can be lost ("Unknown error") or belong to another image.
 */
export function looksTruncated(bytes: Uint8Array, format: ImageFormat | undefined): boolean {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (format === 'jpeg') {
    const end = b.lastIndexOf(Buffer.from([0xff, 0xd9]));
    return end < 0 || end < b.length - 1024;
  }
  if (format === 'png') return b.length < 12 || b.subarray(-12).toString('latin1').indexOf('IEND') !== 4;
  return false;
}

/** A decoder error as a rejection a person understands (the raw libvips text kept as the cause). */
export function rejectionFor(err: unknown, format: ImageFormat | undefined, maxPixels: number, bytes?: Uint8Array): ImageRejected {
  const message = (err as Error)?.message ?? String(err);
  const name = format ? format.toUpperCase() : 'image';
  const truncated = { cause: err, reason: 'truncated', params: { format: name } };
  if (bytes && looksTruncated(bytes, format)) {
    return new ImageRejected(`the ${name} file is truncated (incomplete download or copy?)`, truncated);
  }
  if (/pixel limit/i.test(message)) {
    return new ImageRejected(`the image is too large: over the limit of ${describeMegapixels(maxPixels)}`, {
      cause: err,
      hint: 'reduce it, or raise images.maxPixels in clinica.config.json',
      reason: 'too-many-pixels',
      params: { limit: describeMegapixels(maxPixels) },
    });
  }
  if (/premature end|truncated|unexpected end|short read|not enough data|read error|out of data/i.test(message)) {
    return new ImageRejected(`the ${name} file is truncated (incomplete download or copy?)`, truncated);
  }
  if (/unsupported image format/i.test(message)) return new ImageRejected('not an accepted image: unsupported format', { cause: err, reason: 'unsupported-format' });
  const first = message.split('\n')[0]!.replace(/^Input (buffer|file) (has corrupt header|contains unsupported image format):?\s*/i, '').trim();
  const detail = first && !/^unknown error$/i.test(first) ? ` (${first})` : '';
  return new ImageRejected(`the ${name} file is damaged and cannot be decoded${detail}`, { cause: err, reason: 'damaged', params: { format: name } });
}
