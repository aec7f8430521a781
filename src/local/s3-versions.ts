/**
 * Object versions for the local S3, as S3 keeps them in a bucket with versioning enabled. s3rver has no
 * versioning (it misroutes PutBucketVersioning), so the proxy in s3-server.ts keeps them: s3rver holds every
 * key's current object as before (listing, events, websites unchanged), and this index holds each key's
 * history — version ids, ETags, sizes, times, delete markers — with the bodies of non-current versions in
 * files of their own. A version's body is copied out of s3rver only when a write or a delete is about to
 * replace it, so a new key (an audit entry, a claim) costs one line appended to the index and nothing else.
 *
 * On disk, beside s3rver's folder: `<dir>/<bucket>.jsonl` (one line per change, replayed at start) and
 * `<dir>/<bucket>/<versionId>` (the bodies of non-current versions).
 */
import { randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, openSync, writeSync } from 'node:fs';
import { mkdir, readdir, readFile, rm, unlink } from 'node:fs/promises';
import type { IncomingHttpHeaders, IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { join } from 'node:path';

export interface ObjectVersion {
  versionId: string;
  etag: string;
  size: number;
  /** ISO time */
  lastModified: string;
  deleteMarker?: boolean;
  /** the version's response headers (content-type, metadata…), kept when its body is archived */
  headers?: Record<string, string>;
  /** its body is in the archive (it is not, or no longer, s3rver's current object) */
  archived?: boolean;
}

type LogLine =
  | { op: 'enable' }
  | { op: 'add'; key: string; version: ObjectVersion }
  | { op: 'archived'; key: string; versionId: string; headers: Record<string, string> }
  | { op: 'drop'; key: string; versionId: string }
  | { op: 'restored'; key: string; versionId: string };

interface BucketVersions {
  keys: Map<string, ObjectVersion[]>;
  /** the keys in order, made when a listing needs it and dropped when a key is added */
  sorted?: string[];
}

/** An S3-shaped version id: 32 URL-safe characters. */
export const newVersionId = (): string => randomBytes(24).toString('base64url');

export class VersionIndex {
  private readonly buckets = new Map<string, BucketVersions>();
  /** each bucket's log, open for appending */
  private readonly files = new Map<string, number>();

  constructor(readonly dir: string) {}

  /** Reads every bucket's log back (the versions survive a restart of `clinica dev`). */
  async load(): Promise<void> {
    const names = await readdir(this.dir).catch(() => [] as string[]); // none yet: no bucket was ever versioned
    for (const name of names) {
      if (!name.endsWith('.jsonl')) continue;
      const bucket = name.slice(0, -'.jsonl'.length);
      const state: BucketVersions = { keys: new Map() };
      this.buckets.set(bucket, state);
      const text = await readFile(join(this.dir, name), 'utf8');
      for (const line of text.split('\n')) {
        if (!line.trim()) continue;
        try {
          this.apply(state, JSON.parse(line) as LogLine);
        } catch {
          // a line cut short by a crash mid-append: the changes before it stand
        }
      }
    }
  }

  isVersioned(bucket: string): boolean {
    return this.buckets.has(bucket);
  }

  /** Turns versioning on; the objects already there become version "null" (as on S3). */
  async enable(bucket: string, existing: { key: string; etag: string; size: number; lastModified: string }[]): Promise<void> {
    if (this.buckets.has(bucket)) return;
    await mkdir(this.dir, { recursive: true });
    this.buckets.set(bucket, { keys: new Map() });
    this.append(bucket, { op: 'enable' });
    for (const o of existing) {
      await this.add(bucket, o.key, { versionId: 'null', etag: o.etag, size: o.size, lastModified: o.lastModified });
    }
  }

  /** Forgets a deleted bucket. */
  async forget(bucket: string): Promise<void> {
    this.buckets.delete(bucket);
    this.closeLog(bucket);
    await rm(join(this.dir, `${bucket}.jsonl`), { force: true });
    await rm(join(this.dir, bucket), { recursive: true, force: true });
  }

  /** A key's versions, oldest first (the last is the current one). */
  versions(bucket: string, key: string): ObjectVersion[] {
    return this.buckets.get(bucket)?.keys.get(key) ?? [];
  }

  current(bucket: string, key: string): ObjectVersion | undefined {
    const list = this.versions(bucket, key);
    return list[list.length - 1];
  }

  find(bucket: string, key: string, versionId: string): ObjectVersion | undefined {
    return this.versions(bucket, key).find((v) => v.versionId === versionId);
  }

  /** Every key of the bucket with at least one version, in S3's (byte) order. */
  keys(bucket: string): string[] {
    const state = this.buckets.get(bucket);
    if (!state) return [];
    state.sorted ??= [...state.keys.keys()].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    return state.sorted;
  }

  async add(bucket: string, key: string, version: ObjectVersion): Promise<void> {
    this.change(bucket, { op: 'add', key, version: { ...version } });
  }

  /** Records that a version's body now lives in the archive (it is about to be replaced in s3rver). */
  async markArchived(bucket: string, key: string, versionId: string, headers: Record<string, string>): Promise<void> {
    this.change(bucket, { op: 'archived', key, versionId, headers });
  }

  /** Records that an archived version is s3rver's current object again (its newer versions were deleted). */
  async markRestored(bucket: string, key: string, versionId: string): Promise<void> {
    this.change(bucket, { op: 'restored', key, versionId });
    await unlink(this.bodyPath(bucket, versionId)).catch(() => undefined);
  }

  async drop(bucket: string, key: string, versionId: string): Promise<void> {
    const archived = this.find(bucket, key, versionId)?.archived;
    this.change(bucket, { op: 'drop', key, versionId });
    if (archived) await unlink(this.bodyPath(bucket, versionId)).catch(() => undefined);
  }

  bodyPath(bucket: string, versionId: string): string {
    return join(this.dir, bucket, versionId);
  }

  /** Where an archived body is written (its folder made). */
  async archiveStream(bucket: string, versionId: string): Promise<NodeJS.WritableStream> {
    await mkdir(join(this.dir, bucket), { recursive: true });
    return createWriteStream(this.bodyPath(bucket, versionId));
  }

  archivedBody(bucket: string, versionId: string): NodeJS.ReadableStream {
    return createReadStream(this.bodyPath(bucket, versionId));
  }

  private change(bucket: string, line: LogLine): void {
    const state = this.buckets.get(bucket);
    if (!state) return;
    this.apply(state, line);
    this.append(bucket, line);
  }

  private apply(state: BucketVersions, line: LogLine): void {
    if (line.op === 'enable') return;
    const list = state.keys.get(line.key) ?? [];
    if (line.op === 'add') {
      if (!state.keys.has(line.key)) state.sorted = undefined;
      // a write while versioning was off leaves one "null" version: a later one replaces it
      const kept = line.version.versionId === 'null' ? list.filter((v) => v.versionId !== 'null') : list;
      kept.push(line.version);
      state.keys.set(line.key, kept);
      return;
    }
    const at = list.findIndex((v) => v.versionId === line.versionId);
    if (at < 0) return;
    if (line.op === 'archived') list[at] = { ...list[at]!, archived: true, headers: line.headers };
    else if (line.op === 'restored') list[at] = { ...list[at]!, archived: false };
    else {
      list.splice(at, 1);
      if (!list.length) {
        state.keys.delete(line.key);
        state.sorted = undefined;
      }
    }
  }

  /**
   * One synchronous write of the line to the bucket's log, kept open: a line to the page cache takes a few
   * microseconds, where an appendFile (open, write and close, each through the thread pool) cost more than the
   * write, for every PUT. Written before the change is answered, in the order the changes were made.
   */
  private append(bucket: string, line: LogLine): void {
    let fd = this.files.get(bucket);
    if (fd === undefined) this.files.set(bucket, (fd = openSync(join(this.dir, `${bucket}.jsonl`), 'a')));
    writeSync(fd, JSON.stringify(line) + '\n');
  }

  /** Closes the logs (the local S3 stops). */
  close(): void {
    for (const bucket of [...this.files.keys()]) this.closeLog(bucket);
  }

  private closeLog(bucket: string): void {
    const fd = this.files.get(bucket);
    if (fd !== undefined) closeSync(fd);
    this.files.delete(bucket);
  }
}

// ---------------------------------------------------------------------------------------------------------
// S3's XML for versioning

const xmlEscape = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export const xmlUnescape = (s: string): string =>
  s
    .replace(/&#x([0-9a-f]+);/gi, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&amp;/g, '&');

const NS = 'http://s3.amazonaws.com/doc/2006-03-01/';
const quoted = (etag: string) => `"${etag.replace(/^"|"$/g, '')}"`;

export function versioningXml(enabled: boolean): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<VersioningConfiguration xmlns="${NS}">${enabled ? '<Status>Enabled</Status>' : ''}</VersioningConfiguration>`;
}

/** The Status of a PutBucketVersioning body. */
export function versioningStatus(body: string): string | undefined {
  return /<Status>\s*([A-Za-z]+)\s*<\/Status>/.exec(body)?.[1];
}

export interface ListVersionsQuery {
  prefix: string;
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys: number;
  delimiter?: string;
}

/** ListObjectVersions' answer from the index: keys in order, each key's versions newest first. */
export function listVersionsXml(index: VersionIndex, bucket: string, q: ListVersionsQuery): string {
  const entries: string[] = [];
  const prefixes = new Set<string>();
  let count = 0;
  let truncated = false;
  let nextKey: string | undefined;
  let nextVersion: string | undefined;
  let afterMarker = q.keyMarker === undefined || q.keyMarker === '';
  outer: for (const key of index.keys(bucket)) {
    if (!key.startsWith(q.prefix)) continue;
    if (!afterMarker) {
      if (key < q.keyMarker!) continue;
      if (key === q.keyMarker && !q.versionIdMarker) continue;
    }
    if (q.delimiter) {
      const rest = key.slice(q.prefix.length);
      const cut = rest.indexOf(q.delimiter);
      if (cut >= 0) {
        const common = q.prefix + rest.slice(0, cut + q.delimiter.length);
        if (!prefixes.has(common)) {
          if (count >= q.maxKeys) {
            truncated = true;
            break;
          }
          prefixes.add(common);
          count++;
        }
        continue;
      }
    }
    const newestFirst = [...index.versions(bucket, key)].reverse();
    let skipping = !afterMarker && key === q.keyMarker && !!q.versionIdMarker;
    for (let i = 0; i < newestFirst.length; i++) {
      const v = newestFirst[i]!;
      if (skipping) {
        if (v.versionId === q.versionIdMarker) skipping = false;
        continue;
      }
      if (count >= q.maxKeys) {
        truncated = true;
        break outer;
      }
      const common = `<Key>${xmlEscape(key)}</Key><VersionId>${v.versionId}</VersionId><IsLatest>${i === 0}</IsLatest><LastModified>${v.lastModified}</LastModified>`;
      entries.push(
        v.deleteMarker
          ? `<DeleteMarker>${common}</DeleteMarker>`
          : `<Version>${common}<ETag>${xmlEscape(quoted(v.etag))}</ETag><Size>${v.size}</Size><StorageClass>STANDARD</StorageClass></Version>`,
      );
      count++;
      nextKey = key;
      nextVersion = v.versionId;
    }
    afterMarker = true;
  }
  const parts = [
    `<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="${NS}">`,
    `<Name>${xmlEscape(bucket)}</Name><Prefix>${xmlEscape(q.prefix)}</Prefix>`,
    `<KeyMarker>${xmlEscape(q.keyMarker ?? '')}</KeyMarker><VersionIdMarker>${xmlEscape(q.versionIdMarker ?? '')}</VersionIdMarker>`,
    `<MaxKeys>${q.maxKeys}</MaxKeys>${q.delimiter ? `<Delimiter>${xmlEscape(q.delimiter)}</Delimiter>` : ''}<IsTruncated>${truncated}</IsTruncated>`,
    truncated && nextKey !== undefined ? `<NextKeyMarker>${xmlEscape(nextKey)}</NextKeyMarker><NextVersionIdMarker>${nextVersion}</NextVersionIdMarker>` : '',
    ...entries,
    ...[...prefixes].map((p) => `<CommonPrefixes><Prefix>${xmlEscape(p)}</Prefix></CommonPrefixes>`),
    '</ListVersionsResult>',
  ];
  return parts.join('');
}

export interface DeleteRequestItem {
  key: string;
  versionId?: string;
}

/** The objects of a DeleteObjects body, and its Quiet flag. */
export function parseDeleteRequest(body: string): { items: DeleteRequestItem[]; quiet: boolean } {
  const items: DeleteRequestItem[] = [];
  for (const m of body.matchAll(/<Object>([\s\S]*?)<\/Object>/g)) {
    const key = /<Key>([\s\S]*?)<\/Key>/.exec(m[1]!)?.[1];
    const versionId = /<VersionId>([\s\S]*?)<\/VersionId>/.exec(m[1]!)?.[1];
    if (key !== undefined) items.push({ key: xmlUnescape(key), ...(versionId ? { versionId: xmlUnescape(versionId) } : {}) });
  }
  return { items, quiet: /<Quiet>\s*true\s*<\/Quiet>/i.test(body) };
}

export interface DeleteOutcome {
  key: string;
  versionId?: string;
  deleteMarker?: boolean;
  deleteMarkerVersionId?: string;
  error?: { code: string; message: string };
}

export function deleteResultXml(outcomes: DeleteOutcome[], quiet: boolean): string {
  const parts = outcomes.map((o) => {
    if (o.error) {
      return `<Error><Key>${xmlEscape(o.key)}</Key>${o.versionId ? `<VersionId>${o.versionId}</VersionId>` : ''}<Code>${o.error.code}</Code><Message>${xmlEscape(o.error.message)}</Message></Error>`;
    }
    if (quiet) return '';
    return (
      `<Deleted><Key>${xmlEscape(o.key)}</Key>${o.versionId ? `<VersionId>${o.versionId}</VersionId>` : ''}` +
      (o.deleteMarker ? `<DeleteMarker>true</DeleteMarker>` : '') +
      (o.deleteMarkerVersionId ? `<DeleteMarkerVersionId>${o.deleteMarkerVersionId}</DeleteMarkerVersionId>` : '') +
      `</Deleted>`
    );
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<DeleteResult xmlns="${NS}">${parts.join('')}</DeleteResult>`;
}

// ---------------------------------------------------------------------------------------------------------
// The proxy's side: S3's versioning API over s3rver

export interface ForwardOptions {
  /** the body, when the handler read it already */
  body?: Buffer;
  /** the path sent to s3rver (a versionId the handler answered for taken out) */
  path?: string;
  headers?: Record<string, string>;
  /** before the answer goes back: extra headers for it (and the version recorded first) */
  beforeAnswer?: (status: number, headers: IncomingHttpHeaders) => Promise<Record<string, string>>;
}

export interface VersioningDeps {
  index: VersionIndex;
  /** passes the request to s3rver; resolves with its status (undefined: the client or s3rver went away) */
  forward(req: IncomingMessage, res: ServerResponse, options?: ForwardOptions): Promise<number | undefined>;
  /** a request of the proxy's own to s3rver */
  upstream(method: string, path: string, headers?: OutgoingHttpHeaders, body?: Buffer | NodeJS.ReadableStream): Promise<IncomingMessage>;
  withLock<T>(key: string, fn: () => Promise<T>): Promise<T>;
  xmlError(res: ServerResponse, status: number, code: string, message: string, headers?: Record<string, string>): void;
  readBody(req: IncomingMessage): Promise<Buffer | undefined>;
}

/** Headers of a version worth keeping with its archived body (what a GET of it answers). */
const KEPT_HEADERS = /^(content-type|content-encoding|content-disposition|content-language|cache-control|expires|etag|last-modified|x-amz-meta-.*)$/;

const objectPath = (bucket: string, key: string) => `/${encodeURIComponent(bucket)}/${key.split('/').map(encodeURIComponent).join('/')}`;

const drain = (res: IncomingMessage) =>
  new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
    res.on('error', reject);
  });

/** The path with the given query parameters taken out. */
function without(url: URL, ...names: string[]): string {
  const params = new URLSearchParams(url.search);
  for (const n of names) params.delete(n);
  const query = params.toString();
  return url.pathname + (query ? `?${query}` : '');
}

/** Object-level subresources that are not the object's body (tagging, acl…): passed through unversioned. */
const SUBRESOURCES = ['tagging', 'acl', 'retention', 'legal-hold', 'torrent', 'attributes', 'uploads', 'partNumber'];

/** An XML document as the answer (200). */
function sendXml(res: ServerResponse, xml: string): void {
  res.writeHead(200, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
  res.end(xml);
}

/** Copies the current object's body out of s3rver before a write or a delete replaces it. */
async function archiveCurrent(deps: VersioningDeps, bucket: string, key: string): Promise<void> {
  const { index } = deps;
  const current = index.current(bucket, key);
  if (!current || current.deleteMarker || current.archived) return;
  const got = await deps.upstream('GET', objectPath(bucket, key));
  if (got.statusCode !== 200) {
    got.resume();
    return;
  }
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(got.headers)) if (KEPT_HEADERS.test(name) && typeof value === 'string') headers[name] = value;
  const file = await index.archiveStream(bucket, current.versionId);
  await new Promise<void>((resolve, reject) => {
    got.pipe(file);
    file.on('finish', () => resolve());
    file.on('error', reject);
    got.on('error', reject);
  });
  await index.markArchived(bucket, key, current.versionId, headers);
}

/** DeleteObject without a version: the current version is kept and a delete marker put on top. */
async function deleteCurrent(deps: VersioningDeps, bucket: string, key: string): Promise<string> {
  await archiveCurrent(deps, bucket, key);
  (await deps.upstream('DELETE', objectPath(bucket, key))).resume();
  const versionId = newVersionId();
  await deps.index.add(bucket, key, { versionId, etag: '', size: 0, lastModified: new Date().toISOString(), deleteMarker: true });
  return versionId;
}

/** DeleteObject of one version: gone for good; if it was the current one, the one before it is current again. */
async function deleteVersion(deps: VersioningDeps, bucket: string, key: string, versionId: string): Promise<DeleteOutcome> {
  const { index } = deps;
  const version = index.find(bucket, key, versionId);
  if (!version) return { key, versionId };
  const wasCurrent = index.current(bucket, key) === version;
  if (wasCurrent && !version.deleteMarker) (await deps.upstream('DELETE', objectPath(bucket, key))).resume();
  await index.drop(bucket, key, versionId);
  const now = index.current(bucket, key);
  if (wasCurrent && now && !now.deleteMarker && now.archived) await restoreArchived(deps, bucket, key, now);
  return { key, versionId, ...(version.deleteMarker ? { deleteMarker: true, deleteMarkerVersionId: versionId } : {}) };
}

/** Puts an archived version's body back into s3rver as the key's current object. */
async function restoreArchived(deps: VersioningDeps, bucket: string, key: string, version: ObjectVersion): Promise<void> {
  const headers: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(version.headers ?? {})) if (name !== 'etag' && name !== 'last-modified') headers[name] = value;
  headers['content-length'] = version.size;
  const put = await deps.upstream('PUT', objectPath(bucket, key), headers, deps.index.archivedBody(bucket, version.versionId));
  put.resume();
  await deps.index.markRestored(bucket, key, version.versionId);
}

/** The current object's ETag, size and time from s3rver (after a copy or a multipart completion). */
async function headUpstream(deps: VersioningDeps, bucket: string, key: string): Promise<{ etag: string; size: number }> {
  const head = await deps.upstream('HEAD', objectPath(bucket, key));
  head.resume();
  return { etag: String(head.headers.etag ?? ''), size: Number(head.headers['content-length'] ?? 0) };
}

/** GET/HEAD of one version, or of the current one with its version id. */
async function readVersion(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string, key: string, url: URL): Promise<void> {
  const { index } = deps;
  const versionId = url.searchParams.get('versionId');
  if (versionId === null) {
    const current = index.current(bucket, key);
    await deps.forward(req, res, {
      beforeAnswer: async (): Promise<Record<string, string>> =>
        !current ? {} : current.deleteMarker ? { 'x-amz-delete-marker': 'true', 'x-amz-version-id': current.versionId } : { 'x-amz-version-id': current.versionId },
    });
    return;
  }
  const version = index.find(bucket, key, versionId);
  req.resume();
  if (!version) return deps.xmlError(res, 404, 'NoSuchVersion', 'The specified version does not exist.');
  if (version.deleteMarker) {
    return deps.xmlError(res, 405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.', {
      'x-amz-delete-marker': 'true',
      'x-amz-version-id': versionId,
      'last-modified': new Date(version.lastModified).toUTCString(),
    });
  }
  if (!version.archived) {
    await deps.forward(req, res, { path: without(url, 'versionId'), beforeAnswer: async () => ({ 'x-amz-version-id': versionId }) });
    return;
  }
  await sendArchived(deps, req, res, bucket, version);
}

/** Answers a GET/HEAD of a non-current version from its archived body. */
async function sendArchived(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string, version: ObjectVersion): Promise<void> {
  res.writeHead(200, { ...version.headers, 'content-length': version.size, 'x-amz-version-id': version.versionId, 'accept-ranges': 'bytes' });
  if (req.method === 'HEAD') return void res.end();
  const body = deps.index.archivedBody(bucket, version.versionId);
  body.on('error', () => res.destroy());
  await new Promise<void>((resolve) => {
    res.on('close', () => resolve());
    body.pipe(res);
  });
}

/**
 * The copy source a CopyObject may pass on to s3rver: without a versionId as it is; with one, only when that
 * version is the current object (s3rver has no other). Undefined: a version the local S3 cannot copy.
 */
function copySourceHeaders(deps: VersioningDeps, copySource: string | string[] | undefined): Record<string, string> | undefined {
  if (typeof copySource !== 'string' || !copySource.includes('versionId=')) return {};
  const [source, query] = copySource.split('?');
  const sourceVersion = new URLSearchParams(query).get('versionId') ?? '';
  const [, srcBucket, ...srcKey] = decodeURIComponent(source!).replace(/^\/?/, '/').split('/');
  const v = deps.index.find(srcBucket ?? '', srcKey.join('/'), sourceVersion);
  if (!v || v.archived || v.deleteMarker) return undefined;
  return { 'x-amz-copy-source': source! };
}

/** PutObject, CopyObject or CompleteMultipartUpload: the current version archived, the new one recorded. */
async function writeVersion(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string, key: string): Promise<void> {
  const body = await deps.readBody(req);
  if (body === undefined) return;
  const copySource = req.headers['x-amz-copy-source'];
  const headers = copySourceHeaders(deps, copySource);
  if (!headers) {
    return deps.xmlError(res, 501, 'NotImplemented', 'the local S3 copies only the current version of an object; GetObject the version and PutObject it');
  }
  await archiveCurrent(deps, bucket, key);
  const versionId = newVersionId();
  const simplePut = req.method === 'PUT' && !copySource;
  await deps.forward(req, res, {
    body,
    headers,
    beforeAnswer: async (status, up): Promise<Record<string, string>> => {
      if (status >= 300) return {};
      const { etag, size } = simplePut
        ? { etag: String(up.etag ?? ''), size: Number(req.headers['x-amz-decoded-content-length'] ?? body.length) }
        : await headUpstream(deps, bucket, key);
      await deps.index.add(bucket, key, { versionId, etag: etag.replace(/"/g, ''), size, lastModified: new Date().toISOString() });
      return { 'x-amz-version-id': versionId };
    },
  });
}

/** DeleteObject, of the current object (a delete marker) or of one version. */
async function removeVersion(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string, key: string, url: URL): Promise<void> {
  req.resume();
  const versionId = url.searchParams.get('versionId');
  const outcome: DeleteOutcome =
    versionId === null ? { key, deleteMarker: true, versionId: await deleteCurrent(deps, bucket, key) } : await deleteVersion(deps, bucket, key, versionId);
  const headers: Record<string, string | number> = { 'content-length': 0 };
  if (outcome.versionId) headers['x-amz-version-id'] = outcome.versionId;
  if (outcome.deleteMarker) headers['x-amz-delete-marker'] = 'true';
  res.writeHead(204, headers);
  res.end();
}

/** PutBucketVersioning: Enabled turns it on (the objects there become version "null"); it never turns off. */
async function putBucketVersioning(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string): Promise<void> {
  const body = (await deps.readBody(req)) ?? Buffer.alloc(0);
  const status = versioningStatus(body.toString('utf8'));
  if (status === 'Enabled') await deps.index.enable(bucket, await listUpstream(deps, bucket));
  else if (deps.index.isVersioned(bucket)) return deps.xmlError(res, 501, 'NotImplemented', 'the local S3 keeps versioning on once it is enabled');
  res.writeHead(200, { 'content-length': 0 });
  res.end();
}

/** ListObjectVersions, from the index. */
function listObjectVersions(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string, q: URLSearchParams): void {
  req.resume();
  const maxKeys = Math.min(1000, Math.max(0, Number(q.get('max-keys') ?? 1000) || 1000));
  sendXml(
    res,
    listVersionsXml(deps.index, bucket, {
      prefix: q.get('prefix') ?? '',
      keyMarker: q.get('key-marker') ?? undefined,
      versionIdMarker: q.get('version-id-marker') ?? undefined,
      delimiter: q.get('delimiter') || undefined,
      maxKeys,
    }),
  );
}

/** DeleteObjects: each key in its lock, one after the other; a failed one is reported in the result and the rest go on. */
async function deleteObjects(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string): Promise<void> {
  const body = await deps.readBody(req);
  if (body === undefined) return;
  const { items, quiet } = parseDeleteRequest(body.toString('utf8'));
  const outcomes: DeleteOutcome[] = [];
  for (const item of items) {
    outcomes.push(
      await deps.withLock(`${bucket}/${item.key}`, async () =>
        item.versionId === undefined
          ? { key: item.key, deleteMarker: true, deleteMarkerVersionId: await deleteCurrent(deps, bucket, item.key) }
          : deleteVersion(deps, bucket, item.key, item.versionId),
      ).catch((err: Error) => ({ key: item.key, versionId: item.versionId, error: { code: 'InternalError', message: err.message } })),
    );
  }
  sendXml(res, deleteResultXml(outcomes, quiet));
}

/** Handles a bucket-level request that versioning changes; false when it is not one (forward it). */
async function bucketRequest(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string, url: URL): Promise<boolean> {
  const q = url.searchParams;
  if (q.has('versioning') && req.method === 'PUT') await putBucketVersioning(deps, req, res, bucket);
  else if (q.has('versioning') && req.method === 'GET') {
    req.resume();
    sendXml(res, versioningXml(deps.index.isVersioned(bucket)));
  } else if (!deps.index.isVersioned(bucket)) return false;
  else if (q.has('versions') && req.method === 'GET') listObjectVersions(deps, req, res, bucket, q);
  else if (q.has('delete') && req.method === 'POST') await deleteObjects(deps, req, res, bucket);
  else if (req.method === 'DELETE' && !url.search) {
    const status = await deps.forward(req, res);
    if (status !== undefined && status < 300) await deps.index.forget(bucket);
  } else return false;
  return true;
}

/**
 * Handles an object-level request on a versioned bucket (inside the key's lock, after the write
 * preconditions); false when versioning does not change it (forward it).
 */
async function objectRequest(deps: VersioningDeps, req: IncomingMessage, res: ServerResponse, bucket: string, key: string, url: URL): Promise<boolean> {
  if (!deps.index.isVersioned(bucket) || SUBRESOURCES.some((s) => url.searchParams.has(s))) return false;
  const isUpload = url.searchParams.has('uploadId');
  if (req.method === 'GET' || req.method === 'HEAD') await readVersion(deps, req, res, bucket, key, url);
  else if ((req.method === 'PUT' && !isUpload) || (req.method === 'POST' && isUpload)) await writeVersion(deps, req, res, bucket, key);
  else if (req.method === 'DELETE' && !isUpload) await removeVersion(deps, req, res, bucket, key, url);
  else return false;
  return true;
}

/** The bucket's objects as s3rver lists them (they become version "null" when versioning is enabled). */
async function listUpstream(deps: VersioningDeps, bucket: string): Promise<{ key: string; etag: string; size: number; lastModified: string }[]> {
  const found: { key: string; etag: string; size: number; lastModified: string }[] = [];
  let token: string | undefined;
  do {
    const got = await deps.upstream('GET', `/${encodeURIComponent(bucket)}?list-type=2${token ? `&continuation-token=${encodeURIComponent(token)}` : ''}`);
    const xml = (await drain(got)).toString('utf8');
    if (got.statusCode !== 200) break;
    for (const m of xml.matchAll(/<Contents>([\s\S]*?)<\/Contents>/g)) {
      const field = (name: string) => new RegExp(`<${name}>([\\s\\S]*?)</${name}>`).exec(m[1]!)?.[1];
      found.push({
        key: xmlUnescape(String(field('Key') ?? '')),
        etag: xmlUnescape(String(field('ETag') ?? '')).replace(/"/g, ''),
        size: Number(field('Size') ?? 0),
        lastModified: String(field('LastModified') ?? new Date().toISOString()),
      });
    }
    token = /<IsTruncated>true<\/IsTruncated>/.test(xml) ? /<NextContinuationToken>([^<]*)<\/NextContinuationToken>/.exec(xml)?.[1] : undefined;
  } while (token);
  return found;
}

/** S3's versioning API over s3rver, for the proxy: bucket-level and object-level requests it answers itself. */
export function createVersioning(deps: VersioningDeps) {
  return {
    isVersioned: (bucket: string) => deps.index.isVersioned(bucket),
    bucketRequest: (req: IncomingMessage, res: ServerResponse, bucket: string, url: URL) => bucketRequest(deps, req, res, bucket, url),
    objectRequest: (req: IncomingMessage, res: ServerResponse, bucket: string, key: string, url: URL) => objectRequest(deps, req, res, bucket, key, url),
  };
}
