import { listImages } from '../../clinic/images.js';
import { getPatient, normalizePatientId } from '../../clinic/patients.js';
import { openContext } from '../../command-context.js';
import { output, type CommandInput, type Output } from '../action.js';
import { count } from '../../plural.js';

export default async function list({ args, opts }: CommandInput): Promise<Output> {
  const ctx = openContext(opts);
  const patientId = normalizePatientId(args[0]!, 'id');
  const store = await ctx.dataStore();
  await getPatient(store, patientId); // unknown patient → not-found, exit 2
  const images = await listImages(store, patientId);
  const data = { patientId, images: images.map((i) => ({ id: i.id, status: i.status, ...(i.record ?? {}), ...(i.failure ? { failure: i.failure } : {}) })) };
  return output(data, async (ui) => {
    if (!images.length) return ui.print(`${patientId} has no images yet — add some with \`clinica upload ${patientId} FILE…\``);
    await ui.table(
    images,
    [
      { header: 'Image', value: (i) => i.id },
      { header: 'Kind', value: (i) => i.record?.kind },
      { header: 'Taken', value: (i) => i.record?.takenAt?.slice(0, 10) },
      { header: 'Teeth', value: (i) => i.record?.teeth.join(' ') },
      { header: 'Size', value: (i) => (i.record?.original.width ? `${i.record.original.width}×${i.record.original.height}` : undefined) },
      { header: 'Format', value: (i) => i.record?.original.format.toUpperCase() },
      { header: 'Status', value: (i) => (i.status === 'failed' ? ui.red(`failed: ${i.failure?.reason ?? ''}`) : i.status === 'ready' ? i.status : ui.yellow(i.status)) },
      { header: 'File', value: (i) => i.record?.original.fileName },
    ],
    { title: `${patientId} — ${count(images.length, 'image')}` },
    );
  });
}
