// npm run bench -- site: how long a site build takes, and what "upload only what changed" saves against the
// local S3 — a first publish (everything uploaded) is the baseline for a re-publish with nothing changed and
// for one after a text edit. Locally a HEAD costs about what a small PUT does, so the time barely moves; the
// saving is in PUT requests and bytes sent (and in CDN/browser caches that stay valid).
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { loadConfig } from '../dist/config/load.js';
import { memoryLog } from '../dist/log.js';
import { startLocalStack } from '../dist/local/stack.js';
import { buildSite } from '../dist/site/build.js';
import { publishSite } from '../dist/site/publish.js';
import { fmt, median } from './_stats.js';

const dir = await mkdtemp(join(tmpdir(), 'clinica-bench-site-'));
const services = Array.from({ length: 12 }, (_, i) => ({ name: `Tratamento ${i + 1}`, description: 'Descrição do tratamento, com duas ou três linhas de texto para o paciente.' }));
const team = Array.from({ length: 6 }, (_, i) => ({ name: `Dra. Pessoa ${i + 1}`, role: 'Cirurgiã-dentista', cro: `CRO-SP ${10000 + i}`, photo: `p${i}.jpg` }));
for (let i = 0; i < team.length; i++) {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="1600" height="2000"><rect width="1600" height="2000" fill="#${(0x336699 + i * 0x111111).toString(16).slice(-6)}"/><circle cx="800" cy="800" r="350" fill="#eac"/></svg>`;
  await writeFile(join(dir, `p${i}.jpg`), await sharp(Buffer.from(svg)).jpeg().toBuffer());
}
const input = {
  clinic: { name: 'Clínica Bench', address: 'Rua A, 1', phone: '+55 11 4000-0000', email: 'a@b.com', whatsapp: '11988887777' },
  site: { tagline: 'Odontologia', presentation: 'Texto.\n\nMais texto.', services, team, hours: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], open: '08:00', close: '18:00' }] },
};
const configPath = join(dir, 'clinica.config.json');
await writeFile(configPath, JSON.stringify(input));
const config = loadConfig({ config: configPath }, {});

const time = async (fn) => {
  const t0 = performance.now();
  const value = await fn();
  return { ms: performance.now() - t0, value };
};

const cold = await time(() => buildSite(config));
const warm = [];
for (let i = 0; i < 10; i++) warm.push((await time(() => buildSite(config))).ms);
const site = cold.value;
const bytes = site.files.reduce((n, f) => n + f.body.length, 0);
console.log(`build (${site.files.length} files, ${fmt(bytes / 1024)} KB, 6 portraits from 1600×2000 JPEG):`);
console.log(`  first build ${fmt(cold.ms, 0)} ms (loads sharp), then median ${fmt(median(warm), 0)} ms`);

const stack = await startLocalStack({ config, log: memoryLog(), s3Port: 0, sesPort: 0, serverPort: 0, withComponents: false, dir: join(dir, 'dev') });
try {
  const first = await time(() => publishSite(stack.siteStore, site.files));
  const again = [];
  for (let i = 0; i < 5; i++) again.push((await time(() => publishSite(stack.siteStore, site.files))).ms);
  const edited = await buildSite({ ...config, site: { ...config.site, tagline: 'Outra' } });
  const edit = await time(() => publishSite(stack.siteStore, edited.files));
  console.log('publish to the local S3:');
  console.log(`  first publish (${first.value.upload.length} uploads)      ${fmt(first.ms, 0)} ms   (baseline)`);
  console.log(`  nothing changed (0 uploads)        ${fmt(median(again), 0)} ms   ×${fmt(median(again) / first.ms, 2)} of the baseline`);
  console.log(`  tagline edited (${edit.value.upload.length} uploads)         ${fmt(edit.ms, 0)} ms   ×${fmt(edit.ms / first.ms, 2)} of the baseline, ${fmt(edit.value.uploadedBytes / 1024)} KB of ${fmt(bytes / 1024)} KB sent`);
} finally {
  await stack.stop();
  await rm(dir, { recursive: true, force: true });
}
