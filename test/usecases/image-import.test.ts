/** The import path (CLI) and the image-processor (Lambda and its local twin) against the real local S3. */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import {
  ClaimIndex,
  IMAGE_HASHES_PREFIX,
  beginImageUpload,
  failureKey,
  hashClaimKey,
  listImages,
  originalKey,
  recordKey,
  variantKey,
  writeDerivatives,
  type HashClaim,
  type ImageRecord,
} from '../../src/clinic/images.js';
import { AUDIT_PREFIX, listAudit } from '../../src/clinic/audit.js';
import { createPatient } from '../../src/clinic/patients.js';
import { ClinicaError } from '../../src/errors.js';
import { applyImage, importImage, planImage, type ImportSettings } from '../../src/usecases/image-import.js';
import { filesSource, runImport, type BulkResult } from '../../src/usecases/image-bulk.js';
import { sha256 } from '../../src/imaging/inspect.js';
import { processImage } from '../../src/imaging/pipeline.js';
import { encodeEventKey } from '../../src/local/s3-server.js';
import { createImageProcessor, type S3EventLike } from '../../src/lambdas/image-processor.js';
import { memoryLog } from '../../src/log.js';
import type { Store } from '../../src/store/store.js';
import { useTestStack } from '../helpers/stack.js';
import { jpegOrientation6, multiPageTiff, photoJpeg, textFileAsJpeg, truncatedJpeg } from '../helpers/image-fixtures.js';

const metadata = { kind: 'photo' as const, teeth: [11, 21] };

function eventFor(bucket: string, key: string): S3EventLike {
  return { Records: [{ eventName: 'ObjectCreated:Put', s3: { bucket: { name: bucket }, object: { key: encodeEventKey(key) } } }] };
}

async function keysUnder(store: Store, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  for await (const o of store.list(prefix)) keys.push(o.key);
  return keys.sort();
}

describe('images in the bucket', () => {
  const stack = useTestStack();
  let store: Store;
  let patientId: string;
  let settings: ImportSettings;

  beforeAll(async () => {
    store = stack.dataStore;
    patientId = (await createPatient(store, { fullName: 'Ana Teste', birthDate: '1990-04-02' }, 'test')).id;
    settings = { store, config: stack.config, actor: 'test', runId: 'run-1' };
  });

  it('stores the original byte for byte, its derivatives, its record and a done claim', async () => {
    const bytes = await jpegOrientation6();
    const outcome = await importImage(settings, { patientId, bytes, fileName: 'boca aberta.jpg', metadata });
    expect(outcome).toMatchObject({ status: 'imported', resumed: false, width: 400, height: 800 });
    if (outcome.status !== 'imported') return;
    const id = outcome.imageId;

    const original = await store.getBytes(originalKey(patientId, id, 'jpeg'));
    expect(Buffer.compare(original!, bytes)).toBe(0);
    expect((await store.head(originalKey(patientId, id, 'jpeg')))?.metadata.sha256).toBe(sha256(bytes));
    for (const variant of ['display', 'thumb', 'shared'] as const) {
      expect((await store.head(variantKey(patientId, id, variant)))?.contentType).toBe('image/webp');
    }
    const record = (await store.getJson<ImageRecord>(recordKey(patientId, id)))!.value;
    expect(record).toMatchObject({
      id,
      patientId,
      kind: 'photo',
      status: 'ready',
      teeth: [11, 21],
      watermark: true,
      original: { format: 'jpeg', size: bytes.length, sha256: sha256(bytes), width: 400, height: 800, bitDepth: 8, fileName: 'boca aberta.jpg' },
      variants: { display: { width: 400, height: 800 }, thumb: { width: 160, height: 320 } },
    });
    const claim = (await store.getJson<HashClaim>(hashClaimKey(patientId, sha256(bytes))))!.value;
    expect(claim).toMatchObject({ imageId: id, state: 'done' });

    // the same bytes again: a duplicate, nothing written
    const before = await keysUnder(store, `images/${patientId}/`);
    expect(await importImage({ ...settings, runId: 'run-2' }, { patientId, bytes, metadata })).toEqual({ status: 'duplicate', imageId: id, sha256: sha256(bytes) });
    expect(await keysUnder(store, `images/${patientId}/`)).toEqual(before);
  });

  it('keeps a large original (multipart upload) byte for byte', async () => {
    const { default: sharp } = await import('sharp');
    const samples = new Uint16Array(2200 * 2100).map((_, i) => 800 + (i % 2200));
    const tiff = await sharp(samples, { raw: { width: 2200, height: 2100, channels: 1 } }).toColourspace('grey16').tiff({ compression: 'none' }).toBuffer();
    expect(tiff.length).toBeGreaterThan(8 * 1024 * 1024);
    const outcome = await importImage(settings, { patientId, bytes: tiff, metadata: { kind: 'radiograph', teeth: [] } });
    if (outcome.status !== 'imported') throw new Error(JSON.stringify(outcome));
    const stored = await store.getBytes(originalKey(patientId, outcome.imageId, 'tiff'));
    expect(Buffer.compare(stored!, tiff)).toBe(0);
  });

  it('reports a bad image as rejected and writes nothing for it', async () => {
    const before = await keysUnder(store, '');
    expect(await importImage(settings, { patientId, bytes: await truncatedJpeg(), metadata })).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/truncated/) });
    expect(await importImage(settings, { patientId, bytes: textFileAsJpeg(), metadata })).toMatchObject({ status: 'rejected', reason: expect.stringMatching(/text file/) });
    expect(await keysUnder(store, '')).toEqual(before);
  });

  it('plans before it applies: the plan writes nothing and names the fate; a dry run applies nothing; the real apply stores', async () => {
    const bytes = await photoJpeg(320, 240, 21);
    const before = await keysUnder(store, '');
    const plan = await planImage(settings, { patientId, bytes, metadata });
    expect(plan).toEqual({ fate: 'new', hash: sha256(bytes) });
    expect(await planImage(settings, { patientId, bytes: new Uint8Array(), metadata })).toEqual({ fate: 'settled', outcome: { status: 'rejected', reason: 'the file is empty' } });
    const dry = await applyImage({ ...settings, dryRun: true }, { patientId, bytes, metadata }, sha256(bytes));
    expect(dry).toMatchObject({ status: 'would-import', info: { format: 'jpeg', orientedWidth: 320, orientedHeight: 240 } });
    expect(await keysUnder(store, '')).toEqual(before);
    const applied = await applyImage(settings, { patientId, bytes, metadata }, sha256(bytes));
    expect(applied).toMatchObject({ status: 'imported', width: 320, height: 240 });
    if (applied.status !== 'imported') return;
    expect(await planImage({ ...settings, runId: 'run-5' }, { patientId, bytes, metadata })).toEqual({ fate: 'settled', outcome: { status: 'duplicate', imageId: applied.imageId, sha256: sha256(bytes) } });
  });

  it('finishes an import interrupted after its claim, under the same image id', async () => {
    const bytes = await photoJpeg(640, 480, 11);
    // a run that died right after claiming: only the pending claim exists
    const claim: HashClaim = { imageId: 'I-20260101-resume01', patientId, sha256: sha256(bytes), state: 'pending', runId: 'dead-run', claimedAt: new Date().toISOString() };
    await store.putJson(hashClaimKey(patientId, claim.sha256), claim);
    const outcome = await importImage({ ...settings, runId: 'run-3' }, { patientId, bytes, metadata });
    expect(outcome).toMatchObject({ status: 'imported', imageId: claim.imageId, resumed: true });
    expect((await store.getJson<HashClaim>(hashClaimKey(patientId, claim.sha256)))!.value.state).toBe('done');
    // within one run, two files with the same bytes at once: one image, one duplicate
    const twin = await photoJpeg(640, 480, 12);
    const both = await Promise.all([1, 2].map(() => importImage({ ...settings, runId: 'run-4' }, { patientId, bytes: twin, metadata })));
    expect(both.map((o) => o.status).sort()).toEqual(['duplicate', 'imported']);
  });

  it('a bulk run lists each patient\'s claims once instead of reading one per new file, and still finds every duplicate', async () => {
    const owner = (await createPatient(store, { fullName: 'Bia Lista', birthDate: '1985-03-04' }, 'test')).id;
    const [old, fresh, twin, late] = await Promise.all([31, 32, 33, 34].map((seed) => photoJpeg(320, 240, seed)));
    const first = await importImage({ ...settings, runId: 'run-earlier' }, { patientId: owner, bytes: old, metadata });
    expect(first.status).toBe('imported');
    const dir = await mkdtemp(join(tmpdir(), 'clinica-claims-'));
    const files = { 'old.jpg': old, 'fresh.jpg': fresh, 'twin-a.jpg': twin, 'twin-b.jpg': twin };
    for (const [name, bytes] of Object.entries(files)) await writeFile(join(dir, name), bytes);
    const claimReads: string[] = [];
    const getJson = store.getJson.bind(store);
    const spy = vi.spyOn(store, 'getJson').mockImplementation((key, options) => {
      if (key.startsWith(IMAGE_HASHES_PREFIX)) claimReads.push(key);
      return getJson(key, options);
    });
    try {
      const results: BulkResult[] = [];
      const summary = await runImport(
        filesSource(Object.keys(files).map((f) => join(dir, f)), owner, { kind: 'photo' }),
        { settings: { ...settings, runId: 'run-listed' }, concurrency: 1, checkPatient: async () => undefined, progress: ({ item }) => void (item && results.push(item)) },
      );
      expect(summary).toMatchObject({ imported: 2, duplicates: 2, failed: 0 });
      const status = Object.fromEntries(results.map((r) => [basename(r.file), r.outcome.status]));
      expect(status).toMatchObject({ 'old.jpg': 'duplicate', 'fresh.jpg': 'imported' });
      // two files with the same bytes in one run: one image, one duplicate (whichever claims first)
      expect([status['twin-a.jpg'], status['twin-b.jpg']].sort()).toEqual(['duplicate', 'imported']);
      // new bytes are known to be new from the listing: their claims are written, never read first
      expect(claimReads).not.toContain(hashClaimKey(owner, sha256(fresh)));
      expect(claimReads).toContain(hashClaimKey(owner, sha256(old)));

      // a claim made after the listing (another run, the same moment) is met by storeImage's conditional claim
      const claims = new ClaimIndex(store);
      expect(await claims.mayHave(owner, sha256(late))).toBe(false);
      const other = await importImage({ ...settings, runId: 'run-other' }, { patientId: owner, bytes: late, metadata });
      const again = await importImage({ ...settings, runId: 'run-stale', claims }, { patientId: owner, bytes: late, metadata });
      expect(again).toMatchObject({ status: 'duplicate', imageId: (other as { imageId: string }).imageId });
    } finally {
      spy.mockRestore();
      await rm(dir, { recursive: true, force: true });
    }
    expect((await listImages(store, owner)).length).toBe(4);
  });

  it('a bulk run audits every import, several entries to an object, before it marks the claim done', async () => {
    const owner = (await createPatient(store, { fullName: 'Caio Auditado', birthDate: '1979-05-06' }, 'test')).id;
    const dir = await mkdtemp(join(tmpdir(), 'clinica-audits-'));
    const objectsBefore = (await keysUnder(store, AUDIT_PREFIX)).length;
    try {
      const names: string[] = [];
      for (const seed of [41, 42, 43, 44, 45, 46]) {
        names.push(join(dir, `foto-${seed}.jpg`));
        await writeFile(names.at(-1)!, await photoJpeg(320, 240, seed));
      }
      const results: BulkResult[] = [];
      const summary = await runImport(filesSource(names, owner, { kind: 'photo' }), {
        settings: { ...settings, runId: 'run-audited' },
        concurrency: 2,
        checkPatient: async () => undefined,
        progress: ({ item }) => void (item && results.push(item)),
      });
      expect(summary).toMatchObject({ imported: 6, failed: 0 });
      const imported = results.map((r) => (r.outcome as { imageId: string }).imageId).sort();
      const entries = (await listAudit(store, { patientId: owner })).filter((e) => e.action.startsWith('image.'));
      expect(entries.map((e) => e.action)).toEqual(Array(6).fill('image.import'));
      expect(entries.map((e) => e.details?.imageId).sort()).toEqual(imported);
      // one object per `concurrency + 1` imports (2 here), not one each; one more should a loaded machine keep
      // an entry waiting past the batch's second
      expect((await keysUnder(store, AUDIT_PREFIX)).length - objectsBefore).toBeLessThanOrEqual(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('an import whose audit entry was not written keeps its claim pending; the next run completes and audits it', async () => {
    const owner = (await createPatient(store, { fullName: 'Davi Interrompido', birthDate: '1981-07-08' }, 'test')).id;
    const dir = await mkdtemp(join(tmpdir(), 'clinica-audit-lost-'));
    const bytes = await photoJpeg(320, 240, 47);
    const file = join(dir, 'foto.jpg');
    await writeFile(file, bytes);
    const run = (runId: string) =>
      runImport(filesSource([file], owner, { kind: 'photo' }), { settings: { ...settings, runId }, concurrency: 1, checkPatient: async () => undefined });
    const putJson = store.putJson.bind(store);
    const spy = vi.spyOn(store, 'putJson').mockImplementation((key, value, options) => {
      if (key.startsWith(AUDIT_PREFIX)) return Promise.reject(new ClinicaError('unavailable', 'S3 went away (test)'));
      return putJson(key, value, options);
    });
    try {
      await expect(run('run-dies')).rejects.toThrow(/went away/);
    } finally {
      spy.mockRestore();
    }
    try {
      const claim = (await store.getJson<HashClaim>(hashClaimKey(owner, sha256(bytes))))!.value;
      expect(claim.state).toBe('pending');
      expect(await run('run-again')).toMatchObject({ imported: 1, resumed: 1, duplicates: 0 });
      expect((await store.getJson<HashClaim>(hashClaimKey(owner, sha256(bytes))))!.value.state).toBe('done');
      const entries = (await listAudit(store, { patientId: owner })).filter((e) => e.action.startsWith('image.'));
      expect(entries).toMatchObject([{ action: 'image.import.resume', details: { imageId: claim.imageId } }]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('the Lambda makes exactly the derivatives the CLI made, and skips what is done', async () => {
    const bytes = await photoJpeg(1400, 1000, 5);
    const outcome = await importImage(settings, { patientId, bytes, metadata });
    if (outcome.status !== 'imported') throw new Error(outcome.status);
    const id = outcome.imageId;
    const fromCli = Object.fromEntries(
      await Promise.all((['display', 'thumb', 'shared'] as const).map(async (v) => [v, await store.getBytes(variantKey(patientId, id, v))] as const)),
    );
    const log = memoryLog();
    const processor = createImageProcessor({ store, config: stack.config, log, bucket: stack.config.names.dataBucket });
    const event = eventFor(stack.config.names.dataBucket, originalKey(patientId, id, 'jpeg'));

    // the CLI made them: the Lambda skips
    expect((await processor(event)).results[0]).toMatchObject({ status: 'skipped', reason: 'derivatives exist' });

    // without them, the Lambda makes them, byte for byte the same
    await store.deleteMany(['display', 'thumb', 'shared'].map((v) => variantKey(patientId, id, v as 'display')));
    expect((await processor(event)).results[0]).toMatchObject({ status: 'processed', imageId: id });
    for (const v of ['display', 'thumb', 'shared'] as const) {
      const fromLambda = await store.getBytes(variantKey(patientId, id, v));
      expect(Buffer.compare(fromLambda!, fromCli[v]!)).toBe(0);
    }
    // redelivery: nothing again
    expect((await processor(event)).processed).toBe(0);
  });

  it('the Lambda shows every page of a multi-page TIFF and records the page count, as the CLI does', async () => {
    const tiff = await multiPageTiff(['#d02020', '#2020d0', '#20d020'], 300, 400);
    const id = 'I-20260101-pages3aa';
    const key = originalKey(patientId, id, 'tiff');
    await store.put(key, tiff, { contentType: 'image/tiff' });
    const processor = createImageProcessor({ store, config: stack.config, log: memoryLog(), bucket: stack.config.names.dataBucket });
    expect((await processor(eventFor(stack.config.names.dataBucket, key))).results[0]).toMatchObject({ status: 'processed', imageId: id });
    const record = (await store.getJson<{ original: { pages?: number }; variants: Record<string, { width: number; height: number }> }>(`images/${patientId}/${id}/image.json`))!.value;
    expect(record.original.pages).toBe(3);
    expect(record.variants.display).toMatchObject({ width: 300, height: 1200 });
    expect(record.variants.shared).toMatchObject({ width: 300, height: 1200 });
    // the CLI's import of the same bytes makes the same derivatives
    const cli = await processImage(tiff, { maxPixels: stack.config.images.maxPixels });
    expect(Buffer.compare((await store.getBytes(variantKey(patientId, id, 'display')))!, cli.display.data)).toBe(0);
  });

  it('a redelivery completes a staff upload whose record a failed delivery left processing after writing its derivatives', async () => {
    const bucket = stack.config.names.dataBucket;
    const processor = createImageProcessor({ store, config: stack.config, log: memoryLog(), bucket });
    const { record, uploadKey } = await beginImageUpload(store, { patientId, format: 'jpeg', metadata: { kind: 'radiograph', teeth: [36] }, actor: 'staff:test' });
    const bytes = await photoJpeg(600, 400, 14);
    await store.put(uploadKey, bytes, { contentType: 'image/jpeg' });
    // the first delivery wrote the derivatives, then died (timeout, S3 error) before completing the record
    await writeDerivatives(store, patientId, record.id, await processImage(bytes, { maxPixels: stack.config.images.maxPixels }));
    expect((await processor(eventFor(bucket, uploadKey))).results[0]).toMatchObject({ status: 'processed', imageId: record.id });
    const done = (await store.getJson<ImageRecord>(recordKey(patientId, record.id)))!.value;
    expect(done).toMatchObject({ status: 'ready', kind: 'radiograph', teeth: [36], original: { sha256: sha256(bytes), width: 600, height: 400 } });
    expect(Object.keys(done.variants).sort()).toEqual(['display', 'shared', 'thumb']);
    // and once complete, a further delivery does nothing
    expect((await processor(eventFor(bucket, uploadKey))).results[0]).toMatchObject({ status: 'skipped', reason: 'derivatives exist' });
  });

  it('the Lambda decodes keys, ignores its own outputs and marks a bad original failed without throwing', async () => {
    const bucket = stack.config.names.dataBucket;
    const processor = createImageProcessor({ store, config: stack.config, log: memoryLog(), bucket });
    // an original put in S3 by hand, under a name with spaces and accents (the event key is form-encoded)
    const key = `images/${patientId}/raio x de João/original.jpg`;
    await store.put(key, await photoJpeg(500, 400, 9), { contentType: 'image/jpeg' });
    const done = await processor(eventFor(bucket, key));
    expect(done.results[0]).toMatchObject({ status: 'processed', key });
    expect(await store.head(`images/${patientId}/raio x de João/display.webp`)).toBeDefined();
    const record = (await store.getJson<ImageRecord>(`images/${patientId}/raio x de João/image.json`))!.value;
    expect(record).toMatchObject({ status: 'ready', importedBy: 'lambda:image-processor', original: { width: 500, height: 400 } });

    // its own outputs raise events too: all ignored
    const outputs = await processor({
      Records: ['display.webp', 'thumb.webp', 'shared.webp', 'image.json', 'failed.json'].map((f) => ({
        eventName: 'ObjectCreated:Put',
        s3: { bucket: { name: bucket }, object: { key: encodeEventKey(`images/${patientId}/raio x de João/${f}`) } },
      })),
    });
    expect(outputs).toMatchObject({ processed: 0, skipped: 5 });
    expect((await processor(eventFor('another-bucket', key))).skipped).toBe(1);

    // a truncated original: a failure marker, logged with its key, no exception, and not retried
    const log = memoryLog();
    const careful = createImageProcessor({ store, config: stack.config, log, bucket });
    const bad = `images/${patientId}/I-20260101-broken01/original.jpg`;
    await store.put(bad, await truncatedJpeg(), { contentType: 'image/jpeg' });
    const failed = await careful(eventFor(bucket, bad));
    expect(failed.results[0]).toMatchObject({ status: 'failed', reason: expect.stringMatching(/truncated/) });
    expect(log.entries.find((e) => e.level === 'warn')?.data).toMatchObject({ key: bad });
    expect((await store.getJson<{ reason: string }>(failureKey(patientId, 'I-20260101-broken01')))!.value.reason).toMatch(/truncated/);
    expect((await careful(eventFor(bucket, bad))).results[0]).toMatchObject({ status: 'skipped', reason: 'already marked failed' });

    // the deployed entry point: settings from the environment (as deploy sets them), the same outcome
    const { runtimeEnv } = await import('../../src/config/runtime.js');
    const { handler } = await import('../../src/lambdas/image-processor.js');
    const env = runtimeEnv(stack.config, { s3Endpoint: stack.s3.endpoint });
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      const viaEnv = `images/${patientId}/I-20260101-viaenv01/original.jpg`;
      await store.put(viaEnv, await photoJpeg(300, 300, 13), { contentType: 'image/jpeg' });
      expect((await handler(eventFor(bucket, viaEnv))).results[0]).toMatchObject({ status: 'processed' });
      expect(await store.head(`images/${patientId}/I-20260101-viaenv01/shared.webp`)).toBeDefined();
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }

    const listed = await listImages(store, patientId);
    expect(listed.find((i) => i.id === 'I-20260101-broken01')).toMatchObject({ status: 'failed', failure: { reason: expect.stringMatching(/truncated/) } });
    expect(listed.find((i) => i.id === 'raio x de João')).toMatchObject({ status: 'ready' });
  });
});

describe('clinica dev runs the image-processor on the local S3 events', () => {
  const stack = useTestStack({ withComponents: true });

  it('an original uploaded without the CLI (as by the staff page) gets its derivatives', async () => {
    const store = stack.dataStore;
    const patientId = (await createPatient(store, { fullName: 'Bruno Teste', birthDate: '1985-01-20' }, 'test')).id;
    const key = `images/${patientId}/I-20260101-staffup1/original.png`;
    const { default: sharp } = await import('sharp');
    await store.put(key, await sharp(await photoJpeg(300, 200, 4)).png().toBuffer(), { contentType: 'image/png' });
    // the processor writes the derivatives, then completes the record: wait for the record, the last write
    const deadline = Date.now() + 20_000;
    let listed = await listImages(store, patientId);
    while (listed[0]?.status !== 'ready' && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      listed = await listImages(store, patientId);
    }
    expect(await store.head(`images/${patientId}/I-20260101-staffup1/shared.webp`)).toBeDefined();
    expect(listed).toMatchObject([{ id: 'I-20260101-staffup1', status: 'ready', has: { original: true, display: true, thumb: true, shared: true } }]);
  });
});

describe('clinica dev --demo images', () => {
  const stack = useTestStack();

  it('seeds a radiograph and a photo for the demo patients, once', async () => {
    const { demoClinicSeeder } = await import('../../src/local/demo-clinic.js');
    const { demoImagesSeeder } = await import('../../src/local/demo-images.js');
    const now = new Date();
    await demoClinicSeeder.seed(stack, now);
    expect((await demoImagesSeeder.seed(stack, now)).summary).toBe('3 images (3 new)');
    expect((await demoImagesSeeder.seed(stack, now)).summary).toBe('3 images (already there)');
    const records = (await keysUnder(stack.dataStore, 'images/')).filter((k) => k.endsWith('image.json'));
    expect(records).toHaveLength(3);
    const radiograph = (await Promise.all(records.map(async (k) => (await stack.dataStore.getJson<ImageRecord>(k))!.value))).find((r) => r.kind === 'radiograph')!;
    expect(radiograph.original).toMatchObject({ format: 'png', bitDepth: 16 });
  });
});
