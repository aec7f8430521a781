/**
 * Where pixels meet records: one image into the clinic's bucket — hash, dedupe check, the sharp pipeline,
 * then clinic/images.ts storeImage (claim → derivatives → original → record). `clinica upload` (single and
 * bulk) goes through here; the image-processor Lambda uses the same processImage + watermarkFor, so the CLI's
 * derivatives are the ones the Lambda would have made.
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import type { Config } from '../config/schema.js';
import { ClinicaError } from '../errors.js';
import {
  originalFacts,
  publishWatermarkLogo,
  type ClaimIndex,
  readHashClaim,
  storeImage,
  watermarkFor,
  type ImageMetadata,
} from '../clinic/images.js';
import type { Store } from '../store/store.js';
import { ImageRejected, inspectImage, sha256, type ImageInfo } from '../imaging/inspect.js';

export interface ImportSettings {
  store: Store;
  config: Pick<Config, 'clinic' | 'images'>;
  actor: string;
  /** identifies this run in hash claims (a second file with the same bytes in one run is a duplicate) */
  runId: string;
  /** the watermark logo's bytes (loadLogo) */
  logo?: Uint8Array;
  /** list what would happen; write nothing */
  dryRun?: boolean;
  /**
   * In a dry run, the bytes this run would import already ("patient|sha256" → file): nothing is claimed in the
   * bucket, so a second file with the same bytes is found here and listed as a duplicate, as the real run would.
   */
  planned?: Map<string, string>;
  /** the claims listed once per patient (a bulk run): a file whose bytes are not among them is new without a read */
  claims?: ClaimIndex;
  /** runs the CPU-bound part (the bulk scheduler limits how many images are in the pipeline at once) */
  limitCpu?: <T>(fn: () => Promise<T>) => Promise<T>;
  /**
   * Called once an image's record is stored and before its claim is marked done (storeImage's beforeDone):
   * the bulk run writes the import's audit entry here, so a run that dies leaves the claim pending and the
   * next run, completing the image, writes the entry then — it is never lost.
   */
  onStored?: (input: ImportInput, stored: { imageId: string; resumed: boolean }) => Promise<void>;
}

export interface ImportInput {
  patientId: string;
  bytes: Uint8Array;
  fileName?: string;
  /** the file as shown to the person (a bulk import's relative path); fileName otherwise */
  file?: string;
  metadata: ImageMetadata;
  /** make the watermarked shared copy (default true) */
  watermark?: boolean;
}

export type ImportOutcome =
  | { status: 'imported'; imageId: string; resumed: boolean; sha256: string; width: number; height: number; pages: number; animated: boolean }
  | { status: 'duplicate'; imageId: string; sha256: string }
  /** a dry run's second file with the same bytes as `sameAs`, earlier in the run */
  | { status: 'duplicate'; sameAs: string; sha256: string }
  | { status: 'would-import'; sha256: string; info: ImageInfo }
  | { status: 'rejected'; reason: string; sha256?: string };

/**
 * The outcome for bytes this patient already has as an image (or that this run is importing already, from
 * another file), read from the hash claim; undefined when they are new.
 */
export async function findDuplicate(settings: Pick<ImportSettings, 'store' | 'runId' | 'claims'>, patientId: string, hash: string): Promise<ImportOutcome | undefined> {
  if (settings.claims && !(await settings.claims.mayHave(patientId, hash))) return undefined;
  const existing = await readHashClaim(settings.store, patientId, hash);
  if (existing && (existing.state === 'done' || existing.runId === settings.runId)) return { status: 'duplicate', imageId: existing.imageId, sha256: hash };
  return undefined;
}

/** An image's fate before anything is written: new (to import), or settled (empty, a duplicate). */
export type ImagePlan = { fate: 'new'; hash: string } | { fate: 'settled'; outcome: ImportOutcome };

/**
 * The plan for one image: nothing is written. Empty bytes are rejected; bytes this patient has already (or
 * that this run imports from another file) are a duplicate; anything else is new. A dry run remembers the
 * bytes it plans (`planned`): nothing is claimed in the bucket, so a second file with the same bytes is found
 * there and listed as a duplicate, as the real run would.
 */
export async function planImage(settings: Pick<ImportSettings, 'store' | 'runId' | 'dryRun' | 'planned' | 'claims'>, input: ImportInput): Promise<ImagePlan> {
  if (input.bytes.byteLength === 0) return { fate: 'settled', outcome: { status: 'rejected', reason: 'the file is empty' } };
  const hash = sha256(input.bytes);
  const duplicate = await findDuplicate(settings, input.patientId, hash);
  if (duplicate) return { fate: 'settled', outcome: duplicate };
  if (settings.dryRun && settings.planned) {
    const key = `${input.patientId}|${hash}`;
    const first = settings.planned.get(key);
    if (first !== undefined) return { fate: 'settled', outcome: { status: 'duplicate', sameAs: first, sha256: hash } };
    settings.planned.set(key, input.file ?? input.fileName ?? '');
  }
  await settings.claims?.note(input.patientId, hash);
  return { fate: 'new', hash };
}

/**
 * Applies the plan of a new image: the sharp pipeline, then clinic/images.ts storeImage. A dry run decodes it
 * to the end instead (a truncated file is listed as failing, not as importable) and writes nothing.
 * Rejections (not an image, truncated, too large, …) come back as an outcome; store and network errors are thrown.
 */
export async function applyImage(settings: ImportSettings, input: ImportInput, hash: string): Promise<ImportOutcome> {
  const run = settings.limitCpu ?? ((fn) => fn());
  try {
    if (settings.dryRun) {
      const { verifyImage } = await import('../imaging/pipeline.js');
      const info = await run(() => verifyImage(input.bytes, { maxPixels: settings.config.images.maxPixels }));
      return { status: 'would-import', sha256: hash, info };
    }
    return await processAndStore(settings, input, hash, run);
  } catch (err) {
    if (err instanceof ImageRejected) return { status: 'rejected', reason: err.message, sha256: hash };
    throw err;
  }
}

/** Imports one image: its plan, then (when new) its application. */
export async function importImage(settings: ImportSettings, input: ImportInput): Promise<ImportOutcome> {
  const plan = await planImage(settings, input);
  return plan.fate === 'settled' ? plan.outcome : applyImage(settings, input, plan.hash);
}

/** The derivatives (watermarked unless --no-watermark), then the stored original and its record. */
async function processAndStore(settings: ImportSettings, input: ImportInput, hash: string, run: <T>(fn: () => Promise<T>) => Promise<T>): Promise<ImportOutcome> {
  const { store, config } = settings;
  const now = new Date();
  const watermark =
    input.watermark === false
      ? undefined
      : watermarkFor(config, { patientId: input.patientId, takenAt: input.metadata.takenAt, importedAt: now.toISOString() }, settings.logo);
  // loaded on the first image to process: a re-run that finds only duplicates never loads the font code
  const { processImage } = await import('../imaging/pipeline.js');
  const processed = await run(() => processImage(input.bytes, { maxPixels: config.images.maxPixels, watermark }));
  const stored = await storeImage(store, {
    patientId: input.patientId,
    bytes: input.bytes,
    original: originalFacts(processed.info, hash, input.fileName),
    derivatives: processed,
    metadata: input.metadata,
    actor: settings.actor,
    runId: settings.runId,
    now,
    beforeDone: settings.onStored && ((record, resumed) => settings.onStored!(input, { imageId: record.id, resumed })),
  });
  if (stored.outcome === 'duplicate') return { status: 'duplicate', imageId: stored.imageId, sha256: hash };
  return {
    status: 'imported',
    imageId: stored.record.id,
    resumed: stored.resumed,
    sha256: hash,
    width: processed.info.orientedWidth,
    height: processed.info.orientedHeight,
    pages: processed.info.pages,
    animated: processed.info.animated,
  };
}

/**
 * The configured watermark logo (images.watermark.logo, a PNG path relative to the config's folder), read
 * and published to the bucket for the Lambda. Undefined when none is configured.
 */
export async function loadLogo(
  config: Pick<Config, 'images'> & { projectDir: string },
  store: Store | undefined,
): Promise<Uint8Array | undefined> {
  const path = config.images.watermark.logo;
  if (!path) return undefined;
  const full = isAbsolute(path) ? path : resolve(config.projectDir, path);
  let bytes: Buffer;
  try {
    bytes = await readFile(full);
  } catch (err) {
    throw new ClinicaError('config', `images.watermark.logo: cannot read ${full} (${(err as NodeJS.ErrnoException).code ?? 'error'})`, {
      field: 'images.watermark.logo',
      hint: 'point it at a PNG file, relative to clinica.config.json',
      cause: err,
    });
  }
  const info = await inspectImage(bytes, { maxPixels: 4_000_000 }).catch((err: unknown) => {
    throw new ClinicaError('config', `images.watermark.logo: ${full} is not usable (${(err as Error).message})`, { field: 'images.watermark.logo' });
  });
  if (info.format !== 'png') throw new ClinicaError('config', `images.watermark.logo: ${full} must be a PNG (it is ${info.format.toUpperCase()})`, { field: 'images.watermark.logo' });
  if (store) await publishWatermarkLogo(store, bytes, sha256(bytes));
  return bytes;
}
