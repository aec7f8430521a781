/**
 * The local S3: s3rver in a child process (its ListObjectsV2 continuation tokens use DES, which needs
 * Node's --openssl-legacy-provider; a child keeps that flag away from everything else), behind a small
 * proxy in this process that adds what s3rver lacks and real S3 has: atomic conditional writes
 * (If-Match / If-None-Match → 412). With the proxy, the store's concurrency logic is exercised over HTTP
 * against the same semantics it meets on AWS, instead of silently overwriting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { mkdir } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { ClinicaError } from '../errors.js';

/** An S3 event record as AWS delivers it to Lambda (keys URL-encoded, '+' for spaces). */
export interface S3EventRecord {
  eventVersion: string;
  eventSource: 'aws:s3';
  awsRegion: string;
  eventTime: string;
  eventName: string;
  s3: {
    s3SchemaVersion: string;
    bucket: { name: string; arn: string };
    object: { key: string; size?: number; eTag?: string; sequencer?: string };
  };
}

export interface LocalS3 {
  /** the endpoint clients use (the proxy) */
  endpoint: string;
  port: number;
  /** s3rver itself, behind the proxy (tests that need to bypass the proxy) */
  upstream: string;
  onEvent(listener: (record: S3EventRecord) => void): () => void;
  stop(): Promise<void>;
}

export interface LocalS3Options {
  directory: string;
  host?: string;
  /** 0 = any free port */
  port?: number;
  region?: string;
}

/** S3 event keys are form-encoded by AWS: encodeURIComponent with '+' for spaces and '/' kept. */
export function encodeEventKey(key: string): string {
  return key
    .split('/')
    .map((part) => encodeURIComponent(part).replace(/%20/g, '+'))
    .join('/');
}

/**
 * The child's program: runs s3rver and reports its port and its ObjectCreated/Removed events over IPC; exits
 * when the parent goes away. Kept as a string so it runs the same from dist/ and from source (tests).
 */
const CHILD = `
const S3rver = (await import(process.env.CLINICA_S3RVER_URL)).default;
const server = new S3rver({
  address: process.env.CLINICA_S3_HOST, port: 0, directory: process.env.CLINICA_S3_DIR,
  silent: true, vhostBuckets: false, allowMismatchedSignatures: true,
});
server.on('event', (event) => process.send({ type: 'event', event }));
const { port } = await server.run();
process.send({ type: 'ready', port });
const stop = () => server.close().finally(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', () => {}); // Ctrl+C reaches the whole group: the parent decides when to stop
`;

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  await mkdir(options.directory, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '--input-type=module', '-e', CHILD], {
    env: { ...process.env, CLINICA_S3RVER_URL: pathToFileURL(s3rverPath).href, CLINICA_S3_DIR: options.directory, CLINICA_S3_HOST: host },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const listeners = new Set<(record: S3EventRecord) => void>();

  const upstreamPort = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new ClinicaError('unavailable', `the local S3 server exited (${code}) before it was ready: ${stderr.trim().split('\n').pop() ?? ''}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (msg: { type: string; port?: number; event?: RawS3rverEvent }) => {
      if (msg.type === 'ready') {
        child.off('exit', onExit);
        resolve(msg.port!);
      } else if (msg.type === 'event' && msg.event) {
        for (const record of normalise(msg.event, region)) for (const l of listeners) l(record);
      }
    });
  });
  const upstream = `http://${host}:${upstreamPort}`;
  const proxy = createConditionalProxy(host, upstreamPort);
  proxy.listen(options.port ?? 0, host);
  try {
    await once(proxy, 'listening');
  } catch (err) {
    child.kill();
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClinicaError('unavailable', `cannot listen on ${host}:${options.port} for the local S3 (${code})`, {
      hint: code === 'EADDRINUSE' ? 'another program uses that port: stop it or pick another port (--s3-port)' : undefined,
      cause: err,
    });
  }
  const port = (proxy.address() as AddressInfo).port;
  let stopped = false;
  return {
    endpoint: `http://${host}:${port}`,
    port,
    upstream,
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      if (child.exitCode === null) {
        const exited = once(child, 'exit');
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

interface RawS3rverEvent {
  Records: {
    eventTime: string;
    eventName: string;
    s3: { bucket: { name: string }; object: { key: string; size?: number; eTag?: string; sequencer?: string } };
  }[];
}

function normalise(event: RawS3rverEvent, region: string): S3EventRecord[] {
  return event.Records.map((r) => ({
    eventVersion: '2.1',
    eventSource: 'aws:s3',
    awsRegion: region,
    eventTime: r.eventTime,
    eventName: r.eventName,
    s3: {
      s3SchemaVersion: '1.0',
      bucket: { name: r.s3.bucket.name, arn: `arn:aws:s3:::${r.s3.bucket.name}` },
      object: { ...r.s3.object, key: encodeEventKey(r.s3.object.key) },
    },
  }));
}

// ---------------------------------------------------------------------------------------------------------
// The conditional-write proxy

const stripEtag = (etag: string) => etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '');

function xmlError(res: http.ServerResponse, status: number, code: string, message: string) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function createConditionalProxy(host: string, upstreamPort: number): http.Server {
  /** per-object lock: a write (and its precondition check) runs alone on its key */
  const locks = new Map<string, Promise<void>>();
  /** buckets given a website configuration through this proxy (the site bucket, by `clinica dev`) */
  const websiteBuckets = new Set<string>();

  async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const current = new Promise<void>((r) => (release = r));
    const chained = previous.then(() => current);
    locks.set(key, chained);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (locks.get(key) === chained) locks.delete(key);
    }
  }

  function head(path: string, headers: http.IncomingHttpHeaders): Promise<{ status: number; etag?: string }> {
    return new Promise((resolve, reject) => {
      // anonymous: s3rver does not enforce bucket privacy, and the PUT's own signature names headers a HEAD lacks
      const keep: http.OutgoingHttpHeaders = { host: headers.host };
      const req = http.request({ host, port: upstreamPort, method: 'HEAD', path, headers: keep }, (res) => {
        res.resume();
        resolve({ status: res.statusCode ?? 500, etag: res.headers.etag });
      });
      req.on('error', reject);
      req.end();
    });
  }

  function forward(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    return new Promise((resolve) => {
      const headers = { ...req.headers };
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        // write preconditions were checked here; conditional GETs (304) are s3rver's own business
        delete headers['if-match'];
        delete headers['if-none-match'];
      }
      const upstream = http.request({ host, port: upstreamPort, method: req.method, path: req.url, headers }, (up) => {
        res.writeHead(up.statusCode ?? 500, up.headers);
        up.pipe(res);
        up.on('end', resolve);
        up.on('error', () => resolve());
      });
      upstream.on('error', (err) => {
        if (!res.headersSent) xmlError(res, 502, 'InternalError', `local S3 unreachable: ${err.message}`);
        else res.destroy();
        resolve();
      });
      req.pipe(upstream);
    });
  }

  return http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const [, bucket, ...rest] = url.pathname.split('/');
    const key = rest.join('/');
    if (bucket && !key && url.searchParams.has('website')) {
      void forward(req, res).then(() => {
        if (req.method === 'PUT' && res.statusCode === 200) websiteBuckets.add(bucket);
        if (req.method === 'DELETE' && res.statusCode < 300) websiteBuckets.delete(bucket);
      });
      return;
    }
    // A website opened without its trailing slash ("…/clinica-…-site") would serve the index document at a URL
    // where its relative links (assets/style.….css) resolve to the S3 root: send the browser to the folder
    // form, as S3 website endpoints do for a folder. Only anonymous, plain GETs — SDK calls are signed.
    if (
      (req.method === 'GET' || req.method === 'HEAD') && bucket && websiteBuckets.has(bucket) && !url.pathname.endsWith('/') &&
      rest.length === 0 && !url.search && !req.headers.authorization
    ) {
      req.resume();
      res.writeHead(302, { location: `/${bucket}/`, 'content-length': 0 });
      res.end();
      return;
    }
    // Every request on one object runs alone: s3rver writes an object's file and its metadata non-atomically,
    // so a read overlapping a write could see half of it (real S3 reads are atomic). Bucket-level requests and
    // multipart parts (their own upload ids) go straight through.
    if (!bucket || !key || url.searchParams.has('uploadId')) {
      void forward(req, res);
      return;
    }
    const ifMatch = req.headers['if-match'] as string | undefined;
    const ifNoneMatch = req.headers['if-none-match'] as string | undefined;
    const isPart = url.searchParams.has('partNumber');
    void withLock(`${bucket}/${key}`, async () => {
      if ((ifMatch || ifNoneMatch) && req.method === 'PUT' && !isPart) {
        const current = await head(`/${bucket}/${rest.join('/')}`, req.headers);
        const exists = current.status === 200;
        if (ifNoneMatch === '*' && exists) {
          req.resume();
          return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        }
        if (ifMatch && !exists) {
          req.resume();
          return xmlError(res, 404, 'NoSuchKey', 'The specified key does not exist.');
        }
        if (ifMatch && stripEtag(ifMatch) !== '*' && stripEtag(current.etag ?? '') !== stripEtag(ifMatch)) {
          req.resume();
          return xmlError(res, 412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
        }
      }
      await forward(req, res);
    }).catch((err: Error) => {
      if (!res.headersSent) xmlError(res, 500, 'InternalError', err.message);
    });
  });
}
