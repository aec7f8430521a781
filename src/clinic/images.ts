/**
 * Patient images as records (the pixels are imaging/'s job). Layout in the private bucket:
 *
 *   images/{patientId}/{imageId}/original.{jpg|png|tif|webp}   byte for byte as imported (clinical record)
 *   images/{patientId}/{imageId}/{display|thumb|shared}.webp  derivatives made by the pipeline
 *   images/{patientId}/{imageId}/image.json                   the ImageRecord (written last: "it exists")
 *   images/{patientId}/{imageId}/failed.json                  failure marker: the original could not be processed
 *   image-hashes/{patientId}/{sha256}.json                    dedupe claim { imageId, state }, If-None-Match: *
 *   image-ids/{imageId}.json                                  { patientId }: finds an image by its id alone
 *   settings/watermark-logo.png                               the logo, for the Lambda (it has no config folder)
 *
 * An import writes the derivatives, then the original, then the record, then marks its claim done. The
 * claim is created before any of those with If-None-Match: *, so two imports of the same content for the same
 * patient (concurrent, or a re-run after a killed one) end with one image: the second one either sees a done
 * claim (and skips) or adopts the pending claim's image id (and rewrites the same objects, identical bytes).
 * The image-processor Lambda reacts to originals only, and skips those whose display and thumb exist — which
 * is why the derivatives go up before the original.
 */
import { createHash } from 'node:crypto';
import { ClinicaError, conflict, isClinicaError, notFound, usageError } from '../errors.js';
import type { ImageFormat, ImageInfo } from '../imaging/inspect.js';
import type { Variant } from '../imaging/pipeline.js';
import type { WatermarkOptions } from '../imaging/watermark.js';
import type { Config } from '../config/schema.js';
import type { Store } from '../store/store.js';
import { audit } from './audit.js';
import { refuseControlCharacters } from './text.js';
import { mapLimit } from '../map-limit.js';
import { randomId } from '../random-id.js';
import { localParts, parseDate } from './time.js';

export const imageKinds = ['radiograph', 'photo', 'document'] as const;
export type ImageKind = (typeof imageKinds)[number];
export const imageStatuses = ['processing', 'ready', 'failed'] as const;
export type ImageStatus = (typeof imageStatuses)[number];
/** what `images get --variant` takes */
export const imageVariants = ['original', 'display', 'thumb', 'shared'] as const;
export type ImageVariant = (typeof imageVariants)[number];

export const IMAGES_PREFIX = 'images/';
export const IMAGE_HASHES_PREFIX = 'image-hashes/';
export const IMAGE_IDS_PREFIX = 'image-ids/';
export const WATERMARK_LOGO_KEY = 'settings/watermark-logo.png';

const EXTENSIONS: Record<ImageFormat, string> = { jpeg: 'jpg', png: 'png', tiff: 'tif', webp: 'webp' };
const CONTENT_TYPES: Record<ImageFormat, string> = { jpeg: 'image/jpeg', png: 'image/png', tiff: 'image/tiff', webp: 'image/webp' };
const FORMAT_OF_EXTENSION: Record<string, ImageFormat> = { jpg: 'jpeg', png: 'png', tif: 'tiff', webp: 'webp' };

export interface StoredVariant {
  key: string;
  width: number;
  height: number;
  size: number;
}

/** What reading an original tells: its format, content hash and size as displayed. */
export interface OriginalFacts {
  format: ImageFormat;
  sha256: string;
  /** as displayed (after EXIF orientation) */
  width: number;
  height: number;
  bitDepth: 8 | 16;
  /** pages of a multi-page TIFF (all shown, one under the other, in the copies) or frames of an animated WebP
   * (the copies show the first); absent for one */
  pages?: number;
  animated?: boolean;
  /** the file's name as imported ("pano 2024.tif") */
  fileName?: string;
}

/** The record's original: its facts, where it is kept and how many bytes it has. */
export interface StoredOriginal extends OriginalFacts {
  key: string;
  contentType: string;
  /** bytes */
  size: number;
}

export interface ImageRecord {
  /** "I-20261201-k3f9q2mx" (the import's UTC date and a random part) */
  id: string;
  patientId: string;
  kind: ImageKind;
  status: ImageStatus;
  original: StoredOriginal;
  /** when the image was taken: YYYY-MM-DD, or an ISO instant */
  takenAt?: string;
  /** FDI tooth numbers shown (11–48 permanent, 51–85 primary), ascending */
  teeth: number[];
  notes?: string;
  /** whether a watermarked `shared` copy is made */
  watermark: boolean;
  variants: Partial<Record<Variant, StoredVariant>>;
  failure?: ImageFailure;
  /** set when the same bytes already were another image of this patient (uploads that bypass the CLI) */
  duplicateOf?: string;
  importedAt: string;
  /** the actor ("cli:user@host", "staff:<id>", "lambda:image-processor") */
  importedBy: string;
  updatedAt: string;
}

/** What a caller says about an image being imported. */
export interface ImageMetadataInput {
  kind?: string;
  /** "11,21" or [11, 21] */
  teeth?: string | number[];
  takenAt?: string;
  notes?: string;
}

export interface ImageMetadata {
  kind: ImageKind;
  teeth: number[];
  takenAt?: string;
  notes?: string;
}

export interface HashClaim {
  imageId: string;
  patientId: string;
  sha256: string;
  state: 'pending' | 'done';
  /** the import run that made the claim (a run meeting its own pending claim is looking at a duplicate file) */
  runId?: string;
  claimedAt: string;
}

export interface ImageKey {
  patientId: string;
  imageId: string;
  /** "original", or a variant */
  name: 'original' | Variant | 'record' | 'failed';
  format?: ImageFormat;
}

// ------------------------------------------------------------------------------------------- keys

export const imagePrefix = (patientId: string, imageId: string) => `${IMAGES_PREFIX}${patientId}/${imageId}/`;
export const originalKey = (patientId: string, imageId: string, format: ImageFormat) => `${imagePrefix(patientId, imageId)}original.${EXTENSIONS[format]}`;
export const variantKey = (patientId: string, imageId: string, variant: Variant) => `${imagePrefix(patientId, imageId)}${variant}.webp`;
export const recordKey = (patientId: string, imageId: string) => `${imagePrefix(patientId, imageId)}image.json`;
export const failureKey = (patientId: string, imageId: string) => `${imagePrefix(patientId, imageId)}failed.json`;
export const hashClaimKey = (patientId: string, sha256: string) => `${IMAGE_HASHES_PREFIX}${patientId}/${sha256}.json`;
export const imageIdKey = (imageId: string) => `${IMAGE_IDS_PREFIX}${imageId}.json`;
export const formatExtension = (format: ImageFormat) => EXTENSIONS[format];
export const formatContentType = (format: ImageFormat) => CONTENT_TYPES[format];

// ids clinica makes are plain (P-000123, I-20261201-k3f9q2mx); a hand-made upload may have spaces or accents
const SEGMENT = /^(?!\.\.?$)[^/]{1,200}$/;
const KEY = /^images\/([^/]+)\/([^/]+)\/(original\.(jpg|png|tif|webp)|(display|thumb|shared)\.webp|image\.json|failed\.json)$/;

/** What an object key under images/ is, or undefined for anything else (a stray upload, another prefix). */
export function parseImageKey(key: string): ImageKey | undefined {
  const m = KEY.exec(key);
  if (!m || !SEGMENT.test(m[1]!) || !SEGMENT.test(m[2]!)) return undefined;
  const [, patientId, imageId, file, ext, variant] = m;
  if (ext) return { patientId: patientId!, imageId: imageId!, name: 'original', format: FORMAT_OF_EXTENSION[ext] };
  if (variant) return { patientId: patientId!, imageId: imageId!, name: variant as Variant };
  return { patientId: patientId!, imageId: imageId!, name: file === 'image.json' ? 'record' : 'failed' };
}

/** A new image id: "I-20261201-k3f9q2mx". */
export function newImageId(now = new Date()): string {
  return `I-${now.toISOString().slice(0, 10).replace(/-/g, '')}-${randomId(8)}`;
}

export function isImageId(text: string): boolean {
  return /^I-\d{8}-[a-z0-9]{4,16}$/.test(text);
}

/** An image id as a person types it ("i-20261201-K3F9Q2MX", read off a printout) in its stored form; other text as is. */
export function normalizeImageId(text: string): string {
  const m = /^i-(\d{8})-([a-z0-9]{4,16})$/i.exec(text.trim());
  return m ? `I-${m[1]}-${m[2]!.toLowerCase()}` : text.trim();
}

// ------------------------------------------------------------------------------------------- validation

/** FDI two-digit notation: quadrants 1–4 (permanent, teeth 1–8) and 5–8 (primary, teeth 1–5). */
export function isFdiTooth(n: number): boolean {
  if (!Number.isInteger(n)) return false;
  const quadrant = Math.floor(n / 10);
  const tooth = n % 10;
  if (quadrant >= 1 && quadrant <= 4) return tooth >= 1 && tooth <= 8;
  if (quadrant >= 5 && quadrant <= 8) return tooth >= 1 && tooth <= 5;
  return false;
}

/** "11,21" / "11 21" / [11, 21] → [11, 21], sorted, without repeats; a usage error names a bad tooth. */
export function parseTeeth(input: string | number[] | undefined, field = 'teeth'): number[] {
  if (input === undefined) return [];
  const parts = Array.isArray(input) ? input.map(String) : input.split(/[\s,;]+/).filter(Boolean);
  const teeth = new Set<number>();
  for (const part of parts) {
    const n = /^\d{2}$/.test(part.trim()) ? Number(part) : NaN;
    if (!isFdiTooth(n)) {
      throw usageError(
        `${field}: "${part}" is not a tooth in FDI notation (11–18, 21–28, 31–38, 41–48 permanent; 51–55, 61–65, 71–75, 81–85 primary)`,
        { field, reason: 'tooth-invalid', params: { value: part } },
      );
    }
    teeth.add(n);
  }
  return [...teeth].sort((a, b) => a - b);
}

export function parseImageKind(text: string | undefined, field = 'kind'): ImageKind {
  if (text === undefined || text.trim() === '') return 'photo';
  const words: Record<string, ImageKind> = {
    radiograph: 'radiograph', xray: 'radiograph', 'x-ray': 'radiograph', rx: 'radiograph', radiografia: 'radiograph',
    photo: 'photo', foto: 'photo', fotografia: 'photo',
    document: 'document', documento: 'document', doc: 'document',
  };
  const kind = words[text.trim().toLowerCase()];
  if (!kind) throw usageError(`${field}: "${text}" is not one of ${imageKinds.join(', ')}`, { field, reason: 'not-one-of', params: { allowed: imageKinds.join(', ') } });
  return kind;
}

/**
 * A date ("2024-05-01", "01/05/2024") or an ISO instant with offset or Z — not in the future (a typo such as
 * 2042 for 2024 would otherwise enter the record and the watermark). A day of slack covers every time zone.
 */
export function parseTakenAt(text: string | undefined, field = 'takenAt', now = new Date()): string | undefined {
  if (text === undefined || text.trim() === '') return undefined;
  const raw = text.trim();
  const instant = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw) && !Number.isNaN(Date.parse(raw));
  const value = instant ? raw : parseDate(raw, field);
  const latest = new Date(now.getTime() + 86_400_000);
  if (instant ? Date.parse(raw) > latest.getTime() : value > latest.toISOString().slice(0, 10)) {
    throw usageError(`${field}: ${raw} is in the future`, { field, hint: 'give the day the image was taken', reason: 'date-future' });
  }
  return value;
}

export function validateImageMetadata(input: ImageMetadataInput): ImageMetadata {
  const notes = typeof input.notes === 'string' ? refuseControlCharacters(input.notes, 'notes').replace(/\s+/g, ' ').trim() : undefined;
  if (notes && notes.length > 2000) throw usageError('notes: at most 2000 characters', { field: 'notes' });
  return {
    kind: parseImageKind(input.kind),
    teeth: parseTeeth(input.teeth),
    takenAt: parseTakenAt(input.takenAt),
    ...(notes ? { notes } : {}),
  };
}

// ------------------------------------------------------------------------------------------- watermark

/**
 * The watermark for an image's shared copy, from the config and the record: the same inputs on the CLI and
 * in the Lambda, so the same pixels. "{date}" is the day the image was taken, else the day it was imported
 * (clinic time), written the clinic's way (pt-BR: 01/05/2024; en: 2024-05-01).
 */
export function watermarkFor(
  config: Pick<Config, 'clinic' | 'images'>,
  image: Pick<ImageRecord, 'patientId' | 'takenAt' | 'importedAt'>,
  logo?: Uint8Array,
): WatermarkOptions {
  const w = config.images.watermark;
  const day = image.takenAt && /^\d{4}-\d{2}-\d{2}$/.test(image.takenAt)
    ? image.takenAt
    : localParts(new Date(image.takenAt ?? image.importedAt), config.clinic.timeZone).date;
  const [y, m, d] = day.split('-');
  const date = config.clinic.locale === 'pt-BR' ? `${d}/${m}/${y}` : day;
  const text = w.text
    .replace(/\{(clinic|patient|date)\}/g, (_, name: string) => (name === 'clinic' ? config.clinic.name : name === 'patient' ? image.patientId : date))
    .normalize('NFC')
    .replace(/\s+/g, ' ')
    .trim();
  return { text, position: w.position, opacity: w.opacity, size: w.size, ...(logo && w.logo ? { logo } : {}) };
}

/** Puts the logo where the Lambda finds it, if it is not there already with these bytes. */
export async function publishWatermarkLogo(store: Store, logo: Uint8Array, sha256: string): Promise<void> {
  const head = await store.head(WATERMARK_LOGO_KEY);
  if (head?.metadata.sha256 === sha256) return;
  await store.put(WATERMARK_LOGO_KEY, Buffer.from(logo), { contentType: 'image/png', metadata: { sha256 } });
}

export async function loadWatermarkLogo(store: Store): Promise<Buffer | undefined> {
  return store.getBytes(WATERMARK_LOGO_KEY);
}

// ------------------------------------------------------------------------------------------- claims

export async function readHashClaim(store: Store, patientId: string, sha256: string): Promise<HashClaim | undefined> {
  return (await store.getJson<HashClaim>(hashClaimKey(patientId, sha256)))?.value;
}

/**
 * Which content hashes a patient has a claim for, from one listing of `image-hashes/{patientId}/` per patient
 * instead of a read per file: a bulk import of new images then asks the bucket once per patient, not once
 * per image, before deciding that bytes are new. Only a hash found here needs its claim read (done, or
 * pending from another run). The listing cannot see claims made after it (another run importing the same
 * bytes at the same moment); such a file is processed and then meets that claim in storeImage's conditional
 * write, which settles it as before — so this saves reads and never decides a duplicate on its own.
 * The last `keep` patients' listings are kept (a bulk import goes patient by patient).
 */
export class ClaimIndex {
  private readonly patients = new Map<string, Promise<Set<string>>>();

  constructor(
    private readonly store: Store,
    private readonly keep = 64,
  ) {}

  private claimed(patientId: string): Promise<Set<string>> {
    let hashes = this.patients.get(patientId);
    if (!hashes) {
      hashes = (async () => {
        const prefix = `${IMAGE_HASHES_PREFIX}${patientId}/`;
        const found = new Set<string>();
        for await (const o of this.store.list(prefix)) if (o.key.endsWith('.json')) found.add(o.key.slice(prefix.length, -'.json'.length));
        return found;
      })();
      hashes.catch(() => this.patients.delete(patientId)); // a failed listing is asked again (and thrown to its caller)
      this.patients.set(patientId, hashes);
      if (this.patients.size > this.keep) this.patients.delete(this.patients.keys().next().value!);
    }
    return hashes;
  }

  /** false when the patient had no claim on these bytes at the listing (nor did this run plan them since) */
  async mayHave(patientId: string, sha256: string): Promise<boolean> {
    return (await this.claimed(patientId)).has(sha256);
  }

  /** these bytes are about to be claimed by this run: a second file with them reads the claim */
  async note(patientId: string, sha256: string): Promise<void> {
    (await this.claimed(patientId)).add(sha256);
  }
}

/**
 * Claims these bytes for this patient under a new image id, or returns the claim already there. `created`
 * says which: only the creator of a claim (or whoever resumes a pending one) writes the image.
 */
export async function claimHash(
  store: Store,
  patientId: string,
  sha256: string,
  options: { runId?: string; now?: Date; imageId?: string } = {},
): Promise<{ claim: HashClaim; created: boolean }> {
  const now = options.now ?? new Date();
  const claim: HashClaim = { imageId: options.imageId ?? newImageId(now), patientId, sha256, state: 'pending', runId: options.runId, claimedAt: now.toISOString() };
  try {
    await store.putJson(hashClaimKey(patientId, sha256), claim, { ifNoneMatch: '*' });
    await store.putJson(imageIdKey(claim.imageId), { patientId, imageId: claim.imageId });
    return { claim, created: true };
  } catch (err) {
    if (!isClinicaError(err, 'conflict')) throw err;
    const existing = await readHashClaim(store, patientId, sha256);
    if (!existing) throw conflict(`the claim on ${sha256.slice(0, 12)}… for ${patientId} vanished while it was read`, { cause: err, hint: 'run the import again' });
    return { claim: existing, created: false };
  }
}

async function markClaimDone(store: Store, claim: HashClaim): Promise<void> {
  if (claim.state === 'done') return;
  await store.putJson(hashClaimKey(claim.patientId, claim.sha256), { ...claim, state: 'done' } satisfies HashClaim);
}

// ------------------------------------------------------------------------------------------- writing

export interface ProcessedDerivatives {
  display: { data: Uint8Array; width: number; height: number };
  thumb: { data: Uint8Array; width: number; height: number };
  shared?: { data: Uint8Array; width: number; height: number };
}

/** The record's page facts: only for a file with more than one page or frame. */
export function pageFacts(facts: { pages?: number; animated?: boolean }): { pages?: number; animated?: boolean } {
  if (!facts.pages || facts.pages < 2) return {};
  return { pages: facts.pages, ...(facts.animated ? { animated: true } : {}) };
}

/** The facts of an original as the pipeline read it (`info`), with its content hash. */
export function originalFacts(
  info: Pick<ImageInfo, 'format' | 'orientedWidth' | 'orientedHeight' | 'bitDepth' | 'pages' | 'animated'>,
  sha256: string,
  fileName?: string,
): OriginalFacts {
  return {
    format: info.format,
    sha256,
    width: info.orientedWidth,
    height: info.orientedHeight,
    bitDepth: info.bitDepth,
    pages: info.pages,
    animated: info.animated,
    ...(fileName ? { fileName } : {}),
  };
}

/** The record's original: `facts` of the `size` bytes kept at `key`. */
function storedOriginal(key: string, facts: OriginalFacts, size: number): StoredOriginal {
  return {
    key,
    format: facts.format,
    contentType: CONTENT_TYPES[facts.format],
    size,
    sha256: facts.sha256,
    width: facts.width,
    height: facts.height,
    bitDepth: facts.bitDepth,
    ...pageFacts(facts),
    ...(facts.fileName ? { fileName: facts.fileName } : {}),
  };
}

/** The record's original before the image-processor has read it: only where it goes and its format. */
function awaitedOriginal(key: string, format: ImageFormat, fileName?: string): StoredOriginal {
  return storedOriginal(key, { format, sha256: '', width: 0, height: 0, bitDepth: 8, fileName }, 0);
}

const DERIVATIVE_CACHE = 'private, max-age=31536000, immutable';

/** Writes the derivatives (in parallel) and returns what the record says about them. */
export async function writeDerivatives(store: Store, patientId: string, imageId: string, derivatives: ProcessedDerivatives): Promise<ImageRecord['variants']> {
  const variants: ImageRecord['variants'] = {};
  await Promise.all(
    (['display', 'thumb', 'shared'] as const).map(async (variant) => {
      const d = derivatives[variant];
      if (!d) return;
      const key = variantKey(patientId, imageId, variant);
      const body = Buffer.from(d.data.buffer, d.data.byteOffset, d.data.byteLength);
      // its SHA-256 is the signature's payload hash and S3's ChecksumSHA256: S3 checks the stored bytes, and the
      // SDK neither hashes the body again nor adds a CRC32 of its own (AWS)
      const sha256 = createHash('sha256').update(body).digest('hex');
      await store.put(key, body, { contentType: 'image/webp', cacheControl: DERIVATIVE_CACHE, sha256 });
      variants[variant] = { key, width: d.width, height: d.height, size: d.data.byteLength };
    }),
  );
  return variants;
}

export interface StoreImageInput {
  patientId: string;
  /** the original, byte for byte */
  bytes: Uint8Array;
  original: OriginalFacts;
  derivatives: ProcessedDerivatives;
  metadata: ImageMetadata;
  actor: string;
  /** identifies one import run (see HashClaim.runId) */
  runId?: string;
  now?: Date;
  /**
   * Runs once the record is stored and before the claim is marked done: what must not be lost when the run
   * dies (the import's audit entry) goes here. A run killed before it ends leaves a pending claim, which the
   * next run completes under the same image id — calling this again.
   */
  beforeDone?: (record: ImageRecord, resumed: boolean) => Promise<void>;
}

export type StoreImageResult =
  | { outcome: 'imported'; record: ImageRecord; resumed: boolean }
  | { outcome: 'duplicate'; imageId: string };

/**
 * Stores an image the caller has already processed (the CLI path): claim → derivatives → original → record →
 * `beforeDone` (the audit entry) → claim done. Safe to repeat: a re-run after a crash finishes the same image
 * id; a duplicate is not stored.
 */
export async function storeImage(store: Store, input: StoreImageInput): Promise<StoreImageResult> {
  const now = input.now ?? new Date();
  const { patientId, original } = input;
  const { claim, created } = await claimHash(store, patientId, original.sha256, { runId: input.runId, now });
  if (!created && (claim.state === 'done' || (input.runId !== undefined && claim.runId === input.runId))) {
    return { outcome: 'duplicate', imageId: claim.imageId };
  }
  const imageId = claim.imageId;
  if (!created) await store.putJson(imageIdKey(imageId), { patientId, imageId }); // resumed: the index may be missing
  const variants = await writeDerivatives(store, patientId, imageId, input.derivatives);
  const key = originalKey(patientId, imageId, original.format);
  const body = Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength);
  await store.put(key, body, { contentType: CONTENT_TYPES[original.format], metadata: { sha256: original.sha256 }, sha256: original.sha256 });
  const record: ImageRecord = {
    id: imageId,
    patientId,
    kind: input.metadata.kind,
    status: 'ready',
    original: storedOriginal(key, original, input.bytes.byteLength),
    ...(input.metadata.takenAt ? { takenAt: input.metadata.takenAt } : {}),
    teeth: input.metadata.teeth,
    ...(input.metadata.notes ? { notes: input.metadata.notes } : {}),
    watermark: Boolean(input.derivatives.shared),
    variants,
    importedAt: now.toISOString(), // the watermark's date comes from this (or takenAt): see watermarkFor
    importedBy: input.actor,
    updatedAt: now.toISOString(),
  };
  await store.putJson(recordKey(patientId, imageId), record);
  await input.beforeDone?.(record, !created);
  await markClaimDone(store, claim);
  return { outcome: 'imported', record, resumed: !created };
}

/**
 * The record a server upload starts with (status "processing"); the browser then PUTs the original to
 * `uploadKey` (a presigned URL) and the image-processor completes the record.
 */
export async function beginImageUpload(
  store: Store,
  input: { patientId: string; format: ImageFormat; metadata: ImageMetadata; actor: string; fileName?: string; watermark?: boolean; now?: Date },
): Promise<{ record: ImageRecord; uploadKey: string }> {
  const now = input.now ?? new Date();
  const imageId = newImageId(now);
  const key = originalKey(input.patientId, imageId, input.format);
  const record: ImageRecord = {
    id: imageId,
    patientId: input.patientId,
    kind: input.metadata.kind,
    status: 'processing',
    original: awaitedOriginal(key, input.format, input.fileName),
    ...(input.metadata.takenAt ? { takenAt: input.metadata.takenAt } : {}),
    teeth: input.metadata.teeth,
    ...(input.metadata.notes ? { notes: input.metadata.notes } : {}),
    watermark: input.watermark ?? true,
    variants: {},
    importedAt: now.toISOString(),
    importedBy: input.actor,
    updatedAt: now.toISOString(),
  };
  await store.putJson(imageIdKey(imageId), { patientId: input.patientId, imageId });
  await store.putJson(recordKey(input.patientId, imageId), record, { ifNoneMatch: '*' });
  return { record, uploadKey: key };
}

/** The record of an original that arrived without the CLI (a server upload, or a file put in S3 by hand). */
export function recordForUnannouncedOriginal(key: string, patientId: string, imageId: string, format: ImageFormat, now: Date): ImageRecord {
  return {
    id: imageId,
    patientId,
    kind: 'photo',
    status: 'processing',
    original: awaitedOriginal(key, format),
    teeth: [],
    watermark: true,
    variants: {},
    importedAt: now.toISOString(),
    importedBy: 'lambda:image-processor',
    updatedAt: now.toISOString(),
  };
}

/**
 * Completes a record after the image-processor made the derivatives of an original it found: the original's
 * facts, the variants, status ready. Claims the hash too (so a later CLI import of the same bytes is skipped);
 * if the bytes were already another image of the patient, the record says so (duplicateOf).
 */
export async function completeProcessedRecord(
  store: Store,
  record: ImageRecord,
  facts: OriginalFacts & { size: number },
  variants: ImageRecord['variants'],
  now = new Date(),
): Promise<ImageRecord> {
  const { claim, created } = await claimHash(store, record.patientId, facts.sha256, { now, imageId: record.id });
  const next: ImageRecord = {
    ...record,
    status: 'ready',
    original: { ...record.original, ...storedOriginal(record.original.key, facts, facts.size) },
    variants,
    updatedAt: now.toISOString(),
  };
  delete next.failure;
  if (!created && claim.imageId !== record.id) next.duplicateOf = claim.imageId;
  await store.putJson(recordKey(record.patientId, record.id), next);
  if (claim.imageId === record.id) await markClaimDone(store, claim);
  return next;
}

/** Leaves the failure marker (and marks the record failed, when there is one). Never throws for a missing record. */
export async function markImageFailed(
  store: Store,
  ids: { patientId: string; imageId: string; key: string },
  reason: string,
  now = new Date(),
  code?: { code?: string; params?: Record<string, string | number> },
): Promise<void> {
  const failure: ImageFailure = { reason, at: now.toISOString(), ...(code?.code ? { code: code.code } : {}), ...(code?.params ? { params: code.params } : {}) };
  await store.putJson(failureKey(ids.patientId, ids.imageId), { ...failure, key: ids.key });
  const current = await store.getJson<ImageRecord>(recordKey(ids.patientId, ids.imageId));
  if (current) {
    await store.putJson(recordKey(ids.patientId, ids.imageId), { ...current.value, status: 'failed', failure, updatedAt: failure.at } satisfies ImageRecord);
  }
}

/** Why an announced upload is failed when its file did not come (the page words it by the code). */
const NEVER_ARRIVED = { reason: 'the file never arrived (the upload was interrupted); upload it again', code: 'never-arrived' } as const;

/**
 * A server upload whose file the browser could not send (its PUT failed, the page was left): marked failed
 * now rather than after ABANDONED_UPLOAD_MS, so the page stops waiting for it. Nothing changes when the image
 * is no longer processing, or when its original has arrived after all (the processor decides then).
 * Returns the image's status after the call; 404 for an image this patient does not have.
 */
export async function abandonImageUpload(store: Store, patientId: string, imageId: string, actor: string, now = new Date()): Promise<ImageStatus> {
  const found = isImageId(imageId) ? await store.getJson<ImageRecord>(recordKey(patientId, imageId)) : undefined;
  if (!found) throw notFound(`patient ${patientId} has no image ${imageId}`, { field: 'image', reason: 'image-not-found', params: { id: imageId } });
  const record = found.value;
  if (record.status !== 'processing' || (await store.head(record.original.key))) return record.status;
  await markImageFailed(store, { patientId, imageId, key: record.original.key }, NEVER_ARRIVED.reason, now, { code: NEVER_ARRIVED.code });
  await audit(store, { actor, action: 'image.upload-failed', patientId, details: { imageId } }, now);
  return 'failed';
}

// ------------------------------------------------------------------------------------------- reading

export interface ImageListing {
  id: string;
  patientId: string;
  status: ImageStatus;
  /** the record, when there is one */
  record?: ImageRecord;
  failure?: ImageFailure;
  /** which objects exist */
  has: Partial<Record<ImageVariant, boolean>>;
}

/** Why an image failed: `reason` in English; `code` (+ `params`) stable, for a page to translate (see ImageRejected). */
export interface ImageFailure {
  reason: string;
  at: string;
  code?: string;
  params?: Record<string, string | number>;
}

/**
 * A server upload (beginImageUpload) whose original has not arrived this long after it was announced never
 * will (its presigned PUT is good for 15 minutes): it is listed as failed, so the page stops waiting for it.
 */
export const ABANDONED_UPLOAD_MS = 60 * 60_000;

/**
 * When an image was taken, as a sortable UTC text: takenAt (a day, or an instant made UTC), else the moment it
 * was imported (the best that is known), else its id's import day (an image whose record is not written yet).
 */
function takenSortKey(listing: { id: string; record?: ImageRecord }): string {
  const r = listing.record;
  const taken = r?.takenAt;
  if (taken) return /^\d{4}-\d{2}-\d{2}$/.test(taken) ? taken : new Date(taken).toISOString();
  if (r?.importedAt) return r.importedAt;
  const day = /^I-(\d{4})(\d{2})(\d{2})-/.exec(listing.id);
  return day ? `${day[1]}-${day[2]}-${day[3]}` : '';
}

/** Oldest first by the day taken, then by the moment imported, then by id (a stable order for the page's tiles). */
export function compareImages(a: { id: string; record?: ImageRecord }, b: { id: string; record?: ImageRecord }): number {
  const order = (x: string, y: string) => (x < y ? -1 : x > y ? 1 : 0);
  return order(takenSortKey(a), takenSortKey(b)) || order(a.record?.importedAt ?? '', b.record?.importedAt ?? '') || order(a.id, b.id);
}

/**
 * A patient's images, oldest first: by the day taken, then by when imported (compareImages) — a radiograph
 * from 2019 imported today sits with 2019's. Lists the prefix once and reads the records in parallel. An image without a record is shown as "processing" (the Lambda has not finished, or
 * an import was interrupted before its end: re-running the import completes it); one with only a failure
 * marker, or an announced upload whose file never came (ABANDONED_UPLOAD_MS), as "failed".
 */
export async function listImages(store: Store, patientId: string, options: { concurrency?: number; now?: Date } = {}): Promise<ImageListing[]> {
  const now = (options.now ?? new Date()).getTime();
  const byId = new Map<string, { has: ImageListing['has']; record: boolean; failed: boolean }>();
  for await (const object of store.list(`${IMAGES_PREFIX}${patientId}/`)) {
    const parsed = parseImageKey(object.key);
    if (!parsed || parsed.patientId !== patientId) continue;
    let entry = byId.get(parsed.imageId);
    if (!entry) byId.set(parsed.imageId, (entry = { has: {}, record: false, failed: false }));
    if (parsed.name === 'record') entry.record = true;
    else if (parsed.name === 'failed') entry.failed = true;
    else entry.has[parsed.name] = true;
  }
  const ids = [...byId.keys()].filter((id) => {
    const e = byId.get(id)!;
    return e.record || e.failed || e.has.original; // derivatives alone: an interrupted import, not an image yet
  });
  const listed = await mapLimit(ids, options.concurrency ?? 16, async (id): Promise<ImageListing> => {
    const entry = byId.get(id)!;
    const [record, failure] = await Promise.all([
      entry.record ? store.getJson<ImageRecord>(recordKey(patientId, id)).then((r) => r?.value) : undefined,
      entry.failed ? store.getJson<ImageFailure>(failureKey(patientId, id)).then((r) => r?.value) : undefined,
    ]);
    let status: ImageStatus = failure || record?.status === 'failed' ? 'failed' : record?.status === 'ready' ? 'ready' : 'processing';
    let abandoned: ImageFailure | undefined;
    if (status === 'processing' && record && !entry.has.original && now - Date.parse(record.importedAt) > ABANDONED_UPLOAD_MS) {
      status = 'failed';
      abandoned = { ...NEVER_ARRIVED, at: record.importedAt };
    }
    return {
      id,
      patientId,
      status,
      ...(record ? { record } : {}),
      ...(failure ?? record?.failure ?? abandoned ? { failure: failure ?? record?.failure ?? abandoned } : {}),
      has: entry.has,
    };
  });
  return listed.sort(compareImages);
}

/** The patient an image id belongs to. */
export async function findImagePatient(store: Store, imageId: string): Promise<string> {
  if (!isImageId(imageId)) {
    throw usageError(`"${imageId}" is not an image id (expected I-20261201-k3f9q2mx)`, {
      field: 'image',
      hint: 'run `clinica patients images PATIENT` to see the ids',
    });
  }
  const found = await store.getJson<{ patientId: string }>(imageIdKey(imageId));
  if (!found) {
    throw notFound(`image ${imageId} does not exist`, {
      field: 'image',
      hint: 'run `clinica patients images PATIENT` to see the ids',
      reason: 'image-not-found',
      params: { id: imageId },
    });
  }
  return found.value.patientId;
}

export async function getImage(store: Store, imageId: string): Promise<ImageRecord> {
  const patientId = await findImagePatient(store, imageId);
  const found = await store.getJson<ImageRecord>(recordKey(patientId, imageId));
  if (!found) {
    const failure = await store.getJson<{ reason: string }>(failureKey(patientId, imageId));
    if (failure) throw new ClinicaError('not-found', `image ${imageId} could not be processed: ${failure.value.reason}`, { field: 'image' });
    throw notFound(`image ${imageId} is not complete yet`, { field: 'image', hint: 'wait for processing, or re-run the import that was interrupted' });
  }
  return found.value;
}

/** Where a variant of an image is (original or a derivative); not-found with a reason when it is absent. */
export function variantLocation(record: ImageRecord, variant: ImageVariant): { key: string; contentType: string; extension: string; format: ImageFormat } {
  if (variant === 'original') return { key: record.original.key, contentType: record.original.contentType, extension: EXTENSIONS[record.original.format], format: record.original.format };
  const stored = record.variants[variant];
  if (!stored) {
    if (record.status === 'failed') throw notFound(`image ${record.id} has no ${variant} copy: it could not be processed (${record.failure?.reason ?? 'unknown reason'})`, { field: 'variant' });
    if (variant === 'shared' && record.status === 'ready') {
      throw notFound(`image ${record.id} has no shared copy: it was imported with --no-watermark`, {
        field: 'variant',
        hint: 'hand out the display copy knowingly (--variant display): importing the same file again is skipped as already there',
      });
    }
    throw notFound(`image ${record.id} has no ${variant} copy yet`, { field: 'variant', hint: 'wait for processing to finish' });
  }
  return { key: stored.key, contentType: 'image/webp', extension: 'webp', format: 'webp' };
}

/** Deletes every object of a patient's images and their claims (the purge of an anonymized patient). */
export async function deletePatientImages(store: Store, patientId: string): Promise<{ images: number; deleted: number; failed: string[] }> {
  const keys: string[] = [];
  const imageIds = new Set<string>();
  for await (const o of store.list(`${IMAGES_PREFIX}${patientId}/`)) {
    keys.push(o.key);
    const parsed = parseImageKey(o.key);
    if (parsed) imageIds.add(parsed.imageId);
  }
  for await (const o of store.list(`${IMAGE_HASHES_PREFIX}${patientId}/`)) keys.push(o.key);
  for (const id of imageIds) keys.push(imageIdKey(id));
  const failed = await store.deleteMany(keys);
  return { images: imageIds.size, deleted: keys.length - failed.length, failed };
}
