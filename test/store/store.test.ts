import http from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { createHash } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { mockClient } from 'aws-sdk-client-mock';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Store } from '../../src/store/store.js';
import { ClinicaError } from '../../src/errors.js';
import { s3Client } from '../../src/aws/clients.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack();
let store: Store;

beforeAll(() => {
  store = stack.dataStore;
});

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return err instanceof ClinicaError ? err.kind : `raw:${(err as Error).name}`;
  }
}

describe('store against the local S3 server', () => {
  it('round-trips JSON records with their ETag', async () => {
    const etag = await store.putJson('test/rec.json', { nome: 'João', n: 1 });
    const got = await store.getJson<{ nome: string }>('test/rec.json');
    expect(got?.value.nome).toBe('João');
    expect(got?.etag).toBe(etag);
    expect(await store.getJson('test/missing.json')).toBeUndefined();
    expect(await store.head('test/missing.json')).toBeUndefined();
  });

  it('creates once with If-None-Match: * (a second create is a conflict and changes nothing)', async () => {
    await store.putJson('test/once.json', { v: 1 }, { ifNoneMatch: '*' });
    expect(await kindOf(store.putJson('test/once.json', { v: 2 }, { ifNoneMatch: '*' }))).toBe('conflict');
    expect((await store.getJson<{ v: number }>('test/once.json'))?.value.v).toBe(1);
  });

  it('updates with If-Match: a stale ETag is a conflict and loses nothing', async () => {
    const first = await store.putJson('test/patient.json', { phone: '1' });
    const second = await store.putJson('test/patient.json', { phone: '2' }, { ifMatch: first });
    expect(await kindOf(store.putJson('test/patient.json', { phone: '3' }, { ifMatch: first }))).toBe('conflict');
    const now = await store.getJson<{ phone: string }>('test/patient.json');
    expect(now).toEqual({ value: { phone: '2' }, etag: second });
    // If-Match on a deleted record is a conflict too, not a silent re-create
    await store.delete('test/patient.json');
    expect(await kindOf(store.putJson('test/patient.json', { phone: '4' }, { ifMatch: second }))).toBe('conflict');
    expect(await store.getJson('test/patient.json')).toBeUndefined();
  });

  it('one client reused for many calls at once (cached middleware chain) keeps each call to its own bucket, key and answer', async () => {
    // the client resolves its middleware chain once per command and shares it between calls in flight
    // (cacheMiddleware): nothing of one call may leak into another
    const site = new Store(store.s3, stack.siteStore.bucket);
    const both = Array.from({ length: 40 }, (_, i) => [i % 2 ? site : store, `test/shared-client/${i}.json`] as const);
    await Promise.all(both.map(([s, key], i) => s.putJson(key, { i, bucket: s.bucket }, { ifNoneMatch: '*' })));
    const got = await Promise.all(both.map(([s, key]) => s.getJson<{ i: number; bucket: string }>(key, { withTimes: true })));
    expect(got.map((g) => [g?.value.i, g?.value.bucket])).toEqual(both.map(([s], i) => [i, s.bucket]));
    for (const g of got) expect(g?.serverTime).toBeInstanceOf(Date);
    // and each object exists only in the bucket it was written to
    expect(await Promise.all(both.map(([s, key]) => (s === site ? store : site).head(key)))).toEqual(both.map(() => undefined));
  });

  it('lets exactly one of many concurrent conditional writers win', async () => {
    const base = await store.putJson('test/race.json', { n: 0 });
    const results = await Promise.all(
      Array.from({ length: 12 }, (_, i) => kindOf(store.putJson('test/race.json', { n: i + 1 }, { ifMatch: base }))),
    );
    expect(results.filter((r) => r === 'ok')).toHaveLength(1);
    expect(results.filter((r) => r === 'conflict')).toHaveLength(11);
    const claims = await Promise.all(Array.from({ length: 8 }, () => kindOf(store.putJson('test/claim.json', {}, { ifNoneMatch: '*' }))));
    expect(claims.filter((r) => r === 'ok')).toHaveLength(1);
  });

  it('lists a prefix across pages', async () => {
    await Promise.all(Array.from({ length: 25 }, (_, i) => store.putJson(`list/${String(i).padStart(3, '0')}.json`, { i })));
    const keys: string[] = [];
    for await (const o of store.list('list/', { pageSize: 7 })) keys.push(o.key);
    expect(keys).toHaveLength(25);
    expect(keys[0]).toBe('list/000.json');
    expect(keys[24]).toBe('list/024.json');
    const after: string[] = [];
    for await (const o of store.list('list/', { startAfter: 'list/020.json', pageSize: 2 })) after.push(o.key);
    expect(after).toEqual(['list/021.json', 'list/022.json', 'list/023.json', 'list/024.json']);
    await store.putJson('tree/a/1.json', {});
    await store.putJson('tree/b/1.json', {});
    expect(await store.listPrefixes('tree/')).toEqual(['tree/a/', 'tree/b/']);
  });

  it('pages past 1000 keys (continuation tokens need the legacy OpenSSL provider in the s3rver child)', async () => {
    const keys = Array.from({ length: 1010 }, (_, i) => `many/${String(i).padStart(4, '0')}`);
    for (let i = 0; i < keys.length; i += 50) await Promise.all(keys.slice(i, i + 50).map((k) => store.put(k, 'x')));
    let count = 0;
    for await (const _ of store.list('many/')) count++;
    expect(count).toBe(1010);
    expect(await store.deleteMany(keys)).toEqual([]);
    let left = 0;
    for await (const _ of store.list('many/')) left++;
    expect(left).toBe(0);
  }, 120_000);

  it('streams a large body up as multipart and back byte-identical', async () => {
    const size = 9 * 1024 * 1024 + 123;
    const body = Buffer.alloc(size);
    for (let i = 0; i < size; i++) body[i] = (i * 31) % 251;
    await store.put('big/scan.tiff', Readable.from([body.subarray(0, 4_000_000), body.subarray(4_000_000)]), { contentType: 'image/tiff', metadata: { sha256: 'x' } });
    const head = await store.head('big/scan.tiff');
    expect(head?.size).toBe(size);
    expect(head?.contentType).toBe('image/tiff');
    const stream = await store.getStream('big/scan.tiff');
    const hash = createHash('sha256');
    for await (const chunk of stream!) hash.update(chunk as Buffer);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
    const range = await store.getStream('big/scan.tiff', 'bytes=0-9');
    const chunks: Buffer[] = [];
    for await (const c of range!) chunks.push(c as Buffer);
    expect(Buffer.concat(chunks)).toEqual(body.subarray(0, 10));
  });

  it('presigns short-lived GET and PUT links that work over plain HTTP', async () => {
    await store.put('docs/raio-x.txt', 'radiografia');
    const get = await store.presignGet('docs/raio-x.txt', { downloadName: 'raio-x.txt' });
    expect(new URL(get).searchParams.get('X-Amz-Expires')).toBe('300');
    const res = await fetch(get);
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('radiografia');
    const put = await store.presignPut('uploads/new.jpg', { contentType: 'image/jpeg', expiresIn: 120 });
    expect(new URL(put).searchParams.get('X-Amz-Expires')).toBe('120');
    const up = await fetch(put, { method: 'PUT', body: 'jpeg-bytes', headers: { 'content-type': 'image/jpeg' } });
    expect(up.status).toBe(200);
    expect((await store.getBytes('uploads/new.jpg'))?.toString()).toBe('jpeg-bytes');
  });

  it('refuses an expired presigned link', async () => {
    await store.put('docs/short.txt', 'x');
    const url = await store.presignGet('docs/short.txt', { expiresIn: 1 });
    await new Promise((r) => setTimeout(r, 2100));
    expect((await fetch(url)).status).toBe(403);
  });

  it('names a missing bucket and the fix', async () => {
    const other = new Store(await s3Client(stack.target), 'no-such-bucket', 'the test S3');
    const err = await other.putJson('x.json', {}).catch((e) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect(err.message).toContain('no-such-bucket');
  });

  it('reports an unreachable endpoint in one line', async () => {
    const dead = new Store(await s3Client({ ...stack.target, endpoints: { s3: 'http://127.0.0.1:9' }, maxAttempts: 1 }), 'b', 'S3 at http://127.0.0.1:9');
    const err = await dead.getJson('x.json').catch((e) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect(err.kind).toBe('unavailable');
    expect(err.message).toBe('cannot reach S3 at http://127.0.0.1:9 (ECONNREFUSED)');
  });
});

describe('store conditional-write mapping (real S3 answers, mocked)', () => {
  it('maps 412 PreconditionFailed and 409 ConditionalRequestConflict to conflict', async () => {
    const mock = mockClient(S3Client);
    const client = new S3Client({ region: 'sa-east-1' });
    const s = new Store(client, 'bucket');
    const precondition = Object.assign(new Error('At least one of the pre-conditions you specified did not hold'), {
      name: 'PreconditionFailed',
      $metadata: { httpStatusCode: 412 },
    });
    mock.on(PutObjectCommand).rejectsOnce(precondition).rejectsOnce(Object.assign(new Error('conflict'), { name: 'ConditionalRequestConflict', $metadata: { httpStatusCode: 409 } })).resolves({ ETag: '"e2"' });
    expect(await kindOf(s.putJson('k.json', {}, { ifMatch: '"e1"' }))).toBe('conflict');
    expect(await kindOf(s.putJson('k.json', {}, { ifNoneMatch: '*' }))).toBe('conflict');
    expect(await s.putJson('k.json', { a: 1 }, { ifMatch: '"e1"' })).toBe('"e2"');
    const calls = mock.commandCalls(PutObjectCommand);
    expect(calls.map((c) => [c.args[0].input.IfMatch, c.args[0].input.IfNoneMatch])).toEqual([
      ['"e1"', undefined],
      [undefined, '*'],
      ['"e1"', undefined],
    ]);
    expect(calls[2]!.args[0].input.ContentType).toBe('application/json; charset=utf-8');
    mock.restore();
  });
});

describe('store put with a known SHA-256 (what goes on the wire)', () => {
  /** An S3 stand-in that records each request's headers and body and answers 200. */
  async function recordingEndpoint() {
    const requests: { headers: http.IncomingHttpHeaders; body: Buffer; socket: number }[] = [];
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        requests.push({ headers: req.headers, body: Buffer.concat(chunks), socket: req.socket.remotePort! });
        res.writeHead(200, { etag: '"e1"' }).end();
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    return { requests, endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((r) => server.close(r)) };
  }

  it('sends large bodies (image originals) at once on a pooled connection, without "Expect: 100-continue"', async () => {
    const wire = await recordingEndpoint();
    try {
      const client = await s3Client({ region: 'sa-east-1', endpoint: wire.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, maxAttempts: 1 });
      const s = new Store(client, 'bucket');
      const radiograph = Buffer.alloc(3 * 1024 * 1024, 7);
      await s.put('images/P-000001/I-1/original.jpg', radiograph, { contentType: 'image/jpeg' });
      await s.put('images/P-000001/I-2/original.jpg', radiograph, { contentType: 'image/jpeg' });
      expect(wire.requests.map((r) => [r.headers.expect, r.body.length])).toEqual([[undefined, radiograph.length], [undefined, radiograph.length]]);
      // one connection for both: the SDK sends a 100-continue request on a connection it never reuses
      expect(new Set(wire.requests.map((r) => r.socket)).size).toBe(1);
    } finally {
      await wire.close();
    }
  });

  it.each([
    ['AWS defaults', false],
    ['an S3-compatible server', true],
  ])('sends the hash as payload hash and ChecksumSHA256 instead of hashing again (%s)', async (_, s3Compatible) => {
    const wire = await recordingEndpoint();
    try {
      const client = await s3Client({ region: 'sa-east-1', endpoint: wire.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, s3Compatible, maxAttempts: 1 });
      const s = new Store(client, 'bucket');
      const body = Buffer.from('radiograph bytes '.repeat(1000));
      const hex = createHash('sha256').update(body).digest('hex');
      // a made-up hash shows that the caller's value is sent as it is, not recomputed (real S3 would answer
      // BadDigest to it; the stand-in does not check)
      const given = 'ab'.repeat(32);
      await s.put('images/P-000001/I-1/original.jpg', body, { contentType: 'image/jpeg', sha256: given });
      await s.put('images/P-000001/I-1/display.webp', body, { contentType: 'image/webp' });
      const [withHash, without] = wire.requests;
      expect(withHash!.body.equals(body)).toBe(true);
      expect(withHash!.headers['x-amz-content-sha256']).toBe(given);
      expect(withHash!.headers['x-amz-checksum-sha256']).toBe(Buffer.from(given, 'hex').toString('base64'));
      expect(withHash!.headers.authorization).toContain('x-amz-content-sha256');
      expect(Object.keys(withHash!.headers).filter((h) => h.startsWith('x-amz-checksum-'))).toEqual(['x-amz-checksum-sha256']);
      // without one, the SDK computes the payload hash itself (and on AWS adds its own CRC32)
      expect(without!.headers['x-amz-content-sha256']).toBe(hex);
      expect(without!.headers['x-amz-checksum-crc32'] !== undefined).toBe(!s3Compatible);
    } finally {
      await wire.close();
    }
  });
});

describe('local S3 proxy: one object, one request at a time', () => {
  it('a read overlapping writes of the same object always sees a whole version', async () => {
    const store = stack.dataStore;
    const version = (n: number) => ({ n, pad: 'x'.repeat(300_000 + n) });
    await store.putJson('atomic/index.json', version(0));
    const seen: number[] = [];
    await Promise.all([
      (async () => {
        for (let n = 1; n <= 15; n++) await store.putJson('atomic/index.json', version(n));
      })(),
      ...Array.from({ length: 3 }, async () => {
        for (let i = 0; i < 15; i++) {
          const got = await store.getJson<{ n: number; pad: string }>('atomic/index.json'); // throws on half a file
          expect(got!.value.pad.length).toBe(300_000 + got!.value.n);
          seen.push(got!.value.n);
        }
      }),
    ]);
    expect(seen).toHaveLength(45);
  });

  it('passes conditional GETs through (304 Not Modified)', async () => {
    const etag = await stack.dataStore.put('atomic/page.html', '<p>oi</p>');
    const url = await stack.dataStore.presignGet('atomic/page.html');
    const res = await fetch(url, { headers: { 'if-none-match': etag } });
    expect(res.status).toBe(304);
  });
});
