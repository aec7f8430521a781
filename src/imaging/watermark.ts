/**
 * The clinic's watermark on images that leave the clinic (the `shared` variant). The text is drawn as SVG
 * paths with opentype.js from the font clinica ships (font.ts) — never as SVG <text>, which needs system
 * fonts that Lambda does not have — so the pixels are the same on a laptop, on EC2 and on Lambda. An optional
 * PNG logo sits beside the text. Position, opacity and size come from config.images.watermark; the size is
 * relative to the image's shorter side, so a thumbnail and a full radiograph look alike.
 */
// The package's ES module build: importing its main, a 528 KB CommonJS file, makes Node lex all of it for its
// exports first (≈50 CPU-ms of every process that draws a watermark: bench/startup.js, "first watermark").
import * as opentype from 'opentype.js/dist/opentype.mjs';
import type * as sharpType from 'sharp';
import type { Sharp } from './sharp.js';
import { watermarkFontBytes } from './font.js';

export const WATERMARK_POSITIONS = ['bottom-right', 'bottom-left', 'top-right', 'top-left', 'center'] as const;
export type WatermarkPosition = (typeof WATERMARK_POSITIONS)[number];

export interface WatermarkOptions {
  /** the final text (placeholders filled: clinic/images.ts watermarkFor); empty for a logo-only watermark */
  text: string;
  /** PNG bytes of the clinic's logo */
  logo?: Uint8Array;
  position: WatermarkPosition;
  /** 0.05–1 */
  opacity: number;
  /** text height as a fraction of the image's shorter side (0.01–0.3) */
  size: number;
}

let font: opentype.Font | undefined;
function loadFont(): opentype.Font {
  // lowMemory: glyphs are parsed when first drawn, not all ~6000 of DejaVu's at load (≈0.4 CPU-s per process)
  font ??= opentype.parse(watermarkFontBytes(), { lowMemory: true });
  return font;
}

/** The text's outline in font units (baseline at y = 0, y down as in SVG), and its advance width. */
interface TextOutline {
  d: string;
  /** in font units */
  width: number;
}

const outlines = new Map<string, TextOutline>();

/**
 * Lays the text out glyph by glyph with kerning, once per text (a bulk import watermarks many images with
 * the same few texts). In font units the TrueType outlines are integers, so the path is exact with no
 * decimals; the SVG scales it. (opentype.js 2.0's shaping engine throws on DejaVu's ccmp lookups, and Latin
 * text needs none: the text is NFC-normalised so accents are precomposed glyphs.)
 */
function textOutline(text: string): TextOutline {
  let outline = outlines.get(text);
  if (outline) return outline;
  const f = loadFont();
  let pen = 0;
  let previous: opentype.Glyph | undefined;
  const parts: string[] = [];
  for (const ch of text) {
    let glyph = f.charToGlyph(ch);
    if (!glyph || glyph.index === 0) glyph = f.charToGlyph('?');
    if (previous) pen += f.getKerningValue(previous, glyph);
    parts.push(glyph.getPath(pen, 0, f.unitsPerEm).toPathData(0));
    pen += glyph.advanceWidth ?? 0;
    previous = glyph;
  }
  outline = { d: parts.join(''), width: pen };
  if (outlines.size >= 64) outlines.delete(outlines.keys().next().value!);
  outlines.set(text, outline);
  return outline;
}

const round = (n: number) => Math.round(n);

/**
 * The composite layers that put the watermark on an image of this size (for sharp's composite()).
 * Deterministic: the same inputs give the same layers, byte for byte.
 */
export async function watermarkLayers(
  width: number,
  height: number,
  options: WatermarkOptions,
  sharp: Sharp,
): Promise<sharpType.OverlayOptions[]> {
  const shorter = Math.min(width, height);
  const textHeight = Math.max(8, round(shorter * options.size));
  const margin = Math.max(4, round(textHeight * 0.6));
  const gap = options.text && options.logo ? round(textHeight * 0.5) : 0;
  const available = width - 2 * margin;

  // the logo: two text lines tall, opacity applied to its alpha channel
  let logo: { input: Buffer; width: number; height: number } | undefined;
  if (options.logo) {
    const logoHeight = Math.max(8, Math.min(round(textHeight * 2), height - 2 * margin));
    const resized = await sharp(options.logo)
      .resize({ height: logoHeight, width: Math.max(8, round(available / 2)), fit: 'inside' })
      .ensureAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const pixels = resized.data;
    for (let i = 3; i < pixels.length; i += 4) pixels[i] = round(pixels[i]! * options.opacity);
    const input = await sharp(pixels, { raw: { width: resized.info.width, height: resized.info.height, channels: 4 } }).png().toBuffer();
    logo = { input, width: resized.info.width, height: resized.info.height };
    if (logo.width > width || logo.height > height) logo = undefined; // no room on a tiny image
  }

  // the text: shrunk to fit the width left beside the logo
  let text: { input: Buffer; width: number; height: number } | undefined;
  if (options.text) {
    const f = loadFont();
    const outline = textOutline(options.text);
    let fontSize = textHeight;
    const room = available - (logo ? logo.width + gap : 0);
    const natural = (outline.width * fontSize) / f.unitsPerEm;
    if (natural > room && room > 0) fontSize = Math.max(4, (fontSize * room) / natural);
    const scale = fontSize / f.unitsPerEm;
    const stroke = Math.max(1, fontSize * 0.08);
    const ascent = f.ascender * scale;
    const descent = -f.descender * scale;
    const pad = Math.ceil(stroke);
    // a tiny image clips the text rather than failing the composite
    const boxWidth = Math.min(width, Math.max(1, Math.ceil(outline.width * scale + 2 * pad)));
    const boxHeight = Math.min(height, Math.max(1, Math.ceil(ascent + descent + 2 * pad)));
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${boxWidth}" height="${boxHeight}" viewBox="0 0 ${boxWidth} ${boxHeight}">` +
      `<g opacity="${options.opacity}"><path transform="translate(${pad} ${(pad + ascent).toFixed(3)}) scale(${scale.toFixed(6)})" d="${outline.d}" ` +
      `fill="#ffffff" stroke="#000000" stroke-opacity="0.55" stroke-width="${(stroke / scale).toFixed(2)}" stroke-linejoin="round" paint-order="stroke"/></g></svg>`;
    text = { input: Buffer.from(svg), width: boxWidth, height: boxHeight };
  }

  const blockWidth = (logo?.width ?? 0) + gap + (text?.width ?? 0);
  const blockHeight = Math.max(logo?.height ?? 0, text?.height ?? 0);
  const [vertical, horizontal] = options.position === 'center' ? ['center', 'center'] : options.position.split('-');
  const left = horizontal === 'left' ? margin : horizontal === 'right' ? width - margin - blockWidth : round((width - blockWidth) / 2);
  const top = vertical === 'top' ? margin : vertical === 'bottom' ? height - margin - blockHeight : round((height - blockHeight) / 2);
  const clampX = (x: number, w: number) => Math.max(0, Math.min(x, width - w));
  const clampY = (y: number, h: number) => Math.max(0, Math.min(y, height - h));

  const layers: sharpType.OverlayOptions[] = [];
  if (logo) layers.push({ input: logo.input, left: clampX(left, logo.width), top: clampY(top + round((blockHeight - logo.height) / 2), logo.height) });
  if (text) {
    const x = left + (logo ? logo.width + gap : 0);
    layers.push({ input: text.input, left: clampX(x, text.width), top: clampY(top + round((blockHeight - text.height) / 2), text.height) });
  }
  return layers;
}

/** Where the watermark lands on an image of this size (tests measure pixel differences inside it). */
export async function watermarkRegion(
  width: number,
  height: number,
  options: WatermarkOptions,
  sharp: Sharp,
): Promise<{ left: number; top: number; width: number; height: number }> {
  const layers = await watermarkLayers(width, height, options, sharp);
  let x0 = width, y0 = height, x1 = 0, y1 = 0;
  for (const layer of layers) {
    const meta = await sharp(layer.input as Buffer).metadata();
    x0 = Math.min(x0, layer.left!);
    y0 = Math.min(y0, layer.top!);
    x1 = Math.max(x1, layer.left! + (meta.width ?? 0));
    y1 = Math.max(y1, layer.top! + (meta.height ?? 0));
  }
  return { left: x0, top: y0, width: Math.max(0, Math.min(width, x1) - x0), height: Math.max(0, Math.min(height, y1) - y0) };
}
