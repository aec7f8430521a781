/**
 * Publishes a built site to the site bucket through the Store: uploads only what changed, then removes what
 * an earlier publish put there and the build no longer has.
 *
 * Each published object carries the hash of its bytes, Content-Type and Cache-Control in its metadata
 * (x-amz-meta-clinica-sha256), so "changed" is exact (S3 ETags are not content hashes under SSE-KMS or
 * multipart) and a change of headers alone is re-uploaded too. Objects without that mark were not put
 * there by clinica and are left alone.
 *
 * Order matters to visitors: new assets first (their names are content-hashed, so they never replace
 * anything), then the pages that point at them, and only then the deletion of old assets.
 */
import { createHash } from 'node:crypto';
import { mapLimit } from '../map-limit.js';
import { ClinicaError } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import type { Store } from '../store/store.js';
import type { SiteFile } from './build.js';
import { count } from '../plural.js';

/** The user-metadata key (S3 lowercases them) holding a published object's hash. */
export const HASH_METADATA = 'clinica-sha256';

export interface PublishPlan {
  upload: { path: string; reason: 'new' | 'changed'; bytes: number }[];
  unchanged: string[];
  /** published earlier by clinica, not in this build */
  remove: string[];
  /** in the bucket but not published by clinica: kept */
  foreign: string[];
}

export interface PublishResult extends PublishPlan {
  bucket: string;
  uploadedBytes: number;
  dryRun: boolean;
}

export interface PublishOptions {
  log?: Log;
  /** compute and report the plan, change nothing */
  dryRun?: boolean;
  /** requests in flight at once (HEADs and PUTs); default 8 */
  concurrency?: number;
}

/** What decides whether a file must be uploaded again: its bytes and the headers it is served with. */
export function publishHash(file: SiteFile): string {
  return createHash('sha256')
    .update(`${file.contentType}\n${file.cacheControl}\n`)
    .update(file.body)
    .digest('hex');
}

export async function planPublish(store: Store, files: SiteFile[], concurrency = 8): Promise<PublishPlan> {
  const remote: string[] = [];
  for await (const object of store.list('')) remote.push(object.key);
  const heads = await mapLimit(remote, concurrency, async (key) => ({ key, hash: (await store.head(key))?.metadata[HASH_METADATA] }));
  const published = new Map(heads.map((h) => [h.key, h.hash]));
  const wanted = new Set(files.map((f) => f.path));
  const plan: PublishPlan = { upload: [], unchanged: [], remove: [], foreign: [] };
  for (const file of files) {
    const current = published.get(file.path);
    if (current === undefined && !published.has(file.path)) plan.upload.push({ path: file.path, reason: 'new', bytes: file.body.length });
    else if (current !== publishHash(file)) plan.upload.push({ path: file.path, reason: 'changed', bytes: file.body.length });
    else plan.unchanged.push(file.path);
  }
  for (const { key, hash } of heads) {
    if (wanted.has(key)) continue;
    if (hash) plan.remove.push(key);
    else plan.foreign.push(key);
  }
  return plan;
}

const isPage = (path: string) => path.endsWith('.html');

export async function publishSite(store: Store, files: SiteFile[], options: PublishOptions = {}): Promise<PublishResult> {
  const log = options.log ?? silentLog;
  const concurrency = options.concurrency ?? 8;
  const plan = await planPublish(store, files, concurrency);
  const result: PublishResult = { ...plan, bucket: store.bucket, uploadedBytes: 0, dryRun: Boolean(options.dryRun) };
  if (options.dryRun) return result;

  const byPath = new Map(files.map((f) => [f.path, f]));
  const toUpload = plan.upload.map((u) => byPath.get(u.path)!);
  // assets before the pages that reference them; the home page last
  const rank = (f: SiteFile) => (!isPage(f.path) ? 0 : f.path === 'index.html' ? 2 : 1);
  for (const group of [0, 1, 2]) {
    await mapLimit(
      toUpload.filter((f) => rank(f) === group),
      concurrency,
      async (file) => {
        await store.put(file.path, file.body, {
          contentType: file.contentType,
          cacheControl: file.cacheControl,
          metadata: { [HASH_METADATA]: publishHash(file) },
        });
        result.uploadedBytes += file.body.length;
        log.debug(`uploaded ${file.path}`, { bytes: file.body.length });
      },
    );
  }
  if (plan.remove.length) {
    const failed = await store.deleteMany(plan.remove);
    if (failed.length) {
      throw new ClinicaError('partial', `the site is published, but ${count(failed.length, 'old file')} could not be deleted from ${store.bucket}: ${failed.slice(0, 5).join(', ')}`, {
        hint: 'run `clinica site publish` again to retry the deletion',
      });
    }
    for (const key of plan.remove) log.debug(`deleted ${key}`);
  }
  return result;
}
