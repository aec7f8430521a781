/** Generated test images: every fixture is made here, none is checked in. */
import { deflateSync, crc32 } from 'node:zlib';
import sharp from 'sharp';

/** A deterministic "photo": gradients and a little noise, so the encoders have something to do. */
export function photoPixels(width: number, height: number, seed = 1): Buffer {
  const raw = Buffer.alloc(width * height * 3);
  let s = seed;
  const rnd = () => ((s = (s * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      const n = rnd() * 24;
      raw[i] = Math.min(255, (x / width) * 200 + n);
      raw[i + 1] = Math.min(255, (y / height) * 200 + n);
      raw[i + 2] = Math.min(255, 128 + 60 * Math.sin(x / 37) + n);
    }
  }
  return raw;
}

/**
 * A landscape JPEG (wide: left half red, right half blue) stored with EXIF orientation 6 (displayed rotated
 * 90° clockwise: portrait, red on top), and camera + GPS EXIF that must not reach the derivatives.
 */
export async function jpegOrientation6(width = 800, height = 400): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      if (x < width / 2) raw[i] = 220;
      else raw[i + 2] = 220;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 3 } })
    .jpeg({ quality: 90 })
    .withMetadata({ orientation: 6 })
    .withExif({ IFD0: { Make: 'ClinicaTestCam', Model: 'X1' }, IFD3: { GPSLatitudeRef: 'S', GPSLatitude: '23/1 33/1 0/1', GPSLongitudeRef: 'W', GPSLongitude: '46/1 38/1 0/1' } })
    .toBuffer();
}

export async function photoJpeg(width = 1200, height = 900, seed = 1): Promise<Buffer> {
  return sharp(photoPixels(width, height, seed), { raw: { width, height, channels: 3 } }).jpeg({ quality: 88 }).toBuffer();
}

/** A 16-bit greyscale PNG that uses only 12 bits (1000–4000), like a radiograph export: a ramp left to right. */
export async function grey16Png(width = 600, height = 400): Promise<Buffer> {
  const data = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = 1000 + Math.round((3000 * x) / (width - 1));
  return sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toBuffer();
}

/** The same ramp as a 16-bit greyscale TIFF (LZW: sharp's default TIFF compression, JPEG, would make it 8-bit). */
export async function grey16Tiff(width = 600, height = 400): Promise<Buffer> {
  const png = await grey16Png(width, height);
  const { data, info } = await sharp(png).toColourspace('grey16').raw({ depth: 'ushort' }).toBuffer({ resolveWithObject: true });
  const samples = new Uint16Array(data.buffer, data.byteOffset, data.byteLength / 2);
  return sharp(samples, { raw: { width: info.width, height: info.height, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'lzw' }).toBuffer();
}

export async function cmykJpeg(width = 300, height = 200): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 3, background: '#3080c0' } }).toColourspace('cmyk').jpeg().toBuffer();
}

/** A PNG with a transparent left half. */
export async function alphaPng(width = 300, height = 200): Promise<Buffer> {
  const raw = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      raw[i + 1] = 180;
      raw[i + 3] = x < width / 2 ? 0 : 255;
    }
  }
  return sharp(raw, { raw: { width, height, channels: 4 } }).png().toBuffer();
}

/** A JPEG cut at 60 %: its header reads fine, its data ends early. */
export async function truncatedJpeg(): Promise<Buffer> {
  const full = await photoJpeg(800, 600, 7);
  return full.subarray(0, Math.floor(full.length * 0.6));
}

export const textFileAsJpeg = (): Buffer => Buffer.from('This is not an image, whatever its name says.\n');

function pngChunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([length, body, crc]);
}

/** A "pixel bomb": a 50000×50000 greyscale PNG header (2.5 gigapixels) over a few bytes of data. */
export function pixelBombPng(size = 50_000): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 0; // greyscale
  const row = Buffer.alloc(size + 1); // one filter byte + one row of zeros
  const idat = deflateSync(Buffer.concat([row, row]));
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), pngChunk('IHDR', ihdr), pngChunk('IDAT', idat), pngChunk('IEND', Buffer.alloc(0))]);
}

/** A small PNG logo: a dark-blue disc on transparency. */
export async function logoPng(size = 64): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}"><circle cx="${size / 2}" cy="${size / 2}" r="${size / 2 - 2}" fill="#003a8c"/></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Mean absolute difference of two equally sized images inside a region (0–255). */
export async function meanDifference(
  a: Buffer,
  b: Buffer,
  region: { left: number; top: number; width: number; height: number },
): Promise<number> {
  const [ra, rb] = await Promise.all([a, b].map((img) => sharp(img).extract(region).removeAlpha().raw().toBuffer()));
  let sum = 0;
  for (let i = 0; i < ra!.length; i++) sum += Math.abs(ra![i]! - rb![i]!);
  return sum / ra!.length;
}

/**
 * A greyscale PNG with alpha (colour type 4), 8 or 16 bits, written chunk by chunk (sharp writes grey + alpha
 * as RGBA): the left half transparent, the right half opaque. 8 bits: grey 200; 16 bits: a 12-bit ramp
 * (1000–4000) left to right, like a radiograph export.
 */
export function greyAlphaPng(depth: 8 | 16, width = 300, height = 200): Buffer {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = depth;
  ihdr[9] = 4; // greyscale with alpha
  const pixelBytes = (depth / 8) * 2;
  const rows: Buffer[] = [];
  for (let y = 0; y < height; y++) {
    const row = Buffer.alloc(1 + width * pixelBytes); // filter byte 0, then the pixels
    for (let x = 0; x < width; x++) {
      const opaque = x >= width / 2;
      if (depth === 16) {
        row.writeUInt16BE(1000 + Math.round((3000 * x) / (width - 1)), 1 + x * 4);
        row.writeUInt16BE(opaque ? 65535 : 0, 3 + x * 4);
      } else {
        row[1 + x * 2] = 200;
        row[2 + x * 2] = opaque ? 255 : 0;
      }
    }
    rows.push(row);
  }
  return Buffer.concat([Buffer.from('\x89PNG\r\n\x1a\n', 'latin1'), pngChunk('IHDR', ihdr), pngChunk('IDAT', deflateSync(Buffer.concat(rows))), pngChunk('IEND', Buffer.alloc(0))]);
}

/** Plain pages of one colour each, as PNGs. */
function colourPages(colours: string[], width: number, height: number): Promise<Buffer[]> {
  return Promise.all(colours.map((background) => sharp({ create: { width, height, channels: 3, background } }).png().toBuffer()));
}

/** A multi-page TIFF (a scanned consent form): one page per colour, each width × height. */
export async function multiPageTiff(colours = ['#d02020', '#2020d0'], width = 400, height = 560): Promise<Buffer> {
  return sharp(await colourPages(colours, width, height), { join: { animated: true } }).tiff({ compression: 'lzw' }).toBuffer();
}

/** An animated WebP: one frame per colour. */
export async function animatedWebp(colours = ['#d02020', '#2020d0'], width = 200, height = 150): Promise<Buffer> {
  return sharp(await colourPages(colours, width, height), { join: { animated: true } }).webp().toBuffer();
}

/** The start of a JPEG 2000 file (JP2 signature and file-type boxes), as a dental sensor exports it. */
export function jp2Header(): Buffer {
  const signature = Buffer.from('0000000c6a5020200d0a870a', 'hex');
  const ftyp = Buffer.concat([Buffer.from('000000146674797000000000', 'hex'), Buffer.from('jp2 ', 'latin1'), Buffer.alloc(4), Buffer.from('jp2 ', 'latin1')]);
  return Buffer.concat([signature, ftyp, Buffer.alloc(64)]);
}
