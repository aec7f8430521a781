/**
 * The local S3 of `clinica dev` (s3rver in a child, behind the conditional-write proxy) when things go wrong:
 * a client that dies mid-upload, and s3rver itself dying. Real processes and sockets, no mocks.
 */
import { createHash } from 'node:crypto';
import http from 'node:http';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { describeAwsError, localS3Where } from '../../src/aws/errors.js';
import { oneLine } from '../../src/errors.js';
import { localTarget } from '../../src/local/endpoints.js';
import { KeyLocks, startLocalS3, type LocalS3 } from '../../src/local/s3-server.js';
import { mapLimit } from '../../src/map-limit.js';
import { memoryLog } from '../../src/log.js';
import { Store } from '../../src/store/store.js';

let dir: string;
let s3: LocalS3;
let store: Store;
const log = memoryLog();

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'clinica-s3-'));
  s3 = await startLocalS3({ directory: dir, port: 0, log });
  const client = await s3Client(localTarget({ s3: s3.endpoint, ses: 'http://127.0.0.1:9', region: 'us-east-1' }));
  store = new Store(client, 'wedge-test', localS3Where(s3.endpoint));
  await store.ensureBucket();
});
afterAll(async () => {
  await s3?.stop();
  await rm(dir, { recursive: true, force: true });
});

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
    return 'ok';
  } catch (err) {
    return (err as { kind?: string }).kind ?? `raw:${(err as Error).name}`;
  }
}

/** A PUT that sends part of its declared body, then its client dies (kill -9 of curl mid-upload). */
function uploadThenDie(path: string): Promise<void> {
  return new Promise((resolve) => {
    const { hostname, port } = new URL(s3.endpoint);
    const req = http.request({ host: hostname, port, method: 'PUT', path, headers: { 'content-length': 5 * 1024 * 1024 } });
    req.on('error', () => {});
    req.write(Buffer.alloc(256 * 1024, 1), () => {
      // the proxy has the first bytes and the key's lock: now the client goes away
      setTimeout(() => {
        req.destroy();
        resolve();
      }, 200);
    });
  });
}

describe('the local S3 when a client dies mid-upload', () => {
  it('releases the key: later reads and conditional writes on it are answered, and stop() returns', async () => {
    await uploadThenDie('/wedge-test/images/P-1/big.jpg');
    // before the fix every later request on the key waited for ever behind the dead upload's lock
    expect(await store.head('images/P-1/big.jpg')).toBeUndefined();
    await store.put('images/P-1/big.jpg', 'whole', { ifNoneMatch: '*' });
    expect((await store.getBytes('images/P-1/big.jpg'))?.toString()).toBe('whole');
  });
});

describe('the local S3 under concurrent writes and reads of one object', () => {
  it('every read gets one whole version — never half of one ("not valid JSON")', async () => {
    const key = 'patients/P-hammer.json';
    // record-sized: s3rver opens the file (truncating it) and writes it in steps that can finish after it answers
    const version = (n: number) => JSON.stringify({ n, notes: `${n}`.padEnd(2_000, '.') });
    await store.put(key, version(0));
    const seen = new Set<number>();
    const broken: string[] = [];
    const writes = Array.from({ length: 60 }, (_, i) => i + 1);
    const reads = Array.from({ length: 300 }, (_, i) => i);
    // other objects written meanwhile keep s3rver's file-system threads busy, as a bulk import does
    const others = Array.from({ length: 150 }, (_, i) => i);
    await Promise.all([
      mapLimit(others, 16, (i) => store.put(`patients/other/P-${i}.json`, version(i))),
      mapLimit(writes, 4, (n) => store.put(key, version(n))),
      mapLimit(reads, 16, async () => {
        const text = (await store.getBytes(key))!.toString('utf8');
        try {
          const got = JSON.parse(text) as { n: number; notes: string };
          if (got.notes !== version(got.n).slice(`{"n":${got.n},"notes":"`.length, -2)) broken.push(`version ${got.n} altered`);
          seen.add(got.n);
        } catch {
          broken.push(`${text.length} bytes: ${text.slice(-20)}`);
        }
      }),
    ]);
    expect(broken).toEqual([]);
    expect(seen.size).toBeGreaterThan(1); // the reads did overlap the writes
    expect(JSON.parse((await store.getBytes(key))!.toString('utf8')).n).toBe(60);
    // no temporary file is ever listed as an object
    const keys: string[] = [];
    for await (const o of store.list('patients/')) keys.push(o.key);
    expect(keys.filter((k) => !k.startsWith('patients/other/'))).toEqual([key]);
    expect(keys).toHaveLength(151);
  });

  it("answers a PUT only once the object's file is whole on disk", async () => {
    const body = Buffer.alloc(3 * 1024 * 1024, 7);
    const short: number[] = [];
    await mapLimit(Array.from({ length: 24 }, (_, i) => i), 8, async (i) => {
      await store.put(`big/${i}.bin`, body);
      // straight from s3rver's folder, past the proxy and its locks: what any reader would find now
      const size = (await stat(join(dir, 'wedge-test', 'big', `${i}.bin._S3rver_object`))).size;
      if (size !== body.length) short.push(size);
    });
    expect(short).toEqual([]);
  });

  it('reads of one object run together; a write waits for them and runs alone', async () => {
    const locks = new KeyLocks();
    const log: string[] = [];
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const reader = (name: string) => locks.run('k', false, async () => { log.push(`${name} in`); await gate; log.push(`${name} out`); });
    const r1 = reader('r1');
    const r2 = reader('r2');
    const w = locks.run('k', true, async () => { log.push('w'); });
    const r3 = reader('r3'); // after the write: waits for it
    await new Promise((r) => setTimeout(r, 20));
    expect(log).toEqual(['r1 in', 'r2 in']);
    release();
    await Promise.all([r1, r2, w, r3]);
    expect(log.slice(2)).toEqual(['r1 out', 'r2 out', 'w', 'r3 in', 'r3 out']);
    expect(locks.size).toBe(0);
  });
});

describe('the local S3 reading record-sized objects (the s3rver child reads them from one open file)', () => {
  const get = (key: string, headers: Record<string, string> = {}) => fetch(`${s3.endpoint}/wedge-test/${key}`, { headers });

  it('answers the bytes, ETag, type and metadata that were written, whole or by range, and empty objects', async () => {
    const body = '{"id":"P-000042","nome":"Conceição"}';
    const etag = await store.put('small/record.json', body, { contentType: 'application/json', metadata: { origem: 'teste' } });
    const whole = await get('small/record.json');
    expect(whole.status).toBe(200);
    expect(await whole.text()).toBe(body);
    expect(whole.headers.get('etag')).toBe(etag);
    expect(whole.headers.get('etag')).toBe(`"${createHash('md5').update(body).digest('hex')}"`);
    expect(whole.headers.get('content-type')).toBe('application/json');
    expect(whole.headers.get('content-length')).toBe(String(Buffer.byteLength(body)));
    expect(whole.headers.get('x-amz-meta-origem')).toBe('teste');

    const part = await get('small/record.json', { range: 'bytes=2-5' });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 2-5/${Buffer.byteLength(body)}`);
    expect(await part.text()).toBe(body.slice(2, 6));
    expect((await get('small/record.json', { range: 'bytes=500-600' })).status).toBe(416);

    await store.put('small/empty.txt', '');
    const empty = await get('small/empty.txt');
    expect(empty.status).toBe(200);
    expect(await empty.text()).toBe('');
    expect((await get('small/missing.json')).status).toBe(404);

    // overwritten: the new bytes with the new ETag
    const etag2 = await store.put('small/record.json', '{"v":2}');
    const again = await get('small/record.json');
    expect([await again.text(), again.headers.get('etag')]).toEqual(['{"v":2}', etag2]);
  });

  it('reads an object whose MD5 file is missing (s3rver makes it again) and one past the record size', async () => {
    await store.put('small/no-md5.json', '{"a":1}');
    await rm(join(dir, 'wedge-test', 'small', 'no-md5.json._S3rver_object.md5'));
    const res = await get('small/no-md5.json');
    expect([res.status, await res.text(), res.headers.get('etag')]).toEqual([200, '{"a":1}', `"${createHash('md5').update('{"a":1}').digest('hex')}"`]);
    const big = Buffer.alloc(300 * 1024, 3);
    await store.put('small/big.bin', big);
    const got = Buffer.from(await (await get('small/big.bin')).arrayBuffer());
    expect(got.equals(big)).toBe(true);
  });
});

describe("the local S3's bucket look-ups, kept in memory by the s3rver child", () => {
  /** An anonymous GET of the bucket's root with an Origin: what it serves (a website's index is HTML) and its CORS header. */
  const probe = async (bucket: string) => {
    const res = await fetch(`${s3.endpoint}/${bucket}/`, { headers: { origin: 'https://clinica.example' } });
    await res.arrayBuffer();
    return { website: res.status === 200 && /html/.test(res.headers.get('content-type') ?? ''), cors: res.headers.get('access-control-allow-origin') };
  };

  it('sees a bucket made, deleted and made again, and its CORS and website settings as soon as they change', async () => {
    const { CreateBucketCommand, DeleteBucketCommand, DeleteBucketCorsCommand, PutBucketCorsCommand, PutBucketWebsiteCommand } = await import('@aws-sdk/client-s3');
    const bucket = 'remembered-test';
    const other = new Store(store.s3, bucket);
    await store.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    await other.putJson('a/b/c.json', { v: 1 });
    await store.s3.send(new PutBucketWebsiteCommand({ Bucket: bucket, WebsiteConfiguration: { IndexDocument: { Suffix: 'index.html' } } }));
    await other.put('index.html', '<p>oi</p>', { contentType: 'text/html' });
    expect(await probe(bucket)).toEqual({ website: true, cors: null });
    await store.s3.send(new PutBucketCorsCommand({ Bucket: bucket, CORSConfiguration: { CORSRules: [{ AllowedOrigins: ['*'], AllowedMethods: ['GET'] }] } }));
    expect((await probe(bucket)).cors).toBe('*');
    await store.s3.send(new DeleteBucketCorsCommand({ Bucket: bucket }));
    expect((await probe(bucket)).cors).toBeNull();

    // emptied and deleted: gone at once; made again: there at once, without its old website
    await other.delete('a/b/c.json');
    await other.delete('index.html');
    await store.s3.send(new DeleteBucketCommand({ Bucket: bucket }));
    expect(await kindOf(other.getJson('a/b/c.json'))).toBe('unavailable');
    await store.s3.send(new CreateBucketCommand({ Bucket: bucket }));
    expect((await probe(bucket)).website).toBe(false);
    // a key whose folders the delete removed: the write makes them again
    await other.putJson('a/b/c.json', { v: 2 }, { ifNoneMatch: '*' });
    expect((await other.getJson<{ v: number }>('a/b/c.json'))?.value.v).toBe(2);
  });
});

describe('the local S3 when s3rver dies', () => {
  it('notices, says so, restarts it on the same endpoint, and the data is still there', async () => {
    await store.putJson('patients/P-000001.json', { id: 'P-000001' });
    const pid = s3.childPid!;
    process.kill(pid, 'SIGKILL');
    // the next request waits for the restarted s3rver instead of failing with ECONNREFUSED on its old port
    await expect.poll(() => s3.childPid !== undefined && s3.childPid !== pid, { timeout: 20_000 }).toBe(true);
    expect((await store.getJson<{ id: string }>('patients/P-000001.json'))?.value.id).toBe('P-000001');
    expect(log.entries.map((e) => `${e.level} ${e.message}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^warn the local S3 server stopped \(signal SIGKILL\); restarting it$/), expect.stringMatching(/^info the local S3 server is back/)]),
    );
  });

  it('gives up when s3rver keeps dying, and a command then says "the local S3 of clinica dev stopped — restart clinica dev"', async () => {
    for (let i = 0; i < 4 && !log.entries.some((e) => e.level === 'error'); i++) {
      const pid = s3.childPid;
      if (pid) process.kill(pid, 'SIGKILL');
      await expect.poll(() => log.entries.some((e) => e.level === 'error') || (s3.childPid !== undefined && s3.childPid !== pid), { timeout: 20_000 }).toBe(true);
    }
    expect(log.entries.find((e) => e.level === 'error')?.message).toMatch(/stopped \(signal SIGKILL\) 4 times in a minute; not restarting it/);
    const err = await store.getJson('patients/P-000001.json').catch((e: unknown) => e);
    expect(oneLine(err)).toBe('the local S3 of clinica dev stopped — restart clinica dev');
  });

  it('a command whose local S3 port refuses connections says the same, not the internal port', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:42211'), { code: 'ECONNREFUSED' });
    expect(oneLine(describeAwsError(refused, localS3Where('http://127.0.0.1:4568')))).toBe('the local S3 of clinica dev stopped — restart clinica dev');
    // on AWS the same failure still names the endpoint
    expect(oneLine(describeAwsError(refused, 'S3 at https://s3.example'))).toContain('cannot reach S3 at https://s3.example (ECONNREFUSED)');
  });
});
