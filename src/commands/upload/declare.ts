import type { Command } from 'commander';
import { lazy } from '../action.js';

/** `clinica upload`: the import of radiographs and photos, one patient's files or a whole folder. */
export function declareUpload(program: Command): void {
  program
    .command('upload')
    .description('import radiographs and photos for a patient, or a whole folder with --bulk')
    .argument('[patient]', 'the patient id, e.g. P-000123')
    .argument('[files...]', 'JPEG, PNG, TIFF or WebP files')
    .option('--bulk <dir>', 'import a folder: one sub-folder per patient (named by the patient id), or a CSV manifest')
    .option('--manifest <file>', 'CSV with file,patient,kind,takenAt,teeth,notes (default: <dir>/manifest.csv when it exists)')
    .option('--kind <kind>', 'what the images are: radiograph, photo or document (radiografia, foto, documento, x-ray also do, as in a manifest; its rows may say otherwise)')
    .option('--teeth <list>', 'FDI tooth numbers shown, e.g. 11,21')
    .option('--taken-at <date>', 'when the images were taken: YYYY-MM-DD or DD/MM/YYYY')
    .option('--notes <text>', 'a note kept with each image')
    .option('--watermark', 'make the watermarked copy for sharing (default)')
    .option('--no-watermark', 'make no watermarked copy')
    .option('--concurrency <n>', 'images processed at once (default: images.concurrency, else one per CPU core)')
    .option('--dry-run', 'list what would be imported and what would be skipped; upload nothing')
    .addHelpText(
      'after',
      `
Examples:
  clinica upload P-000123 pano.tif bitewing-left.jpg --kind radiograph --teeth 36,37
  clinica upload --bulk ./exported-images            (./exported-images/P-000123/*.jpg, …)
  clinica upload --bulk ./scans --manifest scans.csv --dry-run

Re-running an import is safe: images already stored for the patient (same bytes) are skipped, and an
import interrupted by Ctrl+C or a crash is completed, never duplicated.`,
    )
    .action(lazy(() => import('./run.js')));
}
