/**
 * Object versions in the local S3, through the AWS SDK v3 client unchanged: every overwrite and delete keeps the
 * previous version, ListObjectVersions, GetObject/HeadObject by VersionId, delete markers, x-amz-version-id, and
 * deleting a version (the one before becomes current again). Real processes and sockets, no mocks.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetBucketVersioningCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { localS3Where } from '../../src/aws/errors.js';
import { localTarget } from '../../src/local/endpoints.js';
import { startLocalS3, type LocalS3 } from '../../src/local/s3-server.js';
import { Store } from '../../src/store/store.js';
import { rejection } from '../helpers/rejection.js';

let dir: string;
let s3: LocalS3;
let client: S3Client;
const Bucket = 'versions-test';

async function start() {
  s3 = await startLocalS3({ directory: join(dir, 's3'), versionsDirectory: join(dir, 'versions'), port: 0 });
  client = await s3Client(localTarget({ s3: s3.endpoint, ses: 'http://127.0.0.1:9', region: 'us-east-1' }));
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-s3v-'));
  await start();
  const store = new Store(client, Bucket, localS3Where(s3.endpoint));
  await store.ensureBucket();
  await store.put('before.txt', 'written before versioning');
  await store.enableVersioning();
});
afterAll(async () => {
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

const text = async (out: { Body?: { transformToString(): Promise<string> } }) => out.Body!.transformToString();
const put = (Key: string, Body: string) => client.send(new PutObjectCommand({ Bucket, Key, Body, ContentType: 'text/plain', Metadata: { n: Body } }));

describe('a versioned bucket in the local S3', () => {
  it('says versioning is enabled, and objects from before are version "null"', async () => {
    expect((await client.send(new GetBucketVersioningCommand({ Bucket }))).Status).toBe('Enabled');
    const out = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'before' }));
    expect(out.Versions?.map((v) => [v.Key, v.VersionId, v.IsLatest])).toEqual([['before.txt', 'null', true]]);
  });

  it('keeps every overwritten version, each readable by its id with its headers', async () => {
    const ids = [];
    for (const body of ['one', 'two', 'three']) ids.push((await put('p/record.json', body)).VersionId!);
    expect(new Set(ids).size).toBe(3);
    const current = await client.send(new GetObjectCommand({ Bucket, Key: 'p/record.json' }));
    expect([await text(current), current.VersionId]).toEqual(['three', ids[2]]);
    const first = await client.send(new GetObjectCommand({ Bucket, Key: 'p/record.json', VersionId: ids[0] }));
    expect([await text(first), first.VersionId, first.ContentType, first.Metadata?.n]).toEqual(['one', ids[0], 'text/plain', 'one']);
    const head = await client.send(new HeadObjectCommand({ Bucket, Key: 'p/record.json', VersionId: ids[1] }));
    expect([head.ContentLength, head.VersionId]).toEqual([3, ids[1]]);
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'p/record.json' }));
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest, v.Size])).toEqual([
      [ids[2], true, 5],
      [ids[1], false, 3],
      [ids[0], false, 3],
    ]);
    expect(listed.Versions?.[0]?.ETag).toBe(current.ETag);
  });

  it('puts a delete marker on delete: the object is gone, its versions are kept', async () => {
    const v1 = (await put('p/gone.json', 'kept')).VersionId!;
    const deleted = await client.send(new DeleteObjectCommand({ Bucket, Key: 'p/gone.json' }));
    expect(deleted.DeleteMarker).toBe(true);
    const missing = await rejection(client.send(new GetObjectCommand({ Bucket, Key: 'p/gone.json' })));
    expect(missing.name).toBe('NoSuchKey');
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'p/gone.json' }));
    expect(listed.DeleteMarkers?.map((m) => [m.VersionId, m.IsLatest])).toEqual([[deleted.VersionId, true]]);
    expect(listed.Versions?.map((v) => [v.VersionId, v.IsLatest])).toEqual([[v1, false]]);
    expect(await text(await client.send(new GetObjectCommand({ Bucket, Key: 'p/gone.json', VersionId: v1 })))).toBe('kept');
    const byMarker = await rejection(client.send(new GetObjectCommand({ Bucket, Key: 'p/gone.json', VersionId: deleted.VersionId })));
    expect((byMarker as Error & { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(405);
    // deleting the marker brings the object back
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'p/gone.json', VersionId: deleted.VersionId }));
    const back = await client.send(new GetObjectCommand({ Bucket, Key: 'p/gone.json' }));
    expect([await text(back), back.VersionId]).toEqual(['kept', v1]);
  });

  it('deletes one version for good; deleting the current one makes the one before current', async () => {
    const [a, b] = [(await put('p/two.json', 'aaa')).VersionId!, (await put('p/two.json', 'bbbb')).VersionId!];
    await client.send(new DeleteObjectCommand({ Bucket, Key: 'p/two.json', VersionId: b }));
    const now = await client.send(new GetObjectCommand({ Bucket, Key: 'p/two.json' }));
    expect([await text(now), now.VersionId, now.ContentType]).toEqual(['aaa', a, 'text/plain']);
    const gone = await rejection(client.send(new GetObjectCommand({ Bucket, Key: 'p/two.json', VersionId: b })));
    expect(gone.name).toBe('NoSuchVersion');
  });

  it('takes DeleteObjects with and without version ids (what an erasure and a clean-up send)', async () => {
    const old = (await put('q/x.json', 'old')).VersionId!;
    await put('q/x.json', 'new');
    await put('q/y.json', 'y');
    const out = await client.send(
      new DeleteObjectsCommand({ Bucket, Delete: { Objects: [{ Key: 'q/x.json', VersionId: old }, { Key: 'q/y.json' }] } }),
    );
    expect(out.Deleted?.map((d) => [d.Key, d.VersionId ?? null, d.DeleteMarker ?? false])).toEqual([
      ['q/x.json', old, false],
      ['q/y.json', null, true],
    ]);
    const listed = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'q/' }));
    expect(listed.Versions?.map((v) => [v.Key, v.IsLatest])).toEqual([
      ['q/x.json', true],
      ['q/y.json', false],
    ]);
    expect(listed.DeleteMarkers?.map((m) => m.Key)).toEqual(['q/y.json']);
  });

  it('pages ListObjectVersions with key and version markers', async () => {
    for (const body of ['1', '2', '3']) await put('r/a.json', body);
    await put('r/b.json', 'b');
    const seen: string[] = [];
    let KeyMarker: string | undefined;
    let VersionIdMarker: string | undefined;
    do {
      const page = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'r/', MaxKeys: 2, KeyMarker, VersionIdMarker }));
      for (const v of page.Versions ?? []) seen.push(`${v.Key}:${v.Size}`);
      [KeyMarker, VersionIdMarker] = page.IsTruncated ? [page.NextKeyMarker, page.NextVersionIdMarker] : [undefined, undefined];
    } while (KeyMarker);
    expect(seen).toEqual(['r/a.json:1', 'r/a.json:1', 'r/a.json:1', 'r/b.json:1']);
  });

  it('keeps conditional writes: If-Match against the current version', async () => {
    const store = new Store(client, Bucket, localS3Where(s3.endpoint));
    const etag = await store.putJson('p/cond.json', { n: 1 });
    await store.putJson('p/cond.json', { n: 2 }, { ifMatch: etag });
    const stale = await rejection(store.putJson('p/cond.json', { n: 3 }, { ifMatch: etag }));
    expect(stale.message).toMatch(/changed by someone else/);
    expect((await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'p/cond.json' }))).Versions).toHaveLength(2);
  });

  it('keeps the versions across a restart of the local S3', async () => {
    const before = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'p/' }));
    await s3.stop();
    await start();
    const after = await client.send(new ListObjectVersionsCommand({ Bucket, Prefix: 'p/' }));
    expect(after.Versions?.map((v) => v.VersionId)).toEqual(before.Versions?.map((v) => v.VersionId));
    const oldest = before.Versions!.filter((v) => v.Key === 'p/record.json').at(-1)!;
    expect(await text(await client.send(new GetObjectCommand({ Bucket, Key: 'p/record.json', VersionId: oldest.VersionId })))).toBe('one');
  });
});
