import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exportPatient } from '../../clinic/lgpd.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import type { CommandInput } from '../action.js';
import { withFlagNames } from './fields.js';
import { count } from '../../plural.js';

export default async function exportCommand({ args, opts, ui }: CommandInput<{ out?: string }>): Promise<number> {
  const ctx = openContext(opts);
  const store = await ctx.dataStore();
  const outDir = opts.out ? resolve(opts.out) : undefined;
  if (outDir) await makeOutDir(opts.out!, outDir);
  const spinner = outDir ? await ui.spinner(`exporting ${args[0]}`) : undefined;
  let doc;
  try {
    doc = await withFlagNames(() => exportPatient(store, args[0]!, ctx.actor, { outDir }));
  } catch (err) {
    spinner?.fail();
    throw err;
  }
  if (!outDir) {
    // the export is a JSON document by nature: it goes to stdout in every mode
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    ui.info(`${doc.patient.id}: ${count(doc.appointments.length, 'appointment')}, ${count(doc.images.length, 'image file')}${doc.linksExpireAt ? `; links expire ${doc.linksExpireAt}` : ''}`);
    return 0;
  }
  const file = join(outDir, `${doc.patient.id}.json`);
  await writeFile(file, JSON.stringify(doc, null, 2) + '\n');
  spinner?.succeed(`exported ${doc.patient.id} to ${file}`);
  ui.result({ file, patientId: doc.patient.id, appointments: doc.appointments.length, images: doc.images.length, imagesDir: join(outDir, 'images') });
  ui.print(`${file}\n  ${count(doc.appointments.length, 'appointment')}, ${count(doc.reminders.length, 'reminder')}, ${count(doc.images.length, 'image file')}${doc.images.length ? ` in ${join(outDir, 'images')}` : ''}`);
  return 0;
}

/** --out is a folder: an existing file there is refused before anything is read or written. */
async function makeOutDir(given: string, dir: string): Promise<void> {
  const existing = await stat(dir).catch(() => undefined);
  if (existing && !existing.isDirectory()) throw usageError(`--out: ${given} is a file (give a folder)`, { field: 'out', hint: 'the export writes <folder>/<id>.json and <folder>/images/' });
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw usageError(`--out: cannot make the folder ${given} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`, { field: 'out', cause: err });
  }
}
