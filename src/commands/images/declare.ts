import { Option, type Command } from 'commander';
import { lazy } from '../action.js';

const VARIANTS = ['original', 'display', 'thumb', 'shared'];

export function declareImages(program: Command): void {
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
    .action(lazy(() => import('./upload.js')));

  const images = program.command('images').description('patient images: download the original or a copy');
  images
    .command('get')
    .description('download an image (the watermarked "shared" copy is the one to hand to a patient)')
    .argument('<image>', 'the image id, e.g. I-20261201-k3f9q2mx (see `clinica patients images ID`)')
    .addOption(new Option('--variant <variant>', 'which copy').choices(VARIANTS).default('shared'))
    .option('-o, --out <file>', 'where to write it; its extension picks the format (.webp, .jpg, .png, .tif) — "-" for stdout; default: <image>-<variant>.<its format>')
    .option('-f, --force', 'overwrite the file if it exists')
    .action(lazy(() => import('./get.js')));

  // `clinica patients images ID` lives with the images commands; cli.ts declares `patients` before this
  const patients = program.commands.find((c) => c.name() === 'patients');
  patients
    ?.command('images')
    .description("list a patient's images")
    .argument('<id>', 'the patient id, e.g. P-000123')
    .action(lazy(() => import('./list.js')));
}
