/**
 * The local S3: s3rver in a child process (its ListObjectsV2 continuation tokens use DES, which needs
 * Node's --openssl-legacy-provider; a child keeps that flag away from everything else), behind a small
 * proxy in this process that adds what s3rver lacks and real S3 has: atomic conditional writes
 * (If-Match / If-None-Match → 412) and object versions (s3-versions.ts). With the proxy, the store's concurrency logic is exercised over HTTP
 * against the same semantics it meets on AWS, instead of silently overwriting.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { LOCAL_S3_STOPPED } from '../aws/errors.js';
import { ClinicaError } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import { createVersioning, VersionIndex, type ForwardOptions } from './s3-versions.js';

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
  /** s3rver itself, behind the proxy (tests that need to bypass the proxy); changes when it is restarted */
  readonly upstream: string;
  /** s3rver's process id (tests stop it to see the proxy cope) */
  readonly childPid: number | undefined;
  onEvent(listener: (record: S3EventRecord) => void): () => void;
  stop(): Promise<void>;
}

export interface LocalS3Options {
  directory: string;
  host?: string;
  /** 0 = any free port */
  port?: number;
  region?: string;
  /** told when s3rver stops on its own, is restarted, or cannot be */
  log?: Log;
  /** where the versions of versioned buckets are kept (default: `<directory>-versions`) */
  versionsDirectory?: string;
}

/** s3rver dying this many times within RESTART_WINDOW_MS is not bad luck: stop restarting it. */
const MAX_RESTARTS = 3;
const RESTART_WINDOW_MS = 60_000;

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
// s3rver answers a PUT before the object's file is fully written (it ends the write stream and resolves at
// once), and writes it in place: a read right after could see half a record ("not valid JSON"). Here an
// upload goes to a temporary file first, is flushed, and takes the object's name with one rename — a reader
// sees the old object or the new one, whole, as on S3.
const { createRequire } = await import('node:module');
const { createHash, randomBytes } = await import('node:crypto');
const { dirname } = await import('node:path');
const fsp = await import('node:fs/promises');
const fs = await import('node:fs');
const { Readable, Transform } = await import('node:stream');
const { pipeline } = await import('node:stream/promises');
const s3rverRequire = createRequire(process.env.CLINICA_S3RVER_URL);
const FilesystemStore = s3rverRequire('./stores/filesystem');
const fsx = s3rverRequire('fs-extra');
// A record-sized body (the JSON records that make most writes) is gathered and written with synchronous calls:
// a few tens of microseconds each in this process of its own, where each promise-based call costs more in
// hand-offs to the thread pool than the write itself. Larger bodies stream to the temporary file.
const SMALL_BODY = 256 * 1024;
FilesystemStore.prototype.putObject = async function (object) {
  const objectPath = this.getResourcePath(object.bucket, object.key, 'object');
  const temp = objectPath + '.' + randomBytes(6).toString('hex') + '.partial';
  const md5 = createHash('md5');
  let size = 0;
  if (object.size <= SMALL_BODY) {
    const chunks = [];
    for await (const chunk of Buffer.isBuffer(object.content) ? [object.content] : object.content) chunks.push(chunk);
    const body = Buffer.concat(chunks);
    size = body.length;
    md5.update(body);
    try {
      // the object's folder is made only when the file cannot be written for want of it
      try {
        fs.writeFileSync(temp, body);
      } catch (err) {
        if (err.code !== 'ENOENT') throw err;
        fs.mkdirSync(dirname(objectPath), { recursive: true });
        fs.writeFileSync(temp, body);
      }
      fs.renameSync(temp, objectPath);
    } catch (err) {
      fs.rmSync(temp, { force: true });
      throw err;
    }
  } else {
    const count = new Transform({ transform(chunk, encoding, done) { md5.update(chunk); size += chunk.length; done(null, chunk); } });
    let file;
    try {
      file = await fsp.open(temp, 'w');
    } catch (err) {
      if (err.code !== 'ENOENT') throw err;
      await fsx.mkdirp(dirname(objectPath));
      file = await fsp.open(temp, 'w');
    }
    try {
      await pipeline(Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content, count, file.createWriteStream());
      await fsx.rename(temp, objectPath);
    } catch (err) {
      await fsx.remove(temp).catch(() => {});
      throw err;
    }
  }
  const digest = md5.digest('hex');
  await this.putMetadata(object.bucket, object.key, object.metadata, digest);
  return { size, md5: digest };
};
// s3rver's own, with synchronous writes of its two small files
const S3Object = s3rverRequire('./models/object');
FilesystemStore.prototype.putMetadata = async function (bucket, key, metadata, md5) {
  const json = {};
  for (const name of S3Object.ALLOWED_METADATA) if (metadata[name] !== undefined) json[name] = metadata[name];
  for (const [name, value] of Object.entries(metadata)) if (name.startsWith('x-amz-meta-')) json[name] = value;
  if (md5) fs.writeFileSync(this.getResourcePath(bucket, key, 'object.md5'), md5);
  fs.writeFileSync(this.getResourcePath(bucket, key, 'metadata.json'), JSON.stringify(json, null, 2));
};
// A GET of a record-sized object is read with synchronous calls from one open file (its size and bytes of the
// same file even if a write replaces it meanwhile), instead of s3rver's stat, two reads and a read stream: the
// reads that make most requests. Larger objects and objects without their MD5 file go s3rver's way.
const readIfThere = (path) => {
  try {
    return fs.readFileSync(path, 'utf8');
  } catch (err) {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  }
};
const { getObject } = FilesystemStore.prototype;
FilesystemStore.prototype.getObject = async function (bucket, key, options) {
  let fd;
  try {
    fd = fs.openSync(this.getResourcePath(bucket, key, 'object'), 'r');
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
  try {
    const { size, mtime } = fs.fstatSync(fd);
    const md5 = size > SMALL_BODY ? undefined : readIfThere(this.getResourcePath(bucket, key, 'object.md5'));
    if (md5 === undefined) return getObject.call(this, bucket, key, options);
    const stored = readIfThere(this.getResourcePath(bucket, key, 'metadata.json'));
    const metadata = { ...(stored && JSON.parse(stored)), etag: JSON.stringify(md5), 'last-modified': mtime.toUTCString(), 'content-length': size };
    const lastByte = Math.max(0, size - 1);
    const range = { start: options?.start || 0, end: Math.min(options?.end || Infinity, lastByte) };
    const ranged = options && (options.start !== undefined || options.end);
    if (range.start < 0 || range.end < range.start) {
      const object = new S3Object(bucket, key, null, metadata);
      if (ranged) object.range = range;
      return object;
    }
    const body = Buffer.allocUnsafe(size);
    for (let read = 0; read < size; ) {
      const n = fs.readSync(fd, body, read, size - read, read);
      if (n === 0) throw Object.assign(new Error('object shorter than its size'), { code: 'EIO' });
      read += n;
    }
    const object = new S3Object(bucket, key, Readable.from([body.subarray(range.start, range.end + 1)]), metadata);
    if (ranged) object.range = range;
    return object;
  } finally {
    fs.closeSync(fd);
  }
};
const server = new S3rver({
  address: process.env.CLINICA_S3_HOST, port: 0, directory: process.env.CLINICA_S3_DIR,
  silent: true, vhostBuckets: false, allowMismatchedSignatures: true,
});
// koa-logger, s3rver's first middleware, formats a coloured line for every request even when silent: dropped
server.middleware.shift();
// Every request looks its bucket up (a stat of its folder) and reads the bucket's CORS and website
// configurations (two file reads); all three change only through this store, so they are kept in memory
// and forgotten when the store changes them.
const remembered = new Map(); // bucket → (what → its promise)
const remember = (bucket, what, read) => {
  let known = remembered.get(bucket);
  if (!known) remembered.set(bucket, (known = new Map()));
  if (!known.has(what)) known.set(what, read().catch((err) => { known.delete(what); throw err; }));
  return known.get(what);
};
const forget = (bucket) => remembered.delete(bucket);
const store = FilesystemStore.prototype;
const { getBucket, putBucket, deleteBucket, getSubresource, putSubresource, deleteSubresource } = store;
store.getBucket = async function (name) {
  const found = await remember(name, 'bucket', () => getBucket.call(this, name));
  if (!found) remembered.get(name)?.delete('bucket');
  return found;
};
store.getSubresource = function (bucket, key, type) {
  if (key !== undefined) return getSubresource.call(this, bucket, key, type);
  return remember(bucket, type, () => getSubresource.call(this, bucket, key, type));
};
const forgetting = (fn) => async function (bucket, ...rest) {
  try { return await fn.call(this, bucket, ...rest); } finally { forget(bucket); }
};
store.putBucket = forgetting(putBucket);
store.deleteBucket = forgetting(deleteBucket);
store.putSubresource = forgetting(putSubresource);
store.deleteSubresource = forgetting(deleteSubresource);
server.on('event', (event) => process.send({ type: 'event', event }));
const { port } = await server.run();
process.send({ type: 'ready', port });
const stop = () => server.close().finally(() => process.exit(0));
process.on('disconnect', stop);
process.on('SIGTERM', stop);
process.on('SIGINT', () => {}); // Ctrl+C reaches the whole group: the parent decides when to stop
`;

interface Child {
  process: ChildProcess;
  port: number;
}

/** Starts s3rver in a child and resolves with its port once it listens. */
async function spawnS3rver(options: LocalS3Options, host: string, onEvent: (event: RawS3rverEvent) => void): Promise<Child> {
  const s3rverPath = createRequire(import.meta.url).resolve('s3rver');
  const child: ChildProcess = spawn(process.execPath, ['--openssl-legacy-provider', '--input-type=module', '-e', CHILD], {
    env: { ...process.env, CLINICA_S3RVER_URL: pathToFileURL(s3rverPath).href, CLINICA_S3_DIR: options.directory, CLINICA_S3_HOST: host },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk) => (stderr = (stderr + chunk).slice(-2000)));
  const port = await new Promise<number>((resolve, reject) => {
    const onExit = (code: number | null) =>
      reject(new ClinicaError('unavailable', `the local S3 server exited (${code}) before it was ready: ${stderr.trim().split('\n').pop() ?? ''}`));
    child.once('exit', onExit);
    child.once('error', reject);
    child.on('message', (msg: { type: string; port?: number; event?: RawS3rverEvent }) => {
      if (msg.type === 'ready') {
        child.off('exit', onExit);
        resolve(msg.port!);
      } else if (msg.type === 'event' && msg.event) {
        onEvent(msg.event);
      }
    });
  });
  return { process: child, port };
}

/**
 * s3rver in its child, kept running: dying on its own (killed, out of memory, a crash) is noticed, said, and
 * mended — the proxy keeps its port, so the commands and the staff backend that know it carry on once the
 * child is back; after MAX_RESTARTS deaths within RESTART_WINDOW_MS it gives up.
 */
class SupervisedS3rver {
  stopped = false;
  /** while s3rver is being restarted: the proxy's requests wait for it; undefined = up (or given up) */
  restarting: Promise<void> | undefined;
  /** s3rver could not be kept running: the proxy answers LocalS3Stopped */
  private gaveUp = false;
  private readonly restarts: number[] = [];

  private constructor(
    public child: Child,
    private readonly start: () => Promise<Child>,
    private readonly options: LocalS3Options,
    private readonly log: Log,
  ) {
    this.supervise(child);
  }

  static async start(options: LocalS3Options, host: string, onEvent: (event: RawS3rverEvent) => void, log: Log): Promise<SupervisedS3rver> {
    const start = () => spawnS3rver(options, host, onEvent);
    return new SupervisedS3rver(await start(), start, options, log);
  }

  /** s3rver's port once it is up; undefined when it stopped for good. */
  async port(): Promise<number | undefined> {
    if (this.restarting) await this.restarting;
    return this.gaveUp || this.stopped ? undefined : this.child.port;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.restarting;
    await stopChild(this.child.process);
  }

  private supervise(current: Child): void {
    current.process.once('exit', (code, signal) => {
      if (this.stopped) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      const now = Date.now();
      this.restarts.push(now);
      while (this.restarts.length && now - this.restarts[0]! > RESTART_WINDOW_MS) this.restarts.shift();
      if (this.restarts.length > MAX_RESTARTS) {
        this.gaveUp = true;
        this.log.error(`the local S3 server stopped (${how}) ${this.restarts.length} times in a minute; not restarting it — stop clinica dev (Ctrl+C) and start it again`);
        return;
      }
      this.log.warn(`the local S3 server stopped (${how}); restarting it`);
      this.restarting = this.start()
        .then(
          (next) => this.adopt(next),
          (err: Error) => {
            this.gaveUp = true;
            this.log.error(`the local S3 server could not be restarted (${err.message}) — stop clinica dev (Ctrl+C) and start it again`);
          },
        )
        .finally(() => {
          this.restarting = undefined;
        });
    });
  }

  private adopt(next: Child): void {
    if (this.stopped) {
      next.process.kill('SIGTERM');
      return;
    }
    this.child = next;
    this.supervise(next);
    this.log.info(`the local S3 server is back (data kept in ${this.options.directory})`);
  }
}

/** The proxy listening on host:port, or a one-line error naming the port and the fix. */
async function listen(proxy: http.Server, host: string, port: number | undefined): Promise<number> {
  proxy.listen(port ?? 0, host);
  try {
    await once(proxy, 'listening');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ClinicaError('unavailable', `cannot listen on ${host}:${port} for the local S3 (${code})`, {
      hint: code === 'EADDRINUSE' ? 'another program uses that port: stop it or pick another port (--s3-port)' : undefined,
      cause: err,
    });
  }
  return (proxy.address() as AddressInfo).port;
}

export async function startLocalS3(options: LocalS3Options): Promise<LocalS3> {
  await mkdir(options.directory, { recursive: true });
  const host = options.host ?? '127.0.0.1';
  const region = options.region ?? 'us-east-1';
  const listeners = new Set<(record: S3EventRecord) => void>();
  const onEvent = (event: RawS3rverEvent) => {
    for (const record of normalise(event, region)) for (const l of listeners) l(record);
  };
  const s3rver = await SupervisedS3rver.start(options, host, onEvent, options.log ?? silentLog);
  const versions = new VersionIndex(options.versionsDirectory ?? `${options.directory}-versions`);
  await versions.load();
  const proxy = createConditionalProxy({ host, port: () => s3rver.port() }, options.directory, versions);
  const port = await listen(proxy, host, options.port).catch((err: unknown) => {
    s3rver.stopped = true;
    s3rver.child.process.kill();
    throw err;
  });
  return {
    endpoint: `http://${host}:${port}`,
    port,
    get upstream() {
      return `http://${host}:${s3rver.child.port}`;
    },
    get childPid() {
      const child = s3rver.child.process;
      return child.exitCode === null && child.signalCode === null ? child.pid : undefined;
    },
    onEvent(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async stop() {
      if (s3rver.stopped) return;
      s3rver.stopped = true;
      proxy.closeAllConnections();
      await new Promise<void>((resolve) => proxy.close(() => resolve()));
      versions.close();
      await s3rver.stop();
    },
  };
}

/** SIGTERM (s3rver closes its server), then SIGKILL if it has not gone within a few seconds. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const late = setTimeout(() => child.kill('SIGKILL'), 3_000);
  await exited;
  clearTimeout(late);
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

function xmlError(res: http.ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}) {
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`;
  res.writeHead(status, { ...headers, 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** A request's whole body, or undefined when its client went away before sending all of it. */
function readBody(req: http.IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('close', () => {
      if (!req.complete) resolve(undefined);
    });
    req.on('error', () => resolve(undefined));
  });
}

/**
 * Per-object order: reads of one object run together, a write runs alone (after the reads and writes before
 * it, before those after it). s3rver writes an object's file and its metadata one after the other, so a read
 * overlapping a write could pair the new content with the old length (real S3 reads are atomic); reads among
 * themselves need no order, and many readers of one record (a busy patient) must not queue behind each other.
 */
export class KeyLocks {
  private readonly keys = new Map<string, { readers: number; writer: boolean; waiting: { write: boolean; go: () => void }[] }>();

  async run<T>(key: string, write: boolean, fn: () => Promise<T>): Promise<T> {
    let state = this.keys.get(key);
    if (!state) this.keys.set(key, (state = { readers: 0, writer: false, waiting: [] }));
    const free = write ? !state.writer && state.readers === 0 && !state.waiting.length : !state.writer && !state.waiting.length;
    if (free) this.take(state, write);
    else await new Promise<void>((go) => state.waiting.push({ write, go }));
    try {
      return await fn();
    } finally {
      if (write) state.writer = false;
      else state.readers--;
      this.next(key, state);
    }
  }

  /** how many objects have a request running or waiting (0 once all is done: nothing leaks) */
  get size(): number {
    return this.keys.size;
  }

  private take(state: { readers: number; writer: boolean }, write: boolean) {
    if (write) state.writer = true;
    else state.readers++;
  }

  private next(key: string, state: { readers: number; writer: boolean; waiting: { write: boolean; go: () => void }[] }) {
    while (state.waiting.length && !state.writer) {
      const first = state.waiting[0]!;
      if (first.write && state.readers > 0) break;
      state.waiting.shift();
      this.take(state, first.write);
      first.go();
      if (first.write) break;
    }
    if (!state.writer && state.readers === 0 && !state.waiting.length) this.keys.delete(key);
  }
}

/** s3rver's file of an object's MD5 (its ETag) under its data folder (see s3rver's FilesystemStore.getResourcePath). */
function md5File(directory: string, bucket: string, key: string): string {
  // on Windows s3rver writes <>:"\|?* in a key as &<hex> (its encodeKeyPath)
  const onDisk = process.platform === 'win32' ? key.replace(/[<>:"\\|?*]/g, (ch) => `&${Buffer.from(ch).toString('hex')}`) : key;
  const parts = onDisk.split('/');
  const last = parts.pop()!;
  return join(directory, bucket, ...parts, `${last}._S3rver_object.md5`);
}

/** s3rver behind the proxy: where it listens, and its port once up (undefined: it stopped for good). */
interface Upstream {
  host: string;
  port: () => Promise<number | undefined>;
}

/** The client is told in one line (aws/errors.ts), not "ECONNREFUSED" on s3rver's internal port. */
const stoppedError = (res: http.ServerResponse) => xmlError(res, 503, LOCAL_S3_STOPPED, 'the local S3 of clinica dev stopped');

/**
 * The object's state for a write's precondition: read from s3rver's MD5 file rather than asked with a HEAD —
 * one file read instead of a request through s3rver's whole stack, for every conditional write (a patient
 * import makes thousands). s3rver stopped → undefined (the caller answers LocalS3Stopped).
 */
async function currentObject(
  up: Upstream,
  directory: string,
  bucket: string,
  key: string,
  path: string,
  headers: http.IncomingHttpHeaders,
): Promise<{ status: number; etag?: string } | undefined> {
  if ((await up.port()) === undefined) return undefined;
  // read synchronously: a 32-byte file in the page cache takes microseconds, where the promise API costs a
  // FileHandle, and an Error with its stack for every object that does not exist yet (most writes of an import)
  const file = md5File(directory, bucket, key);
  try {
    if (!statSync(file, { throwIfNoEntry: false })) return { status: 404 };
    return { status: 200, etag: readFileSync(file, 'utf8').trim() };
  } catch {
    return headUpstream(up, path, headers); // anything odd on disk (or deleted meanwhile): ask s3rver
  }
}

async function headUpstream(up: Upstream, path: string, headers: http.IncomingHttpHeaders): Promise<{ status: number; etag?: string } | undefined> {
  const port = await up.port();
  if (port === undefined) return undefined;
  return new Promise((resolve) => {
    // anonymous: s3rver does not enforce bucket privacy, and the PUT's own signature names headers a HEAD lacks
    const keep: http.OutgoingHttpHeaders = { host: headers.host };
    const req = http.request({ host: up.host, port, method: 'HEAD', path, headers: keep }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 500, etag: res.headers.etag });
    });
    req.on('error', () => resolve(undefined)); // s3rver gone: the caller answers LocalS3Stopped
    req.end();
  });
}

/**
 * Passes one request to s3rver and its answer back. Resolves (releasing the key's lock) however it ends:
 * answered, the client gone, or s3rver gone. A request body is read whole before s3rver sees any of it:
 * s3rver writes an upload straight into the object's file, so a client that died mid-upload (an interrupted
 * `upload --bulk`, a closed browser tab) would leave a truncated object under the key — real S3 stores a PUT
 * whole or not at all, and so does this proxy.
 */
async function forward(up: Upstream, req: http.IncomingMessage, res: http.ServerResponse, options: ForwardOptions = {}): Promise<number | undefined> {
  const body = options.body ?? (await readBody(req));
  if (body === undefined) return undefined; // the client went away before sending all of it: nothing reaches s3rver
  const port = await up.port();
  if (port === undefined) return void stoppedError(res);
  return new Promise((resolve) => {
    const headers = { ...req.headers, ...options.headers };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      // write preconditions were checked here; conditional GETs (304) are s3rver's own business
      delete headers['if-match'];
      delete headers['if-none-match'];
    }
    const upstream = http.request({ host: up.host, port, method: req.method, path: options.path ?? req.url, headers }, (answer) => {
      passAnswer(answer, res, options).then(resolve, () => resolve(500));
    });
    upstream.on('error', () => {
      // s3rver went away while answering (a restart is under way, or it was given up)
      if (!res.headersSent) stoppedError(res);
      else res.destroy();
      resolve(undefined);
    });
    res.on('close', () => {
      // the client left before the whole answer: drop the upstream request rather than wait on it
      if (res.writableFinished) return;
      upstream.destroy();
      resolve(undefined);
    });
    upstream.end(body);
  });
}

/** s3rver's answer to the client, with the headers `beforeAnswer` adds; resolves with its status once sent. */
async function passAnswer(up: http.IncomingMessage, res: http.ServerResponse, options: ForwardOptions): Promise<number> {
  const status = up.statusCode ?? 500;
  let extra: Record<string, string> = {};
  if (options.beforeAnswer) {
    // the version is recorded before the client hears of it, so its next request sees it
    try {
      extra = await options.beforeAnswer(status, up.headers);
    } catch (err) {
      up.resume();
      xmlError(res, 500, 'InternalError', (err as Error).message);
      return 500;
    }
  }
  res.writeHead(status, { ...up.headers, ...extra });
  up.pipe(res);
  return new Promise((resolve) => {
    up.on('end', () => resolve(status));
    up.on('error', () => resolve(status));
  });
}

/** One request of the proxy's own to s3rver (anonymous: s3rver does not enforce bucket privacy). */
async function callUpstream(
  up: Upstream,
  method: string,
  path: string,
  headers: http.OutgoingHttpHeaders = {},
  body?: Buffer | NodeJS.ReadableStream,
): Promise<http.IncomingMessage> {
  const port = await up.port();
  if (port === undefined) throw new ClinicaError('unavailable', 'the local S3 of clinica dev stopped');
  return new Promise((resolve, reject) => {
    const req = http.request({ host: up.host, port, method, path, headers: { ...headers, host: `${up.host}:${port}` } }, resolve);
    req.on('error', reject);
    if (body && !Buffer.isBuffer(body)) body.pipe(req);
    else req.end(body);
  });
}

/** What the proxy's request handlers share. */
interface Proxy {
  up: Upstream;
  /** s3rver's data folder (its MD5 files answer write preconditions) */
  directory: string;
  locks: KeyLocks;
  /** buckets given a website configuration through this proxy (the site bucket, by `clinica dev`) */
  websiteBuckets: Set<string>;
  versioning: ReturnType<typeof createVersioning>;
}

function createConditionalProxy(up: Upstream, directory: string, versions: VersionIndex): http.Server {
  const locks = new KeyLocks();
  const versioning = createVersioning({
    index: versions,
    forward: (req, res, options) => forward(up, req, res, options),
    upstream: (method, path, headers, body) => callUpstream(up, method, path, headers, body),
    withLock: (key, fn) => locks.run(key, true, fn),
    xmlError,
    readBody,
  });
  const proxy: Proxy = { up, directory, locks, websiteBuckets: new Set(), versioning };
  return http.createServer((req, res) => {
    void route(proxy, req, res).catch((err: Error) => {
      if (!res.headersSent) xmlError(res, 500, 'InternalError', err.message);
    });
  });
}

/** One request to the proxy: website configuration, the folder redirect, versioning, an object, or s3rver's own. */
async function route(proxy: Proxy, req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
  const url = new URL(req.url ?? '/', 'http://local');
  const [, bucket, ...rest] = url.pathname.split('/');
  const key = rest.join('/');
  if (bucket && !key && url.searchParams.has('website')) return websiteConfiguration(proxy, req, res, bucket);
  if (bucket && isWebsiteFolderWithoutSlash(proxy, req, bucket, url)) return redirectToFolder(req, res, bucket);
  // Versioning (PutBucketVersioning, ListObjectVersions, DeleteObjects with versions) is the proxy's own
  if (bucket && !key && (proxy.versioning.isVersioned(bucket) || url.searchParams.has('versioning'))) {
    if (!(await proxy.versioning.bucketRequest(req, res, bucket, url))) await forward(proxy.up, req, res);
    return;
  }
  // Bucket-level requests and multipart parts (their own upload ids) go straight through; completing an upload
  // in a versioned bucket makes a version, so it takes the key's lock.
  const completesVersion = req.method === 'POST' && proxy.versioning.isVersioned(bucket ?? '');
  if (!bucket || !key || (url.searchParams.has('uploadId') && !completesVersion)) {
    await forward(proxy.up, req, res);
    return;
  }
  await objectRequest(proxy, req, res, bucket, key, url);
}

/** Put/Get/DeleteBucketWebsite, passed on; the proxy remembers which buckets are websites. */
async function websiteConfiguration(proxy: Proxy, req: http.IncomingMessage, res: http.ServerResponse, bucket: string): Promise<void> {
  await forward(proxy.up, req, res);
  if (req.method === 'PUT' && res.statusCode === 200) proxy.websiteBuckets.add(bucket);
  if (req.method === 'DELETE' && res.statusCode < 300) proxy.websiteBuckets.delete(bucket);
}

/**
 * A website opened without its trailing slash ("…/clinica-…-site") would serve the index document at a URL
 * where its relative links (assets/style.….css) resolve to the S3 root: the browser is sent to the folder form,
 * as S3 website endpoints do for a folder. Only anonymous, plain GETs — SDK calls are signed.
 */
function isWebsiteFolderWithoutSlash(proxy: Proxy, req: http.IncomingMessage, bucket: string, url: URL): boolean {
  return (
    (req.method === 'GET' || req.method === 'HEAD') && proxy.websiteBuckets.has(bucket) && url.pathname === `/${bucket}` && !url.search &&
    !req.headers.authorization
  );
}

function redirectToFolder(req: http.IncomingMessage, res: http.ServerResponse, bucket: string): void {
  req.resume();
  res.writeHead(302, { location: `/${bucket}/`, 'content-length': 0 });
  res.end();
}

/** A request on one object: reads of it run together and a write alone (KeyLocks), preconditions checked first. */
async function objectRequest(proxy: Proxy, req: http.IncomingMessage, res: http.ServerResponse, bucket: string, key: string, url: URL): Promise<void> {
  const read = req.method === 'GET' || req.method === 'HEAD';
  await proxy.locks.run(`${bucket}/${key}`, !read, async () => {
    if (await refusedByPrecondition(proxy, req, res, bucket, key, url)) return;
    if (!(await proxy.versioning.objectRequest(req, res, bucket, key, url))) await forward(proxy.up, req, res);
  });
}

/** A PUT's If-Match / If-None-Match checked against the object as it is; true when the request was answered. */
async function refusedByPrecondition(
  proxy: Proxy,
  req: http.IncomingMessage,
  res: http.ServerResponse,
  bucket: string,
  key: string,
  url: URL,
): Promise<boolean> {
  const ifMatch = req.headers['if-match'] as string | undefined;
  const ifNoneMatch = req.headers['if-none-match'] as string | undefined;
  if (!(ifMatch || ifNoneMatch) || req.method !== 'PUT' || url.searchParams.has('partNumber')) return false;
  const found = await currentObject(proxy.up, proxy.directory, bucket, decodeURIComponent(key), `/${bucket}/${key}`, req.headers);
  const refuse = (status: number, code: string, message: string) => {
    req.resume();
    xmlError(res, status, code, message);
    return true;
  };
  if (!found) {
    req.resume();
    stoppedError(res);
    return true;
  }
  const exists = found.status === 200;
  if (ifNoneMatch === '*' && exists) return refuse(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  if (ifMatch && !exists) return refuse(404, 'NoSuchKey', 'The specified key does not exist.');
  if (ifMatch && stripEtag(ifMatch) !== '*' && stripEtag(found.etag ?? '') !== stripEtag(ifMatch)) {
    return refuse(412, 'PreconditionFailed', 'At least one of the pre-conditions you specified did not hold');
  }
  return false;
}
