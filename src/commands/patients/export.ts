import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { exportPatient } from '../../clinic/lgpd.js';
import { openContext } from '../../command-context.js';
import { usageError } from '../../errors.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';
import { withFlagNames } from './fields.js';

export default async function exportCommand({ args, opts, ui }: CommandInput<{ out?: string }>): Promise<Output | number> {
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
  const { patient, appointments, reminders, images } = doc;
  return output({ file, patientId: patient.id, appointments: appointments.length, images: images.length, imagesDir: join(outDir, 'images') }, (ui) =>
    ui.print(`${file}\n  ${count(appointments.length, 'appointment')}, ${count(reminders.length, 'reminder')}, ${count(images.length, 'image file')}${images.length ? ` in ${join(outDir, 'images')}` : ''}`),
  );
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
