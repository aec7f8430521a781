/**
 * `clinica dev --demo`: a couple of generated images for the first demo patients — a synthetic 16-bit
 * panoramic radiograph (PNG) and an "intra-oral photo" (JPEG) — imported through the same path as
 * `clinica upload`. The pictures are drawn here (no real patient data) and encode to the same bytes every
 * time, so the content-hash dedupe makes a second `--demo` add nothing.
 */
import { findPatientByCpf } from '../clinic/patients.js';
import { randomId } from '../random-id.js';
import { validateImageMetadata } from '../clinic/images.js';
import { importImage } from '../usecases/image-import.js';
import { loadSharp } from '../imaging/sharp.js';
import { demoPatients } from './demo-clinic.js';
import type { DemoSeeder } from './stack.js';

/** A panoramic-like 16-bit greyscale image: dark background, two arches of bright "teeth" (12-bit values). */
export async function syntheticRadiograph(): Promise<Buffer> {
  const width = 1200;
  const height = 600;
  const data = new Uint16Array(width * height);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let v = 600 + 300 * Math.exp(-(((x - width / 2) / 500) ** 2)) + ((x * 7 + y * 13) % 40);
      // a panoramic's "smile": both arches bend upwards towards the back teeth
      for (const arch of [height * 0.36, height * 0.68]) {
        for (let t = 0; t < 14; t++) {
          const cx = 170 + t * 66;
          const cy = arch - 0.0003 * (cx - width / 2) ** 2;
          const d = ((x - cx) / 24) ** 2 + ((y - cy) / 70) ** 2;
          if (d < 1) v = Math.max(v, 2600 + 1200 * (1 - d));
        }
      }
      data[y * width + x] = Math.min(4095, Math.round(v));
    }
  }
  const sharp = await loadSharp();
  return sharp(data, { raw: { width, height, channels: 1 } }).toColourspace('grey16').png().toBuffer();
}

/** A smile-ish photo: pink gradient with a row of white ovals. */
export async function syntheticPhoto(): Promise<Buffer> {
  const width = 1024;
  const height = 768;
  const raw = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      let [r, g, b] = [170 + (y / height) * 60, 80 + (x / width) * 30, 100];
      for (let t = 0; t < 8; t++) {
        const d = ((x - (200 + t * 90)) / 40) ** 2 + ((y - 384) / 70) ** 2;
        if (d < 1) [r, g, b] = [240 - d * 30, 236 - d * 30, 220 - d * 30];
      }
      raw[i] = r;
      raw[i + 1] = g;
      raw[i + 2] = b;
    }
  }
  const sharp = await loadSharp();
  return sharp(raw, { raw: { width, height, channels: 3 } }).jpeg({ quality: 85 }).toBuffer();
}

export const demoImagesSeeder: DemoSeeder = {
  name: 'images',
  async seed(ctx) {
    const [radiograph, photo] = await Promise.all([syntheticRadiograph(), syntheticPhoto()]);
    const plan = [
      { patient: 0, bytes: radiograph, fileName: 'panoramica-demo.png', metadata: { kind: 'radiograph', takenAt: '2026-01-15', notes: 'Radiografia sintética (demo)' } },
      { patient: 0, bytes: photo, fileName: 'foto-intraoral-demo.jpg', metadata: { kind: 'photo', teeth: '11,12,21,22', notes: 'Foto sintética (demo)' } },
      { patient: 1, bytes: radiograph, fileName: 'panoramica-demo.png', metadata: { kind: 'radiograph', takenAt: '2026-02-10' } },
    ];
    const runId = `demo-${randomId(8)}`;
    let added = 0;
    for (const item of plan) {
      const patientId = await findPatientByCpf(ctx.dataStore, demoPatients[item.patient]!.cpf!);
      if (!patientId) continue; // the patients seeder did not run
      const outcome = await importImage(
        { store: ctx.dataStore, config: ctx.config, actor: 'demo:seed', runId },
        { patientId, bytes: item.bytes, fileName: item.fileName, metadata: validateImageMetadata(item.metadata) },
      );
      if (outcome.status === 'imported') added++;
      else if (outcome.status === 'rejected') throw new Error(`demo image ${item.fileName} was rejected: ${outcome.reason}`);
    }
    return { summary: `${plan.length} images${added ? ` (${added} new)` : ' (already there)'}` };
  },
};
