/**
 * The sharp pipeline every path shares — `clinica upload` (one file or a bulk import) and the image-processor
 * Lambda (and its local twin in `clinica dev`) — so their derivatives are identical byte for byte:
 *
 *   original bytes ─ inspect (format by magic bytes, header, pixel limit)
 *                  ─ decode once: auto-orient from EXIF, fit inside 2048 px, to sRGB (or greyscale)
 *                    16-bit greyscale: windowed to 8 bits between the 0.5th and 99.5th percentiles
 *                    greyscale with alpha: RGBA (the transparency kept)
 *                    a multi-page TIFF: every page, stacked (see processImage)
 *                  ─ display.webp (≤ 2048 px)   thumb.webp (≤ 320 px)   shared.webp (display + watermark)
 *
 * Metadata (EXIF, GPS, XMP, ICC) is never copied to a derivative: sharp writes none unless asked. The original
 * itself is not touched here; the caller stores it byte for byte.
 *
 * Concurrency and caching: see sharp.ts.
 */
import type * as sharpType from 'sharp';
import { colourFacts, ImageRejected, inspectImage, rejectionFor, type ImageInfo } from './inspect.js';
import { loadSharp, type Sharp } from './sharp.js';
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

/** WebP's largest side: a stack of pages is kept below it */
export const WEBP_MAX_SIDE = 16383;
/** Pages of a multi-page TIFF beyond this are refused (split the file): each page is decoded and stacked. */
export const MAX_PAGES = 64;

function refuseTooManyPages(info: ImageInfo): void {
  if (info.pages <= MAX_PAGES || info.animated) return;
  throw new ImageRejected(`the ${info.format.toUpperCase()} file has ${info.pages} pages, more than ${MAX_PAGES}: split it into smaller files`, {
    reason: 'too-many-pages',
    params: { pages: info.pages, limit: MAX_PAGES },
  });
}

/** Decoded pixels, 8 bits per channel, ready for the encoders. */
interface Pixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 1 | 2 | 3 | 4;
}

/**
 * One page decoded at display size: auto-oriented, to sRGB or greyscale, 16-bit greyscale windowed to 8 bits.
 * Greyscale with alpha (8 or 16 bits) becomes RGBA: a two-channel raw buffer handed back to sharp is not read
 * as grey + alpha, and the transparency (or the whole picture) was lost.
 */
async function decodePage(
  sharp: Sharp,
  bytes: Uint8Array,
  facts: Pick<ImageInfo, 'space' | 'hasAlpha' | 'grey16'>,
  options: { maxPixels: number; page: number; box: { width: number; height: number } },
): Promise<{ pixels: Pixels; window?: { low: number; high: number } }> {
  const decoded = sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error', page: options.page })
    .rotate()
    .resize({ ...options.box, fit: 'inside', withoutEnlargement: true });
  if (facts.grey16) {
    const raw = await decoded.toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
    const { width, height } = raw.info;
    const all = new Uint16Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength / 2);
    if (raw.info.channels === 1) {
      const windowed = windowTo8Bits(all);
      return { pixels: { data: windowed.data, width, height, channels: 1 }, window: windowed.window };
    }
    // grey + alpha: window the grey samples, keep the alpha's high byte
    const count = width * height;
    const grey = new Uint16Array(count);
    for (let i = 0; i < count; i++) grey[i] = all[i * 2]!;
    const windowed = windowTo8Bits(grey);
    const data = Buffer.allocUnsafe(count * 4);
    for (let i = 0; i < count; i++) {
      const g = windowed.data[i]!;
      data[i * 4] = g;
      data[i * 4 + 1] = g;
      data[i * 4 + 2] = g;
      data[i * 4 + 3] = all[i * 2 + 1]! >> 8;
    }
    return { pixels: { data, width, height, channels: 4 }, window: windowed.window };
  }
  const grey = (facts.space === 'b-w' || facts.space === 'grey16') && !facts.hasAlpha;
  const raw = await decoded.toColourspace(grey ? 'b-w' : 'srgb').raw().toBuffer({ resolveWithObject: true });
  return { pixels: { data: raw.data, width: raw.info.width, height: raw.info.height, channels: raw.info.channels as Pixels['channels'] } };
}

/**
 * Makes the derivatives of one image, all in memory (nothing is written until everything succeeded).
 * Throws ImageRejected for anything that is not an acceptable, complete image.
 *
 * A multi-page TIFF (a scanned consent form, a radiograph series) shows every page: display and shared are
 * the pages one under the other on white (each fitted to 2048 px, smaller when the stack would pass WebP's
 * largest side), each page of the shared copy with its own watermark, so what leaves the clinic is the whole
 * document in one file; the thumbnail is the first page. An animated WebP is one moving picture, not pages:
 * its copies show the first frame (info.animated and info.pages say so; the original keeps every frame).
 */
export async function processImage(bytes: Uint8Array, options: ProcessOptions): Promise<ProcessedImage> {
  const info = await inspectImage(bytes, { maxPixels: options.maxPixels });
  refuseTooManyPages(info);
  const sharp = await loadSharp();
  const stacked = info.pages > 1 && !info.animated;
  const pageHeight = stacked ? Math.min(DISPLAY_MAX, Math.floor(WEBP_MAX_SIDE / info.pages)) : DISPLAY_MAX;
  const pages: Pixels[] = [];
  let window: ProcessedImage['window'];
  try {
    for (let page = 0; page < (stacked ? info.pages : 1); page++) {
      const facts = page === 0 ? info : colourFacts(await sharp(bytes, { page }).metadata());
      const decoded = await decodePage(sharp, bytes, facts, { maxPixels: options.maxPixels, page, box: { width: DISPLAY_MAX, height: pageHeight } });
      pages.push(decoded.pixels);
      window ??= decoded.window;
    }
  } catch (err) {
    throw rejectionFor(err, info.format, options.maxPixels, bytes);
  }
  const first = pages[0]!;
  const layout = stackLayout(pages);
  const base = pages.length === 1 ? first : await stackPages(sharp, pages, layout);

  const from = (p: Pixels) => sharp(p.data, { raw: { width: p.width, height: p.height, channels: p.channels } });
  const encode = async (pipeline: sharpType.Sharp, settings: { quality: number; effort: number }): Promise<Derivative> => {
    const out = await pipeline.webp(settings).toBuffer({ resolveWithObject: true });
    return { data: out.data, width: out.info.width, height: out.info.height };
  };
  const watermark = options.watermark;
  const watermarkEveryPage = async (mark: WatermarkOptions) =>
    (await Promise.all(layout.map(async (at, i) => (await watermarkLayers(pages[i]!.width, pages[i]!.height, mark, sharp)).map((l) => ({ ...l, left: l.left! + at.left, top: l.top! + at.top }))))).flat();
  const [display, thumb, shared] = await Promise.all([
    encode(from(base), WEBP.display),
    encode(from(first).resize({ width: THUMB_MAX, height: THUMB_MAX, fit: 'inside', withoutEnlargement: true }), WEBP.thumb),
    watermark ? watermarkEveryPage(watermark).then((layers) => encode(from(base).composite(layers), WEBP.display)) : undefined,
  ]);
  return { info, display, thumb, shared, window };
}

/** Where each page sits in the stack: one under the other, centred. */
function stackLayout(pages: Pixels[]): { left: number; top: number }[] {
  const width = Math.max(...pages.map((p) => p.width));
  let top = 0;
  return pages.map((p) => {
    const at = { left: Math.floor((width - p.width) / 2), top };
    top += p.height;
    return at;
  });
}

/** The pages on one white canvas (with alpha when any page has it). */
async function stackPages(sharp: Sharp, pages: Pixels[], layout: { left: number; top: number }[]): Promise<Pixels> {
  const width = Math.max(...pages.map((p) => p.width));
  const height = pages.reduce((sum, p) => sum + p.height, 0);
  const channels = pages.some((p) => p.channels === 2 || p.channels === 4) ? 4 : 3;
  const raw = await sharp({ create: { width, height, channels, background: { r: 255, g: 255, b: 255, alpha: 1 } } })
    .composite(pages.map((p, i) => ({ input: p.data, raw: { width: p.width, height: p.height, channels: p.channels }, ...layout[i]! })))
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data: raw.data, width: raw.info.width, height: raw.info.height, channels: raw.info.channels as Pixels['channels'] };
}

/**
 * Checks that an image decodes to its end, without making the derivatives (what `upload --dry-run` does):
 * a truncated or damaged file passes inspectImage (its header is fine) and would fail only on import. The
 * decode is at thumbnail size, which JPEG shrinks on load, so it costs a fraction of processImage.
 */
export async function verifyImage(bytes: Uint8Array, options: { maxPixels: number }): Promise<ImageInfo> {
  const info = await inspectImage(bytes, { maxPixels: options.maxPixels });
  const sharp = await loadSharp();
  refuseTooManyPages(info);
  const pages = info.animated ? 1 : info.pages;
  try {
    for (let page = 0; page < pages; page++) {
      await sharp(bytes, { limitInputPixels: options.maxPixels, failOn: 'error', page })
        .resize({ width: THUMB_MAX, height: THUMB_MAX, fit: 'inside', withoutEnlargement: true })
        .raw()
        .toBuffer();
    }
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
