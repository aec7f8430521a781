/**
 * A patient's images. The server never carries pixels: the list gives short-lived presigned GET links to the
 * thumb/display/shared derivatives, and an upload is a presigned PUT of the original straight to S3, after
 * which the image-processor (a Lambda on AWS; the same handler on S3 events in `clinica dev`) makes the
 * derivatives and marks the record ready. The page polls the list until then.
 */
import { audit } from '../../clinic/audit.js';
import { abandonImageUpload, beginImageUpload, formatContentType, getImage, listImages, validateImageMetadata, variantLocation, type ImageListing } from '../../clinic/images.js';
import { getPatient } from '../../clinic/patients.js';
import { isClinicaError, notFound, usageError } from '../../errors.js';
import type { ImageFormat } from '../../imaging/inspect.js';
import type { ImageListResponse, ImageView, UploadResponse } from '../../web/api-types.js';
import { RecentMap } from '../recent.js';
import type { Route } from '../router.js';
import type { ApiDeps } from '../routes.js';
import { bool, int, onlyFields, requiredStr, str } from './input.js';

/** How long the links in a listing work. */
export const VIEW_LINK_SECONDS = 600;
/** How long the browser has to start the upload. */
export const UPLOAD_LINK_SECONDS = 900;
/** Largest original the page may announce (a panoramic TIFF is rarely above 100 MB). */
export const MAX_UPLOAD_BYTES = 200 * 1024 * 1024;
/**
 * Listing a patient's images is an audited read (`image.list`), once per staff member and patient in this
 * time: the page lists again while uploads are processed and when its links get old, which is one viewing.
 */
export const IMAGE_LIST_AUDIT_MS = 5 * 60_000;

const formatOfType: Record<string, ImageFormat> = {
  'image/jpeg': 'jpeg',
  'image/jpg': 'jpeg',
  'image/png': 'png',
  'image/tiff': 'tiff',
  'image/webp': 'webp',
};

const DERIVED = ['thumb', 'display', 'shared'] as const;

export function imageRoutes(deps: ApiDeps): Route[] {
  const { store } = deps;
  const listAudited = new RecentMap<true>(IMAGE_LIST_AUDIT_MS, () => deps.now().getTime());

  async function view(image: ImageListing): Promise<ImageView> {
    const r = image.record;
    const urls: Partial<Record<(typeof DERIVED)[number], string>> = {};
    if (image.status === 'ready' && r) {
      for (const variant of DERIVED) {
        const stored = r.variants[variant];
        // the shared copy is for giving to the patient: its link saves it (the staff page's download), named by the image
        const save = variant === 'shared' ? { downloadName: `${image.patientId}-${image.id}.webp` } : {};
        if (stored) urls[variant] = await store.presignGet(stored.key, { expiresIn: VIEW_LINK_SECONDS, ...save });
      }
    }
    return {
      id: image.id,
      status: image.status,
      ...(r
        ? {
            kind: r.kind,
            takenAt: r.takenAt,
            teeth: r.teeth,
            notes: r.notes,
            fileName: r.original.fileName,
            width: r.original.width || undefined,
            height: r.original.height || undefined,
            ...(r.original.pages ? { pages: r.original.pages } : {}),
            ...(r.original.animated ? { animated: true } : {}),
            importedAt: r.importedAt,
            importedBy: r.importedBy,
          }
        : {}),
      ...(image.failure
        ? {
            error: image.failure.reason,
            ...(image.failure.code ? { errorCode: image.failure.code } : {}),
            ...(image.failure.params ? { errorParams: image.failure.params } : {}),
          }
        : {}),
      urls,
    };
  }

  return [
    {
      method: 'GET',
      path: '/api/patients/:id/images',
      permission: 'images',
      handler: async ({ params, actor }) => {
        const { patient } = await getPatient(store, params.id!);
        const images = await listImages(store, patient.id, { now: deps.now() });
        const seen = `${actor}|${patient.id}`;
        if (!listAudited.get(seen)) {
          await audit(store, { actor, action: 'image.list', patientId: patient.id, details: { images: images.length } }, deps.now());
          listAudited.set(seen, true);
        }
        return { patientId: patient.id, expiresInSeconds: VIEW_LINK_SECONDS, images: await Promise.all(images.map(view)) } satisfies ImageListResponse;
      },
    },
    {
      method: 'POST',
      path: '/api/patients/:id/images',
      permission: 'images',
      handler: async (ctx) => {
        const body = await ctx.body();
        onlyFields(body, ['fileName', 'contentType', 'size', 'kind', 'teeth', 'takenAt', 'notes', 'watermark']);
        const contentType = requiredStr(body, 'contentType', 100).toLowerCase();
        const format = formatOfType[contentType];
        if (!format) throw usageError(`contentType "${contentType}": expected image/jpeg, image/png, image/tiff or image/webp`, { field: 'contentType', reason: 'content-type' });
        const size = int(body, 'size', { min: 1, max: MAX_UPLOAD_BYTES });
        const fileName = str(body, 'fileName', { max: 200 })?.replace(/[\\/]/g, '_') ?? undefined;
        const teeth = Array.isArray(body.teeth) ? teethList(body.teeth) : (str(body, 'teeth', { max: 200 }) ?? undefined);
        const metadata = validateImageMetadata({
          kind: str(body, 'kind', { max: 40 }) ?? undefined,
          teeth,
          takenAt: str(body, 'takenAt', { max: 40 }) ?? undefined,
          notes: str(body, 'notes', { max: 2000 }) ?? undefined,
        });
        const { patient } = await getPatient(store, ctx.params.id!);
        const { record, uploadKey } = await beginImageUpload(store, {
          patientId: patient.id,
          format,
          metadata,
          actor: ctx.actor,
          ...(fileName ? { fileName } : {}),
          watermark: bool(body, 'watermark') ?? true,
          now: deps.now(),
        });
        const url = await store.presignPut(uploadKey, { contentType: formatContentType(format), expiresIn: UPLOAD_LINK_SECONDS });
        await audit(store, { actor: ctx.actor, action: 'image.upload', patientId: patient.id, details: { imageId: record.id, kind: record.kind, ...(size ? { size } : {}) } });
        return {
          status: 201,
          body: {
            image: { id: record.id, status: record.status, kind: record.kind },
            upload: { method: 'PUT', url, headers: { 'content-type': formatContentType(format) }, expiresInSeconds: UPLOAD_LINK_SECONDS },
          } satisfies UploadResponse,
        };
      },
    },
    {
      method: 'GET',
      path: '/api/patients/:id/images/:imageId/shared',
      permission: 'images',
      // the watermarked copy to hand to a patient: a short-lived link that downloads it (the page's "baixar"),
      // audited as a download as `images get` is; 404 with the reason when there is none (not ready, failed,
      // imported without a watermark)
      handler: async ({ params, actor }) => {
        const { patient } = await getPatient(store, params.id!);
        const record = await getImage(store, params.imageId!).catch((err: unknown) => {
          throw isClinicaError(err, 'usage') ? notFound(`patient ${patient.id} has no image ${params.imageId}`, { field: 'image', reason: 'image-not-found', params: { id: params.imageId! } }) : err;
        });
        if (record.patientId !== patient.id) throw notFound(`patient ${patient.id} has no image ${record.id}`, { field: 'image', reason: 'image-not-found', params: { id: record.id } });
        const where = variantLocation(record, 'shared');
        const fileName = `${record.id}-shared.${where.extension}`;
        const url = await store.presignGet(where.key, { expiresIn: VIEW_LINK_SECONDS, downloadName: fileName });
        await audit(store, { actor, action: 'image.download', patientId: patient.id, details: { imageId: record.id, variant: 'shared' } }, deps.now());
        return { image: { id: record.id }, url, fileName, contentType: where.contentType, expiresInSeconds: VIEW_LINK_SECONDS };
      },
    },
    {
      method: 'POST',
      path: '/api/patients/:id/images/:imageId/upload-failed',
      permission: 'images',
      // the browser's PUT of the original failed (or the page is being left): failed now, not in an hour
      handler: async (ctx) => {
        const { patient } = await getPatient(store, ctx.params.id!);
        const status = await abandonImageUpload(store, patient.id, ctx.params.imageId!, ctx.actor, deps.now());
        return { image: { id: ctx.params.imageId, status } };
      },
    },
  ];
}

function teethList(value: unknown[]): number[] {
  if (value.length > 52 || !value.every((t) => typeof t === 'number')) throw usageError('teeth: expected a list of FDI tooth numbers, e.g. [11, 21]', { field: 'teeth', reason: 'tooth-invalid', params: { value: String(value) } });
  return value as number[];
}
