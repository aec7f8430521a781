/**
 * The watermark's font. Lambda has no system fonts (and librsvg's SVG <text> needs fontconfig), so the
 * watermark text is drawn as SVG paths from a TrueType file clinica carries itself: DejaVu Sans (wide Latin
 * coverage, accents for pt-BR). The file is found, in order:
 *   1. CLINICA_WATERMARK_FONT (an explicit path);
 *   2. next to the running code (a Lambda bundle: the deploy step copies it beside index.mjs);
 *   3. the dejavu-fonts-ttf package in node_modules (the CLI, the server, tests).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClinicaError } from '../errors.js';

/** The font file's name; a bundle ships it next to its entry file under exactly this name. */
export const WATERMARK_FONT_FILE = 'DejaVuSans.ttf';
export const WATERMARK_FONT_ENV = 'CLINICA_WATERMARK_FONT';
/** What to require.resolve to find the font in node_modules (deploy copies this file into the Lambda zip). */
export const WATERMARK_FONT_PACKAGE_PATH = `dejavu-fonts-ttf/ttf/${WATERMARK_FONT_FILE}`;

/** The path of the watermark font, or a ClinicaError naming the places looked in. */
export function watermarkFontPath(env: NodeJS.ProcessEnv = process.env): string {
  const tried: string[] = [];
  const explicit = env[WATERMARK_FONT_ENV];
  if (explicit) {
    if (existsSync(explicit)) return explicit;
    tried.push(explicit);
  }
  const beside = join(dirname(fileURLToPath(import.meta.url)), WATERMARK_FONT_FILE);
  if (existsSync(beside)) return beside;
  tried.push(beside);
  try {
    return createRequire(import.meta.url).resolve(WATERMARK_FONT_PACKAGE_PATH);
  } catch {
    tried.push(`node_modules/${WATERMARK_FONT_PACKAGE_PATH}`);
  }
  throw new ClinicaError('internal', `the watermark font ${WATERMARK_FONT_FILE} was not found (looked in ${tried.join(', ')})`, {
    hint: `reinstall clinica (npm ci), or set ${WATERMARK_FONT_ENV} to a TrueType file`,
  });
}

/** The font file's bytes, read once per process. */
let cached: { path: string; bytes: ArrayBuffer } | undefined;
export function watermarkFontBytes(): ArrayBuffer {
  const path = watermarkFontPath();
  if (cached?.path !== path) {
    const buf = readFileSync(path);
    cached = { path, bytes: buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer };
  }
  return cached.bytes;
}
