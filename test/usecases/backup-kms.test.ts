/* eslint-disable @typescript-eslint/no-explicit-any -- S3 requests and answers are plain JSON here */
/**
 * `restore` and `backup verify` with SSE-KMS buckets (aws.kmsKeyId on the data bucket, aws.backupKmsKeyId on
 * the backup), against a small versioned S3 behind aws-sdk-client-mock (s3rver knows no encryption): each
 * bucket encrypts what is written without SSE headers with its default key, and an SSE-KMS ETag is not a
 * content digest, so the same bytes under two keys carry two ETags — as on S3. The exact calls are asserted.
 */
import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Store } from '../../src/store/store.js';
import { verifyBackup } from '../../src/usecases/backup-verify.js';
import { applyPatientRestore, applyStoreRestore, planPatientRestore, planStoreRestore } from '../../src/usecases/restore.js';

const DATA = 'sorriso-prod-data';
const BACKUP = 'sorriso-prod-backup';
const DRILL = 'sorriso-drill-data';
const DATA_KEY = 'arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BACKUP_KEY = 'arn:aws:kms:us-east-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab';
const DRILL_KEY = 'arn:aws:kms:sa-east-1:123456789012:key/9999abcd-12ab-34cd-56ef-1234567890ab';

interface Version {
  versionId: string;
  body: Buffer;
  kmsKey: string;
  lastModified: Date;
  contentType?: string;
  metadata?: Record<string, string>;
  replicationStatus?: string;
  checksumCrc64nvme?: string;
}

function kmsS3() {
  const defaults: Record<string, string> = { [DATA]: DATA_KEY, [BACKUP]: BACKUP_KEY, [DRILL]: DRILL_KEY };
  const buckets = new Map<string, Map<string, Version[]>>(Object.keys(defaults).map((b) => [b, new Map()]));
  const calls: { command: string; input: any }[] = [];
  let clock = Date.parse('2026-11-01T12:00:00Z');
  let n = 0;
  // SSE-KMS: the ETag depends on the key (and on the data key S3 drew), not only on the bytes
  const etag = (v: Version) => `"${createHash('md5').update(v.body).update(v.kmsKey).digest('hex')}"`;
  const latest = (bucket: string, key: string) => buckets.get(bucket)!.get(key)?.at(-1);
  const notFound = () => Object.assign(new Error('Not Found'), { name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } });
  const heads = (v: Version) => ({
    ETag: etag(v),
    ServerSideEncryption: 'aws:kms',
    SSEKMSKeyId: v.kmsKey,
    ContentType: v.contentType,
    Metadata: v.metadata ?? {},
    LastModified: v.lastModified,
    ...(v.replicationStatus ? { ReplicationStatus: v.replicationStatus } : {}),
    ...(v.checksumCrc64nvme ? { ChecksumCRC64NVME: v.checksumCrc64nvme } : {}),
  });
  const write = (bucket: string, key: string, body: Buffer, extra: Partial<Version> = {}) => {
    const versions = buckets.get(bucket)!.get(key) ?? [];
    const v: Version = { versionId: `v${++n}`, body, kmsKey: defaults[bucket]!, lastModified: new Date((clock += 60_000)), ...extra };
    versions.push(v);
    buckets.get(bucket)!.set(key, versions);
    return v;
  };
  const handlers: Record<string, (i: any) => unknown> = {
    PutObject: (i) => {
      const current = latest(i.Bucket, i.Key);
      if (i.IfNoneMatch === '*' && current) throw Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      if (i.IfMatch && (!current || etag(current) !== i.IfMatch)) throw Object.assign(new Error('precondition'), { name: 'PreconditionFailed', $metadata: { httpStatusCode: 412 } });
      // no SSE headers: the bucket's default key; with them, the key asked for (clinica never asks)
      const v = write(i.Bucket, i.Key, Buffer.from(i.Body), { kmsKey: i.SSEKMSKeyId ?? defaults[i.Bucket]!, contentType: i.ContentType, metadata: i.Metadata });
      return { ETag: etag(v), VersionId: v.versionId, ServerSideEncryption: 'aws:kms', SSEKMSKeyId: v.kmsKey };
    },
    GetObject: (i) => {
      const versions = buckets.get(i.Bucket)!.get(i.Key) ?? [];
      const v = i.VersionId ? versions.find((x) => x.versionId === i.VersionId) : versions.at(-1);
      if (!v) throw notFound();
      return { ...heads(v), Body: Object.assign(Readable.from([v.body]), { transformToByteArray: async () => new Uint8Array(v.body) }) };
    },
    HeadObject: (i) => {
      const v = latest(i.Bucket, i.Key);
      if (!v) throw Object.assign(new Error('Not Found'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } });
      return { ...heads(v), ContentLength: v.body.length };
    },
    ListObjectsV2: (i) => ({
      Contents: [...buckets.get(i.Bucket)!].filter(([k]) => k.startsWith(i.Prefix ?? '')).map(([Key, vs]) => ({ Key, Size: vs.at(-1)!.body.length, ETag: etag(vs.at(-1)!) })),
      IsTruncated: false,
    }),
    ListObjectVersions: (i) => ({
      Versions: [...buckets.get(i.Bucket)!]
        .filter(([k]) => k.startsWith(i.Prefix ?? ''))
        .flatMap(([Key, vs]) => vs.map((v, j) => ({ Key, VersionId: v.versionId, ETag: etag(v), Size: v.body.length, LastModified: v.lastModified, IsLatest: j === vs.length - 1 }))),
      DeleteMarkers: [],
      IsTruncated: false,
    }),
  };
  const mock = mockClient(S3Client);
  (mock as unknown as { send: { callsFake(fn: (cmd: any) => Promise<unknown>): void } }).send.callsFake(async (cmd: any) => {
    const command = String(cmd.constructor.name).replace(/Command$/, '');
    calls.push({ command, input: { ...cmd.input, ...(cmd.input?.Body ? { Body: '<body>' } : {}) } });
    const handler = handlers[command];
    if (!handler) throw new Error(`kms S3: ${command} is not modelled`);
    return { $metadata: { httpStatusCode: 200 }, ...(handler(cmd.input) as object) };
  });
  /** what replication does: the same bytes (and checksum) in the backup, re-encrypted with the backup key */
  const replicate = (key: string) => {
    const source = latest(DATA, key)!;
    source.replicationStatus = 'COMPLETED';
    return write(BACKUP, key, source.body, { contentType: source.contentType, metadata: source.metadata, lastModified: source.lastModified, replicationStatus: 'REPLICA', checksumCrc64nvme: source.checksumCrc64nvme });
  };
  const client = new S3Client({ region: 'sa-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
  return { buckets, calls, write, replicate, latest, mock, store: (bucket: string) => new Store(client, bucket), tick: () => new Date((clock += 60_000)) };
}

let s3: ReturnType<typeof kmsS3>;
beforeEach(() => {
  s3 = kmsS3();
});
afterEach(() => s3.mock.restore());

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('backup verify with SSE-KMS copies', () => {
  it('the same bytes under the data key and the backup key are "ok" (their ETags differ); a changed replica is a mismatch', async () => {
    s3.write(DATA, 'patients/P-000101.json', json({ id: 'P-000101', fullName: 'Cópia Fiel' }), { contentType: 'application/json' });
    s3.write(DATA, 'patients/P-000102.json', json({ id: 'P-000102', fullName: 'Outra Cópia' }), { contentType: 'application/json' });
    s3.replicate('patients/P-000101.json');
    s3.replicate('patients/P-000102.json');
    expect(s3.latest(DATA, 'patients/P-000101.json')!.kmsKey).toBe(DATA_KEY);
    expect(s3.latest(BACKUP, 'patients/P-000101.json')!.kmsKey).toBe(BACKUP_KEY);

    const clean = await verifyBackup(s3.store(DATA), s3.store(BACKUP), { sampleSize: 100 });
    expect([clean.checked, clean.ok, clean.problems, clean.failed]).toEqual([2, 2, [], false]);
    // HEAD both (with checksums), then, the ETags telling nothing under KMS, the bytes of both copies
    const perKey = (key: string) => s3.calls.filter((c) => c.input.Key === key).map((c) => `${c.command} ${c.input.Bucket}${c.input.ChecksumMode ? ' ChecksumMode' : ''}`);
    expect(perKey('patients/P-000101.json')).toEqual([`HeadObject ${DATA} ChecksumMode`, `HeadObject ${BACKUP} ChecksumMode`, `GetObject ${DATA}`, `GetObject ${BACKUP}`]);

    s3.write(BACKUP, 'patients/P-000102.json', json({ id: 'P-000102', fullName: 'ALTERADA' }));
    const changed = await verifyBackup(s3.store(DATA), s3.store(BACKUP), { sampleSize: 100 });
    expect([changed.failed, changed.problems]).toEqual([true, [{ key: 'patients/P-000102.json', outcome: 'mismatch' }]]);
  });

  it('a checksum S3 keeps on both copies decides without reading them', async () => {
    s3.write(DATA, 'images/P-000101/IMG-1/original.jpg', Buffer.from('jpeg bytes'), { checksumCrc64nvme: 'AAAAAAAAAAE=' });
    s3.replicate('images/P-000101/IMG-1/original.jpg');
    s3.calls.splice(0);
    expect((await verifyBackup(s3.store(DATA), s3.store(BACKUP), { sampleSize: 100 })).failed).toBe(false);
    expect(s3.calls.map((c) => c.command)).toEqual(['ListObjectsV2', 'HeadObject', 'HeadObject']);
    s3.latest(BACKUP, 'images/P-000101/IMG-1/original.jpg')!.checksumCrc64nvme = 'AAAAAAAAAAI=';
    expect((await verifyBackup(s3.store(DATA), s3.store(BACKUP), { sampleSize: 100 })).problems).toEqual([{ key: 'images/P-000101/IMG-1/original.jpg', outcome: 'mismatch' }]);
  });
});

describe('restore from SSE-KMS versions', () => {
  it('a version found only in the backup (backup key) is written back under the data bucket\'s key, conditioned on the current ETag', async () => {
    const key = 'patients/P-000101.json';
    const then = { id: 'P-000101', fullName: 'Paciente Antiga', phone: '11 91111-1111' };
    s3.write(DATA, key, json(then), { contentType: 'application/json' });
    s3.replicate(key);
    const at = s3.tick();
    s3.write(DATA, key, json({ ...then, phone: '11 99999-9999' }), { contentType: 'application/json' });
    s3.replicate(key);
    // the data bucket's old version has expired (noncurrentVersionDays): only the backup has it
    s3.buckets.get(DATA)!.get(key)!.shift();

    const sources = { data: s3.store(DATA), backup: s3.store(BACKUP) };
    const plan = await planPatientRestore(sources, 'P-000101', at);
    expect(plan.items).toEqual([
      expect.objectContaining({ key, action: 'restore', from: expect.objectContaining({ source: 'backup' }), fields: ['phone'] }),
    ]);
    s3.calls.splice(0);
    const result = await applyPatientRestore(sources, plan, 'test:restore');
    expect(result).toEqual({ restored: [key], failed: [] });
    const current = s3.latest(DATA, key)!;
    expect(JSON.parse(current.body.toString())).toEqual(then);
    expect(current.kmsKey).toBe(DATA_KEY); // not the replica key: the data bucket's own default
    // read the backup's version, write it with If-Match and no encryption header (so the bucket's default applies)
    const [get, put] = s3.calls;
    expect(get).toEqual({ command: 'GetObject', input: { Bucket: BACKUP, Key: key, VersionId: plan.items[0]!.from!.versionId } });
    expect(put).toEqual({ command: 'PutObject', input: { Bucket: DATA, Key: key, Body: '<body>', ContentType: 'application/json', IfMatch: plan.items[0]!.currentEtag } });
    expect(Object.keys(put!.input).filter((k) => /ServerSideEncryption|SSEKMS|BucketKey/.test(k))).toEqual([]);
  });

  it('--all into another stage: every object under that stage\'s key', async () => {
    s3.write(DATA, 'patients/P-000101.json', json({ id: 'P-000101' }), { contentType: 'application/json' });
    s3.write(DATA, 'appointments/2026-12-01/A-1.json', json({ id: 'A-1' }), { contentType: 'application/json' });
    s3.replicate('patients/P-000101.json');
    const at = s3.tick();
    const drill = s3.store(DRILL);
    const plan = await planStoreRestore({ data: s3.store(DATA), backup: s3.store(BACKUP) }, drill, at);
    expect((await applyStoreRestore({ data: s3.store(DATA), backup: s3.store(BACKUP) }, drill, plan, 'test:restore')).failed).toEqual([]);
    const restored = [...s3.buckets.get(DRILL)!].filter(([k]) => !k.startsWith('audit/'));
    expect(restored.map(([k, vs]) => [k, vs.at(-1)!.kmsKey])).toEqual([
      ['appointments/2026-12-01/A-1.json', DRILL_KEY],
      ['patients/P-000101.json', DRILL_KEY],
      // then the restored patient's change marker, for a server of that stage that keeps opened records
      ['index/patient-changes/05.json', DRILL_KEY],
    ]);
  });
});
