/**
 * The sharp pipeline every path shares — `clinica upload` (one file or a bulk import) and the image-processor
 * Lambda (and its local twin in `clinica dev`) — so their derivatives are identical byte for byte:
 *
 *   original bytes ─ inspect (format by magic bytes, header, pixel limit)
 *                  ─ decode once: auto-orient from EXIF, fit inside 2048 px, to sRGB (or greyscale)
 *                    16-bit greyscale: windowed to 8 bits between the 0.5th and 99.5th percentiles
 *                  ─ display.webp (≤ 2048 px)   thumb.webp (≤ 320 px)   shared.webp (display + watermark)
 *
 * Metadata (EXIF, GPS, XMP, ICC) is never copied to a derivative: sharp writes none unless asked. The original
 * itself is not touched here; the caller stores it byte for byte.
 *
 * Concurrency and caching: see sharp.ts.
 */
import type * as sharpType from 'sharp';
import { inspectImage, rejectionFor, type ImageInfo } from './inspect.js';
import { loadSharp } from './sharp.js';
import { watermarkLayers, type WatermarkOptions } from './watermark.js';

export { loadSharp, imageConcurrency } from './sharp.js';

export const VARIANTS = ['display', 'thumb', 'shared'] as const;
export type Variant = (typeof VARIANTS)[number];

export const DISPLAY_MAX = 2048;
export const THUMB_MAX = 320;
/**
 * WebP settings. Encoding is most of the CPU time: effort 2 encodes a 2048 px image in half the time of
 * effort 4 (sharp's default) for files a few per cent larger; the small thumbnail can afford effort 4.
 */
export const WEBP = {
  display: { quality: 82, effort: 2 },
  thumb: { quality: 75, effort: 4 },
} as const;
/** the share of darkest and brightest pixels clipped when a 16-bit radiograph is windowed to 8 bits */
export const WINDOW_CLIP = 0.005;

export interface Derivative {
  data: Buffer;
  width: number;
  height: number;
}

export interface ProcessedImage {
  info: ImageInfo;
  display: Derivative;
  thumb: Derivative;
  /** the watermarked copy; absent when no watermark was asked for */
  shared?: Derivative;
  /** the 16-bit window used, when the input was 16-bit greyscale */
  window?: { low: number; high: number };
}

export interface ProcessOptions {
  maxPixels: number;
  /** the watermark for the `shared` variant; undefined = no shared variant */
  watermark?: WatermarkOptions;
}

/**
 * Makes the derivatives of one image, all in memory (nothing is written until everything succeeded).
 * Throws ImageRejected for anything that is not an acceptable, complete image.
 */
export async function processImage(bytes: Uint8Array, options: ProcessOptions): Promise<ProcessedImage> {
  const info = await inspectImage(bytes, { maxPixels: options.maxPixels });
  const sharp = await loadSharp();
  let base: { data: Buffer; width: number; height: number; channels: 1 | 2 | 3 | 4 };
  let window: ProcessedImage['window'];
  try {
    const decoded = sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error' })
      .rotate()
      .resize({ width: DISPLAY_MAX, height: DISPLAY_MAX, fit: 'inside', withoutEnlargement: true });
    if (info.grey16) {
      const raw = await decoded.removeAlpha().toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
      const samples = new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2);
      const windowed = windowTo8Bits(samples);
      window = windowed.window;
      base = { data: windowed.data, width: raw.info.width, height: raw.info.height, channels: 1 };
    } else {
      const grey = info.space === 'b-w' || info.space === 'grey16';
      const raw = await decoded.toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
      base = { data: raw.data, width: raw.info.width, height: raw.info.height, channels: raw.info.channels as 1 | 2 | 3 | 4 };
    }
  } catch (err) {
    throw rejectionFor(err, info.format, options.maxPixels, bytes);
  }

  const from = () => sharp(base.data, { raw: { width: base.width, height: base.height, channels: base.channels } });
  const encode = async (pipeline: sharpType.Sharp, settings: { quality: number; effort: number }): Promise<Derivative> => {
    const out = await pipeline.webp(settings).toBuffer({ resolveWithObject: true });
    return { data: out.data, width: out.info.width, height: out.info.height };
  };
  const watermark = options.watermark;
  const [display, thumb, shared] = await Promise.all([
    encode(from(), WEBP.display),
    encode(from().resize({ width: THUMB_MAX, height: THUMB_MAX, fit: 'inside', withoutEnlargement: true }), WEBP.thumb),
    watermark
      ? watermarkLayers(base.width, base.height, watermark, sharp).then((layers) => encode(from().composite(layers), WEBP.display))
      : undefined,
  ]);
  return { info, display, thumb, shared, window };
}

/**
 * Checks that an image decodes to its end, without making the derivatives (what `upload --dry-run` does):
 * a truncated or damaged file passes inspectImage (its header is fine) and would fail only on import. The
 * decode is at thumbnail size, which JPEG shrinks on load, so it costs a fraction of processImage.
 */
export async function verifyImage(bytes: Uint8Array, options: { maxPixels: number }): Promise<ImageInfo> {
  const info = await inspectImage(bytes, { maxPixels: options.maxPixels });
  const sharp = await loadSharp();
  try {
    await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error' })
      .resize({ width: THUMB_MAX, height: THUMB_MAX, fit: 'inside', withoutEnlargement: true })
      .raw()
      .toBuffer();
  } catch (err) {
    throw rejectionFor(err, info.format, options.maxPixels, bytes);
  }
  return info;
}

/**
 * 16-bit greyscale to 8 bits without crushing contrast. Radiograph exports use 10–14 of the 16 bits, so the
 * naive high-byte cast leaves a near-black image; a straight min–max stretch lets a few hot pixels (burned-in
 * labels, dead detector pixels) decide the scale. A percentile window clips WINDOW_CLIP of each tail and
 * stretches what lies between linearly over 0–255.
 */
export function windowTo8Bits(samples: Uint16Array, clip = WINDOW_CLIP): { data: Buffer; window: { low: number; high: number } } {
  const histogram = new Uint32Array(65536);
  for (let i = 0; i < samples.length; i++) histogram[samples[i]!]!++;
  const total = samples.length;
  const cut = Math.floor(total * clip);
  let low = 0;
  for (let seen = 0; low < 65535; low++) {
    seen += histogram[low]!;
    if (seen > cut) break;
  }
  let high = 65535;
  for (let seen = 0; high > 0; high--) {
    seen += histogram[high]!;
    if (seen > cut) break;
  }
  if (high <= low) high = Math.min(65535, low + 1);
  const scale = 255 / (high - low);
  const lut = new Uint8Array(65536);
  for (let v = 0; v < 65536; v++) lut[v] = v <= low ? 0 : v >= high ? 255 : Math.round((v - low) * scale);
  const data = Buffer.allocUnsafe(total);
  for (let i = 0; i < total; i++) data[i] = lut[samples[i]!]!;
  return { data, window: { low, high } };
}
