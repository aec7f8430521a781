/**
 * A hung endpoint (it accepts the connection and never answers) must not freeze a command: every client from
 * src/aws/clients.ts bounds a whole call, says "still waiting for …" first, and then fails with the usual
 * one-line error. A real TCP server that never answers; the deadline is shortened for the test.
 */
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CALL_DEADLINE_MS,
  CONNECTION_TIMEOUT_MS,
  LOCAL_CREDENTIALS,
  onSlowCall,
  s3Client,
  type AwsTarget,
} from '../../src/aws/clients.js';
import { isClinicaError, oneLine } from '../../src/errors.js';
import { Store } from '../../src/store/store.js';

let hung: net.Server;
const sockets = new Set<net.Socket>();
let endpoint: string;

beforeAll(async () => {
  hung = net.createServer((socket) => {
    sockets.add(socket);
    socket.resume(); // read the request (and so see its end), never answer
    socket.on('error', () => {});
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => hung.close(() => resolve()));
});

const target = (extra: Partial<AwsTarget>): AwsTarget => ({
  region: 'us-east-1',
  endpoints: { s3: endpoint },
  credentials: { ...LOCAL_CREDENTIALS },
  s3Compatible: true,
  ...extra,
});

describe('a hung endpoint', () => {
  it('says "still waiting for S3 at …", then fails the whole call at its deadline with a one-line error', async () => {
    const notices: string[] = [];
    const restore = onSlowCall((message) => notices.push(message));
    try {
      // the idle timeout alone (60 s × 4 attempts before) would keep this call for minutes
      const store = new Store(await s3Client(target({ callDeadlineMs: 1_500, slowNoticeMs: 300, requestTimeoutMs: 120_000 })), 'b', `S3 at ${endpoint}`);
      // two calls at once (as a list and its reads): one notice for both
      const [err, other] = await Promise.all([store.getJson('patients/P-000001.json'), store.getJson('index/patients.json')].map((p) => p.catch((e: unknown) => e)));
      expect(isClinicaError(other, 'unavailable')).toBe(true);
      expect(isClinicaError(err, 'unavailable')).toBe(true);
      expect(oneLine(err)).toMatch(new RegExp(`^cannot reach S3 at ${endpoint} \\(TimeoutError\\) — `));
      expect(notices).toEqual([`still waiting for S3 at ${endpoint}…`]);
    } finally {
      restore();
    }
    // the abandoned attempt's socket is closed, not left to keep the process alive
    await expect.poll(() => sockets.size, { timeout: 5_000 }).toBe(0);
  });

  it('a call that answers in time says nothing', async () => {
    const notices: string[] = [];
    const restore = onSlowCall((message) => notices.push(message));
    try {
      const client = await s3Client(target({ endpoints: { s3: 'http://127.0.0.1:9' }, slowNoticeMs: 5_000, maxAttempts: 1 }));
      // port 9 refuses at once: a fast failure, no notice
      await expect(client.send(new (await import('@aws-sdk/client-s3')).HeadBucketCommand({ Bucket: 'b' }))).rejects.toThrow();
    } finally {
      restore();
    }
    expect(notices).toEqual([]);
  });

  it('by default a connection waits ≈5 s and a whole call well under a minute', () => {
    expect(CONNECTION_TIMEOUT_MS).toBeLessThanOrEqual(5_000);
    expect(CALL_DEADLINE_MS).toBeLessThanOrEqual(45_000);
  });
});
