import { describe, expect, it } from 'vitest';
import {
  isFdiTooth,
  newImageId,
  isImageId,
  parseImageKey,
  parseImageKind,
  parseTakenAt,
  parseTeeth,
  watermarkFor,
} from '../../src/clinic/images.js';
import { encodeEventKey } from '../../src/local/s3-server.js';
import { decodeEventKey } from '../../src/lambdas/image-processor.js';
import { defaultConfigInput } from '../../src/config/load.js';
import { configSchema } from '../../src/config/schema.js';

describe('S3 event keys', () => {
  it('decodes "+" as a space, then percent-escapes', () => {
    expect(decodeEventKey('images/P-000001/scan+1+%28ok%29/original.jpg')).toBe('images/P-000001/scan 1 (ok)/original.jpg');
    expect(decodeEventKey('images/P-000001/Jo%C3%A3o/original.jpg')).toBe('images/P-000001/João/original.jpg');
    expect(decodeEventKey('a%2Bb/c+d')).toBe('a+b/c d'); // a real "+" arrives as %2B
    expect(decodeEventKey('bad%zzkey')).toBe('bad%zzkey'); // not an escape: taken as is
  });

  it('round-trips what the local S3 server (like AWS) encodes', () => {
    for (const key of ['images/P-000001/I-20260101-abcd2345/original.jpg', 'images/P 1/ação + mais/original.png', 'x/100%/y']) {
      expect(decodeEventKey(encodeEventKey(key))).toBe(key);
    }
  });

  it('recognises originals, derivatives, records and markers — and nothing else', () => {
    expect(parseImageKey('images/P-000001/I-20260101-abcd2345/original.jpg')).toEqual({ patientId: 'P-000001', imageId: 'I-20260101-abcd2345', name: 'original', format: 'jpeg' });
    expect(parseImageKey('images/P-000001/I-1/original.tif')?.format).toBe('tiff');
    expect(parseImageKey('images/P-000001/I-1/shared.webp')?.name).toBe('shared');
    expect(parseImageKey('images/P-000001/I-1/image.json')?.name).toBe('record');
    expect(parseImageKey('images/P-000001/I-1/failed.json')?.name).toBe('failed');
    expect(parseImageKey('images/P-000001/scan 1/original.png')?.imageId).toBe('scan 1');
    for (const key of ['images/P-000001/I-1/original.gif', 'images/P-000001/original.jpg', 'images/P-000001/I-1/x/original.jpg', 'patients/P-000001.json', 'images/../I-1/original.jpg']) {
      expect(parseImageKey(key)).toBeUndefined();
    }
  });
});

describe('image metadata', () => {
  it('accepts FDI tooth numbers and names a bad one', () => {
    expect(parseTeeth('21, 11 11')).toEqual([11, 21]);
    expect(parseTeeth([48, 85])).toEqual([48, 85]);
    expect(parseTeeth(undefined)).toEqual([]);
    for (const n of [18, 21, 38, 41, 51, 65, 75, 85]) expect(isFdiTooth(n)).toBe(true);
    for (const n of [10, 19, 29, 49, 56, 86, 91, 9, 111]) expect(isFdiTooth(n)).toBe(false);
    expect(() => parseTeeth('11,19')).toThrow(/teeth: "19" is not a tooth in FDI notation/);
    expect(() => parseTeeth('1')).toThrow(/"1" is not a tooth/);
  });

  it('parses kinds (English and Portuguese) and dates', () => {
    expect(parseImageKind('radiografia')).toBe('radiograph');
    expect(parseImageKind(undefined)).toBe('photo');
    expect(() => parseImageKind('video')).toThrow(/kind: "video" is not one of radiograph, photo, document/);
    expect(parseTakenAt('01/05/2024')).toBe('2024-05-01');
    expect(parseTakenAt('2024-05-01T10:30:00-03:00')).toBe('2024-05-01T10:30:00-03:00');
    expect(() => parseTakenAt('2024-13-01')).toThrow(/takenAt/);
    const now = new Date('2026-05-01T12:00:00Z');
    expect(parseTakenAt('2026-05-02', 'takenAt', now)).toBe('2026-05-02'); // tomorrow somewhere on Earth
    expect(() => parseTakenAt('2042-05-01', 'takenAt', now)).toThrow(/takenAt: 2042-05-01 is in the future/);
    expect(() => parseTakenAt('01/05/2042', 'takenAt', now)).toThrow(/in the future/);
    expect(() => parseTakenAt('2026-05-03T10:00:00Z', 'takenAt', now)).toThrow(/in the future/);
  });

  it('makes image ids that sort by import date', () => {
    const a = newImageId(new Date('2026-01-02T10:00:00Z'));
    expect(a).toMatch(/^I-20260102-[a-z0-9]{8}$/);
    expect(isImageId(a)).toBe(true);
    expect(isImageId('P-000001')).toBe(false);
  });
});

describe('the watermark text', () => {
  const config = configSchema.parse(defaultConfigInput);

  it('fills clinic, patient and the date the clinic way', () => {
    const image = { patientId: 'P-000123', importedAt: '2026-03-01T02:00:00Z' };
    // 02:00 UTC is still 28 Feb in São Paulo
    expect(watermarkFor(config, image).text).toBe(`${config.clinic.name} · P-000123 · 28/02/2026`);
    expect(watermarkFor(config, { ...image, takenAt: '2024-05-01' }).text).toContain('01/05/2024');
    const en = { ...config, clinic: { ...config.clinic, locale: 'en' as const } };
    expect(watermarkFor(en, { ...image, takenAt: '2024-05-01' }).text).toContain('2024-05-01');
    const custom = { ...config, images: { ...config.images, watermark: { ...config.images.watermark, text: 'Uso exclusivo: {patient}' } } };
    expect(watermarkFor(custom, image).text).toBe('Uso exclusivo: P-000123');
  });

  it('takes the logo only when one is configured', () => {
    const logo = new Uint8Array([1, 2, 3]);
    expect(watermarkFor(config, { patientId: 'P-1', importedAt: '2026-01-01T12:00:00Z' }, logo).logo).toBeUndefined();
    const withLogo = { ...config, images: { ...config.images, watermark: { ...config.images.watermark, logo: 'logo.png' } } };
    expect(watermarkFor(withLogo, { patientId: 'P-1', importedAt: '2026-01-01T12:00:00Z' }, logo).logo).toBe(logo);
  });
});
