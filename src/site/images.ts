/**
 * The site's pictures from config (logo, team portraits, the clinic's photo): read beside clinica.config.json, auto-oriented,
 * resized for the web and stripped of metadata (a phone photo's EXIF can carry where it was taken).
 * SVG logos are copied as they are. sharp is loaded only when there is a raster image to process.
 */
import { readFile } from 'node:fs/promises';
import { extname, resolve } from 'node:path';
import { ClinicaError } from '../errors.js';
import { loadSharp } from '../imaging/sharp.js';

export interface SiteImage {
  body: Buffer;
  /** file extension of the output, without the dot */
  ext: string;
  width: number;
  height: number;
}

export type ImageRole = 'logo' | 'portrait' | 'hero';

/** Logos are shown at most 48 px high, portraits at 112 px, the hero photo at 360 px: twice that for sharp screens. */
const LOGO_HEIGHT = 96;
const SQUARE: Record<Exclude<ImageRole, 'logo'>, number> = { portrait: 224, hero: 720 };

function svgSize(svg: string): { width: number; height: number } {
  const viewBox = /viewBox\s*=\s*["']\s*[-\d.]+[\s,]+[-\d.]+[\s,]+([\d.]+)[\s,]+([\d.]+)/i.exec(svg);
  if (viewBox) return { width: Math.round(Number(viewBox[1])), height: Math.round(Number(viewBox[2])) };
  const w = /\swidth\s*=\s*["']([\d.]+)/i.exec(svg);
  const h = /\sheight\s*=\s*["']([\d.]+)/i.exec(svg);
  return w && h ? { width: Math.round(Number(w[1])), height: Math.round(Number(h[1])) } : { width: LOGO_HEIGHT, height: LOGO_HEIGHT };
}

export async function loadSiteImage(projectDir: string, file: string, role: ImageRole, field: string): Promise<SiteImage> {
  const path = resolve(projectDir, file);
  let input: Buffer;
  try {
    input = await readFile(path);
  } catch (err) {
    throw new ClinicaError('config', `${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? err})`, {
      field,
      hint: 'give a path relative to clinica.config.json, or remove the setting',
    });
  }
  const ext = extname(path).slice(1).toLowerCase();
  if (ext === 'svg') {
    if (role !== 'logo') {
      throw new ClinicaError('config', `${field}: a ${role === 'portrait' ? 'portrait' : 'photo of the clinic'} must be a photo (.jpg, .png or .webp), not an SVG`, { field });
    }
    const text = input.toString('utf8');
    if (!/<svg[\s>]/i.test(text)) throw new ClinicaError('config', `${field}: ${path} is not an SVG image`, { field });
    return { body: input, ext: 'svg', ...svgSize(text) };
  }
  const sharp = await loadSharp();
  try {
    const pipeline = sharp(input, { limitInputPixels: 50_000_000 }).rotate();
    const resized =
      role === 'logo'
        ? pipeline.resize({ height: LOGO_HEIGHT, withoutEnlargement: true })
        : pipeline.resize(SQUARE[role], SQUARE[role], { fit: 'cover', position: sharp.strategy.attention });
    const { data, info } = await resized.webp({ quality: 82, effort: 4 }).toBuffer({ resolveWithObject: true });
    return { body: data, ext: 'webp', width: info.width, height: info.height };
  } catch (err) {
    throw new ClinicaError('config', `${field}: ${path} is not a readable image (${(err as Error).message})`, {
      field,
      hint: 'use a .jpg, .png or .webp file',
    });
  }
}
