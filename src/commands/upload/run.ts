import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { getPatient, normalizePatientId } from '../../clinic/patients.js';
import { randomId } from '../../random-id.js';
import { validateImageMetadata } from '../../clinic/images.js';
import { openContext } from '../../command-context.js';
import { ClinicaError, oneLine, usageError } from '../../errors.js';
import {
  countEntries,
  emptyBulkSummary,
  filesSource,
  folderSource,
  manifestSource,
  runImport,
  type BulkEntry,
  type BulkResult,
  type BulkSummary,
  type SourceDefaults,
} from '../../usecases/image-bulk.js';
import { FileHashCache } from '../../usecases/hash-cache.js';
import { loadLogo } from '../../usecases/image-import.js';
import { imageConcurrency } from '../../imaging/sharp.js';
import type { OnProgress } from '../../progress.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';
import { withFlagNames } from '../patients/fields.js';

interface UploadOptions {
  bulk?: string;
  manifest?: string;
  kind?: string;
  teeth?: string;
  takenAt?: string;
  notes?: string;
  watermark?: boolean;
  concurrency?: string;
  dryRun?: boolean;
}

function parseConcurrency(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1 || n > 64) throw usageError(`--concurrency: "${text}" is not a whole number from 1 to 64`, { field: 'concurrency' });
  return n;
}

/** ", 2 pages" for a multi-page file, ", animated (12 frames): the copies show the first" for an animation. */
function pagesNote(facts: { pages: number; animated: boolean }): string {
  if (facts.pages < 2) return '';
  return facts.animated ? `, animated (${facts.pages} frames): the copies show the first` : `, ${facts.pages} pages`;
}

/** One line per file for --dry-run (and --verbose): what, whose, which file, why. */
function describe(result: BulkResult): { verb: string; detail?: string } {
  const o = result.outcome;
  switch (o.status) {
    case 'imported':
      return { verb: 'imported', detail: `${o.imageId}${o.resumed ? ', finishing an interrupted import' : ''}${pagesNote(o)}` };
    case 'duplicate':
      return { verb: 'skip', detail: 'sameAs' in o ? `the same image as ${o.sameAs}, earlier in this run` : `already imported as ${o.imageId}` };
    case 'would-import':
      return { verb: 'would import', detail: `${o.info.format.toUpperCase()} ${o.info.orientedWidth}×${o.info.orientedHeight}${pagesNote(o.info)}` };
    case 'skipped':
      return { verb: 'skip', detail: o.reason };
    default:
      return { verb: 'fail', detail: o.reason };
  }
}

function fileLine(result: BulkResult): string {
  const { verb, detail } = describe(result);
  const patient = 'patientId' in result && result.patientId ? result.patientId : '-';
  // a manifest row says its line (the same file may be on several rows); "(line N)" files say it already
  const line = 'line' in result && result.line && result.file !== `(line ${result.line})` ? `line ${result.line}` : undefined;
  const said = [line, detail].filter(Boolean).join(': ');
  return `${verb.padEnd(12)} ${patient.padEnd(9)} ${result.file}${said ? `  (${said})` : ''}`;
}

interface Source {
  source: () => AsyncIterable<BulkEntry>;
  singlePatient?: string;
}

/** What to import, from the flags: PATIENT FILE…, or --bulk DIR (with its manifest, if any). */
async function sourceOf(args: string[], opts: UploadOptions, ui: Ui): Promise<Source> {
  const [patientArg, ...files] = args;
  if (opts.bulk && args.length) throw usageError('give either PATIENT FILE… or --bulk DIR, not both');
  if (!opts.bulk && (!patientArg || files.length === 0)) {
    throw usageError('expected a patient id and at least one file', { hint: 'clinica upload P-000123 photo.jpg — or clinica upload --bulk DIR' });
  }
  if (opts.manifest && !opts.bulk) throw usageError('--manifest goes with --bulk DIR');
  const defaults: SourceDefaults = { kind: opts.kind, teeth: opts.teeth, takenAt: opts.takenAt, notes: opts.notes };
  await withFlagNames(async () => validateImageMetadata(defaults)); // a bad --teeth or --taken-at stops here, before anything is read, named as typed
  if (!opts.bulk) {
    const singlePatient = normalizePatientId(patientArg!, 'patient');
    return { singlePatient, source: () => filesSource(files, singlePatient, defaults) };
  }
  const dir = resolve(opts.bulk);
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw usageError(`--bulk: ${opts.bulk} is not a folder`, { field: 'bulk' });
  const manifest = opts.manifest ? resolve(opts.manifest) : existsSync(join(dir, 'manifest.csv')) ? join(dir, 'manifest.csv') : undefined;
  if (manifest && !existsSync(manifest)) throw usageError(`--manifest: ${opts.manifest} does not exist`, { field: 'manifest' });
  if (manifest) ui.info(`using the manifest ${manifest}`);
  return { source: manifest ? () => manifestSource(manifest, dir, defaults) : () => folderSource(dir, defaults) };
}

/** Ctrl+C: finish the images in flight, report, exit 130; a second Ctrl+C quits at once (the next run resumes). */
function stopOnCtrlC(ui: Ui): { signal: AbortSignal; release(): void } {
  const abort = new AbortController();
  const onSigint = () => {
    if (abort.signal.aborted) process.exit(130);
    abort.abort();
    ui.warn('stopping: the images being processed finish, the rest are left for the next run (Ctrl+C again to quit now; re-running resumes)');
  };
  process.on('SIGINT', onSigint);
  return { signal: abort.signal, release: () => process.off('SIGINT', onSigint) };
}

const reasonOf = (r: BulkResult) => ('reason' in r.outcome ? r.outcome.reason : '');

/** The --json document: the counts, and the files kept (failures always; every file with --json or --dry-run). */
function resultDoc(summary: BulkSummary, keep: BulkResult[], head: { dryRun: boolean; concurrency: number }, extra: Record<string, unknown> = {}) {
  return {
    ...head,
    ...summary,
    ...extra,
    files: keep.map((r) => ({
      file: r.file,
      patientId: 'patientId' in r ? r.patientId : undefined,
      line: 'line' in r ? r.line : undefined,
      status: r.outcome.status,
      imageId: 'imageId' in r.outcome ? r.outcome.imageId : undefined,
      sameAs: 'sameAs' in r.outcome ? r.outcome.sameAs : undefined,
      pages: 'pages' in r.outcome && r.outcome.pages > 1 ? r.outcome.pages : undefined,
      animated: 'animated' in r.outcome && r.outcome.animated ? true : undefined,
      reason: reasonOf(r) || undefined,
    })),
  };
}

/** The human end of a run: the files not imported, then one line of counts. */
async function renderSummary(ui: Ui, summary: BulkSummary, failures: BulkResult[], dryRun: boolean): Promise<void> {
  if (failures.length && !dryRun) {
    await ui.table(
      failures,
      [
        { header: 'File', value: (r) => r.file },
        { header: 'Line', value: (r) => ('line' in r ? r.line : undefined) },
        { header: 'Patient', value: (r) => ('patientId' in r ? r.patientId : undefined) },
        { header: 'Reason', value: reasonOf },
      ],
      { title: `${count(failures.length, 'file')} not imported` },
    );
  }
  const parts = dryRun
    ? [`${summary.wouldImport} would be imported`, `${summary.duplicates} already imported`]
    : [`${summary.imported} imported${summary.resumed ? ` (${summary.resumed} finishing an interrupted import)` : ''}`, `${summary.duplicates} already there`];
  if (summary.skipped) parts.push(`${summary.skipped} skipped (not images)`);
  if (summary.failed) parts.push(`${summary.failed} failed`);
  if (summary.notStarted) parts.push(`${summary.notStarted} not started`);
  const line = `${parts.join(', ')}${summary.interrupted ? ' — interrupted: run the same command again to finish' : ''}`;
  if (summary.failed) ui.warn(line);
  else ui.info(line);
}

/**
 * Plan → apply for each file (usecases/image-bulk.ts): the plan says each file's fate (new, a duplicate, not
 * an image, unreadable, an unknown patient) before anything is written; `--dry-run` is that plan, printed a
 * line per file (new files decoded to the end, so a truncated one is listed as failing); a real run applies
 * the new ones as their plans come, so the first image is stored while later files are still being read.
 */
export default async function upload({ args, opts, ui }: CommandInput<UploadOptions>): Promise<Output> {
  const ctx = openContext(opts);
  const { config } = ctx;
  const { source, singlePatient } = await sourceOf(args, opts, ui);
  const concurrency = parseConcurrency(opts.concurrency) ?? imageConcurrency(config.images.concurrency);
  const store = await ctx.dataStore();
  if (singlePatient) await getPatient(store, singlePatient); // an unknown patient is a usage error (exit 2), not a partial import
  const logo = await loadLogo(config, opts.dryRun ? undefined : store);
  const { total } = await countEntries(source());

  const keep: BulkResult[] = []; // failures always; every row with --json or --dry-run
  const listEverything = ui.json || Boolean(opts.dryRun);
  const progress = opts.dryRun ? undefined : ui.progress(total, opts.bulk ? 'importing' : 'uploading');
  let done = 0;
  const onResult: OnProgress<BulkResult> = ({ item: result, done: settled }) => {
    if (!result) return;
    done = settled;
    const status = result.outcome.status;
    if (listEverything || status === 'failed' || status === 'rejected') keep.push(result);
    if (opts.dryRun) ui.print(fileLine(result));
    else ui.debug(fileLine(result));
    if (status === 'imported' && result.outcome.animated) {
      ui.warn(`${result.file}: an animation of ${result.outcome.pages} frames — its copies show the first frame; the original keeps them all`);
    }
    progress?.tick(done);
  };

  const stop = stopOnCtrlC(ui);
  const summary = emptyBulkSummary();
  let stoppedBy: { err: unknown } | undefined;
  try {
    await runImport(source(), {
      summary,
      settings: { store, config, actor: ctx.actor, runId: randomId(10), logo, dryRun: opts.dryRun },
      concurrency,
      hashCache: opts.bulk ? await FileHashCache.open(config.stateDir, resolve(opts.bulk)) : undefined,
      watermark: opts.watermark !== false,
      checkPatient: async (id) => void (await getPatient(store, id)),
      progress: onResult,
      signal: stop.signal,
    });
  } catch (err) {
    stoppedBy = { err };
  } finally {
    stop.release();
    progress?.done();
  }
  const head = { dryRun: Boolean(opts.dryRun), concurrency };
  if (stoppedBy) {
    // the store or the network stopped the run (S3 unreachable, credentials expired): say what was done before
    // the one-line error, so the person knows the import is partial and that re-running finishes it; with
    // --json the partial summary is the JSON document (a script sees what was imported), the error on stderr
    return output(resultDoc(summary, keep, head, { stopped: true, error: oneLine(stoppedBy.err) }), (ui) => {
      if (!done || opts.dryRun) return;
      const before = [`${summary.imported} imported`, `${summary.duplicates} already there`];
      if (summary.failed) before.push(`${summary.failed} failed`);
      ui.warn(`stopped by an error after ${count(done, 'file')}: ${before.join(', ')} — fix the cause and run the same command again to finish`);
    }, { error: stoppedBy.err });
  }

  const failures = keep.filter((r) => r.outcome.status === 'failed' || r.outcome.status === 'rejected');
  if (!opts.bulk && args.length === 2 && failures.length === 1 && !summary.interrupted) {
    // one file, refused: an ordinary one-line error (exit 2), not a partial bulk result
    throw new ClinicaError('usage', `${failures[0]!.file}: ${reasonOf(failures[0]!)}`, { field: 'file' });
  }
  return output(resultDoc(summary, keep, head), (ui) => renderSummary(ui, summary, failures, Boolean(opts.dryRun)), {
    exitCode: summary.interrupted ? 130 : summary.failed ? 3 : 0,
  });
}
