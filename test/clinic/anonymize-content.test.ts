/** The anonymization's reach into free text, files and old versions (issue 13, item 2). */
import { crc32 } from 'node:zlib';
import { DeleteObjectsCommand, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { createAppointment, getAppointment } from '../../src/clinic/appointments.js';
import { formatCpf, generateCpf } from '../../src/clinic/cpf.js';
import { originalKey, recordKey, type ImageRecord } from '../../src/clinic/images.js';
import { anonymizePatientReported } from '../../src/clinic/lgpd.js';
import { createPatient, getPatient } from '../../src/clinic/patients.js';
import { identifierRedactor, redactFileName } from '../../src/clinic/redact.js';
import { stripMetadata } from '../../src/imaging/strip-metadata.js';
import { Store } from '../../src/store/store.js';
import { useTestStack } from '../helpers/stack.js';

const exif = { IFD0: { Artist: 'Zanzibar Xavier', ImageDescription: 'Zanzibar Xavier 31415926590 sorriso' } };
const pixels = (bytes: Buffer) => sharp(bytes).raw().toBuffer();
const base = () => sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 200, g: 120, b: 40 } } });

/** A PNG with a tEXt chunk before IEND (sharp writes none). */
function withPngText(png: Buffer, keyword: string, text: string): Buffer {
  const data = Buffer.from(`${keyword}\0${text}`, 'latin1');
  const chunk = Buffer.alloc(12 + data.length);
  chunk.writeUInt32BE(data.length, 0);
  chunk.write('tEXt', 4, 'latin1');
  data.copy(chunk, 8);
  chunk.writeUInt32BE(crc32(chunk.subarray(4, 8 + data.length)), 8 + data.length);
  return Buffer.concat([png.subarray(0, png.length - 12), chunk, png.subarray(png.length - 12)]);
}

/** An uncompressed 2×1 greyscale TIFF whose IFD0 has an Artist tag (sharp writes none into TIFF). */
function tiffWithArtist(artist: string): Buffer {
  const text = Buffer.from(`${artist}\0`, 'latin1');
  const entries: [number, number, number, number][] = [
    [256, 3, 1, 2], [257, 3, 1, 1], [258, 3, 1, 8], [259, 3, 1, 1], [262, 3, 1, 1], [273, 4, 1, 0], [277, 3, 1, 1], [278, 3, 1, 1], [279, 4, 1, 2], [315, 2, text.length, 0],
  ];
  const ifdSize = 2 + entries.length * 12 + 4;
  const textAt = 8 + ifdSize;
  const pixelsAt = textAt + text.length;
  const b = Buffer.alloc(pixelsAt + 2);
  b.write('II*\0', 0, 'latin1');
  b.writeUInt32LE(8, 4);
  b.writeUInt16LE(entries.length, 8);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 10 + i * 12;
    b.writeUInt16LE(tag, at);
    b.writeUInt16LE(type, at + 2);
    b.writeUInt32LE(count, at + 4);
    const v = tag === 273 ? pixelsAt : tag === 315 ? textAt : value;
    if (type === 3) b.writeUInt16LE(v, at + 8);
    else b.writeUInt32LE(v, at + 8);
  });
  text.copy(b, textAt);
  b[pixelsAt] = 10;
  b[pixelsAt + 1] = 250;
  return b;
}

describe('stripMetadata: no text left, pixels untouched', () => {
  it('JPEG: EXIF Artist/ImageDescription gone, the scan data byte for byte the same, the orientation kept', async () => {
    const jpeg = await base().jpeg({ quality: 90 }).withExif(exif).withMetadata({ orientation: 6 }).toBuffer();
    expect(jpeg.includes('Zanzibar')).toBe(true);
    const { bytes, removed } = stripMetadata(jpeg, 'jpeg');
    expect(removed).toContain('EXIF');
    expect(bytes.includes('Zanzibar')).toBe(false);
    expect(bytes.includes('31415926590')).toBe(false);
    const sos = (b: Buffer) => b.subarray(b.indexOf(Buffer.from([0xff, 0xda])));
    expect(Buffer.compare(sos(bytes), sos(jpeg))).toBe(0);
    expect((await sharp(bytes).metadata()).orientation).toBe(6);
    expect(Buffer.compare(await pixels(bytes), await pixels(jpeg))).toBe(0);
    expect(stripMetadata(bytes, 'jpeg').removed).toEqual(['EXIF']); // only the orientation's own APP1 is left
  });

  it('PNG: tEXt chunks gone, every other chunk copied', async () => {
    const png = withPngText(await base().png().toBuffer(), 'Author', 'Zanzibar Xavier 31415926590');
    const { bytes, removed } = stripMetadata(png, 'png');
    expect(removed).toEqual(['tEXt']);
    expect(bytes.includes('Zanzibar')).toBe(false);
    expect(bytes.length).toBe(png.length - (12 + 'Author\0Zanzibar Xavier 31415926590'.length));
    expect(Buffer.compare(await pixels(bytes), await pixels(png))).toBe(0);
  });

  it('WebP and TIFF: EXIF and Artist gone (WebP chunks dropped, TIFF values zeroed in place), same pixels', async () => {
    for (const format of ['webp', 'tiff'] as const) {
      const img = format === 'webp' ? await base().webp({ lossless: true }).withExif(exif).toBuffer() : tiffWithArtist('Zanzibar Xavier 31415926590');
      expect(img.includes('Zanzibar'), format).toBe(true);
      const { bytes, removed } = stripMetadata(img, format);
      expect(removed.length, format).toBeGreaterThan(0);
      expect(bytes.includes('Zanzibar'), format).toBe(false);
      expect(Buffer.compare(await pixels(bytes), await pixels(img)), format).toBe(0);
    }
  });
});

describe('redaction of free text', () => {
  const redact = identifierRedactor({ fullName: 'Zanzibar Xavier da Silva', cpf: '31415926590', phone: '+5511987654321', email: 'zx@example.com', guardian: { name: 'Mãe Xênia' } });
  it('finds the name (word by word, accents and case ignored), the CPF and phone in any punctuation and the e-mail', () => {
    const r = redact('ZANZIBAR voltou; CPF 314.159.265-90, tel (11) 98765-4321 ou 98765 4321, zx@example.com; mãe Xênia ligou. Dente 36 da arcada.');
    expect(r.text).toBe('[nome removido] voltou; CPF [CPF removido], tel [telefone removido] ou [telefone removido], [e-mail removido]; [nome removido] [nome removido] ligou. Dente 36 da arcada.');
    expect(r.removed).toEqual(['name', 'cpf', 'phone', 'email']);
    expect(redact('canal no 36, sem intercorrências').removed).toEqual([]);
  });
  it('file names lose the identifiers and keep the rest', () => {
    expect(redactFileName('Zanzibar Xavier 31415926590 foto.png', redact, 'I-1').text).toBe('foto.png');
    expect(redactFileName('Zanzibar_31415926590.jpg', redact, 'I-1').text).toBe('I-1.jpg');
    expect(redactFileName('pano 2024.tif', redact, 'I-1')).toEqual({ text: 'pano 2024.tif', removed: [] });
  });
});

describe('anonymize against the local S3', () => {
  const stack = useTestStack({ publish: false });

  it('takes the name and CPF out of image file names and notes, originals\' metadata, appointment and patient notes, listing them', async () => {
    const store = stack.dataStore;
    const cpf = formatCpf(generateCpf(31_415));
    const p = await createPatient(store, { fullName: 'Zanzibar Xavier', cpf, birthDate: '1970-01-01', phone: '(11) 98765-4321', email: 'zx@example.com', notes: `Zanzibar prefere manhã; CPF ${cpf}\nbruxismo`, alerts: ['látex'] }, 'test');
    const jpeg = await base().jpeg().withExif(exif).toBuffer();
    const imageId = 'I-20261207-anontest';
    const key = originalKey(p.id, imageId, 'jpeg');
    await store.put(key, jpeg, { contentType: 'image/jpeg' });
    const record: ImageRecord = {
      id: imageId, patientId: p.id, kind: 'photo', status: 'ready', teeth: [11], watermark: false, variants: {},
      original: { key, format: 'jpeg', contentType: 'image/jpeg', size: jpeg.length, sha256: 'ab'.repeat(32), width: 64, height: 48, bitDepth: 8, fileName: `Zanzibar Xavier ${cpf.replace(/\D/g, '')} foto.jpg` },
      notes: 'Foto do Zanzibar antes do clareamento', importedAt: '2026-12-01T10:00:00Z', importedBy: 'test', updatedAt: '2026-12-01T10:00:00Z',
    };
    await store.putJson(recordKey(p.id, imageId), record);
    const a = await createAppointment(store, { patientId: p.id, dentist: 'Dra. Ana', at: '2030-01-10 10:00', durationMinutes: 30, notes: 'ligar para 11 98765-4321 antes' }, 'test', { timeZone: 'America/Sao_Paulo', force: true });

    const report = await anonymizePatientReported(store, p.id, 'test');
    const image = (await store.getJson<ImageRecord>(recordKey(p.id, imageId)))!.value;
    expect(image.original.fileName).toBe('foto.jpg');
    expect(image.notes).toBe('Foto do [nome removido] antes do clareamento');
    const original = (await store.getBytes(key))!;
    expect(original.includes('Zanzibar')).toBe(false);
    expect(Buffer.compare(await pixels(original), await pixels(jpeg))).toBe(0);
    expect((await getAppointment(store, a.id)).appointment.notes).toBe('ligar para [telefone removido] antes');
    const anon = (await getPatient(store, p.id)).patient;
    expect(anon.notes).toBe('[nome removido] prefere manhã; CPF [CPF removido]\nbruxismo');
    expect(anon.alerts).toEqual(['látex']);
    expect(report.redacted).toEqual([
      { where: 'patient notes', removed: ['name', 'cpf'] },
      { where: `appointment ${a.id}: notes`, removed: ['phone'] },
      { where: `image ${imageId}: file name and notes`, removed: ['name', 'cpf'] },
    ]);
    expect(report.metadata).toEqual([{ imageId, removed: ['EXIF'] }]);
    // the local stack's data bucket keeps versions as S3 does: the copies from before the redaction are gone
    expect(report.oldVersionsDeleted).toBeGreaterThan(0);
    for (const prefix of [`patients/${p.id}.json`, recordKey(p.id, imageId), key]) {
      const versions = await store.listVersions(prefix);
      expect(versions.filter((v) => v.key === prefix && !v.isLatest), prefix).toEqual([]);
    }
    // a second run changes nothing
    const again = await anonymizePatientReported(store, p.id, 'test');
    expect(again.redacted).toEqual([]);
    expect(again.patient.version).toBe(anon.version);
  });
});

describe('old versions on a versioned bucket (exact calls and pagination, with a mocked client)', () => {
  it('deletes the non-current versions of each key, never the current one nor other keys under the same prefix', async () => {
    const s3 = mockClient(S3Client);
    s3.on(ListObjectVersionsCommand, { Prefix: 'patients/P-000001.json' }).resolves({
      Versions: [
        { Key: 'patients/P-000001.json', VersionId: 'v3', IsLatest: true },
        { Key: 'patients/P-000001.json', VersionId: 'v2', IsLatest: false },
        { Key: 'patients/P-000001.json', VersionId: 'v1', IsLatest: false },
        { Key: 'patients/P-000001.json.bak', VersionId: 'x1', IsLatest: false },
      ],
    });
    s3.on(ListObjectVersionsCommand, { Prefix: 'images/P-000001/I-1/original.jpg' }).resolves({
      Versions: [{ Key: 'images/P-000001/I-1/original.jpg', VersionId: 'o2', IsLatest: true }, { Key: 'images/P-000001/I-1/original.jpg', VersionId: 'o1', IsLatest: false }],
    });
    s3.on(DeleteObjectsCommand).resolves({});
    const store = new Store(new S3Client({ region: 'sa-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } }), 'clinic-data');
    const out = await store.deleteOldVersions(['patients/P-000001.json', 'images/P-000001/I-1/original.jpg']);
    expect(out).toEqual({ deleted: 3, failed: [] });
    const calls = s3.calls().map((c) => [c.args[0].constructor.name, c.args[0].input]);
    expect(calls).toEqual([
      ['ListObjectVersionsCommand', { Bucket: 'clinic-data', Prefix: 'patients/P-000001.json', KeyMarker: undefined, VersionIdMarker: undefined }],
      ['ListObjectVersionsCommand', { Bucket: 'clinic-data', Prefix: 'images/P-000001/I-1/original.jpg', KeyMarker: undefined, VersionIdMarker: undefined }],
      ['DeleteObjectsCommand', {
        Bucket: 'clinic-data',
        Delete: { Objects: [{ Key: 'patients/P-000001.json', VersionId: 'v2' }, { Key: 'patients/P-000001.json', VersionId: 'v1' }, { Key: 'images/P-000001/I-1/original.jpg', VersionId: 'o1' }], Quiet: true },
      }],
    ]);
    s3.restore();
  });
});
