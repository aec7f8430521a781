import { open, readFile, unlink, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { decodeCsv, importPatients, type ImportResult } from '../../clinic/patient-import.js';
import { openContext } from '../../command-context.js';
import { notCsvText } from '../../csv.js';
import { ExitCode, usageError } from '../../errors.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

export default async function importCsv({ args, opts, ui }: CommandInput<{ rejects?: string }>): Promise<Output> {
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
  const progress = ui.progressOf('importing');
  let done = 0;
  let result;
  try {
    result = await importPatients(store, text, ctx.actor, {
      file: args[0],
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

/** The human view of an import: the columns left out, the rejected rows, the counts. */
async function renderImport(ui: Ui, result: ImportResult, rejectsFile: string | undefined): Promise<void> {
  if (result.ignoredColumns.length) ui.warn(`columns not imported: ${result.ignoredColumns.join(', ')}`);
  if (result.rejected.length) {
    const shown = result.rejected.slice(0, 20);
    await ui.table(shown, [
      { header: 'Line', value: (r) => r.line, align: 'right' },
      { header: 'Rejected because', value: (r) => r.reason },
    ], { title: 'Rejected rows' });
    if (result.rejected.length > shown.length) ui.print(`… and ${result.rejected.length - shown.length} more`);
  }
  await ui.table(
    [
      { what: 'rows in the file', n: result.rows },
      { what: 'created', n: result.created.length },
      { what: 'already present (left unchanged)', n: result.existing.length },
      { what: 'rejected', n: result.rejected.length },
    ],
    [
      { header: 'Import', value: (r) => r.what },
      { header: 'Patients', value: (r) => r.n, align: 'right' },
    ],
  );
  if (rejectsFile) ui.error(`${count(result.rejected.length, 'row')} rejected — written to ${rejectsFile}; fix them and run the import again (imported rows are not duplicated)`);
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
