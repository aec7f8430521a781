import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watermarkFontPath, WATERMARK_FONT_ENV, WATERMARK_FONT_FILE } from '../../src/imaging/font.js';
import { ImageRejected, inspectImage, looksTruncated } from '../../src/imaging/inspect.js';
import { processImage, windowTo8Bits, type ProcessedImage } from '../../src/imaging/pipeline.js';
import { watermarkLayers, watermarkRegion, type WatermarkOptions } from '../../src/imaging/watermark.js';
import {
  alphaPng,
  animatedWebp,
  cmykJpeg,
  greyAlphaPng,
  grey16Png,
  grey16Tiff,
  jp2Header,
  jpegOrientation6,
  logoPng,
  meanDifference,
  multiPageTiff,
  photoJpeg,
  pixelBombPng,
  textFileAsJpeg,
  truncatedJpeg,
} from './fixtures.js';

const MAX = 50_000_000;
const mark: WatermarkOptions = { text: 'Clínica Sorriso · P-000123 · 01/05/2024', position: 'bottom-right', opacity: 0.6, size: 0.04 };

async function pixel(image: Buffer, x: number, y: number): Promise<number[]> {
  const { data, info } = await sharp(image).raw().toBuffer({ resolveWithObject: true });
  const i = (y * info.width + x) * info.channels;
  return [...data.subarray(i, i + info.channels)];
}

const maxOf = (values: Uint8Array) => values.reduce((m, v) => (v > m ? v : m), 0);
const minOf = (values: Uint8Array) => values.reduce((m, v) => (v < m ? v : m), 255);

async function rejection(bytes: Buffer): Promise<string> {
  try {
    await processImage(bytes, { maxPixels: MAX, watermark: mark });
  } catch (err) {
    expect(err).toBeInstanceOf(ImageRejected);
    return (err as Error).message;
  }
  throw new Error('expected the image to be rejected');
}

describe('the sharp pipeline', () => {
  it('auto-orients a JPEG with EXIF orientation 6 and strips its metadata (camera, GPS)', async () => {
    const original = await jpegOrientation6(800, 400);
    const before = await sharp(original).metadata();
    expect(before.orientation).toBe(6);
    expect(before.exif?.toString('latin1')).toContain('ClinicaTestCam');

    const out = await processImage(original, { maxPixels: MAX, watermark: mark });
    expect(out.info).toMatchObject({ format: 'jpeg', width: 800, height: 400, orientedWidth: 400, orientedHeight: 800, orientation: 6 });
    expect([out.display.width, out.display.height]).toEqual([400, 800]);
    expect([out.thumb.width, out.thumb.height]).toEqual([160, 320]);
    // rotated 90° clockwise: the stored left (red) half is now on top, the right (blue) half at the bottom
    const top = await pixel(out.display.data, 200, 100);
    const bottom = await pixel(out.display.data, 200, 700);
    expect(top[0]).toBeGreaterThan(150);
    expect(top[2]).toBeLessThan(60);
    expect(bottom[2]).toBeGreaterThan(150);
    expect(bottom[0]).toBeLessThan(60);
    for (const d of [out.display, out.thumb, out.shared!]) {
      const meta = await sharp(d.data).metadata();
      expect(meta.format).toBe('webp');
      expect(meta.exif).toBeUndefined();
      expect(meta.xmp).toBeUndefined();
      expect(meta.icc).toBeUndefined();
      expect(meta.orientation).toBeUndefined();
      expect(d.data.includes(Buffer.from('ClinicaTestCam'))).toBe(false);
    }
  });

  it('fits display inside 2048 px and thumb inside 320 px, never enlarging', async () => {
    const big = await processImage(await photoJpeg(3000, 2000), { maxPixels: MAX });
    expect([big.display.width, big.display.height]).toEqual([2048, 1365]);
    expect([big.thumb.width, big.thumb.height]).toEqual([320, 213]);
    expect(big.shared).toBeUndefined(); // no watermark asked for: no shared copy

    const small = await processImage(await photoJpeg(200, 100), { maxPixels: MAX });
    expect([small.display.width, small.display.height]).toEqual([200, 100]);
    expect([small.thumb.width, small.thumb.height]).toEqual([200, 100]);
  });

  it('windows a 16-bit greyscale radiograph to 8 bits without crushing its contrast', async () => {
    const png = await grey16Png(600, 400);
    const naive = await sharp(png).raw().toBuffer(); // sharp's default: the high byte, 1000–4000 → 3–15
    expect(maxOf(naive)).toBeLessThan(20);

    const out = await processImage(png, { maxPixels: MAX });
    expect(out.info).toMatchObject({ bitDepth: 16, grey16: true });
    expect(out.window!.low).toBeGreaterThanOrEqual(1000);
    expect(out.window!.high).toBeLessThanOrEqual(4000);
    const { data } = await sharp(out.display.data).greyscale().raw().toBuffer({ resolveWithObject: true });
    expect(minOf(data)).toBeLessThan(8);
    expect(maxOf(data)).toBeGreaterThan(247);
    // the ramp stays a ramp: the middle column is mid-grey
    const mid = (await pixel(out.display.data, 300, 200))[0]!;
    expect(mid).toBeGreaterThan(100);
    expect(mid).toBeLessThan(155);

    // the same radiograph exported as a 16-bit TIFF: the same window
    const tiff = await processImage(await grey16Tiff(600, 400), { maxPixels: MAX });
    expect(tiff.info).toMatchObject({ format: 'tiff', bitDepth: 16, grey16: true });
    expect(tiff.window).toEqual(out.window);
  });

  it('clips hot pixels instead of letting them set the window', () => {
    const samples = new Uint16Array(10_000).map((_, i) => 2000 + (i % 1000));
    samples[0] = 65535; // a burned-in label or a dead detector pixel
    const { window, data } = windowTo8Bits(samples);
    expect(window.high).toBeLessThan(3100);
    expect(maxOf(data)).toBe(255);
    expect(minOf(data)).toBe(0);
  });

  it('converts a CMYK JPEG to sRGB', async () => {
    const out = await processImage(await cmykJpeg(), { maxPixels: MAX });
    expect(out.info.space).toBe('cmyk');
    const [r, g, b] = await pixel(out.display.data, 150, 100);
    expect(Math.abs(r! - 0x30)).toBeLessThan(24);
    expect(Math.abs(g! - 0x80)).toBeLessThan(24);
    expect(Math.abs(b! - 0xc0)).toBeLessThan(24);
  });

  it('keeps the transparency of a PNG with alpha', async () => {
    const out = await processImage(await alphaPng(), { maxPixels: MAX, watermark: mark });
    const meta = await sharp(out.display.data).metadata();
    expect(meta.hasAlpha).toBe(true);
    expect((await pixel(out.display.data, 10, 10))[3]).toBe(0);
    expect((await pixel(out.display.data, 290, 10))[3]).toBe(255);
  });

  it('keeps the transparency of a greyscale PNG with alpha, 8 and 16 bits, and shows its grey (not black)', async () => {
    for (const depth of [8, 16] as const) {
      const png = greyAlphaPng(depth, 300, 200);
      expect(await sharp(png).metadata()).toMatchObject({ channels: 2, hasAlpha: true });
      const out = await processImage(png, { maxPixels: MAX, watermark: mark });
      for (const copy of [out.display, out.thumb, out.shared!]) {
        expect((await sharp(copy.data).metadata()).hasAlpha).toBe(true);
        const x = (f: number) => Math.round(copy.width * f);
        const transparent = await pixel(copy.data, x(0.1), Math.round(copy.height * 0.2));
        const opaque = await pixel(copy.data, x(0.9), Math.round(copy.height * 0.2));
        expect(transparent[3]).toBe(0);
        expect(opaque[3]).toBe(255);
        // 8 bits: the grey 200 as stored; 16 bits: the right end of the windowed ramp, near white
        expect(opaque[0]).toBeGreaterThan(depth === 8 ? 190 : 200);
        expect(opaque[0]).toBe(opaque[2]);
      }
      if (depth === 16) expect(out.window!.low).toBeGreaterThanOrEqual(1000);
    }
  });

  it('shows every page of a multi-page TIFF, one under the other, with the watermark on each; the thumbnail is page 1', async () => {
    const tiff = await multiPageTiff(['#d02020', '#2020d0'], 400, 560);
    const out = await processImage(tiff, { maxPixels: MAX, watermark: mark });
    expect(out.info).toMatchObject({ format: 'tiff', pages: 2, animated: false });
    expect([out.display.width, out.display.height]).toEqual([400, 1120]);
    expect([out.shared!.width, out.shared!.height]).toEqual([400, 1120]);
    const page1 = await pixel(out.display.data, 200, 100);
    const page2 = await pixel(out.display.data, 200, 700);
    expect(page1[0]).toBeGreaterThan(150);
    expect(page1[2]).toBeLessThan(80);
    expect(page2[2]).toBeGreaterThan(150);
    expect(page2[0]).toBeLessThan(80);
    // the thumbnail is the first page (red), as tall as a page's proportions
    expect([out.thumb.width, out.thumb.height]).toEqual([229, 320]);
    expect((await pixel(out.thumb.data, 100, 160))[0]).toBeGreaterThan(150);
    // each page carries the watermark in its own bottom-right corner
    const region = await watermarkRegion(400, 560, mark, sharp);
    for (const top of [region.top, region.top + 560]) {
      expect(await meanDifference(out.display.data, out.shared!.data, { ...region, top })).toBeGreaterThan(10);
    }
  });

  it('keeps a stack of many pages within WebP\'s largest side', async () => {
    const colours = Array.from({ length: 12 }, (_, i) => (i % 2 ? '#2020d0' : '#d02020'));
    const out = await processImage(await multiPageTiff(colours, 300, 2000), { maxPixels: MAX });
    expect(out.info.pages).toBe(12);
    expect(out.display.height).toBeLessThanOrEqual(16383);
    expect(out.display.height).toBeGreaterThan(12 * 1300);
  });

  it('an animated WebP: its copies show the first frame, and it says it is animated with how many frames', async () => {
    const out = await processImage(await animatedWebp(['#d02020', '#2020d0'], 200, 150), { maxPixels: MAX });
    expect(out.info).toMatchObject({ format: 'webp', pages: 2, animated: true });
    expect([out.display.width, out.display.height]).toEqual([200, 150]);
    expect((await pixel(out.display.data, 100, 75))[0]).toBeGreaterThan(150);
  });

  it('refuses JPEG 2000 (the image library here cannot decode it) with what to do', async () => {
    expect(await rejection(jp2Header())).toMatch(/JPEG 2000.*export it as PNG or TIFF/);
    expect(await rejection(Buffer.concat([Buffer.from('ff4fff51', 'hex'), Buffer.alloc(64)]))).toMatch(/JPEG 2000/);
  });

  it('rejects a truncated JPEG, a text file named .jpg, an empty file, a GIF and a pixel bomb, with reasons', async () => {
    expect(await rejection(await truncatedJpeg())).toMatch(/truncated/);
    expect(await rejection(textFileAsJpeg())).toMatch(/not an accepted image: it is a text file/);
    expect(await rejection(Buffer.alloc(0))).toMatch(/empty/);
    const gif = await sharp({ create: { width: 10, height: 10, channels: 3, background: '#000' } }).gif().toBuffer();
    expect(await rejection(gif)).toMatch(/GIF/);
    const started = Date.now();
    expect(await rejection(pixelBombPng())).toMatch(/too large: 50000×50000 = 2500 MP, over the limit of 50 MP/);
    expect(Date.now() - started).toBeLessThan(5_000); // refused from the header, never decoded
    // the pixel limit is the config's
    await expect(inspectImage(await photoJpeg(400, 300), { maxPixels: 100_000 })).rejects.toThrow(/over the limit of 0.1 MP/);
  });

  it('names a truncated JPEG or PNG as truncated even when several fail at once (libvips shares one error buffer)', async () => {
    const jpeg = await truncatedJpeg();
    const fullPng = await alphaPng(600, 400);
    const png = fullPng.subarray(0, fullPng.length - 200);
    expect(looksTruncated(jpeg, 'jpeg')).toBe(true);
    expect(looksTruncated(png, 'png')).toBe(true);
    expect(looksTruncated(await photoJpeg(200, 100), 'jpeg')).toBe(false);
    expect(looksTruncated(fullPng, 'png')).toBe(false);
    const reasons = await Promise.all([jpeg, png, jpeg, png, jpeg, png].map(rejection));
    for (const reason of reasons) expect(reason).toMatch(/file is truncated/);
  });
});

describe('the watermark', () => {
  let photo: Buffer;
  let out: ProcessedImage;
  beforeAll(async () => {
    photo = await photoJpeg(1600, 1200, 3);
    out = await processImage(photo, { maxPixels: MAX, watermark: mark });
  });

  it('changes the pixels inside its region, far more than the encoder noise elsewhere', async () => {
    const region = await watermarkRegion(out.display.width, out.display.height, mark, sharp);
    expect(region.left + region.width).toBeLessThanOrEqual(1600);
    expect(region.top + region.height).toBeLessThanOrEqual(1200);
    expect(region.left).toBeGreaterThan(400); // bottom-right
    expect(region.top).toBeGreaterThan(1000);
    const inside = await meanDifference(out.display.data, out.shared!.data, region);
    const outside = await meanDifference(out.display.data, out.shared!.data, { left: 0, top: 0, width: 600, height: 600 });
    // lossy WebP of two slightly different images differs a little everywhere; the text is what stands out
    expect(inside).toBeGreaterThan(8);
    expect(inside).toBeGreaterThan(outside * 3);
  });

  it('is deterministic, and follows position, size and the logo', async () => {
    const again = await processImage(photo, { maxPixels: MAX, watermark: mark });
    expect(Buffer.compare(again.shared!.data, out.shared!.data)).toBe(0);

    const topLeft = { ...mark, position: 'top-left' as const, size: 0.08, logo: await logoPng() };
    const region = await watermarkRegion(1600, 1200, topLeft, sharp);
    expect(region.left).toBeLessThan(100);
    expect(region.top).toBeLessThan(100);
    expect(region.height).toBeGreaterThan(150); // the logo is two text lines tall: 2 × 8 % of 1200
    const withLogo = await processImage(photo, { maxPixels: MAX, watermark: topLeft });
    expect(await meanDifference(withLogo.display.data, withLogo.shared!.data, region)).toBeGreaterThan(8);
    // the logo's dark blue sits at the start of the block
    const [r, , b] = await pixel(withLogo.shared!.data, region.left + 40, region.top + Math.round(region.height / 2));
    expect(b! - r!).toBeGreaterThan(0);
  });

  it('is drawn as paths (no SVG <text>), and still fits on a tiny image', async () => {
    const layers = await watermarkLayers(1600, 1200, mark, sharp);
    const svg = (layers[0]!.input as Buffer).toString();
    expect(svg).toMatch(/<path transform="[^"]+" d="M/);
    expect(svg).not.toContain('<text');
    const tiny = await processImage(await photoJpeg(40, 30), { maxPixels: MAX, watermark: { ...mark, logo: await logoPng() } });
    expect([tiny.shared!.width, tiny.shared!.height]).toEqual([40, 30]);
  });
});

describe('the watermark font', () => {
  it('is found in node_modules, or where CLINICA_WATERMARK_FONT says', () => {
    const path = watermarkFontPath({});
    expect(path.endsWith(WATERMARK_FONT_FILE)).toBe(true);
    expect(existsSync(path)).toBe(true);
    expect(watermarkFontPath({ [WATERMARK_FONT_ENV]: path })).toBe(path);
    expect(watermarkFontPath({ [WATERMARK_FONT_ENV]: '/nowhere/font.ttf' })).toBe(path); // a wrong setting falls back
  });

  describe('renders the same with no system fonts at all (as on Lambda)', () => {
    const root = fileURLToPath(new URL('../../', import.meta.url));
    const dist = join(root, 'dist/imaging/watermark.js');
    let dir: string;
    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'clinica-fonts-'));
      await writeFile(join(dir, 'fonts.conf'), '<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig></fontconfig>\n');
    });
    afterAll(() => rm(dir, { recursive: true, force: true }));

    // fontconfig reads its configuration once per process: each render runs in a child process
    const render = async (env: NodeJS.ProcessEnv, svgText: boolean) => {
      const script = `
        import sharp from 'sharp';
        import { createHash } from 'node:crypto';
        const { watermarkLayers } = await import(${JSON.stringify(pathToFileURL(dist).href)});
        const layers = ${svgText}
          ? [{ input: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="400" height="60"><text x="4" y="44" font-size="40" fill="#fff">Clínica 2024</text></svg>'), left: 0, top: 0 }]
          : await watermarkLayers(800, 600, ${JSON.stringify(mark)}, sharp);
        const png = await sharp({ create: { width: 800, height: 600, channels: 3, background: '#808080' } }).composite(layers).png().toBuffer();
        process.stdout.write(createHash('sha256').update(png).digest('hex'));`;
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', script], { cwd: root, env: { ...process.env, ...env } });
      return stdout.trim();
    };

    it('with FONTCONFIG_FILE pointing at an empty configuration', async () => {
      if (!existsSync(dist)) throw new Error('dist/ is missing: run `npm run build` first');
      const empty = { FONTCONFIG_FILE: join(dir, 'fonts.conf'), FONTCONFIG_PATH: dir, XDG_CACHE_HOME: dir, HOME: dir };
      const [normal, bare] = await Promise.all([render({}, false), render(empty, false)]);
      expect(bare).toMatch(/^[0-9a-f]{64}$/);
      expect(bare).toBe(normal);
      // the control: SVG <text> does depend on the fonts installed (when this machine has any)
      const [textNormal, textBare] = await Promise.all([render({}, true), render(empty, true)]);
      if (textNormal === textBare) console.warn('no system fonts here: the <text> control could not show a difference');
    });
  });
});
