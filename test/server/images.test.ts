/**
 * The upload flow over real HTTP: the server hands out a presigned PUT, the original goes straight to the
 * local S3, the image-processor (the Lambda's dev twin, on S3 events) makes the derivatives, and the listing
 * then carries presigned links to thumb/display/shared.
 */
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listAudit } from '../../src/clinic/audit.js';
import { ABANDONED_UPLOAD_MS } from '../../src/clinic/images.js';
import { imageProcessorComponent } from '../../src/local/image-processor.js';
import { IMAGE_LIST_AUDIT_MS } from '../../src/server/routes/images.js';
import type { StartedComponent } from '../../src/local/stack.js';
import { useServerHarness } from './harness.js';

let processor: StartedComponent | void;
let patientId: string;
let clockOffset = 0; // ms added to the server's clock

const h = useServerHarness({ now: () => new Date(Date.now() + clockOffset) });
beforeAll(async () => {
  processor = await imageProcessorComponent.start(h.stack);
  const r = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Paciente Imagem', birthDate: '1991-09-09' } });
  patientId = r.body.patient.id;
});
afterAll(async () => {
  await processor?.stop?.();
});

async function waitFor(imageId: string, token: string) {
  for (let i = 0; i < 200; i++) {
    const r = await h.call('GET', `/api/patients/${patientId}/images`, { token });
    const image = r.body.images.find((x: { id: string }) => x.id === imageId);
    if (image && image.status !== 'processing') return image;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`image ${imageId} was not processed`);
}

describe('image upload through the server', () => {
  it('presigned PUT of the original → derivatives appear with presigned links', async () => {
    const jpeg = await sharp({ create: { width: 1200, height: 800, channels: 3, background: { r: 200, g: 120, b: 90 } } }).jpeg().toBuffer();
    const start = await h.call('POST', `/api/patients/${patientId}/images`, {
      token: h.tokens.dentist,
      body: { fileName: 'sorriso.jpg', contentType: 'image/jpeg', size: jpeg.length, kind: 'photo', teeth: [11, 21] },
    });
    expect(start.status).toBe(201);
    expect(start.body.image).toMatchObject({ status: 'processing', kind: 'photo' });
    expect(start.body.upload).toMatchObject({ method: 'PUT', headers: { 'content-type': 'image/jpeg' } });
    expect(start.body.upload.url).toContain(h.stack.s3.endpoint);
    expect(start.body.upload.url).toContain(`images/${patientId}/${start.body.image.id}/original.jpg`);

    const listed = await h.call('GET', `/api/patients/${patientId}/images`, { token: h.tokens.dentist });
    expect(listed.body.images.find((i: { id: string }) => i.id === start.body.image.id)?.status).toBe('processing');

    const put = await fetch(start.body.upload.url, { method: 'PUT', headers: start.body.upload.headers, body: jpeg });
    expect(put.status).toBe(200);

    const image = await waitFor(start.body.image.id, h.tokens.assistant);
    expect(image).toMatchObject({ status: 'ready', kind: 'photo', teeth: [11, 21], fileName: 'sorriso.jpg', width: 1200, height: 800 });
    expect(Object.keys(image.urls).sort()).toEqual(['display', 'shared', 'thumb']);
    const thumb = await fetch(image.urls.thumb);
    expect(thumb.status).toBe(200);
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(meta.format).toBe('webp');
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(320);

    const entries = await listAudit(h.stack.dataStore, { patientId });
    expect(entries).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'image.upload', actor: `staff:${h.ids.dentist}` })]));
  });

  it('a file that is not an image ends as failed, with the reason', async () => {
    const start = await h.call('POST', `/api/patients/${patientId}/images`, { token: h.tokens.dentist, body: { fileName: 'nota.jpg', contentType: 'image/jpeg' } });
    await fetch(start.body.upload.url, { method: 'PUT', headers: start.body.upload.headers, body: 'this is not a jpeg' });
    const image = await waitFor(start.body.image.id, h.tokens.dentist);
    expect(image.status).toBe('failed');
    expect(image.error).toBeTruthy();
    expect(image.urls).toEqual({});
  });

  it('an announced upload whose file never arrives ends as failed (the page stops polling for it)', async () => {
    const start = await h.call('POST', `/api/patients/${patientId}/images`, { token: h.tokens.dentist, body: { fileName: 'perdida.jpg', contentType: 'image/jpeg' } });
    const listed = async () => (await h.call('GET', `/api/patients/${patientId}/images`, { token: h.tokens.dentist })).body.images.find((i: { id: string }) => i.id === start.body.image.id);
    expect((await listed()).status).toBe('processing');
    clockOffset = ABANDONED_UPLOAD_MS + 60_000;
    try {
      expect(await listed()).toMatchObject({ status: 'failed', fileName: 'perdida.jpg', error: expect.stringMatching(/never arrived/), urls: {} });
    } finally {
      clockOffset = 0;
    }
  });

  it('the page reports a failed upload (its PUT did not go through): failed at once, with the code the page words; an arrived or finished one is left alone', async () => {
    const announce = async (fileName: string) => (await h.call('POST', `/api/patients/${patientId}/images`, { token: h.tokens.dentist, body: { fileName, contentType: 'image/jpeg' } })).body;
    const lost = await announce('rede-caiu.jpg');
    const r = await h.call('POST', `/api/patients/${patientId}/images/${lost.image.id}/upload-failed`, { token: h.tokens.dentist, body: {} });
    expect(r.status).toBe(200);
    expect(r.body).toEqual({ image: { id: lost.image.id, status: 'failed' } });
    const listed = (await h.call('GET', `/api/patients/${patientId}/images`, { token: h.tokens.dentist })).body.images.find((i: { id: string }) => i.id === lost.image.id);
    expect(listed).toMatchObject({ status: 'failed', fileName: 'rede-caiu.jpg', errorCode: 'never-arrived', urls: {} });
    const entries = await listAudit(h.stack.dataStore, { patientId });
    expect(entries).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'image.upload-failed', actor: `staff:${h.ids.dentist}`, details: { imageId: lost.image.id } })]));

    // the file did arrive (the browser only lost the answer): not marked failed — processed as usual
    const jpeg = await sharp({ create: { width: 300, height: 200, channels: 3, background: { r: 10, g: 120, b: 90 } } }).jpeg().toBuffer();
    const arrived = await announce('chegou.jpg');
    expect((await fetch(arrived.upload.url, { method: 'PUT', headers: arrived.upload.headers, body: jpeg })).status).toBe(200);
    const told = await h.call('POST', `/api/patients/${patientId}/images/${arrived.image.id}/upload-failed`, { token: h.tokens.dentist, body: {} });
    expect(told.body.image.status).not.toBe('failed');
    expect((await waitFor(arrived.image.id, h.tokens.dentist)).status).toBe('ready');
    const after = await h.call('POST', `/api/patients/${patientId}/images/${arrived.image.id}/upload-failed`, { token: h.tokens.dentist, body: {} });
    expect(after.body.image.status).toBe('ready');

    const other = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Outra Paciente Imagem', birthDate: '1992-02-02' } });
    const elsewhere = await h.call('POST', `/api/patients/${other.body.patient.id}/images/${arrived.image.id}/upload-failed`, { token: h.tokens.dentist, body: {} });
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error).toMatchObject({ code: 'not-found', reason: 'image-not-found' });
    expect((await h.call('POST', `/api/patients/${patientId}/images/nope/upload-failed`, { token: h.tokens.dentist, body: {} })).status).toBe(404);
    expect((await h.call('POST', `/api/patients/${patientId}/images/${lost.image.id}/upload-failed`, { token: h.tokens.reception, body: {} })).status).toBe(403);
  });

  it('listing the images is an audited read (image.list: who, which patient), once per staff member and patient per 5 minutes', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Paciente Radiografias', birthDate: '1979-04-04' } });
    const pid = made.body.patient.id;
    const listed = async () => (await listAudit(h.stack.dataStore, { patientId: pid })).filter((e) => e.action === 'image.list').map((e) => [e.actor, e.details]);
    for (let i = 0; i < 3; i++) expect((await h.call('GET', `/api/patients/${pid}/images`, { token: h.tokens.dentist })).status).toBe(200); // the page's polls: one viewing
    expect(await listed()).toEqual([[`staff:${h.ids.dentist}`, { images: 0 }]]);
    await h.call('GET', `/api/patients/${pid}/images`, { token: h.tokens.assistant });
    expect(await listed()).toEqual([
      [`staff:${h.ids.dentist}`, { images: 0 }],
      [`staff:${h.ids.assistant}`, { images: 0 }],
    ]);
    clockOffset = IMAGE_LIST_AUDIT_MS + 1_000;
    try {
      await h.call('GET', `/api/patients/${pid}/images`, { token: h.tokens.dentist });
    } finally {
      clockOffset = 0;
    }
    expect((await listed()).filter(([actor]) => actor === `staff:${h.ids.dentist}`)).toHaveLength(2);
  });

  it('lists a patient\'s images oldest first by the day taken, then by when they were imported', async () => {
    const made = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Paciente Ordem', birthDate: '1980-08-08' } });
    const pid = made.body.patient.id;
    const announce = async (fileName: string, takenAt?: string) =>
      (await h.call('POST', `/api/patients/${pid}/images`, { token: h.tokens.dentist, body: { fileName, contentType: 'image/jpeg', ...(takenAt ? { takenAt } : {}) } })).body.image.id as string;
    await announce('2024-a.jpg', '2024-05-01');
    await announce('sem-data.jpg'); // no date taken: placed by when it was imported (now)
    await announce('2019.jpg', '2019-03-10');
    await announce('2024-b.jpg', '2024-05-01'); // the same day as 2024-a, imported after it
    await announce('2022-instante.jpg', '2022-01-15T09:30:00-03:00');
    const listed = await h.call('GET', `/api/patients/${pid}/images`, { token: h.tokens.dentist });
    expect(listed.body.images.map((i: { fileName: string }) => i.fileName)).toEqual(['2019.jpg', '2022-instante.jpg', '2024-a.jpg', '2024-b.jpg', 'sem-data.jpg']);
  });

  it('hands out the watermarked shared copy as an audited download link; 404 with the reason when there is none', async () => {
    const jpeg = await sharp({ create: { width: 640, height: 480, channels: 3, background: { r: 90, g: 140, b: 200 } } }).jpeg().toBuffer();
    const start = (await h.call('POST', `/api/patients/${patientId}/images`, { token: h.tokens.dentist, body: { fileName: 'para-paciente.jpg', contentType: 'image/jpeg' } })).body;
    const early = await h.call('GET', `/api/patients/${patientId}/images/${start.image.id}/shared`, { token: h.tokens.dentist });
    expect(early.status).toBe(404); // still processing: no copy yet
    await fetch(start.upload.url, { method: 'PUT', headers: start.upload.headers, body: jpeg });
    await waitFor(start.image.id, h.tokens.dentist);

    const r = await h.call('GET', `/api/patients/${patientId}/images/${start.image.id}/shared`, { token: h.tokens.assistant });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ image: { id: start.image.id }, fileName: `${start.image.id}-shared.webp`, contentType: 'image/webp' });
    const download = await fetch(r.body.url);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toBe(`attachment; filename="${start.image.id}-shared.webp"`);
    const bytes = Buffer.from(await download.arrayBuffer());
    expect((await sharp(bytes).metadata()).format).toBe('webp');
    const entries = await listAudit(h.stack.dataStore, { patientId });
    expect(entries).toEqual(expect.arrayContaining([expect.objectContaining({ action: 'image.download', actor: `staff:${h.ids.assistant}`, details: { imageId: start.image.id, variant: 'shared' } })]));

    const plain = (await h.call('POST', `/api/patients/${patientId}/images`, { token: h.tokens.dentist, body: { fileName: 'sem-marca.jpg', contentType: 'image/jpeg', watermark: false } })).body;
    await fetch(plain.upload.url, { method: 'PUT', headers: plain.upload.headers, body: await sharp(jpeg).rotate(90).jpeg().toBuffer() });
    await waitFor(plain.image.id, h.tokens.dentist);
    const none = await h.call('GET', `/api/patients/${patientId}/images/${plain.image.id}/shared`, { token: h.tokens.dentist });
    expect(none.status).toBe(404);
    expect(none.body.error.message).toMatch(/no shared copy/);

    const other = await h.call('POST', '/api/patients', { token: h.tokens.reception, body: { fullName: 'Outro Paciente Compartilhada', birthDate: '1993-03-03' } });
    expect((await h.call('GET', `/api/patients/${other.body.patient.id}/images/${start.image.id}/shared`, { token: h.tokens.dentist })).status).toBe(404);
    expect((await h.call('GET', `/api/patients/${patientId}/images/nope/shared`, { token: h.tokens.dentist })).status).toBe(404);
    expect((await h.call('GET', `/api/patients/${patientId}/images/${start.image.id}/shared`, { token: h.tokens.reception })).status).toBe(403);
  });

  it('validates the announcement: content type, kind, teeth, size; unknown patient → 404', async () => {
    const cases: [Record<string, unknown>, string][] = [
      [{ contentType: 'application/pdf' }, 'contentType'],
      [{ contentType: 'image/jpeg', kind: 'selfie' }, 'kind'],
      [{ contentType: 'image/jpeg', teeth: [19] }, 'teeth'],
      [{ contentType: 'image/jpeg', takenAt: '2099-01-01' }, 'takenAt'],
      [{ contentType: 'image/jpeg', size: 10 * 1024 * 1024 * 1024 }, 'size'],
    ];
    for (const [body, field] of cases) {
      const r = await h.call('POST', `/api/patients/${patientId}/images`, { token: h.tokens.dentist, body });
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.body.error.field).toBe(field);
    }
    const missing = await h.call('POST', '/api/patients/P-999999/images', { token: h.tokens.dentist, body: { contentType: 'image/png' } });
    expect(missing.status).toBe(404);
  });
});
