import { Option, type Command } from 'commander';
import { lazy } from '../action.js';

const VARIANTS = ['original', 'display', 'thumb', 'shared'];

export function declareImages(program: Command): void {
  const images = program.command('images').description('patient images: download the original or a copy; process failed uploads again');
  images
    .command('get')
    .description('download an image (the watermarked "shared" copy is the one to hand to a patient)')
    .argument('<image>', 'the image id, e.g. I-20261201-k3f9q2mx (see `clinica patients images ID`)')
    .addOption(new Option('--variant <variant>', 'which copy').choices(VARIANTS).default('shared'))
    .option('-o, --out <file>', 'where to write it; its extension picks the format (.webp, .jpg, .png, .tif) — "-" for stdout; default: <image>-<variant>.<its format>')
    .option('-f, --force', 'overwrite the file if it exists')
    .action(lazy(() => import('./get.js')));
  images
    .command('retry-failed')
    .description('process again the uploads image-processor could not (target aws: its on-failure queue, kept 14 days); each is removed from the queue only once processed, so it is safe to re-run')
    .action(lazy(() => import('./retry-failed.js')));

  // `clinica patients images ID` lives with the images commands; cli.ts declares `patients` before this
  const patients = program.commands.find((c) => c.name() === 'patients');
  patients
    ?.command('images')
    .description("list a patient's images")
    .argument('<id>', 'the patient id, e.g. P-000123')
    .action(lazy(() => import('./list.js')));
}
