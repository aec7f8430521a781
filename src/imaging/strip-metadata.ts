/**
 * Removes the text a camera, a scanner or a person put into an image file (EXIF Artist and ImageDescription, XMP,
 * IPTC, comments, PNG text chunks) WITHOUT decoding or re-encoding the pixels: the stored original stays the
 * clinical record it was, bit for bit in its image data. Used by the anonymization (LGPD), where a name or a CPF
 * in a file's metadata would outlive the erasure of the record.
 *
 * - JPEG: the APP1 (EXIF, XMP), APP13 (IPTC), other vendor APPn segments and COM segments go; JFIF (APP0), the ICC
 *   profile (APP2: colour, names no one) and Adobe (APP14: needed to decode CMYK/YCCK) stay. EXIF's Orientation,
 *   which viewers need to show the image upright, is kept in a new APP1 holding that one tag.
 * - PNG: tEXt, iTXt, zTXt and eXIf chunks go; every other chunk is copied as it is (its CRC with it).
 * - WebP: the EXIF and XMP chunks go, and the VP8X header stops announcing them.
 * - TIFF: the image's structure holds the pixels' offsets, so nothing is moved: the values of the descriptive tags
 *   (document/page name, description, make, model, software, date, artist, host, copyright, XMP, IPTC, and every
 *   value of the EXIF and GPS sub-directories) are overwritten in place (text with spaces, the rest with zeros).
 */
import type { ImageFormat } from './inspect.js';

export interface StrippedImage {
  bytes: Buffer;
  /** what was removed ("EXIF", "XMP", "COM", "tEXt", …), empty when the file had none */
  removed: string[];
}

export function stripMetadata(bytes: Buffer, format: ImageFormat): StrippedImage {
  switch (format) {
    case 'jpeg':
      return stripJpeg(bytes);
    case 'png':
      return stripPng(bytes);
    case 'webp':
      return stripWebp(bytes);
    case 'tiff':
      return stripTiff(bytes);
  }
}

// ---------------------------------------------------------------- JPEG

const JPEG_KEEP_APP: Record<number, string> = { 0xe0: 'JFIF', 0xe2: 'ICC_PROFILE', 0xee: 'Adobe' };

function stripJpeg(bytes: Buffer): StrippedImage {
  if (bytes[0] !== 0xff || bytes[1] !== 0xd8) throw new Error('not a JPEG file (no SOI marker)');
  const parts: Buffer[] = [bytes.subarray(0, 2)];
  const removed = new Set<string>();
  let orientation: number | undefined;
  let at = 2;
  while (at + 4 <= bytes.length) {
    if (bytes[at] !== 0xff) throw new Error(`JPEG segment expected at byte ${at}`);
    const marker = bytes[at + 1]!;
    if (marker === 0xff) {
      at++; // fill byte
      continue;
    }
    if (marker === 0xda || marker === 0xd9) break; // start of scan (or end): the rest is image data, copied as is
    const length = bytes.readUInt16BE(at + 2);
    const segment = bytes.subarray(at, at + 2 + length);
    const body = segment.subarray(4);
    const isApp = marker >= 0xe0 && marker <= 0xef;
    if (marker === 0xfe) removed.add('COM');
    else if (isApp && !(JPEG_KEEP_APP[marker] && body.subarray(0, JPEG_KEEP_APP[marker]!.length).toString('latin1') === JPEG_KEEP_APP[marker])) {
      const name = body.subarray(0, 6).toString('latin1') === 'Exif\0\0' ? 'EXIF' : body.toString('latin1', 0, 29).startsWith('http://ns.adobe.com/xap/1.0/') ? 'XMP' : marker === 0xed ? 'IPTC' : `APP${marker - 0xe0}`;
      removed.add(name);
      if (name === 'EXIF') orientation ??= exifOrientation(body.subarray(6));
    } else parts.push(segment);
    at += 2 + length;
  }
  if (orientation && orientation !== 1) parts.splice(1, 0, orientationApp1(orientation));
  parts.push(bytes.subarray(at));
  return { bytes: removed.size ? Buffer.concat(parts) : bytes, removed: [...removed] };
}

/** The Orientation tag (0x0112) of IFD0 of a TIFF-structured EXIF block, if readable. */
function exifOrientation(tiff: Buffer): number | undefined {
  try {
    const le = tiff.toString('latin1', 0, 2) === 'II';
    const u16 = (o: number) => (le ? tiff.readUInt16LE(o) : tiff.readUInt16BE(o));
    const u32 = (o: number) => (le ? tiff.readUInt32LE(o) : tiff.readUInt32BE(o));
    const ifd = u32(4);
    const count = u16(ifd);
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12;
      if (u16(entry) === 0x0112) return u16(entry + 8);
    }
  } catch {
    // a damaged EXIF block: no orientation to keep
  }
  return undefined;
}

/** An APP1 segment with an EXIF block holding only Orientation. */
function orientationApp1(orientation: number): Buffer {
  const tiff = Buffer.alloc(26);
  tiff.write('MM\0*', 0, 'latin1');
  tiff.writeUInt32BE(8, 4); // IFD0 right after the header
  tiff.writeUInt16BE(1, 8); // one entry
  tiff.writeUInt16BE(0x0112, 10); // Orientation
  tiff.writeUInt16BE(3, 12); // SHORT
  tiff.writeUInt32BE(1, 14); // one value
  tiff.writeUInt16BE(orientation, 18); // the value, left-justified in its 4 bytes
  tiff.writeUInt32BE(0, 22); // no next IFD
  const body = Buffer.concat([Buffer.from('Exif\0\0', 'latin1'), tiff]);
  const head = Buffer.from([0xff, 0xe1, 0, 0]);
  head.writeUInt16BE(body.length + 2, 2);
  return Buffer.concat([head, body]);
}

// ---------------------------------------------------------------- PNG

const PNG_TEXT_CHUNKS = new Set(['tEXt', 'iTXt', 'zTXt', 'eXIf']);

function stripPng(bytes: Buffer): StrippedImage {
  const parts: Buffer[] = [bytes.subarray(0, 8)];
  const removed = new Set<string>();
  let at = 8;
  while (at + 12 <= bytes.length) {
    const length = bytes.readUInt32BE(at);
    const type = bytes.toString('latin1', at + 4, at + 8);
    const end = at + 12 + length;
    if (PNG_TEXT_CHUNKS.has(type)) removed.add(type);
    else parts.push(bytes.subarray(at, end));
    at = end;
    if (type === 'IEND') break;
  }
  if (at < bytes.length) parts.push(bytes.subarray(at));
  return { bytes: removed.size ? Buffer.concat(parts) : bytes, removed: [...removed] };
}

// ---------------------------------------------------------------- WebP

function stripWebp(bytes: Buffer): StrippedImage {
  const parts: Buffer[] = [];
  const removed = new Set<string>();
  let at = 12;
  while (at + 8 <= bytes.length) {
    const type = bytes.toString('latin1', at, at + 4);
    const size = bytes.readUInt32LE(at + 4);
    const end = Math.min(bytes.length, at + 8 + size + (size % 2));
    if (type === 'EXIF' || type === 'XMP ') removed.add(type.trim());
    else parts.push(Buffer.from(bytes.subarray(at, end)));
    at = end;
  }
  if (!removed.size) return { bytes, removed: [] };
  const vp8x = parts.find((p) => p.toString('latin1', 0, 4) === 'VP8X');
  if (vp8x) vp8x[8] = vp8x[8]! & ~0x0c; // the EXIF (0x08) and XMP (0x04) flags
  const body = Buffer.concat(parts);
  const head = Buffer.from(bytes.subarray(0, 12));
  head.writeUInt32LE(body.length + 4, 4);
  return { bytes: Buffer.concat([head, body]), removed: [...removed] };
}

// ---------------------------------------------------------------- TIFF

/** Descriptive tags of an image directory whose values are blanked (never the ones that describe the pixels). */
const TIFF_TEXT_TAGS: Record<number, string> = {
  0x010d: 'DocumentName', 0x010e: 'ImageDescription', 0x010f: 'Make', 0x0110: 'Model', 0x011d: 'PageName',
  0x0131: 'Software', 0x0132: 'DateTime', 0x013b: 'Artist', 0x013c: 'HostComputer', 0x8298: 'Copyright',
  0x02bc: 'XMP', 0x83bb: 'IPTC',
};
const TIFF_SUB_IFDS: Record<number, string> = { 0x8769: 'EXIF', 0x8825: 'GPS' };
const TIFF_TYPE_SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 5: 8, 6: 1, 7: 1, 8: 2, 9: 4, 10: 8, 11: 4, 12: 8 };

function stripTiff(input: Buffer): StrippedImage {
  const bytes = Buffer.from(input);
  const le = bytes.toString('latin1', 0, 2) === 'II';
  const u16 = (o: number) => (le ? bytes.readUInt16LE(o) : bytes.readUInt16BE(o));
  const u32 = (o: number) => (le ? bytes.readUInt32LE(o) : bytes.readUInt32BE(o));
  const removed = new Set<string>();
  const seen = new Set<number>();
  /** Blanks an entry's value where it lives (inline in the entry, or at its offset): text becomes spaces (still
   * one valid NUL-terminated string, as readers demand), anything else zeros. */
  const blank = (entry: number) => {
    const type = u16(entry + 2);
    const size = (TIFF_TYPE_SIZE[type] ?? 1) * u32(entry + 4);
    const where = size <= 4 ? entry + 8 : u32(entry + 8);
    if (!size || where + size > bytes.length) return;
    if (type === 2) bytes.fill(0x20, where, where + size - 1).fill(0, where + size - 1, where + size);
    else bytes.fill(0, where, where + size);
  };
  const walk = (ifd: number, everything: string | undefined) => {
    if (!ifd || ifd + 2 > bytes.length || seen.has(ifd)) return;
    seen.add(ifd);
    const count = u16(ifd);
    for (let i = 0; i < count; i++) {
      const entry = ifd + 2 + i * 12;
      if (entry + 12 > bytes.length) return;
      const tag = u16(entry);
      if (everything) {
        blank(entry);
        removed.add(everything);
      } else if (TIFF_SUB_IFDS[tag]) walk(u32(entry + 8), TIFF_SUB_IFDS[tag]);
      else if (TIFF_TEXT_TAGS[tag]) {
        blank(entry);
        removed.add(TIFF_TEXT_TAGS[tag]!);
      }
    }
    if (!everything) walk(u32(ifd + 2 + count * 12), undefined); // the next page
  };
  walk(u32(4), undefined);
  return { bytes: removed.size ? bytes : input, removed: [...removed] };
}
