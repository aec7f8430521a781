import { createWriteStream, existsSync, statSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { dirname, extname, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { audit } from '../../clinic/audit.js';
import { getImage, normalizeImageId, variantLocation, type ImageVariant } from '../../clinic/images.js';
import { openContext } from '../../command-context.js';
import { ClinicaError, usageError } from '../../errors.js';
import type { CommandInput } from '../action.js';

interface GetOptions {
  variant: ImageVariant;
  out?: string;
  force?: boolean;
}

export default async function get({ args, opts, ui }: CommandInput<GetOptions>): Promise<number> {
  const ctx = openContext(opts);
  const imageId = normalizeImageId(args[0]!);
  const store = await ctx.dataStore();
  const record = await getImage(store, imageId);
  const where = variantLocation(record, opts.variant);
  const toStdout = opts.out === '-';
  const out = opts.out && !toStdout ? opts.out : `${imageId}-${opts.variant}.${where.extension}`;
  if (toStdout && ui.json) throw usageError('--out - writes the image to stdout, which --json needs for its result', { field: 'out' });
  const sameKind = (a: string) => a.toLowerCase().replace(/^\./, '').replace('jpeg', 'jpg').replace('tiff', 'tif');
  if (opts.out && !toStdout && sameKind(extname(out)) !== sameKind(where.extension)) {
    // a patient's phone or e-mail client goes by the name: a WebP named .png may not open
    ui.warn(`${out}: the ${opts.variant} copy is ${where.contentType}; consider naming it *.${where.extension}`);
  }
  if (!toStdout && existsSync(out) && !opts.force) throw usageError(`${out} already exists`, { field: 'out', hint: 'pass --force to overwrite it, or choose --out' });
  if (!toStdout && !statSync(dirname(resolve(out)), { throwIfNoEntry: false })?.isDirectory()) {
    throw usageError(`--out: the folder ${dirname(out)} does not exist`, { field: 'out', hint: 'create it first, or choose another --out' });
  }

  const body = await store.getStream(where.key);
  if (!body) throw new ClinicaError('not-found', `the ${opts.variant} copy of ${imageId} is missing from the bucket`, { hint: 'the import may have been interrupted: re-run it' });
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
  await audit(store, { actor: ctx.actor, action: 'image.download', patientId: record.patientId, details: { imageId, variant: opts.variant } });
  ui.result({ imageId, patientId: record.patientId, variant: opts.variant, file: toStdout ? null : out, bytes: size, contentType: where.contentType });
  if (!toStdout) ui.print(`wrote ${out} (${opts.variant}, ${(size / 1024).toFixed(0)} KiB)`);
  return 0;
}
