/**
 * A patient's images on the patient view: tiles updated in place while uploads are processed (polling that
 * slows down and stops), uploads straight to storage by the presigned request the API answers, and the
 * viewer. Links expire (the list says when): old or broken ones are read again, once.
 */
import type { ImageListResponse, ImageView, UploadRequest, UploadResponse } from '../api-types.js';
import { api, enc } from '../api.js';
import { $, clearError, dialog, field, h, showError } from '../dom.js';
import { clinicToday } from '../format.js';
import { dateLabel, errorText, imageFailureText, t, type ShownError } from '../i18n.js';
import { state } from '../state.js';

const ACCEPTED = ['image/jpeg', 'image/png', 'image/tiff', 'image/webp'];
/** While something is processing the list is read again: soon at first, then less and less often, and not for ever. */
const POLL_FIRST_MS = 1500;
const POLL_MAX_MS = 15_000;
const POLL_FOR_MS = 5 * 60_000;
let pollTimer: ReturnType<typeof setTimeout> | undefined;
let poll = { delay: POLL_FIRST_MS, since: 0 };
const waiting = new Set<string>(); // image ids uploaded and not yet processed
/** Announced uploads whose file is on its way: image id → patient id (told to the server if the PUT fails). */
const sending = new Map<string, string>();
/** When the list on screen was read, and how long its links work (the server says: 10 minutes). */
let imagesRead = { at: 0, lifeMs: 600_000 };
/** Links past 80% of their life are replaced before they are used. */
const linksOld = (since = imagesRead.at) => Date.now() - since > imagesRead.lifeMs * 0.8;

/** What each tile element knows of its image: the newest listing, when its link was read, whether it broke. */
interface TileState {
  image: ImageView;
  linkedAt: number;
  retried?: boolean;
  broken?: boolean;
}
const tiles = new WeakMap<Element, TileState>();

export function stopPolling(): void {
  clearTimeout(pollTimer);
  pollTimer = undefined;
}

/**
 * Reads the patient's images and updates the tiles in place. `restart` (a patient opened, an upload done):
 * polling starts again from its first, short delay; it slows down and stops after POLL_FOR_MS.
 */
export async function loadImages({ restart = false } = {}): Promise<void> {
  if (!state.current) return;
  const id = state.current.patient.id;
  if (restart) poll = { delay: POLL_FIRST_MS, since: Date.now() };
  const { data } = await api<ImageListResponse>('GET', `/api/patients/${enc(id)}/images`);
  if (!state.current || state.current.patient.id !== id) return;
  imagesRead = { at: Date.now(), lifeMs: (data.expiresInSeconds || 600) * 1000 };
  renderImages(data.images);
  const pending = data.images.some((i) => i.status === 'processing') || [...waiting].some((w) => !data.images.find((i) => i.id === w && i.status !== 'processing'));
  stopPolling();
  const gaveUp = pending && Date.now() - poll.since >= POLL_FOR_MS;
  $('#images-stale').hidden = !gaveUp;
  if (pending && !gaveUp) {
    pollTimer = setTimeout(() => loadImages().catch(() => {}), poll.delay);
    poll.delay = Math.min(Math.round(poll.delay * 1.5), POLL_MAX_MS);
  }
}

let relinking: Promise<void> | null = null;
/** Reads the list again for fresh links (one read however many thumbnails ask at once). */
function relink(): Promise<void> {
  relinking ??= loadImages()
    .catch(() => {})
    .finally(() => (relinking = null));
  return relinking;
}

/** What a tile shows: when this changes the tile is rebuilt, otherwise it is left alone. */
function tileLook(img: ImageView) {
  const caption = [img.kind ? t(`kind.${img.kind}`) : null, img.takenAt ? dateLabel(img.takenAt.slice(0, 10)) : null, img.fileName].filter(Boolean).join(' · ');
  const state = img.status === 'failed' ? `${t('images.failed')}${img.error || img.errorCode ? `: ${imageFailureText(img)}` : ''}` : img.status === 'ready' ? '' : t('images.processing');
  return { caption, state, key: `${img.status}|${caption}|${state}` };
}

function imageTile(img: ImageView, look: ReturnType<typeof tileLook>): HTMLLIElement {
  const li = h('li', { 'data-image': img.id, 'data-status': img.status, 'data-look': look.key });
  const tile: TileState = { image: img, linkedAt: imagesRead.at };
  tiles.set(li, tile);
  const visual =
    img.status === 'ready' && img.urls?.thumb
      ? h('img', {
          src: img.urls.thumb,
          alt: look.caption || img.id,
          loading: 'lazy',
          width: 320,
          height: 240,
          onload: () => (tile.retried = false),
          onerror: () => thumbFailed(tile),
        })
      : h('span', { class: `pending${img.status === 'failed' ? ' bad' : ''}` }, look.state);
  li.append(h('button', { type: 'button', disabled: img.status !== 'ready', onclick: () => openImage(tile) }, visual, h('span', { class: 'cap' }, look.caption)));
  return li;
}

/** A thumbnail that did not load (its link expired, most likely): the list is read again, once. */
function thumbFailed(tile: TileState): void {
  if (tile.retried) return;
  tile.retried = true;
  tile.broken = true;
  void relink();
}

/** When an image was taken (else uploaded), then when uploaded: the tiles' order, oldest first. */
const byDate = (a: ImageView, b: ImageView): number => {
  const when = (i: ImageView) => (i.takenAt ?? i.importedAt ?? '\uffff').slice(0, 10);
  return when(a).localeCompare(when(b)) || (a.importedAt ?? '\uffff').localeCompare(b.importedAt ?? '\uffff') || a.id.localeCompare(b.id);
};

/**
 * The tiles, in date order, updated in place: one whose image did not change keeps its element — its
 * thumbnail is not downloaded again and keyboard focus stays on it. Its link is replaced only when old or broken.
 */
function renderImages(listed: ImageView[]): void {
  const images = [...listed].sort(byDate);
  const list = $('#thumbs');
  if (!images.length) {
    list.replaceChildren(h('li', { class: 'muted' }, t('images.none')));
    return;
  }
  const shown = new Map([...list.querySelectorAll<HTMLLIElement>('li[data-image]')].map((li) => [li.dataset.image!, li]));
  for (const el of list.querySelectorAll('li:not([data-image])')) el.remove();
  let previous: Element | null = null;
  for (const img of images) {
    if (img.status !== 'processing') {
      waiting.delete(img.id);
      for (const row of document.querySelectorAll(`#uploads li[data-image="${img.id}"]`)) row.remove();
    }
    const look = tileLook(img);
    let li = shown.get(img.id);
    shown.delete(img.id);
    if (!li || li.dataset.look !== look.key) {
      const fresh = imageTile(img, look);
      if (li) li.replaceWith(fresh);
      li = fresh;
    } else {
      const tile = tiles.get(li)!;
      tile.image = img; // the newest links, for opening
      const thumb = li.querySelector('img');
      if (thumb && img.urls?.thumb && (tile.broken || linksOld(tile.linkedAt))) {
        tile.broken = false;
        tile.linkedAt = imagesRead.at;
        thumb.src = img.urls.thumb;
      }
    }
    const spot: Element | null = previous ? previous.nextElementSibling : list.firstElementChild;
    if (spot !== li) list.insertBefore(li, spot);
    previous = li;
  }
  for (const gone of shown.values()) gone.remove();
}

/** The viewer's image: which one it shows, and whether its link was already renewed once. */
const viewer = { imageId: '', retried: false };

/** The images the viewer steps through: the ready tiles, in their order. */
const readyTiles = (): TileState[] =>
  [...document.querySelectorAll('#thumbs li[data-status=ready]')].map((li) => tiles.get(li)).filter((tile): tile is TileState => Boolean(tile));

async function openImage(tile: TileState): Promise<void> {
  if (linksOld()) await relink(); // a page left open: the display link must not have expired
  showInViewer(tile.image); // the newest listing (a relink updates the tile's image in place)
  resetLook();
  if (!dialog('image-dialog').open) dialog('image-dialog').showModal();
}

/** One image in the viewer: its display copy, caption, size, teeth, the download of its shared copy. */
function showInViewer(img: ImageView): void {
  const caption = tileLook(img).caption;
  const full = $<HTMLImageElement>('#image-full');
  viewer.imageId = img.id;
  viewer.retried = false;
  full.dataset.image = img.id;
  $('#image-dialog-title').textContent = caption;
  full.src = img.urls.display || img.urls.thumb || '';
  full.alt = caption;
  const teeth = img.teeth?.length ? t('viewer.teeth', { teeth: img.teeth.join(', ') }) : null;
  $('#image-meta').textContent = [img.width && img.height ? `${img.width} × ${img.height}` : null, teeth, img.id].filter(Boolean).join(' · ');
  const download = $<HTMLAnchorElement>('#image-download');
  download.hidden = !img.urls.shared;
  if (img.urls.shared) download.href = img.urls.shared; // the server's link says to save it, under the image's id
  else download.removeAttribute('href');
  const ready = readyTiles();
  const at = ready.findIndex((tile) => tile.image.id === img.id);
  $<HTMLButtonElement>('#viewer-prev').disabled = at <= 0;
  $<HTMLButtonElement>('#viewer-next').disabled = at < 0 || at >= ready.length - 1;
}

/** The previous (-1) or next (+1) ready image, in the tiles' order. */
async function step(by: -1 | 1): Promise<void> {
  if (linksOld()) await relink();
  const ready = readyTiles();
  const next = ready[ready.findIndex((tile) => tile.image.id === viewer.imageId) + by];
  if (next) showInViewer(next.image);
}

/** Zoom, brightness and contrast (radiographs are read this way), applied to the display image. */
function applyLook(): void {
  const full = $<HTMLImageElement>('#image-full');
  const zoom = Number($<HTMLInputElement>('#viewer-zoom').value);
  full.style.filter = `brightness(${$<HTMLInputElement>('#viewer-brightness').value}) contrast(${$<HTMLInputElement>('#viewer-contrast').value})`;
  full.classList.toggle('zoomed', zoom > 1);
  full.style.width = zoom > 1 ? `${zoom * 100}%` : '';
}

function resetLook(): void {
  for (const id of ['viewer-zoom', 'viewer-brightness', 'viewer-contrast']) $<HTMLInputElement>(`#${id}`).value = '1';
  applyLook();
}

/** The display image did not load (an expired link): fresh links, once, and the image again. */
async function displayFailed(): Promise<void> {
  if (viewer.retried || !viewer.imageId) return;
  viewer.retried = true;
  await relink();
  const li = document.querySelector(`#thumbs li[data-image="${viewer.imageId}"]`);
  const urls = li ? tiles.get(li)?.image.urls : undefined;
  if (urls && dialog('image-dialog').open) $<HTMLImageElement>('#image-full').src = urls.display || urls.thumb || '';
}

/** A tooth in FDI notation: permanent 11–18, 21–28, 31–38, 41–48; primary 51–55, 61–65, 71–75, 81–85 (as the CLI). */
const isFdiTooth = (n: number) => {
  const q = Math.floor(n / 10);
  const i = n % 10;
  return (q >= 1 && q <= 4 && i >= 1 && i <= 8) || (q >= 5 && q <= 8 && i >= 1 && i <= 5);
};

type UploadOptions = Pick<UploadRequest, 'kind' | 'takenAt'> & { teeth?: number[] };

/** The kind, taken-at date and teeth chosen beside the drop zone; undefined (and the error shown) when invalid. */
function uploadOptions(): UploadOptions | undefined {
  const form = $<HTMLFormElement>('#upload-opts');
  const error = $('#upload-error');
  clearError(error);
  const options: UploadOptions = { kind: field<HTMLSelectElement>(form, 'kind').value };
  const takenAt = field(form, 'takenAt').value;
  if (takenAt) {
    if (takenAt > clinicToday()) {
      showError({ key: 'err.date-future', field: 'takenAt' }, error);
      return undefined;
    }
    options.takenAt = takenAt;
  }
  const parts = field(form, 'teeth').value.split(/[\s,;]+/).filter(Boolean);
  for (const part of parts) {
    if (!/^\d{2}$/.test(part) || !isFdiTooth(Number(part))) {
      showError({ key: 'err.tooth-invalid', vars: { value: part }, field: 'teeth' }, error);
      return undefined;
    }
  }
  if (parts.length) options.teeth = [...new Set(parts.map(Number))].sort((a, b) => a - b);
  return options;
}

function uploadFiles(files: File[]): void {
  if (!state.current || !files.length) return;
  const options = uploadOptions();
  if (!options) return;
  for (const file of files) void uploadOne(state.current.patient.id, file, options);
}

async function uploadOne(patientId: string, file: File, options: UploadOptions): Promise<void> {
  const progress = h('progress', { max: 100, value: 0, 'aria-label': file.name });
  const status = h('span', { class: 'state' }, t('images.uploading', { p: 0 }));
  const row = h('li', {}, h('span', {}, file.name), progress, status);
  $('#uploads').append(row);
  const fail = (message: string) => {
    status.textContent = message;
    status.classList.add('bad');
    progress.remove();
  };
  if (!ACCEPTED.includes(file.type)) return fail(t('images.type', { name: file.type || file.name }));
  let imageId: string | undefined;
  try {
    const body: UploadRequest = { fileName: file.name, contentType: file.type, size: file.size, ...options };
    const { data } = await api<UploadResponse>('POST', `/api/patients/${enc(patientId)}/images`, body);
    imageId = data.image.id;
    sending.set(imageId, patientId);
    await new Promise<void>((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open(data.upload.method || 'PUT', data.upload.url);
      for (const [k, v] of Object.entries(data.upload.headers || {})) xhr.setRequestHeader(k, v);
      xhr.upload.addEventListener('progress', (e) => {
        if (!e.lengthComputable) return;
        const p = Math.round((e.loaded / e.total) * 100);
        progress.value = p;
        status.textContent = t('images.uploading', { p });
      });
      xhr.addEventListener('load', () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error(t('images.s3failed', { status: xhr.status })))));
      xhr.addEventListener('error', () => reject(new Error(t('error.offline'))));
      xhr.send(file);
    });
    sending.delete(imageId);
    progress.value = 100;
    status.textContent = t('images.processing');
    row.dataset.image = imageId;
    waiting.add(imageId);
    await loadImages({ restart: true });
  } catch (err) {
    fail(errorText(err as ShownError));
    // the file did not get to storage: the server marks the upload failed now, and the tile says so
    if (imageId && sending.delete(imageId)) {
      await api('POST', uploadFailedPath(patientId, imageId), {}).catch(() => {});
      await loadImages().catch(() => {});
    }
  }
}

const uploadFailedPath = (patientId: string, imageId: string) => `/api/patients/${enc(patientId)}/images/${enc(imageId)}/upload-failed`;

/** Leaving the page stops the uploads on their way: the server is told (a keepalive request outlives the page). */
function abandonUploads(): void {
  for (const [imageId, patientId] of sending) {
    fetch(uploadFailedPath(patientId, imageId), { method: 'POST', keepalive: true }).catch(() => {});
  }
  sending.clear();
}

export function wireImages(): void {
  $('#upload-opts').addEventListener('submit', (e) => e.preventDefault());
  $('#upload-opts').addEventListener('input', () => clearError($('#upload-error')));
  const zone = $('#dropzone');
  const picker = $<HTMLInputElement>('#file-input');
  zone.addEventListener('click', () => picker.click());
  zone.addEventListener('keydown', (e) => {
    if (e.key !== 'Enter' && e.key !== ' ') return;
    e.preventDefault();
    picker.click();
  });
  zone.addEventListener('dragover', (e) => {
    e.preventDefault();
    zone.classList.add('over');
  });
  zone.addEventListener('dragleave', () => zone.classList.remove('over'));
  zone.addEventListener('drop', (e) => {
    e.preventDefault();
    zone.classList.remove('over');
    uploadFiles([...(e.dataTransfer?.files ?? [])]);
  });
  $('#image-full').addEventListener('error', displayFailed);
  $('#viewer-prev').addEventListener('click', () => void step(-1));
  $('#viewer-next').addEventListener('click', () => void step(1));
  $('#viewer-reset').addEventListener('click', resetLook);
  for (const id of ['viewer-zoom', 'viewer-brightness', 'viewer-contrast']) $(`#${id}`).addEventListener('input', applyLook);
  // on the document: stepping to the last image disables "next", and the focus it had falls out of the dialog
  document.addEventListener('keydown', (e) => {
    if (!dialog('image-dialog').open || (e.target as Element).tagName === 'INPUT') return; // a slider's own arrows
    if (e.key === 'ArrowLeft') void step(-1);
    else if (e.key === 'ArrowRight') void step(1);
  });
  $('#images-recheck').addEventListener('click', () => loadImages({ restart: true }).catch((err: unknown) => showError(err as ShownError)));
  window.addEventListener('pagehide', abandonUploads);
  picker.addEventListener('change', () => {
    uploadFiles([...(picker.files ?? [])]);
    picker.value = '';
  });
}
