/**
 * `.clinica/dev/endpoints.json`, which `clinica dev` rewrites when one of its children restarts while other
 * commands read it: a read during a rewrite finds the old endpoints or the new, never "not running".
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { devDir, readEndpoints, writeEndpoints, type LocalEndpoints } from '../../src/local/endpoints.js';

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const endpoints = (startedAt: string): LocalEndpoints => ({
  pid: process.pid,
  startedAt,
  region: 'sa-east-1',
  s3: 'http://127.0.0.1:40001',
  ses: 'http://127.0.0.1:40002',
  outbox: 'http://127.0.0.1:40002/',
  dataBucket: 'data',
  siteBucket: 'site',
  // large enough that writing it takes the file system more than one step
  extra: { note: 'x'.repeat(256 * 1024) },
});

describe('the local stack endpoints file', () => {
  it('is never seen empty or half-written while dev rewrites it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'clinica-endpoints-'));
    await writeEndpoints(dir, endpoints('0'));
    let writing = true;
    const rewrites = (async () => {
      for (let i = 1; i <= 40; i++) await writeEndpoints(dir, endpoints(String(i)));
      writing = false;
    })();
    const seen = new Set<string>();
    while (writing) {
      seen.add(readEndpoints(dir).startedAt); // throws "clinica dev is not running" on an empty or partial file
      await new Promise((resolve) => setImmediate(resolve));
    }
    await rewrites;
    expect(readEndpoints(dir).startedAt).toBe('40');
    expect(seen.size).toBeGreaterThan(1); // the reads did happen between rewrites
    expect(readdirSync(devDir(dir))).toEqual(['endpoints.json']); // no temporary file left behind
  });
});
