import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { applyImport, decodeCsv, planImport, type ImportPlan, type ImportResult } from '../../clinic/patient-import.js';
import { openContext } from '../../command-context.js';
import { notCsvText } from '../../csv.js';
import { ExitCode, usageError } from '../../errors.js';
import type { Column, Ui } from '../../ui/output.js';
import { notConfirmed, output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

/**
 * patients import: the plan (read only: what would be created, what is already stored, what is refused and
 * why) → --dry-run prints it; on a terminal it is shown and confirmed (--yes skips the question) → apply.
 * Without a terminal it is applied as it is: imports are scripted without --yes.
 */
export default async function importCsv({ args, opts, ui }: CommandInput<{ rejects?: string; dryRun?: boolean }>): Promise<Output> {
  const ctx = openContext(opts);
  const file = resolve(args[0]!);
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw usageError(`file: cannot read ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { field: 'file' });
  }
  const binary = notCsvText(bytes, args[0]!);
  if (binary) throw binary;
  const { text, encoding } = decodeCsv(bytes);
  if (encoding !== 'utf-8') ui.info(`${args[0]} is not UTF-8: read as Windows-1252 (Latin-1), as pt-BR Excel saves it`);
  const store = await ctx.dataStore();
  const plan = await planImport(store, text, ctx.actor, { file: args[0] });
  if (opts.dryRun) {
    return output({ file, encoding, dryRun: true, ...planView(plan) }, async (ui) => {
      await renderPlan(ui, plan);
      ui.print(`dry run: ${count(plan.create.length, 'patient')} would be created; nothing was written`);
    }, { exitCode: plan.rejected.length ? ExitCode.partial : 0 });
  }
  if (ui.interactive && plan.create.length) {
    await renderPlan(ui, plan);
    if (!(await ui.confirm(`Create ${count(plan.create.length, 'patient')} from ${args[0]}?`))) {
      return notConfirmed({ file, encoding, dryRun: false, ...planView(plan), created: [] }, 'not confirmed; nothing was imported');
    }
  }
  const progress = ui.progressOf('importing');
  let done = 0;
  let result;
  try {
    result = await applyImport(store, plan, ctx.actor, {
      progress: (event) => {
        done = event.done;
        progress.emit(event);
      },
    });
  } catch (err) {
    progress.done();
    // the store or the network stopped the run (S3 unreachable, Ctrl+C of dev): the rows written are kept and
    // listed; a re-run finds them and adds only the rest
    if (done) ui.warn(`import stopped by an error after ${count(done, 'row')} — fix the cause and run the same import again to finish (rows already imported are not added twice)`);
    throw err;
  }
  progress.done();

  let rejectsFile: string | undefined;
  const rejectsPath = resolve(opts.rejects ?? file.replace(/(\.csv)?$/i, '.rejects.csv'));
  if (!result.rejected.length && rejectsPath !== file && (await isRejectsFile(rejectsPath, result.delimiter))) {
    // left by an earlier run: fixing it and importing again is done, and a stale list of "rejected" rows misleads
    await unlink(rejectsPath);
    ui.info(`removed ${rejectsPath}: it listed the rows rejected by an earlier run, and none was rejected this time`);
  }
  if (result.rejected.length) {
    rejectsFile = rejectsPath;
    const { stringify } = await import('csv-stringify/sync');
    const headers = Object.keys(result.rejected[0]!.values);
    // UTF-8 with a BOM whatever the input was: Excel opens it right, the import reads it back, and the reasons
    // may hold characters Windows-1252 has not
    const csv = stringify([['line', 'reason', ...headers], ...result.rejected.map((r) => [r.line, r.reason, ...headers.map((h) => r.values[h] ?? '')])], { bom: true, delimiter: result.delimiter });
    await writeFile(rejectsFile, csv);
  }
  return output({
    file,
    encoding,
    rows: result.rows,
    created: result.created,
    existing: result.existing,
    rejected: result.rejected.map(({ line, reason, field }) => ({ line, reason, field })),
    rejectsFile,
    columns: result.mapping,
    ignoredColumns: result.ignoredColumns,
  }, (ui) => renderImport(ui, result, rejectsFile), { exitCode: rejectsFile ? ExitCode.partial : 0 });
}

/** The plan as --json gives it: each row's fate by line (names only for the rows to create). */
function planView(plan: ImportPlan) {
  return {
    rows: plan.rows,
    create: plan.create.map(({ row, record }) => ({ line: row.line, fullName: record.fullName })),
    existing: plan.existing,
    rejected: plan.rejected.map(({ line, reason, field }) => ({ line, reason, field })),
    columns: plan.mapping,
    ignoredColumns: plan.ignoredColumns,
  };
}

/** The human view of a plan: the rows to create, the rejected rows, the counts. */
async function renderPlan(ui: Ui, plan: ImportPlan): Promise<void> {
  await renderFirst(ui, plan.create, [
    { header: 'Line', value: (v) => v.row.line, align: 'right' },
    { header: 'Patient', value: (v) => v.record.fullName },
  ], 'To create');
  await renderOutcome(ui, plan, { what: 'to create', n: plan.create.length });
}

/** The human view of an import: the columns left out, the rejected rows, the counts. */
async function renderImport(ui: Ui, result: ImportResult, rejectsFile: string | undefined): Promise<void> {
  await renderOutcome(ui, result, { what: 'created', n: result.created.length });
  if (rejectsFile) ui.error(`${count(result.rejected.length, 'row')} rejected — written to ${rejectsFile}; fix them and run the import again (imported rows are not duplicated)`);
}

/** The columns left out, the rejected rows and the counts, of a plan or of a run (`made`: created or to create). */
async function renderOutcome(ui: Ui, outcome: Omit<ImportResult, 'created'>, made: { what: string; n: number }): Promise<void> {
  if (outcome.ignoredColumns.length) ui.warn(`columns not imported: ${outcome.ignoredColumns.join(', ')}`);
  await renderFirst(ui, outcome.rejected, [
    { header: 'Line', value: (r) => r.line, align: 'right' },
    { header: 'Rejected because', value: (r) => r.reason },
  ], 'Rejected rows');
  await ui.table(
    [
      { what: 'rows in the file', n: outcome.rows },
      made,
      { what: 'already present (left unchanged)', n: outcome.existing.length },
      { what: 'rejected', n: outcome.rejected.length },
    ],
    [
      { header: 'Import', value: (r) => r.what },
      { header: 'Patients', value: (r) => r.n, align: 'right' },
    ],
  );
}

/** The first 20 rows as a table under its title, then how many more; nothing when there are none. */
async function renderFirst<T>(ui: Ui, rows: T[], columns: Column<T>[], title: string): Promise<void> {
  if (!rows.length) return;
  const shown = rows.slice(0, 20);
  await ui.table(shown, columns, { title });
  if (rows.length > shown.length) ui.print(`… and ${rows.length - shown.length} more`);
}

/** Is this a rejects CSV as this command writes it (BOM, then "line" and "reason" columns)? Anything else is left alone. */
async function isRejectsFile(path: string, delimiter: string): Promise<boolean> {
  const handle = await open(path, 'r').catch(() => undefined);
  if (!handle) return false;
  try {
    const head = Buffer.alloc(64);
    const { bytesRead } = await handle.read(head, 0, head.length, 0);
    return head.subarray(0, bytesRead).toString('utf8').startsWith(`\uFEFFline${delimiter}reason${delimiter}`);
  } finally {
    await handle.close();
  }
}
