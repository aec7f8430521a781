/**
 * The backend over real HTTP against the real local S3: the test stack, the server on a random loopback port,
 * one staff account per role, and a small client that can speak from another loopback address (127.0.0.2
 * plays "a machine outside the clinic").
 */
import http from 'node:http';
import { addStaff, type StaffRole } from '../../src/clinic/staff.js';
import { memoryLog } from '../../src/log.js';
import type { AuthOptions } from '../../src/server/auth.js';
import { createBackend, type Backend } from '../../src/server/app.js';
import { useFixture, useTestStack, type TestStack, type TestStackOptions } from '../helpers/stack.js';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read reply bodies loosely
export interface Reply<T = any> {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: T;
  text: string;
}

export interface CallOptions {
  token?: string;
  body?: unknown;
  /** sent as is (bad JSON, wrong content type, …) */
  raw?: string | Buffer;
  headers?: Record<string, string>;
  /** the client's source address (default 127.0.0.1) */
  from?: string;
}

export interface ServerHarness {
  stack: TestStack;
  backend: Backend;
  url: string;
  log: ReturnType<typeof memoryLog>;
  tokens: Record<StaffRole, string>;
  ids: Record<StaffRole, string>;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  call<T = any>(method: string, path: string, options?: CallOptions): Promise<Reply<T>>;
  close(): Promise<void>;
}

export type ServerHarnessOptions = TestStackOptions & { auth?: AuthOptions; now?: () => Date };

/**
 * The harness for the tests of the file (or describe block) that calls it: a `useTestStack` stack and the
 * backend over it, closed after them. The handle forwards as `useTestStack`'s does.
 */
export function useServerHarness(options: ServerHarnessOptions = {}): ServerHarness {
  const stack = useTestStack({ ...options, withComponents: options.withComponents ?? false });
  return useFixture('server harness', () => serve(stack, options));
}

/** The backend over the started stack, one staff account per role; `close` stops the backend only. */
async function serve(stack: TestStack, options: ServerHarnessOptions): Promise<ServerHarness> {
  const log = memoryLog();
  let backend: Backend | undefined;
  try {
    backend = await createBackend({ config: stack.config, store: stack.dataStore, log, version: 'test', auth: options.auth, now: options.now });
    const url = await backend.listen(0, '127.0.0.1');
    const tokens = {} as Record<StaffRole, string>;
    const ids = {} as Record<StaffRole, string>;
    for (const role of ['admin', 'dentist', 'assistant', 'reception'] as const) {
      const made = await addStaff(stack.dataStore, { name: `Test ${role}`, role }, 'test:setup');
      tokens[role] = made.token!;
      ids[role] = made.staff.id;
    }
    const { port } = new URL(url);
    const call = <T>(method: string, path: string, o: CallOptions = {}) => request<T>(Number(port), method, path, o);
    const b = backend;
    return {
      stack,
      backend: b,
      url,
      log,
      tokens,
      ids,
      call,
      close: () => b.close(500),
    };
  } catch (err) {
    await backend?.close(100);
    throw err;
  }
}

export function request<T>(port: number, method: string, path: string, o: CallOptions = {}): Promise<Reply<T>> {
  return new Promise((resolve, reject) => {
    const payload = o.raw ?? (o.body !== undefined ? JSON.stringify(o.body) : undefined);
    const headers: Record<string, string> = {
      ...(o.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...(o.token ? { authorization: `Bearer ${o.token}` } : {}),
      ...(payload !== undefined ? { 'content-length': String(Buffer.byteLength(payload)) } : {}),
      ...o.headers,
    };
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, localAddress: o.from, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown = undefined;
        try {
          body = text ? JSON.parse(text) : undefined;
        } catch {
          body = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: body as T, text });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
