import { createWriteStream, existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { audit } from '../../clinic/audit.js';
import { formatContentType, getImage, normalizeImageId, variantLocation, type ImageVariant } from '../../clinic/images.js';
import { openContext } from '../../command-context.js';
import { ClinicaError, usageError } from '../../errors.js';
import { formatOfFileName } from '../../imaging/convert.js';
import type { ImageFormat } from '../../imaging/inspect.js';
import { output, type CommandInput, type Output } from '../action.js';

interface GetOptions {
  variant: ImageVariant;
  out?: string;
  force?: boolean;
}

export default async function get({ args, opts, ui }: CommandInput<GetOptions>): Promise<Output> {
  const ctx = openContext(opts);
  const imageId = normalizeImageId(args[0]!);
  const store = await ctx.dataStore();
  const record = await getImage(store, imageId);
  const where = variantLocation(record, opts.variant);
  const toStdout = opts.out === '-';
  const out = opts.out && !toStdout ? opts.out : `${imageId}-${opts.variant}.${where.extension}`;
  if (toStdout && ui.json) throw usageError('--out - writes the image to stdout, which --json needs for its result', { field: 'out' });
  // write the format the name asks for: a derivative is converted, the original (the clinical record, byte for
  // byte) never is; a name without a known image extension is refused rather than written misleadingly
  let convertTo: ImageFormat | undefined;
  if (opts.out && !toStdout) {
    const wanted = formatOfFileName(out);
    if (!wanted) {
      throw usageError(`--out ${out}: name the file with an image extension (.${where.extension}${opts.variant === 'original' ? '' : ', .jpg, .png or .tif'})`, { field: 'out' });
    }
    if (wanted !== where.format) {
      if (opts.variant === 'original') {
        throw usageError(`--out ${out}: the original is ${where.contentType} and is handed out byte for byte`, { field: 'out', hint: `name it *.${where.extension}, or ask for --variant display` });
      }
      convertTo = wanted;
    }
  }
  if (!toStdout && existsSync(out) && !opts.force) throw usageError(`${out} already exists`, { field: 'out', hint: 'pass --force to overwrite it, or choose --out' });
  if (!toStdout && !statSync(dirname(resolve(out)), { throwIfNoEntry: false })?.isDirectory()) {
    throw usageError(`--out: the folder ${dirname(out)} does not exist`, { field: 'out', hint: 'create it first, or choose another --out' });
  }

  const missing = () => new ClinicaError('not-found', `the ${opts.variant} copy of ${imageId} is missing from the bucket`, { hint: 'the import may have been interrupted: re-run it' });
  let body: Readable;
  if (convertTo) {
    const stored = await store.getBytes(where.key);
    if (!stored) throw missing();
    const { convertImage } = await import('../../imaging/convert.js');
    body = Readable.from([await convertImage(stored, convertTo)]);
  } else {
    const stream = await store.getStream(where.key);
    if (!stream) throw missing();
    body = stream;
  }
  const contentType = convertTo ? formatContentType(convertTo) : where.contentType;
  let size = 0;
  body.on('data', (chunk: Buffer) => (size += chunk.length));
  if (toStdout) {
    await pipeline(body, process.stdout);
  } else {
    // a partial download never sits under the final name
    const partial = `${out}.partial-${process.pid}`;
    try {
      await pipeline(body, createWriteStream(partial));
      await rename(partial, out);
    } catch (err) {
      await rm(partial, { force: true });
      throw err;
    }
  }
  await audit(store, { actor: ctx.actor, action: 'image.download', patientId: record.patientId, details: { imageId, variant: opts.variant, ...(convertTo ? { format: convertTo } : {}) } });
  return output({ imageId, patientId: record.patientId, variant: opts.variant, file: toStdout ? null : out, bytes: size, contentType }, (ui) => {
    if (!toStdout) ui.print(`wrote ${out} (${opts.variant}${convertTo ? `, converted to ${convertTo.toUpperCase()}` : ''}, ${(size / 1024).toFixed(0)} KiB)`);
  });
}
