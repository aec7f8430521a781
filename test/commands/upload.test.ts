/** `clinica upload`, `clinica patients images`, `clinica images get` — the built CLI against a local stack. */
import { mkdir, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { hashClaimKey, IMAGE_IDS_PREFIX, type HashClaim } from '../../src/clinic/images.js';
import { createPatient } from '../../src/clinic/patients.js';
import { sha256 } from '../../src/imaging/inspect.js';
import type { Store } from '../../src/store/store.js';
import { runCli, spawnCli, waitUntil } from '../helpers/cli.js';
import { startTestStack, useTestStack } from '../helpers/stack.js';
import { animatedWebp, jp2Header, jpegOrientation6, multiPageTiff, photoJpeg, textFileAsJpeg, truncatedJpeg } from '../helpers/image-fixtures.js';

async function keysUnder(store: Store, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys.sort();
}

const json = (stdout: string) => JSON.parse(stdout) as Record<string, unknown> & { files: { file: string; status: string; reason?: string; imageId?: string; line?: number }[] };

describe('clinica upload (built CLI)', () => {
  const stack = useTestStack();
  let store: Store;
  let ana: string;
  let bruno: string;
  const cli = (...args: string[]) => runCli(args, { cwd: stack.projectDir, timeoutMs: 120_000 });

  beforeAll(async () => {
    store = stack.dataStore;
    ana = (await createPatient(store, { fullName: 'Ana Teste', birthDate: '1990-04-02' }, 'test')).id;
    bruno = (await createPatient(store, { fullName: 'Bruno Teste', birthDate: '1985-01-20' }, 'test')).id;
  });

  it('uploads files for one patient, lists them, and hands out the watermarked copy', async () => {
    const dir = join(stack.projectDir, 'single');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'rotated.jpg'), await jpegOrientation6());
    await writeFile(join(dir, 'photo.jpg'), await photoJpeg(900, 600, 21));
    const up = await cli('upload', ana, join(dir, 'rotated.jpg'), join(dir, 'photo.jpg'), '--kind', 'radiograph', '--teeth', '21,11', '--taken-at', '01/05/2024', '--json');
    expect(up.stderr).not.toMatch(/error/);
    expect(up.code).toBe(0);
    const result = json(up.stdout);
    expect(result).toMatchObject({ imported: 2, duplicates: 0, failed: 0 });

    const listed = await cli('patients', 'images', ana, '--json');
    expect(listed.code).toBe(0);
    const images = (JSON.parse(listed.stdout) as { images: { id: string; kind: string; teeth: number[]; takenAt: string; status: string; original: { fileName: string } }[] }).images;
    expect(images).toHaveLength(2);
    expect(images.every((i) => i.kind === 'radiograph' && i.status === 'ready' && i.takenAt === '2024-05-01')).toBe(true);
    expect(images[0]!.teeth).toEqual([11, 21]);
    const human = await cli('patients', 'images', ana);
    expect(human.stdout).toContain('rotated.jpg');

    const rotated = images.find((i) => i.original.fileName === 'rotated.jpg')!;
    const out = join(dir, 'for-patient.webp');
    const got = await cli('images', 'get', rotated.id, '--variant', 'shared', '--out', out);
    expect(got.code).toBe(0);
    expect(got.stderr).not.toContain('consider naming it');
    const meta = await sharp(await readFile(out)).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 400, 800]);
    // the extension names the format written: a patient's phone goes by the name
    for (const [name, format] of [['for-patient.jpg', 'jpeg'], ['for-patient.PNG', 'png']] as const) {
      const converted = await cli('images', 'get', rotated.id, '--variant', 'shared', '--out', join(dir, name), '--json');
      expect(converted.code, converted.stderr).toBe(0);
      expect(JSON.parse(converted.stdout)).toMatchObject({ contentType: `image/${format}` });
      const got = await sharp(await readFile(join(dir, name))).metadata();
      expect([got.format, got.width, got.height]).toEqual([format, 400, 800]);
    }
    const gif = await cli('images', 'get', rotated.id, '--out', join(dir, 'x.gif'));
    expect([gif.code, gif.stderr]).toEqual([2, expect.stringMatching(/x\.gif: name the file with an image extension \(\.webp, \.jpg, \.png or \.tif\)/)]);
    const reencoded = await cli('images', 'get', rotated.id, '--variant', 'original', '--out', join(dir, 'original.png'));
    expect([reencoded.code, reencoded.stderr]).toEqual([2, expect.stringMatching(/the original is image\/jpeg and is handed out byte for byte — name it \*\.jpg/)]);
    expect((await cli('images', 'get', rotated.id, '--variant', 'shared', '--out', out)).code).toBe(2); // exists: --force
    const nowhere = await cli('images', 'get', rotated.id, '--out', join(dir, 'no-such-folder', 'x.webp'));
    expect([nowhere.code, nowhere.stderr.trim()]).toEqual([2, `clinica: --out: the folder ${join(dir, 'no-such-folder')} does not exist — create it first, or choose another --out`]);
    const original = join(dir, 'original.jpg');
    // typed by a person, in whatever case (the id's letters are all lowercase, its prefix "I")
    const typed = `i-${rotated.id.slice(2).toUpperCase()}`;
    expect((await cli('images', 'get', typed, '--variant', 'original', '--out', original)).code).toBe(0);
    expect(Buffer.compare(await readFile(original), await readFile(join(dir, 'rotated.jpg')))).toBe(0);

    // the same files again: nothing new
    const again = await cli('upload', ana, join(dir, 'rotated.jpg'), join(dir, 'photo.jpg'), '--json');
    expect(json(again.stdout)).toMatchObject({ imported: 0, duplicates: 2 });
  });

  it('--no-watermark makes no shared copy, and images get says why there is none', async () => {
    const dir = join(stack.projectDir, 'no-watermark');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, 'plain.jpg'), await photoJpeg(500, 400, 22));
    // --kind takes the words a manifest takes (a pt-BR team types "radiografia")
    const up = json((await cli('upload', ana, join(dir, 'plain.jpg'), '--no-watermark', '--kind', 'radiografia', '--json')).stdout);
    expect(up).toMatchObject({ imported: 1 });
    const imageId = up.files[0]!.imageId!;
    const listed = JSON.parse((await cli('patients', 'images', ana, '--json')).stdout) as { images: { id: string; kind: string }[] };
    expect(listed.images.find((i) => i.id === imageId)?.kind).toBe('radiograph');
    const prefix = (await keysUnder(store, `images/${ana}/${imageId}/`)).map((k) => k.split('/').pop());
    expect(prefix).toEqual(['display.webp', 'image.json', 'original.jpg', 'thumb.webp']);
    const shared = await cli('images', 'get', imageId, '--out', join(dir, 'out.webp'));
    expect(shared.code).toBe(2);
    expect(shared.stderr).toMatch(/has no shared copy: it was imported with --no-watermark/);
    // and a re-import with the watermark is no way to get one: the same bytes are already there
    expect(json((await cli('upload', ana, join(dir, 'plain.jpg'), '--watermark', '--json')).stdout)).toMatchObject({ imported: 0, duplicates: 1 });
    expect(shared.stderr).toMatch(/--variant display/);
  });

  it('refuses bad input with one line and exit 2', async () => {
    const file = join(stack.projectDir, 'single', 'photo.jpg');
    const teeth = await cli('upload', ana, file, '--teeth', '11,19');
    expect(teeth.code).toBe(2);
    expect(teeth.stderr).toMatch(/teeth: "19" is not a tooth in FDI notation/);
    const kind = await cli('upload', ana, file, '--kind', 'panoramica');
    expect(kind.code).toBe(2);
    expect(kind.stderr).toMatch(/kind: "panoramica" is not one of radiograph, photo, document/);
    // a flag's error names the flag as typed (a manifest row's names its column)
    const takenAt = await cli('upload', ana, file, '--taken-at', '31/02/2024');
    expect([takenAt.code, takenAt.stderr]).toEqual([2, expect.stringMatching(/^clinica: --taken-at: /)]);
    const unknown = await cli('upload', 'P-999999', file);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/P-999999/);
    const text = join(stack.projectDir, 'single', 'notes.jpg');
    await writeFile(text, textFileAsJpeg());
    const bad = await cli('upload', ana, text);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/notes\.jpg: not an accepted image: it is a text file/);
    expect((await cli('images', 'get', 'I-20200101-nothere1')).code).toBe(2);
    expect((await cli('upload', '--bulk', join(stack.projectDir, 'nowhere'))).code).toBe(2);
  });

  it('imports a folder per patient, reports failures in a table, exits 3, and a re-run adds nothing', async () => {
    const root = join(stack.projectDir, 'bulk');
    await mkdir(join(root, ana, '2024'), { recursive: true });
    await mkdir(join(root, bruno.toLowerCase()), { recursive: true });
    await mkdir(join(root, 'Maria Souza'), { recursive: true });
    await mkdir(join(root, 'P-777777'), { recursive: true });
    await writeFile(join(root, ana, 'a1.jpg'), await photoJpeg(800, 600, 31));
    await writeFile(join(root, ana, '2024', 'a2.png'), await sharp(await photoJpeg(500, 400, 32)).png().toBuffer());
    await writeFile(join(root, ana, 'broken.jpg'), await truncatedJpeg());
    await writeFile(join(root, ana, 'readme.txt'), 'not an image');
    await writeFile(join(root, bruno.toLowerCase(), 'b1.webp'), await sharp(await photoJpeg(600, 600, 33)).webp().toBuffer());
    await writeFile(join(root, bruno.toLowerCase(), 'fake.jpg'), textFileAsJpeg());
    await writeFile(join(root, 'Maria Souza', 'm1.jpg'), await photoJpeg(300, 200, 34));
    await writeFile(join(root, 'P-777777', 'x.jpg'), await photoJpeg(300, 200, 35));

    const dry = await cli('upload', '--bulk', root, '--dry-run');
    expect(dry.code).toBe(3);
    expect(dry.stdout).toMatch(/would import .*a1\.jpg/);
    // a truncated file has a good header: the dry run decodes it, so it is listed as failing, as the real run will
    expect(dry.stdout).toMatch(/fail +\S+ +\S*broken\.jpg +\(the JPEG file is truncated/);
    expect(await keysUnder(store, `images/${bruno}/`)).toEqual([]); // nothing uploaded

    const first = await cli('upload', '--bulk', root, '--json');
    expect(first.code).toBe(3);
    const result = json(first.stdout);
    expect(result).toMatchObject({ imported: 3, failed: 4, skipped: 1 });
    const reasons = Object.fromEntries(result.files.filter((f) => f.status === 'failed' || f.status === 'rejected').map((f) => [f.file.replace(/\/$/, '').split('/').pop(), f.reason]));
    expect(reasons['broken.jpg']).toMatch(/truncated/);
    expect(reasons['fake.jpg']).toMatch(/text file/);
    expect(reasons['Maria Souza']).toMatch(/not named by a patient id/);
    expect(reasons['x.jpg']).toMatch(/P-777777/);

    const table = await cli('upload', '--bulk', root);
    expect(table.code).toBe(3);
    expect(table.stdout).toMatch(/4 files not imported/);
    expect(table.stdout).toMatch(/broken\.jpg.*truncated/);
    expect(table.stderr).toMatch(/0 imported, 3 already there, 1 skipped \(not images\), 4 failed/);
    expect((await keysUnder(store, `images/${bruno}/`)).filter((k) => k.endsWith('image.json'))).toHaveLength(1);
  });

  it('a bulk import fails the images it cannot take (HEIC, DICOM, JPEG 2000) with the reason, instead of skipping them as clutter; takes .jfif', async () => {
    const root = join(stack.projectDir, 'phone');
    await mkdir(join(root, ana), { recursive: true });
    // an iPhone photo (ISO-BMFF 'ftyp' box) and a DICOM file (128-byte preamble + DICM), as their first bytes say
    await writeFile(join(root, ana, 'IMG_0001.HEIC'), Buffer.concat([Buffer.from([0, 0, 0, 24]), Buffer.from('ftypheic\0\0\0\0mif1heic', 'latin1'), Buffer.alloc(64)]));
    await writeFile(join(root, ana, 'pano.dcm'), Buffer.concat([Buffer.alloc(128), Buffer.from('DICM', 'latin1'), Buffer.alloc(64)]));
    await writeFile(join(root, ana, 'sensor.jp2'), jp2Header());
    await writeFile(join(root, ana, 'whatsapp.jfif'), await photoJpeg(300, 200, 51));
    await writeFile(join(root, ana, 'notes.txt'), 'not an image');
    const run = await cli('upload', '--bulk', root, '--json');
    expect(run.code).toBe(3);
    const result = json(run.stdout);
    expect(result).toMatchObject({ imported: 1, failed: 3, skipped: 1 });
    const byName = Object.fromEntries(result.files.map((f) => [f.file.split('/').pop(), f]));
    expect(byName['IMG_0001.HEIC']).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/HEIC/) });
    expect(byName['pano.dcm']).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/DICOM file \(export it as PNG or TIFF first\)/) });
    expect(byName['sensor.jp2']).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/JPEG 2000 image, which clinica cannot decode \(export it as PNG or TIFF first\)/) });
    expect(byName['whatsapp.jfif']).toMatchObject({ status: 'imported' });
    expect(byName['notes.txt']).toMatchObject({ status: 'skipped' });
  });

  it('--dry-run lists the second of two identical files as a duplicate; multi-page and animated files say so', async () => {
    const root = join(stack.projectDir, 'twice');
    await mkdir(join(root, bruno), { recursive: true });
    const photo = await photoJpeg(400, 300, 61);
    await writeFile(join(root, bruno, 'a.jpg'), photo);
    await writeFile(join(root, bruno, 'b-copy.jpg'), photo);
    await writeFile(join(root, bruno, 'consent.tif'), await multiPageTiff());
    await writeFile(join(root, bruno, 'smile.webp'), await animatedWebp());

    const dry = await cli('upload', '--bulk', root, '--dry-run', '--concurrency', '1');
    expect(dry.code, dry.stderr).toBe(0);
    const lines = dry.stdout.split('\n');
    const said = (name: string) => lines.filter((l) => l.includes(name));
    expect([...said('a.jpg'), ...said('b-copy.jpg')].filter((l) => l.startsWith('would import'))).toHaveLength(1);
    expect(dry.stdout).toMatch(/skip +\S+ +\S*(a|b-copy)\.jpg +\(the same image as \S*(a|b-copy)\.jpg, earlier in this run\)/);
    expect(said('consent.tif')[0]).toMatch(/would import .*TIFF 400×560, 2 pages/);
    expect(said('smile.webp')[0]).toMatch(/animated \(2 frames\): the copies show the first/);
    expect(dry.stderr).toMatch(/3 would be imported, 1 already imported/);

    const real = await cli('upload', '--bulk', root, '--json');
    expect(real.code, real.stderr).toBe(0);
    const result = json(real.stdout);
    expect(result).toMatchObject({ imported: 3, duplicates: 1 });
    expect(real.stderr).toMatch(/smile\.webp: an animation of 2 frames — its copies show the first frame/);
    const consent = result.files.find((f) => f.file.endsWith('consent.tif')) as { imageId: string; pages?: number };
    expect(consent.pages).toBe(2);
    const record = (await store.getJson<{ original: { pages?: number } }>(`images/${bruno}/${consent.imageId}/image.json`))!.value;
    expect(record.original.pages).toBe(2);
  });

  it('reads a CSV manifest and names the line of a bad row', async () => {
    const root = join(stack.projectDir, 'manifest');
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'x1.jpg'), await photoJpeg(400, 300, 41));
    await writeFile(join(root, 'x2.jpg'), await photoJpeg(400, 300, 42));
    await writeFile(
      join(root, 'manifest.csv'),
      `file,patient,kind,takenAt,teeth,notes\nx1.jpg,${bruno},radiograph,2024-02-03,"36,37",periapical\nx2.jpg,${bruno},photo,,99,\nmissing.jpg,${bruno},photo,,,\n`,
    );
    const dry = await cli('upload', '--bulk', root, '--dry-run');
    expect(dry.code).toBe(3);
    expect(dry.stdout).toMatch(/x2\.jpg +\(line 3: teeth: "99"/); // the table with the lines is for real runs only
    expect(dry.stdout).toMatch(/would import .*x1\.jpg +\(line 2: JPEG 400×300\)/);
    const run = await cli('upload', '--bulk', root, '--json');
    expect(run.code).toBe(3);
    const result = json(run.stdout);
    expect(result.imported).toBe(1);
    expect(result.files.find((f) => f.file === 'x2.jpg')).toMatchObject({ line: 3, reason: expect.stringMatching(/teeth: "99"/) });
    expect(result.files.find((f) => f.file === 'missing.jpg')).toMatchObject({ reason: 'file not found' });
    const listed = JSON.parse((await cli('patients', 'images', bruno, '--json')).stdout) as { images: { kind: string; teeth: number[]; notes?: string }[] };
    expect(listed.images).toContainEqual(expect.objectContaining({ kind: 'radiograph', teeth: [36, 37], notes: 'periapical' }));

    // as a spreadsheet in Portuguese saves it: headers in its own case, semicolons (the comma is its decimal mark)
    await writeFile(join(root, 'x3.jpg'), await photoJpeg(400, 300, 43));
    await writeFile(join(root, 'planilha.csv'), `File;Patient;Kind;Taken At;Teeth;Notes\r\nx3.jpg;${bruno};document;03/02/2024;46,47;semicolon\r\n`);
    const semi = await cli('upload', '--bulk', root, '--manifest', join(root, 'planilha.csv'), '--json');
    expect([semi.code, semi.stderr]).toEqual([0, expect.not.stringMatching(/column is missing/)]);
    const again = JSON.parse((await cli('patients', 'images', bruno, '--json')).stdout) as { images: { kind: string; teeth: number[]; takenAt?: string; notes?: string }[] };
    expect(again.images).toContainEqual(expect.objectContaining({ kind: 'document', teeth: [46, 47], takenAt: '2024-02-03', notes: 'semicolon' }));
  });

  it('an import killed mid-way, then run again, ends with exactly one copy of each image', async () => {
    const root = join(stack.projectDir, 'killed');
    const files: { patientId: string; bytes: Buffer }[] = [];
    for (const [p, patientId] of [ana, bruno].entries()) {
      await mkdir(join(root, patientId), { recursive: true });
      for (let i = 0; i < 8; i++) {
        const bytes = await photoJpeg(1600, 1200, 100 + p * 10 + i);
        await writeFile(join(root, patientId, `img-${i}.jpg`), bytes);
        files.push({ patientId, bytes });
      }
    }
    const recordsNow = async () => (await keysUnder(store, 'images/')).filter((k) => k.endsWith('image.json')).length;
    const before = await recordsNow();

    const { child, exited } = spawnCli(['upload', '--bulk', root, '--concurrency', '2'], { cwd: stack.projectDir });
    await waitUntil(async () => (await recordsNow()) - before >= 3);
    child.kill('SIGKILL');
    await exited;
    const partial = (await recordsNow()) - before;
    expect(partial).toBeGreaterThanOrEqual(3);
    expect(partial).toBeLessThan(16); // really interrupted

    const rerun = await cli('upload', '--bulk', root, '--json');
    expect(rerun.code).toBe(0);
    expect(json(rerun.stdout)).toMatchObject({ failed: 0 });
    expect(((await recordsNow()) - before)).toBe(16);

    // one done claim per file, each pointing at an image that is complete, and no stray image ids
    const ids = new Set<string>();
    for (const f of files) {
      const claim = (await store.getJson<HashClaim>(hashClaimKey(f.patientId, sha256(f.bytes))))!.value;
      expect(claim.state).toBe('done');
      ids.add(claim.imageId);
      const prefix = `images/${f.patientId}/${claim.imageId}/`;
      expect(await keysUnder(store, prefix)).toEqual(['display.webp', 'image.json', 'original.jpg', 'shared.webp', 'thumb.webp'].map((n) => prefix + n));
      expect(Buffer.compare((await store.getBytes(`${prefix}original.jpg`))!, f.bytes)).toBe(0);
    }
    expect(ids.size).toBe(16);
    for (const patientId of [ana, bruno]) {
      const dirs = new Set((await keysUnder(store, `images/${patientId}/`)).map((k) => k.split('/')[2]));
      const index = (await keysUnder(store, IMAGE_IDS_PREFIX)).map((k) => k.slice(IMAGE_IDS_PREFIX.length, -5));
      for (const id of dirs) expect(index).toContain(id);
    }
    // and a third run uploads nothing
    expect(json((await cli('upload', '--bulk', root, '--json')).stdout)).toMatchObject({ imported: 0, duplicates: 16 });
  }, 120_000);

  it('the local S3 going away mid-import: exit 1 with one line, after saying what was imported before it (--json: the partial summary on stdout)', async () => {
    const lost = await startTestStack(); // its own: the test stops it mid-import, the file's stack stays up
    try {
      const patient = (await createPatient(lost.dataStore, { fullName: 'Carla Teste', birthDate: '1970-07-07' }, 'test')).id;
      const root = join(lost.projectDir, 'lost');
      await mkdir(join(root, patient), { recursive: true });
      const photos: Buffer[] = [];
      for (let i = 0; i < 8; i++) {
        photos.push(await photoJpeg(1600, 1200, 500 + i));
        await writeFile(join(root, patient, `l-${i}.jpg`), photos[i]!);
      }
      const { output, exited } = spawnCli(['upload', '--bulk', root, '--concurrency', '1', '--json'], { cwd: lost.projectDir });
      // an image's claim marked done: its import (record, audit, claim) is over, and the CLI counts it imported
      const doneClaims = async () => {
        const claims = await Promise.all(photos.map((p) => lost.dataStore.getJson<HashClaim>(hashClaimKey(patient, sha256(p)))));
        return claims.filter((c) => c?.value.state === 'done').length;
      };
      await waitUntil(async () => (await doneClaims()) >= 1);
      await lost.stop(); // S3 gone: the next request of the import is refused
      const [code] = await exited;
      const { stdout, stderr } = output;
      const lines = stderr.trim().split('\n');
      expect(code, stderr).toBe(1);
      expect(lines.at(-2)).toMatch(/stopped by an error after \d+ files?: [1-8] imported, 0 already there — fix the cause and run the same command again to finish/);
      expect(lines.at(-1)).toMatch(/^clinica: /);
      // --json: the partial summary is still the one JSON document on stdout
      const partial = JSON.parse(stdout) as { stopped: boolean; imported: number; error: string; files: { status: string }[] };
      expect(partial).toMatchObject({ stopped: true, error: expect.any(String) });
      expect(partial.imported).toBeGreaterThanOrEqual(1);
      expect(partial.files.filter((f) => f.status === 'imported')).toHaveLength(partial.imported);
    } finally {
      await lost.close();
    }
  }, 120_000);

  it('a re-run does not read again the files it has seen unchanged (the import cache); without the cache it reads them', async () => {
    const root = join(stack.projectDir, 'cached');
    await mkdir(join(root, bruno), { recursive: true });
    // uncompressed TIFFs: a pixel changed in place keeps the file valid and its size the same
    const tiff = (seed: number) => sharp(Buffer.alloc(64 * 48 * 3, seed), { raw: { width: 64, height: 48, channels: 3 } }).tiff({ compression: 'none' }).toBuffer();
    const scan = join(root, bruno, 'scan.tif');
    const other = join(root, bruno, 'other.tif');
    const hourAgo = new Date(Date.now() - 3_600_000);
    for (const [path, seed] of [[scan, 40], [other, 90]] as const) {
      await writeFile(path, await tiff(seed));
      await utimes(path, hourAgo, hourAgo); // an export folder's files are not being written as they are read
    }
    expect(json((await cli('upload', '--bulk', root, '--json')).stdout)).toMatchObject({ imported: 2, duplicates: 0 });

    // scan.tif changes behind the cache's back: other bytes, same size, same time, same inode
    const changed = await readFile(scan);
    changed[20] = 200; // a pixel (the strip starts at byte 8; the directory is at the end)
    await writeFile(scan, changed);
    await utimes(scan, hourAgo, hourAgo);
    expect(json((await cli('upload', '--bulk', root, '--json')).stdout)).toMatchObject({ imported: 0, duplicates: 2 }); // not read

    // without the cache every file is read again: the changed scan is a new image (a normal edit moves the
    // file's time, which the cache notices: see hash-cache.test.ts)
    await rm(join(stack.projectDir, '.clinica', 'import-cache'), { recursive: true });
    expect(json((await cli('upload', '--bulk', root, '--json')).stdout)).toMatchObject({ imported: 1, duplicates: 1 });
    const claim = await store.getJson<HashClaim>(hashClaimKey(bruno, sha256(changed)));
    expect(claim?.value.state).toBe('done');
  });

  it('Ctrl+C: the images being processed finish, the files waiting for the pipeline are left untouched, exit 130; the next run finishes', async () => {
    const root = join(stack.projectDir, 'interrupted');
    await mkdir(join(root, ana), { recursive: true });
    for (let i = 0; i < 10; i++) await writeFile(join(root, ana, `c-${i}.jpg`), await photoJpeg(1600, 1200, 300 + i));
    const { child, output, exited } = spawnCli(['upload', '--bulk', root, '--concurrency', '1', '--json'], { cwd: stack.projectDir });
    const claims = async () => (await keysUnder(store, `image-hashes/${ana}/`)).length;
    const start = await claims();
    await waitUntil(async () => (await claims()) - start >= 2);
    child.kill('SIGINT');
    const [code] = await exited;
    const { stdout, stderr } = output;
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: run the same command again to finish/);
    // one image in the pipeline at a time: the files read and waiting for it when Ctrl+C came are not processed
    // (they would keep a person waiting for minutes on large radiographs), and nothing of theirs is written
    const first = json(stdout);
    expect(first.interrupted).toBe(true);
    expect(first.notStarted).toBeGreaterThanOrEqual(1);
    expect(stderr).toMatch(new RegExp(`${first.notStarted as number} not started`));
    expect(await claims()).toBe(start + (first.imported as number));
    const rerun = json((await cli('upload', '--bulk', root, '--json')).stdout);
    expect(rerun.failed).toBe(0);
    expect((rerun.imported as number) + (rerun.duplicates as number)).toBe(10);
    expect(rerun.imported).toBe(10 - (first.imported as number));
  });
});
