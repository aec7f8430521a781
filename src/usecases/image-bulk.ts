/**
 * Bulk import: what to import (a folder per patient, a CSV manifest, or a list of files) and the scheduler
 * that imports it.
 *
 * Sources are async generators that stream: a folder is read with opendir (entries one at a time), a manifest
 * with csv-parse's streaming parser, so memory does not grow with the folder. The scheduler keeps at most
 * `2 × concurrency + 2` files in memory at once; of those, `concurrency` are in the sharp pipeline (one per
 * core by default) while the others are being read, hashed, checked against the bucket or uploaded — so the
 * uploads of one image overlap the processing of the next and both cores stay busy.
 *
 * Re-running is always safe: every file is hashed and its claim read before any work; a done claim skips it,
 * a pending one (an import killed mid-way) is finished under the same image id (clinic/images.ts).
 */
import { createReadStream, type Stats } from 'node:fs';
import { open, opendir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative, resolve, sep } from 'node:path';
import type { OnProgress } from '../progress.js';
import { audit } from '../clinic/audit.js';
import { ClaimIndex, validateImageMetadata, type ImageMetadata, type ImageMetadataInput } from '../clinic/images.js';
import { normalizePatientId } from '../clinic/patients.js';
import { csvParseError, notCsvText } from '../csv.js';
import { ClinicaError, isClinicaError, oneLine } from '../errors.js';
import { FileBuffers, type ReadFile } from '../file-buffers.js';
import { IMAGE_EXTENSIONS, REFUSED_IMAGE_EXTENSIONS } from '../imaging/inspect.js';
import type { FileHashCache } from './hash-cache.js';
import { applyImage, findDuplicate, planImage, type ImagePlan, type ImportInput, type ImportOutcome, type ImportSettings } from './image-import.js';

/** One file to import. */
export interface BulkItem {
  type: 'item';
  /** the path as shown to the person (relative to the folder, or as given) */
  file: string;
  /** the absolute path */
  path: string;
  patientId: string;
  metadata: ImageMetadata;
  /** the manifest's line, when there is one */
  line?: number;
}

/** Something in the source that cannot be imported (reported as a failure; the rest continues). */
export interface BulkProblem {
  type: 'problem';
  file: string;
  patientId?: string;
  reason: string;
  line?: number;
}

/** Something deliberately left out (a file that is not an image by its extension). */
export interface BulkSkip {
  type: 'skip';
  file: string;
  reason: string;
}

export type BulkEntry = BulkItem | BulkProblem | BulkSkip;

export interface SourceDefaults {
  kind?: string;
  teeth?: string;
  takenAt?: string;
  notes?: string;
}

const isHidden = (name: string) => name.startsWith('.') || name === 'Thumbs.db' || name === 'desktop.ini';
const IMAGE_LIKE = new Set([...IMAGE_EXTENSIONS, ...REFUSED_IMAGE_EXTENSIONS]);
const looksLikeImage = (name: string) => IMAGE_LIKE.has(extname(name).toLowerCase());

function metadataOr(defaults: SourceDefaults, row: ImageMetadataInput = {}): ImageMetadata {
  return validateImageMetadata({
    kind: row.kind || defaults.kind,
    teeth: (row.teeth as string | undefined) || defaults.teeth,
    takenAt: row.takenAt || defaults.takenAt,
    notes: row.notes || defaults.notes,
  });
}

/** Every file under a folder, depth first, streamed. Hidden files and folders are left out. */
async function* walk(dir: string): AsyncGenerator<string> {
  const handle = await opendir(dir);
  for await (const entry of handle) {
    if (isHidden(entry.name)) continue;
    const full = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(full);
    else if (entry.isFile()) yield full;
    else if (entry.isSymbolicLink()) {
      const target = await stat(full).catch(() => undefined);
      if (target?.isDirectory()) yield* walk(full);
      else if (target?.isFile()) yield full;
    }
  }
}

/**
 * A folder with one sub-folder per patient, named by the patient id ("P-000123", "p-123", "123" all work);
 * files may be nested deeper inside the patient's folder.
 */
export async function* folderSource(root: string, defaults: SourceDefaults = {}): AsyncGenerator<BulkEntry> {
  const defaultsMeta = metadataOr(defaults); // bad --kind/--teeth/--taken-at: a usage error for the whole run
  const top = await opendir(root);
  for await (const entry of top) {
    if (isHidden(entry.name)) continue;
    const full = join(root, entry.name);
    const info = entry.isSymbolicLink() ? await stat(full).catch(() => undefined) : entry;
    if (!info) continue;
    if (info.isFile()) {
      if (looksLikeImage(entry.name)) yield { type: 'problem', file: entry.name, reason: 'not in a patient folder (put it in a sub-folder named by the patient id)' };
      else yield { type: 'skip', file: entry.name, reason: 'not an image file' };
      continue;
    }
    if (!info.isDirectory()) continue;
    let patientId: string;
    try {
      patientId = normalizePatientId(entry.name, 'folder');
    } catch {
      yield { type: 'problem', file: `${entry.name}${sep}`, reason: `folder "${entry.name}" is not named by a patient id (expected e.g. P-000123); its files were not imported` };
      continue;
    }
    for await (const path of walk(full)) {
      const file = relative(root, path);
      if (!looksLikeImage(path)) {
        yield { type: 'skip', file, reason: 'not an image file' };
        continue;
      }
      yield { type: 'item', file, path, patientId, metadata: defaultsMeta };
    }
  }
}

const MANIFEST_COLUMNS = ['file', 'patient', 'kind', 'takenAt', 'teeth', 'notes'];

/** A header as a spreadsheet may write it ("File", "Taken at", "taken_at") → the column's name. */
function manifestColumn(header: string): string {
  const bare = header.replace(/^\uFEFF/, '').trim();
  const squashed = bare.toLowerCase().replace(/[\s_-]+/g, '');
  return MANIFEST_COLUMNS.find((c) => c.toLowerCase() === squashed) ?? bare;
}

/**
 * "," — or ";" when the header line has semicolons and no comma: a spreadsheet set to Portuguese (and most
 * of Europe) saves its CSV that way, since the comma is its decimal separator.
 */
async function manifestDelimiter(manifest: string): Promise<string> {
  const handle = await open(manifest);
  try {
    const { buffer, bytesRead } = await handle.read({ buffer: Buffer.alloc(4096), position: 0 });
    const binary = notCsvText(buffer.subarray(0, bytesRead), basename(manifest));
    if (binary) throw binary;
    const header = buffer.subarray(0, bytesRead).toString('utf8').split(/\r?\n/)[0] ?? '';
    return header.includes(';') && !header.includes(',') ? ';' : ',';
  } finally {
    await handle.close();
  }
}

/**
 * A CSV manifest with the columns file,patient,kind,takenAt,teeth,notes (file relative to `root`; only file
 * and patient are required; headers in any case, comma- or semicolon-separated). Rows are validated one by one.
 */
export async function* manifestSource(manifest: string, root: string, defaults: SourceDefaults = {}): AsyncGenerator<BulkEntry> {
  const { parse } = await import('csv-parse');
  const delimiter = await manifestDelimiter(manifest);
  const parser = createReadStream(manifest).pipe(
    parse({
      columns: (header: string[]) => header.map(manifestColumn),
      delimiter,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: true,
      info: true,
    }),
  );
  let checkedHeader = false;
  const records = (async function* () {
    try {
      yield* parser as AsyncIterable<{ record: Record<string, string>; info: { lines: number } }>;
    } catch (err) {
      // a quote left open is named where it opens: the manifest is read again (it is small) to find it
      const text = (err as { code?: string }).code === 'CSV_QUOTE_NOT_CLOSED' ? await readFile(manifest, 'utf8') : undefined;
      throw csvParseError(err, text, delimiter, basename(manifest));
    }
  })();
  for await (const { record, info } of records) {
    if (!checkedHeader) {
      checkedHeader = true;
      for (const column of ['file', 'patient']) {
        if (!(column in record)) {
          throw new ClinicaError('usage', `${basename(manifest)}: the "${column}" column is missing (expected file,patient,kind,takenAt,teeth,notes)`, { field: column });
        }
      }
    }
    const line = info.lines;
    const file = record.file ?? '';
    if (!file) {
      yield { type: 'problem', file: `(line ${line})`, reason: 'file: empty', line };
      continue;
    }
    const path = resolve(root, file);
    let patientId: string;
    let metadata: ImageMetadata;
    try {
      patientId = normalizePatientId(record.patient ?? '', 'patient');
      metadata = metadataOr(defaults, { kind: record.kind, teeth: record.teeth, takenAt: record.takenAt ?? record.taken_at, notes: record.notes });
    } catch (err) {
      yield { type: 'problem', file, reason: oneLine(err), line };
      continue;
    }
    yield { type: 'item', file, path, patientId, metadata, line };
  }
}

/** Files named on the command line, all for one patient. */
export async function* filesSource(files: string[], patientId: string, defaults: SourceDefaults = {}): AsyncGenerator<BulkEntry> {
  const metadata = metadataOr(defaults);
  for (const file of files) yield { type: 'item', file, path: resolve(file), patientId, metadata };
}

/** How many entries a source holds (a first, cheap pass for the progress bar). */
export async function countEntries(source: AsyncIterable<BulkEntry>): Promise<{ items: number; total: number }> {
  let items = 0;
  let total = 0;
  for await (const entry of source) {
    total++;
    if (entry.type === 'item') items++;
  }
  return { items, total };
}

// ------------------------------------------------------------------------------------------- scheduler

export type BulkResult =
  | { file: string; patientId: string; line?: number; outcome: ImportOutcome }
  | { file: string; patientId?: string; line?: number; outcome: { status: 'failed'; reason: string } }
  | { file: string; outcome: { status: 'skipped'; reason: string } };

export interface BulkSummary {
  imported: number;
  resumed: number;
  duplicates: number;
  wouldImport: number;
  failed: number;
  skipped: number;
  /** stopped early (Ctrl+C) */
  interrupted: boolean;
  /** files read but not yet in the pipeline when the run stopped: left untouched for the next run */
  notStarted: number;
}

export const emptyBulkSummary = (): BulkSummary => ({ imported: 0, resumed: 0, duplicates: 0, wouldImport: 0, failed: 0, skipped: 0, interrupted: false, notStarted: 0 });

export interface RunOptions {
  settings: ImportSettings;
  /** counted into as the run goes — still readable when the run throws (what was done before the error) */
  summary?: BulkSummary;
  /** images in the sharp pipeline at once (default: one per core) */
  concurrency: number;
  /** throws ClinicaError not-found for an unknown patient (called once per patient) */
  checkPatient(patientId: string): Promise<void>;
  /** every file's result, as it happens (`done` counts the files settled; the total is the caller's count) */
  progress?: OnProgress<BulkResult>;
  /**
   * stop: no new file is taken, a file still waiting for the pipeline is left for the next run (nothing of it
   * was written), and the images being processed or uploaded finish
   */
  signal?: AbortSignal;
  /** audit each import (default true) */
  audit?: boolean;
  /** what the files hashed to in earlier runs: unchanged files already imported are not read again */
  hashCache?: FileHashCache;
  /** make the watermarked shared copy (default true; --no-watermark) */
  watermark?: boolean;
}

/** Why a file could not be read, in a person's words. */
function unreadable(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOENT' ? 'file not found' : code === 'EISDIR' ? 'is a folder' : code === 'EACCES' ? 'permission denied' : `cannot read (${code})`;
}

/** A counting semaphore. */
function limiter(size: number) {
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = () =>
    new Promise<void>((resolve) => {
      if (active < size) {
        active++;
        resolve();
      } else waiting.push(resolve);
    });
  const release = () => {
    const next = waiting.shift();
    if (next) next();
    else active--;
  };
  return {
    async run<T>(fn: () => Promise<T>): Promise<T> {
      await acquire();
      try {
        return await fn();
      } finally {
        release();
      }
    },
    acquire,
    release,
  };
}

/**
 * The audit entries of a run's imports, written a few at once: audit() puts the entries handed to it at the
 * same moment into one object, so a bulk run costs one audit PUT per `size` images rather than one each (a
 * request is ≈ 2 ms of the CLI's CPU through the SDK, as much as hashing the original). An entry waits until
 * `size` are waiting, every file still in the run is waiting too, or `delayMs` have passed. Its import waits
 * for it before the claim is marked done (storeImage's beforeDone), so a run killed meanwhile leaves the claim
 * pending and the next run, completing the image, writes the entry then.
 */
class AuditBatch {
  private waiting: { entry: Parameters<typeof audit>[1]; written: { resolve: () => void; reject: (err: unknown) => void } }[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: ImportSettings['store'],
    private readonly actor: string,
    private readonly size: number,
    /** files that may still bring an entry (those waiting here included) */
    private readonly filesLeft: () => number,
    private readonly delayMs = 1000,
  ) {}

  add(input: ImportInput, stored: { imageId: string; resumed: boolean }): Promise<void> {
    const entry = {
      actor: this.actor,
      action: stored.resumed ? ('image.import.resume' as const) : ('image.import' as const),
      patientId: input.patientId,
      details: { imageId: stored.imageId, kind: input.metadata.kind },
    };
    const written = new Promise<void>((resolve, reject) => this.waiting.push({ entry, written: { resolve, reject } }));
    this.check();
    return written;
  }

  /** Writes the waiting entries when no more company can be expected; otherwise makes sure they wait no longer than delayMs. */
  check(): void {
    if (!this.waiting.length) return;
    if (this.waiting.length >= Math.min(this.size, this.filesLeft())) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.waiting;
    this.waiting = [];
    // handed over in one go: audit() writes the entries of one moment together
    for (const { entry, written } of batch) audit(this.store, entry).then(written.resolve, written.reject);
  }
}

/** A file that reached the pipeline after the run was stopped: left for the next run (nothing of it written). */
class NotStarted extends Error {}

/**
 * A file's fate before anything is written: settled (failed, a duplicate) or new — read, to import, its bytes
 * in one of the run's reused buffers until `release`.
 */
type FilePlan = { fate: 'settled'; result: BulkResult } | { fate: 'new'; item: BulkItem; input: ImportInput; hash: string; release: () => void };

/**
 * One bulk run, in named steps: each file is planned (patient known, file readable, bytes not imported yet),
 * then the new ones applied (the pipeline and the store, or a dry run's full decode); `report` counts each
 * result as it settles.
 */
class ImportRun {
  readonly settings: ImportSettings;
  readonly summary: BulkSummary;
  private readonly cpu: ReturnType<typeof limiter>;
  private readonly patients = new Map<string, Promise<void>>();
  /** the files' bytes, in as many reused buffers as files are in flight */
  private readonly buffers: FileBuffers;
  private settled = 0;
  /** the imports' audit entries, written a few at once (absent: a dry run, or audit: false) */
  readonly audits?: AuditBatch;
  /** the imports taken from the source and not settled yet */
  readonly tasks = new Set<Promise<void>>();
  /** the source gave its last file (or the run stopped taking them) */
  sourceEnded = false;
  fatal: unknown;

  constructor(private readonly options: RunOptions) {
    const settings: ImportSettings = { claims: new ClaimIndex(options.settings.store), ...options.settings };
    if (options.audit !== false && !settings.dryRun) {
      // at most `concurrency` imports wait for their entry: the pipeline keeps its files (2 × concurrency + 2)
      const audits = (this.audits = new AuditBatch(settings.store, settings.actor, Math.max(1, options.concurrency) + 1, () => this.filesLeft()));
      settings.onStored = (input, stored) => audits.add(input, stored);
    }
    this.settings = settings.dryRun ? { planned: new Map(), ...settings } : settings;
    this.summary = options.summary ?? emptyBulkSummary();
    this.cpu = limiter(Math.max(1, options.concurrency));
    this.buffers = new FileBuffers(filesInFlight(options.concurrency));
  }

  /** How many files may still reach the store: unknown (Infinity) while the source has more. */
  filesLeft(): number {
    return this.sourceEnded ? this.tasks.size : Infinity;
  }

  report(result: BulkResult): void {
    const { summary } = this;
    const status = result.outcome.status;
    if (status === 'imported') {
      summary.imported++;
      if ((result.outcome as { resumed?: boolean }).resumed) summary.resumed++;
    } else if (status === 'duplicate') summary.duplicates++;
    else if (status === 'would-import') summary.wouldImport++;
    else if (status === 'skipped') summary.skipped++;
    else summary.failed++;
    this.options.progress?.({ item: result, done: ++this.settled });
  }

  /** Each patient is checked once (the first file asks, the others wait for that answer). */
  private checkPatient(patientId: string): Promise<void> {
    let p = this.patients.get(patientId);
    if (!p) {
      p = this.options.checkPatient(patientId);
      p.catch(() => undefined); // awaited per item
      this.patients.set(patientId, p);
    }
    return p;
  }

  /** The plan for one file: nothing is written. */
  async planFile(item: BulkItem): Promise<FilePlan> {
    const settle = (outcome: BulkResult['outcome']): FilePlan => ({ fate: 'settled', result: { file: item.file, patientId: item.patientId, line: item.line, outcome } as BulkResult });
    try {
      await this.checkPatient(item.patientId);
    } catch (err) {
      if (!isClinicaError(err, 'not-found') && !isClinicaError(err, 'usage')) throw err;
      return settle({ status: 'failed', reason: oneLine(err) });
    }
    let stats: Stats;
    try {
      stats = await stat(item.path);
    } catch (err) {
      return settle({ status: 'failed', reason: unreadable(err) });
    }
    if (stats.isDirectory()) return settle({ status: 'failed', reason: 'is a folder' });
    const known = this.options.hashCache?.lookup(item.path, stats);
    const duplicate = known && (await findDuplicate(this.settings, item.patientId, known));
    if (duplicate) return settle(duplicate);
    const readAt = Date.now();
    let file: ReadFile;
    try {
      file = await this.buffers.read(item.path);
    } catch (err) {
      return settle({ status: 'failed', reason: unreadable(err) });
    }
    const input: ImportInput = { patientId: item.patientId, bytes: file.bytes, fileName: basename(item.path), file: item.file, metadata: item.metadata, watermark: this.options.watermark };
    let plan: ImagePlan;
    try {
      plan = await planImage(this.settings, input);
    } catch (err) {
      file.release();
      throw err;
    }
    const hash = plan.fate === 'new' ? plan.hash : plan.outcome.sha256;
    if (hash) this.options.hashCache?.remember(item.path, stats, hash, readAt);
    if (plan.fate === 'new') return { fate: 'new', item, input, hash: plan.hash, release: file.release };
    file.release();
    return settle(plan.outcome);
  }

  /** Applies the plan of a new file (in the pipeline when its turn comes; left for the next run once stopped). */
  async applyFile({ item, input, hash }: Extract<FilePlan, { fate: 'new' }>): Promise<BulkResult> {
    const limitCpu = <T>(fn: () => Promise<T>) =>
      this.cpu.run(() => {
        if (this.options.signal?.aborted || this.fatal) throw new NotStarted();
        return fn();
      });
    const outcome = await applyImage({ ...this.settings, limitCpu }, input, hash);
    return { file: item.file, patientId: item.patientId, line: item.line, outcome };
  }

  async importOne(item: BulkItem): Promise<void> {
    const plan = await this.planFile(item);
    if (plan.fate === 'settled') return this.report(plan.result);
    try {
      this.report(await this.applyFile(plan));
    } finally {
      plan.release(); // every step that reads the bytes (sharp, the hash, the store's PUT) has settled
    }
  }

  /** A file whose import threw: left for the next run, failed on its own, or the end of the run (the store). */
  settleError(entry: BulkItem, err: unknown): void {
    if (err instanceof NotStarted) {
      this.summary.notStarted++;
      return;
    }
    // the store or the network: stop the run (the next one resumes), unless it concerns this file only
    if (isClinicaError(err, 'usage') || isClinicaError(err, 'not-found')) {
      this.report({ file: entry.file, patientId: entry.patientId, line: entry.line, outcome: { status: 'failed', reason: oneLine(err) } });
    } else this.fatal ??= err;
  }
}

/** The files a run holds at once: those in the pipeline, as many read ahead, and two being planned. */
function filesInFlight(concurrency: number): number {
  return Math.max(1, concurrency) * 2 + 2;
}

/** Imports everything a source yields, `concurrency` images in the pipeline at once. */
export async function runImport(source: AsyncIterable<BulkEntry>, options: RunOptions): Promise<BulkSummary> {
  const run = new ImportRun(options);
  const { summary } = run;
  const inflight = limiter(filesInFlight(options.concurrency));
  const { tasks } = run;
  for await (const entry of source) {
    if (run.fatal || options.signal?.aborted) {
      summary.interrupted = Boolean(options.signal?.aborted);
      break;
    }
    if (entry.type === 'skip') {
      run.report({ file: entry.file, outcome: { status: 'skipped', reason: entry.reason } });
      continue;
    }
    if (entry.type === 'problem') {
      run.report({ file: entry.file, patientId: entry.patientId, line: entry.line, outcome: { status: 'failed', reason: entry.reason } });
      continue;
    }
    await inflight.acquire();
    const task = run
      .importOne(entry)
      .catch((err) => run.settleError(entry, err))
      .finally(() => {
        inflight.release();
        tasks.delete(task);
        run.audits?.check(); // a file settled without an entry: those waiting may be all that is left
      });
    tasks.add(task);
  }
  run.sourceEnded = true;
  run.audits?.check();
  await Promise.all(tasks);
  if (summary.notStarted) summary.interrupted = true;
  if (!run.settings.dryRun) await options.hashCache?.save();
  if (run.fatal) throw run.fatal;
  return summary;
}
