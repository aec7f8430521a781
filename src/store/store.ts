/**
 * The only module that speaks the S3 data plane. JSON records with ETags and conditional writes, prefix
 * listing with pagination, streaming and multipart bodies, presigned URLs. Everything above (clinic/,
 * imaging/, server/, lambdas/) goes through a Store, so the same logic runs on AWS and on the local stack.
 */
import type { Readable } from 'node:stream';
import type { S3Client } from '@aws-sdk/client-s3';
import { SERVER_DATE, s3Sdk } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import { ClinicaError, conflict } from '../errors.js';

export interface StoredJson<T> {
  value: T;
  etag: string;
  /** with `withTimes`: when S3 last wrote the object, by S3's clock */
  lastModified?: Date;
  /**
   * with `withTimes`: S3's clock when it answered (the response's Date header). `serverTime − lastModified` is
   * the object's age on one clock, whatever this machine's clock says.
   */
  serverTime?: Date;
}

export interface GetOptions {
  /** also return lastModified and serverTime */
  withTimes?: boolean;
}

export interface ObjectInfo {
  key: string;
  size: number;
  etag: string;
  lastModified?: Date;
}

export interface HeadInfo extends ObjectInfo {
  contentType?: string;
  metadata: Record<string, string>;
  /** S3's replication status of the object (PENDING, COMPLETED, FAILED, REPLICA), when replication is set */
  replicationStatus?: string;
  /**
   * the checksums S3 keeps with the object (head with checksums), by algorithm: SHA256 when it was uploaded
   * with one, CRC64NVME for what S3 checksums by default; replication keeps them on the replica
   */
  checksums?: Partial<Record<ChecksumAlgorithm, string>>;
  /** its server-side encryption: AES256 (SSE-S3), aws:kms (SSE-KMS), aws:kms:dsse */
  encryption?: string;
}

export const CHECKSUM_ALGORITHMS = ['SHA256', 'SHA1', 'CRC64NVME', 'CRC32C', 'CRC32'] as const;
export type ChecksumAlgorithm = (typeof CHECKSUM_ALGORITHMS)[number];

export interface WriteOptions {
  /** write only if the object's current ETag is this one (optimistic concurrency) */
  ifMatch?: string;
  /** '*' — write only if no object exists at the key (claims, create-once records) */
  ifNoneMatch?: '*';
}

export interface PutOptions extends WriteOptions {
  contentType?: string;
  cacheControl?: string;
  contentDisposition?: string;
  /** user metadata (x-amz-meta-*): ASCII values only */
  metadata?: Record<string, string>;
  /**
   * The body's SHA-256 (hex), when the caller has it already (an image's original): sent as the signature's
   * payload hash and as S3's ChecksumSHA256, so the SDK does not hash the body again (twice on AWS: SigV4's
   * SHA-256 and a CRC32) and S3 checks the bytes it stores against it and keeps the checksum with the object.
   */
  sha256?: string;
}

/** One version of an object in a versioned bucket (ListObjectVersions). */
export interface ObjectVersionInfo {
  key: string;
  versionId: string;
  lastModified: Date;
  etag: string;
  size: number;
  isLatest: boolean;
  deleteMarker: boolean;
}

export interface ListOptions {
  startAfter?: string;
  /** how many keys per ListObjectsV2 page (max 1000) */
  pageSize?: number;
}

/** Bodies at or above this size (or of unknown length) go up as multipart uploads. */
export const MULTIPART_THRESHOLD = 8 * 1024 * 1024;

interface S3ErrorLike {
  name?: string;
  Code?: string;
  $metadata?: { httpStatusCode?: number };
}

function statusOf(err: unknown): number | undefined {
  return (err as S3ErrorLike)?.$metadata?.httpStatusCode;
}

function isMissing(err: unknown): boolean {
  const e = err as S3ErrorLike;
  return e?.name === 'NoSuchKey' || e?.name === 'NotFound' || e?.Code === 'NoSuchKey' || statusOf(err) === 404;
}

function isPreconditionFailed(err: unknown): boolean {
  const e = err as S3ErrorLike;
  // 412 PreconditionFailed; 409 ConditionalRequestConflict when two conditional writes race on AWS.
  return e?.name === 'PreconditionFailed' || statusOf(err) === 412 || e?.name === 'ConditionalRequestConflict';
}

export class Store {
  constructor(
    readonly s3: S3Client,
    readonly bucket: string,
    /** how this store is named in error messages, e.g. "S3 at http://127.0.0.1:4568" */
    readonly where: string = `s3://${bucket}`,
  ) {}

  private readonly writeListeners = new Set<(key: string) => void>();

  /**
   * Calls `listener` with the key of each write and delete this store makes, once it is done or failed (a
   * failed one may still have happened): a cache in this process stays true to its own writes at once.
   * Returns the function that stops it.
   */
  onWrite(listener: (key: string) => void): () => void {
    this.writeListeners.add(listener);
    return () => this.writeListeners.delete(listener);
  }

  private wrote(key: string): void {
    for (const listener of this.writeListeners) listener(key);
  }

  private fail(err: unknown, action: string, key?: string): never {
    const described = describeAwsError(err, this.where);
    if (described instanceof ClinicaError) throw described;
    const e = err as S3ErrorLike & { message?: string };
    if (e?.name === 'NoSuchBucket') {
      throw new ClinicaError('unavailable', `bucket ${this.bucket} does not exist at ${this.where}`, {
        hint: 'run `clinica deploy` (AWS) or `clinica dev` (local) to create it',
        cause: err,
      });
    }
    throw new ClinicaError('internal', `S3 ${action}${key ? ` ${key}` : ''} failed: ${e?.name ?? ''} ${e?.message ?? String(err)}`.trim(), {
      cause: err,
    });
  }

  async getJson<T>(key: string, options: GetOptions = {}): Promise<StoredJson<T> | undefined> {
    const got = await this.getBytesWithEtag(key);
    if (!got) return undefined;
    try {
      const value = JSON.parse(got.body.toString('utf8')) as T;
      return options.withTimes ? { value, etag: got.etag, lastModified: got.lastModified, serverTime: got.serverTime } : { value, etag: got.etag };
    } catch (err) {
      throw new ClinicaError('internal', `record ${key} in ${this.bucket} is not valid JSON`, { cause: err });
    }
  }

  /** Writes a JSON record; returns its new ETag. A failed precondition throws a ClinicaError of kind 'conflict'. */
  async putJson(key: string, value: unknown, options: WriteOptions = {}): Promise<string> {
    return this.put(key, JSON.stringify(value), { ...options, contentType: 'application/json; charset=utf-8' });
  }

  async getBytes(key: string): Promise<Buffer | undefined> {
    return (await this.getBytesWithEtag(key))?.body;
  }

  private async getBytesWithEtag(key: string): Promise<{ body: Buffer; etag: string; lastModified?: Date; serverTime?: Date } | undefined> {
    const { GetObjectCommand } = await s3Sdk();
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      const body = Buffer.from(await out.Body!.transformToByteArray());
      const date = (out as { [SERVER_DATE]?: string })[SERVER_DATE];
      const serverTime = date && !Number.isNaN(Date.parse(date)) ? new Date(date) : undefined;
      return { body, etag: out.ETag ?? '', lastModified: out.LastModified, serverTime };
    } catch (err) {
      if (isMissing(err) && (err as S3ErrorLike).name !== 'NoSuchBucket') return undefined;
      this.fail(err, 'GetObject', key);
    }
  }

  /** A readable stream of the object (optionally a byte range "bytes=0-99"), or undefined if missing. */
  async getStream(key: string, range?: string): Promise<Readable | undefined> {
    const { GetObjectCommand } = await s3Sdk();
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, Range: range }));
      return out.Body as Readable;
    } catch (err) {
      if (isMissing(err) && (err as S3ErrorLike).name !== 'NoSuchBucket') return undefined;
      this.fail(err, 'GetObject', key);
    }
  }

  /** checksums: also ask for the checksum S3 keeps with the object (ChecksumMode) */
  async head(key: string, options: { checksums?: boolean } = {}): Promise<HeadInfo | undefined> {
    const { HeadObjectCommand } = await s3Sdk();
    try {
      const out = await this.s3.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key, ...(options.checksums ? { ChecksumMode: 'ENABLED' as const } : {}) }));
      const info: HeadInfo = {
        key,
        size: out.ContentLength ?? 0,
        etag: out.ETag ?? '',
        lastModified: out.LastModified,
        contentType: out.ContentType,
        metadata: out.Metadata ?? {},
        ...(out.ReplicationStatus ? { replicationStatus: out.ReplicationStatus } : {}),
        ...(out.ServerSideEncryption ? { encryption: out.ServerSideEncryption } : {}),
      };
      const checksums = Object.fromEntries(CHECKSUM_ALGORITHMS.map((a) => [a, out[`Checksum${a}`]]).filter(([, v]) => v));
      if (Object.keys(checksums).length) info.checksums = checksums;
      return info;
    } catch (err) {
      if (isMissing(err)) return undefined;
      this.fail(err, 'HeadObject', key);
    }
  }

  /**
   * Writes a body. Buffers and strings under MULTIPART_THRESHOLD go up in one PutObject (with the
   * conditions, if any); streams and large bodies go up as a multipart upload (@aws-sdk/lib-storage), which
   * does not support conditions — a conditional write must be a buffer.
   */
  async put(key: string, body: Buffer | Uint8Array | string | Readable, options: PutOptions = {}): Promise<string> {
    try {
      return await this.putObject(key, body, options);
    } finally {
      this.wrote(key);
    }
  }

  private async putObject(key: string, body: Buffer | Uint8Array | string | Readable, options: PutOptions): Promise<string> {
    const conditional = options.ifMatch !== undefined || options.ifNoneMatch !== undefined;
    const small = typeof body === 'string' || body instanceof Uint8Array;
    const size = typeof body === 'string' ? Buffer.byteLength(body) : body instanceof Uint8Array ? body.byteLength : Infinity;
    const params = {
      Bucket: this.bucket,
      Key: key,
      ContentType: options.contentType,
      CacheControl: options.cacheControl,
      ContentDisposition: options.contentDisposition,
      Metadata: options.metadata,
    };
    if (small && (size < MULTIPART_THRESHOLD || conditional)) {
      const { PutObjectCommand } = await s3Sdk();
      const command = new PutObjectCommand({
        ...params,
        Body: body,
        IfMatch: options.ifMatch,
        IfNoneMatch: options.ifNoneMatch,
        ChecksumSHA256: options.sha256 ? Buffer.from(options.sha256, 'hex').toString('base64') : undefined,
      });
      try {
        const out = await this.s3.send(command);
        return out.ETag ?? '';
      } catch (err) {
        if (conditional && isPreconditionFailed(err)) {
          throw conflict(
            options.ifNoneMatch ? `${key} already exists` : `${key} was changed by someone else since it was read`,
            { cause: err, hint: options.ifNoneMatch ? undefined : 'read it again and re-apply the change', reason: options.ifNoneMatch ? 'exists' : 'stale' },
          );
        }
        if (options.ifMatch && isMissing(err)) {
          throw conflict(`${key} was deleted by someone else since it was read`, { cause: err, reason: 'stale' });
        }
        this.fail(err, 'PutObject', key);
      }
    }
    if (conditional) {
      throw new ClinicaError('internal', `conditional write of ${key} needs a buffer body, not a stream`);
    }
    const { Upload } = await import('@aws-sdk/lib-storage');
    try {
      const upload = new Upload({
        client: this.s3,
        params: { ...params, Body: body },
        partSize: MULTIPART_THRESHOLD,
        queueSize: 4,
        leavePartsOnError: false,
      });
      const out = await upload.done();
      return out.ETag ?? '';
    } catch (err) {
      this.fail(err, 'upload', key);
    }
  }

  /** Every object under the prefix, page by page (ListObjectsV2 with continuation tokens). */
  async *list(prefix: string, options: ListOptions = {}): AsyncGenerator<ObjectInfo> {
    const { ListObjectsV2Command } = await s3Sdk();
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.s3.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            StartAfter: token ? undefined : options.startAfter,
            MaxKeys: options.pageSize ?? 1000,
          }),
        );
      } catch (err) {
        this.fail(err, 'ListObjectsV2', prefix);
      }
      for (const item of out.Contents ?? []) {
        yield { key: item.Key!, size: item.Size ?? 0, etag: item.ETag ?? '', lastModified: item.LastModified };
      }
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
  }

  /** The "folders" directly under a prefix (ListObjectsV2 with a delimiter). */
  async listPrefixes(prefix: string, delimiter = '/'): Promise<string[]> {
    const { ListObjectsV2Command } = await s3Sdk();
    const prefixes: string[] = [];
    let token: string | undefined;
    do {
      let out;
      try {
        out = await this.s3.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, Delimiter: delimiter, ContinuationToken: token }),
        );
      } catch (err) {
        this.fail(err, 'ListObjectsV2', prefix);
      }
      for (const p of out.CommonPrefixes ?? []) if (p.Prefix) prefixes.push(p.Prefix);
      token = out.IsTruncated ? out.NextContinuationToken : undefined;
    } while (token);
    return prefixes;
  }

  async delete(key: string): Promise<void> {
    const { DeleteObjectCommand } = await s3Sdk();
    try {
      await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (err) {
      if (isMissing(err)) return;
      this.fail(err, 'DeleteObject', key);
    } finally {
      this.wrote(key);
    }
  }

  /**
   * Deletes many keys in small batches (s3rver's DeleteObjects races on large batches under one prefix;
   * AWS takes up to 1000). Returns the keys that could not be deleted.
   */
  async deleteMany(keys: string[], batchSize = 100): Promise<string[]> {
    const { DeleteObjectsCommand } = await s3Sdk();
    const failed: string[] = [];
    for (let i = 0; i < keys.length; i += batchSize) {
      const batch = keys.slice(i, i + batchSize);
      try {
        const out = await this.s3.send(
          new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch.map((Key) => ({ Key })), Quiet: true } }),
        );
        for (const e of out.Errors ?? []) if (e.Key) failed.push(e.Key);
        for (const key of batch) this.wrote(key);
      } catch {
        // fall back to one by one: slower, but never leaves a batch half-known
        for (const key of batch) {
          try {
            await this.delete(key);
          } catch {
            failed.push(key);
          }
        }
      }
    }
    return failed;
  }

  /**
   * Deletes the non-current versions of these keys (a versioned bucket keeps every overwritten copy): what an
   * erasure must do so an old copy of a rewritten object does not keep what was removed. One ListObjectVersions
   * per key (its exact key only), then DeleteObjects with version ids. The current version is never touched.
   * A bucket without versioning lists no old versions, and a local S3 without the call refuses it: 0 deleted.
   */
  async deleteOldVersions(keys: string[]): Promise<{ deleted: number; failed: string[] }> {
    const { ListObjectVersionsCommand, DeleteObjectsCommand } = await s3Sdk();
    const old: { Key: string; VersionId: string }[] = [];
    for (const key of keys) {
      let keyMarker: string | undefined;
      let versionMarker: string | undefined;
      do {
        let out;
        try {
          out = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
        } catch (err) {
          // a store without versions (the local S3 answers 405): nothing old to delete
          const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
          if (status === 405 || status === 501) return { deleted: 0, failed: [] };
          this.fail(err, 'ListObjectVersions', key);
        }
        for (const v of [...(out.Versions ?? []), ...(out.DeleteMarkers ?? [])]) {
          if (v.Key === key && v.VersionId && v.VersionId !== 'null' && !v.IsLatest) old.push({ Key: key, VersionId: v.VersionId });
        }
        [keyMarker, versionMarker] = out.IsTruncated ? [out.NextKeyMarker, out.NextVersionIdMarker] : [undefined, undefined];
      } while (keyMarker);
    }
    const failed: string[] = [];
    for (let i = 0; i < old.length; i += 1000) {
      const batch = old.slice(i, i + 1000);
      try {
        const out = await this.s3.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } }));
        for (const e of out.Errors ?? []) failed.push(`${e.Key}@${e.VersionId}`);
      } catch (err) {
        this.fail(err, 'DeleteObjects', batch[0]!.Key);
      }
    }
    return { deleted: old.length - failed.length, failed };
  }

  /**
   * Every version and delete marker under the prefix (ListObjectVersions, page by page), each key's newest
   * first. A store without versions (an unversioned bucket) lists none.
   */
  async listVersions(prefix: string): Promise<ObjectVersionInfo[]> {
    const { ListObjectVersionsCommand } = await s3Sdk();
    const found: ObjectVersionInfo[] = [];
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      let out;
      try {
        out = await this.s3.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: prefix, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      } catch (err) {
        this.fail(err, 'ListObjectVersions', prefix);
      }
      for (const v of out.Versions ?? []) {
        if (!v.Key || !v.VersionId) continue;
        found.push({ key: v.Key, versionId: v.VersionId, lastModified: v.LastModified ?? new Date(0), etag: v.ETag ?? '', size: v.Size ?? 0, isLatest: !!v.IsLatest, deleteMarker: false });
      }
      for (const m of out.DeleteMarkers ?? []) {
        if (!m.Key || !m.VersionId) continue;
        found.push({ key: m.Key, versionId: m.VersionId, lastModified: m.LastModified ?? new Date(0), etag: '', size: 0, isLatest: !!m.IsLatest, deleteMarker: true });
      }
      [keyMarker, versionMarker] = out.IsTruncated ? [out.NextKeyMarker, out.NextVersionIdMarker] : [undefined, undefined];
    } while (keyMarker);
    return found.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : b.lastModified.getTime() - a.lastModified.getTime()));
  }

  /** One version's body and headers, or undefined if that version does not exist (or is a delete marker). */
  async getVersion(key: string, versionId: string): Promise<{ body: Buffer; contentType?: string; metadata: Record<string, string>; etag: string } | undefined> {
    const { GetObjectCommand } = await s3Sdk();
    try {
      const out = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key, VersionId: versionId }));
      const body = Buffer.from(await out.Body!.transformToByteArray());
      return { body, contentType: out.ContentType, metadata: out.Metadata ?? {}, etag: out.ETag ?? '' };
    } catch (err) {
      const name = (err as S3ErrorLike).name;
      if (name === 'NoSuchVersion' || statusOf(err) === 405 || (isMissing(err) && name !== 'NoSuchBucket')) return undefined;
      this.fail(err, 'GetObject', `${key} (version ${versionId})`);
    }
  }

  /** A short-lived download link (default 5 minutes). */
  async presignGet(key: string, options: { expiresIn?: number; downloadName?: string } = {}): Promise<string> {
    const [{ GetObjectCommand }, { getSignedUrl }] = await Promise.all([s3Sdk(), import('@aws-sdk/s3-request-presigner')]);
    const command = new GetObjectCommand({
      Bucket: this.bucket,
      Key: key,
      ResponseContentDisposition: options.downloadName ? `attachment; filename="${options.downloadName.replace(/["\\]/g, '_')}"` : undefined,
    });
    return getSignedUrl(this.s3, command, { expiresIn: options.expiresIn ?? 300 });
  }

  /** A short-lived upload link (default 5 minutes) for exactly this key and content type. */
  async presignPut(key: string, options: { contentType?: string; expiresIn?: number; metadata?: Record<string, string> } = {}): Promise<string> {
    const [{ PutObjectCommand }, { getSignedUrl }] = await Promise.all([s3Sdk(), import('@aws-sdk/s3-request-presigner')]);
    const command = new PutObjectCommand({ Bucket: this.bucket, Key: key, ContentType: options.contentType, Metadata: options.metadata });
    return getSignedUrl(this.s3, command, {
      expiresIn: options.expiresIn ?? 300,
      // the browser must send these headers as signed
      signableHeaders: new Set(['content-type']),
    });
  }

  /** Turns versioning on (the local stack's data bucket keeps versions as the deployed one does). */
  async enableVersioning(): Promise<void> {
    const { PutBucketVersioningCommand } = await s3Sdk();
    try {
      await this.s3.send(new PutBucketVersioningCommand({ Bucket: this.bucket, VersioningConfiguration: { Status: 'Enabled' } }));
    } catch (err) {
      this.fail(err, 'PutBucketVersioning');
    }
  }

  /** Creates the bucket if it does not exist (the local stack; AWS buckets are infra/'s job). */
  async ensureBucket(): Promise<void> {
    const { HeadBucketCommand, CreateBucketCommand } = await s3Sdk();
    try {
      await this.s3.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (err) {
      if (!isMissing(err) && (err as S3ErrorLike).name !== 'NoSuchBucket') this.fail(err, 'HeadBucket');
    }
    try {
      await this.s3.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (err) {
      const name = (err as S3ErrorLike).name;
      if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') this.fail(err, 'CreateBucket');
    }
  }
}
