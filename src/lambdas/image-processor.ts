/**
 * The image-processor Lambda: S3 ObjectCreated events on the data bucket → the derivatives of each new
 * original (display, thumb, and the watermarked shared copy), with the same pipeline and watermark as
 * `clinica upload`. In `clinica dev` the same processor runs on the local S3 server's events
 * (src/local/image-processor.ts).
 *
 * - Keys arrive form-encoded ("+" for a space, %XX for the rest): decoded before use.
 * - Only images/{patient}/{image}/original.* is processed: the derivatives, records and markers it writes
 *   raise events of their own, and those are ignored (no recursion).
 * - Idempotent: an original whose display and thumb exist (the CLI made them before uploading it, or an
 *   earlier delivery did) is skipped, and so is one with a failure marker — unless its record still says
 *   "processing" (a delivery that died between the derivatives and the record): that one is finished.
 * - A bad image is logged with its key and leaves images/…/failed.json; it never throws, so Lambda does not
 *   retry it. Only infrastructure errors (S3 unreachable) are thrown, for Lambda's own bounded retries.
 *
 * No terminal code here: this file and what it imports are bundled for Lambda.
 */
import type { Config } from '../config/schema.js';
import {
  completeProcessedRecord,
  failureKey,
  loadWatermarkLogo,
  markImageFailed,
  originalFacts,
  parseImageKey,
  recordForUnannouncedOriginal,
  recordKey,
  variantKey,
  watermarkFor,
  writeDerivatives,
  type ImageRecord,
} from '../clinic/images.js';
import { jsonLinesLog, type Log } from '../log.js';
import type { Store } from '../store/store.js';
import { ImageRejected, sha256 } from '../imaging/inspect.js';
import { processImage } from '../imaging/pipeline.js';

/** The parts of an S3 event record this handler reads. */
export interface S3EventRecordLike {
  eventName?: string;
  s3: { bucket: { name: string }; object: { key: string; size?: number } };
}

export interface S3EventLike {
  Records?: S3EventRecordLike[];
}

export type RecordOutcome =
  | { key: string; status: 'processed'; imageId: string }
  | { key: string; status: 'skipped'; reason: string }
  | { key: string; status: 'failed'; reason: string };

export interface ProcessorSummary {
  processed: number;
  skipped: number;
  failed: number;
  results: RecordOutcome[];
}

export interface ProcessorDeps {
  store: Store;
  config: Pick<Config, 'clinic' | 'images'>;
  log: Log;
  /** the data bucket's name; events from other buckets are ignored */
  bucket: string;
  now?: () => Date;
}

/** S3 event keys are form-encoded: "+" is a space, then percent-decoding. */
export function decodeEventKey(key: string): string {
  const spaced = key.replace(/\+/g, ' ');
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced; // a stray "%" that is not an escape: take the key as it is
  }
}

/** The processor over explicit dependencies (the Lambda handler and the local twin both use it). */
export function createImageProcessor(deps: ProcessorDeps): (event: S3EventLike) => Promise<ProcessorSummary> {
  const { store, config, log } = deps;
  const now = deps.now ?? (() => new Date());

  async function processRecord(record: S3EventRecordLike): Promise<RecordOutcome> {
    const key = decodeEventKey(record.s3.object.key);
    if (record.s3.bucket.name !== deps.bucket) return { key, status: 'skipped', reason: `not the data bucket (${record.s3.bucket.name})` };
    if (record.eventName && !record.eventName.startsWith('ObjectCreated')) return { key, status: 'skipped', reason: `not a creation (${record.eventName})` };
    const parsed = parseImageKey(key);
    if (!parsed || parsed.name !== 'original' || !parsed.format) return { key, status: 'skipped', reason: 'not an original' };
    const { patientId, imageId, format } = parsed;

    const [display, thumb, failed, stored] = await Promise.all([
      store.head(variantKey(patientId, imageId, 'display')),
      store.head(variantKey(patientId, imageId, 'thumb')),
      store.head(failureKey(patientId, imageId)),
      store.getJson<ImageRecord>(recordKey(patientId, imageId)),
    ]);
    if (failed) return { key, status: 'skipped', reason: 'already marked failed' };
    // Derivatives without a record: the CLI made them and writes its record next (completing it here would
    // race it). A record still "processing" (a staff upload) means an earlier delivery wrote the derivatives
    // and died before completing it: that one is finished now, with the same bytes.
    if (display && thumb && stored?.value.status !== 'processing') return { key, status: 'skipped', reason: 'derivatives exist' };

    const bytes = await store.getBytes(key);
    if (!bytes) return { key, status: 'skipped', reason: 'the original is gone' };
    const base: ImageRecord = stored?.value ?? recordForUnannouncedOriginal(key, patientId, imageId, format, now());
    const logo = config.images.watermark.logo ? await loadWatermarkLogo(store) : undefined;
    const watermark = base.watermark === false ? undefined : watermarkFor(config, base, logo);

    let processed;
    try {
      processed = await processImage(bytes, { maxPixels: config.images.maxPixels, watermark });
    } catch (err) {
      // processImage touches no storage: whatever it throws is about this image, and retrying cannot help
      const reason = err instanceof ImageRejected ? err.message : `processing failed: ${(err as Error)?.message ?? String(err)}`;
      log.warn('image rejected', { key, reason });
      const code = err instanceof ImageRejected ? { code: err.reason, params: err.params } : { code: 'processing-failed' };
      await markImageFailed(store, { patientId, imageId, key }, reason, now(), code);
      return { key, status: 'failed', reason };
    }
    const variants = await writeDerivatives(store, patientId, imageId, processed);
    await completeProcessedRecord(
      store,
      base,
      { ...originalFacts(processed.info, sha256(bytes)), size: bytes.byteLength },
      variants,
      now(),
    );
    if (processed.info.animated) log.warn('animated image: the copies show its first frame', { key, frames: processed.info.pages });
    log.info('image processed', { key, imageId, variants: Object.keys(variants), ...(processed.info.pages > 1 ? { pages: processed.info.pages } : {}) });
    return { key, status: 'processed', imageId };
  }

  return async (event) => {
    const summary: ProcessorSummary = { processed: 0, skipped: 0, failed: 0, results: [] };
    // one at a time: a Lambda invocation gets one or a few records, and the pipeline is sized for one image
    for (const record of event.Records ?? []) {
      const outcome = await processRecord(record);
      summary[outcome.status]++;
      summary.results.push(outcome);
      if (outcome.status === 'skipped') log.debug('skipped', { key: outcome.key, reason: outcome.reason });
    }
    return summary;
  };
}

let processor: Promise<(event: S3EventLike) => Promise<ProcessorSummary>> | undefined;

/** The Lambda entry point: settings from the environment (src/config/runtime.ts), clients from the factory. */
export async function handler(event: S3EventLike): Promise<ProcessorSummary> {
  processor ??= (async () => {
    const [{ settingsFromEnv }, { s3Client }, { Store }] = await Promise.all([
      import('../config/runtime.js'),
      import('../aws/clients.js'),
      import('../store/store.js'),
    ]);
    const settings = settingsFromEnv();
    const store = new Store(await s3Client(settings.target), settings.dataBucket);
    return createImageProcessor({ store, config: settings.config, log: jsonLinesLog(), bucket: settings.dataBucket });
  })();
  processor.catch(() => (processor = undefined)); // a bad environment is reported on every invocation, not cached
  return (await processor)(event);
}
