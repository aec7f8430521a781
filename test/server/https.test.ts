/**
 * The backend over HTTPS with real TLS handshakes: TLS 1.1 refused, TLS 1.2 and 1.3 accepted with forward-secret
 * AEAD ciphers only, HSTS on every answer, and a renewed certificate served to new connections without a
 * restart while a connection opened before keeps working.
 */
import https from 'node:https';
import tls from 'node:tls';
import { X509Certificate } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { memoryLog } from '../../src/log.js';
import { createBackend, type Backend } from '../../src/server/app.js';
import { useTestStack } from '../helpers/stack.js';
import { selfSignedCert, type TestCert } from '../helpers/certs.js';

const stack = useTestStack({ withComponents: false });
let backend: Backend;
let port: number;
let first: TestCert;

beforeAll(async () => {
  first = selfSignedCert(['localhost', '127.0.0.1']);
  backend = await createBackend({ config: stack.config, store: stack.dataStore, log: memoryLog(), version: 'test', tls: first });
  port = Number(new URL(await backend.listen(0, '127.0.0.1')).port);
});
afterAll(async () => {
  await backend?.close(200);
});

function handshake(options: tls.ConnectionOptions): Promise<{ protocol: string | null; cipher: string; fingerprint: string }> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', rejectUnauthorized: false, ...options }, () => {
      const peer = socket.getPeerX509Certificate();
      resolve({ protocol: socket.getProtocol(), cipher: socket.getCipher().name, fingerprint: peer?.fingerprint256 ?? '' });
      socket.end();
    });
    socket.on('error', reject);
  });
}

function get(path: string, agent: https.Agent, ca: string): Promise<{ status: number; headers: Record<string, unknown>; fingerprint: string; reused: boolean }> {
  return new Promise((resolve, reject) => {
    const req = https.get({ host: '127.0.0.1', port, path, agent, ca, servername: 'localhost' }, (res) => {
      const fingerprint = (res.socket as tls.TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? '';
      res.resume();
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, fingerprint, reused: req.reusedSocket }));
    });
    req.on('error', reject);
  });
}

const fingerprintOf = (pem: string) => new X509Certificate(pem).fingerprint256;

describe('the backend over HTTPS', () => {
  it('refuses TLS 1.1 and accepts TLS 1.2 and 1.3 with an ECDHE AEAD cipher', async () => {
    await expect(handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' })).rejects.toThrow();
    const v12 = await handshake({ maxVersion: 'TLSv1.2' });
    expect(v12.protocol).toBe('TLSv1.2');
    expect(v12.cipher).toMatch(/^ECDHE-(ECDSA|RSA)-(AES\d+-GCM-SHA\d+|CHACHA20-POLY1305)$/);
    expect((await handshake({ minVersion: 'TLSv1.3' })).protocol).toBe('TLSv1.3');
    // a CBC cipher without forward secrecy is not offered
    await expect(handshake({ maxVersion: 'TLSv1.2', ciphers: 'AES128-SHA' })).rejects.toThrow();
  });

  it('answers with HSTS, and the base URL is https', async () => {
    const agent = new https.Agent({ keepAlive: false });
    const r = await get('/health', agent, first.cert);
    expect(r.status).toBe(200);
    expect(r.headers['strict-transport-security']).toBe('max-age=63072000; includeSubDomains');
    expect(r.fingerprint).toBe(fingerprintOf(first.cert));
  });

  it('serves a renewed certificate to new connections without a restart; an open connection keeps working', async () => {
    const renewed = selfSignedCert(['localhost', '127.0.0.1'], 90);
    const kept = new https.Agent({ keepAlive: true, maxSockets: 1 });
    const before = await get('/health', kept, first.cert);
    expect(before.fingerprint).toBe(fingerprintOf(first.cert));
    expect(before.reused).toBe(false);

    backend.setCertificate(renewed);

    // the connection opened before the swap is reused and still answers
    const again = await get('/health', kept, first.cert);
    expect(again.status).toBe(200);
    expect(again.reused).toBe(true);
    // a new connection gets the renewed certificate, and only it verifies
    const fresh = await get('/health', new https.Agent({ keepAlive: false }), renewed.cert);
    expect(fresh.status).toBe(200);
    expect(fresh.fingerprint).toBe(fingerprintOf(renewed.cert));
    await expect(get('/health', new https.Agent({ keepAlive: false }), first.cert)).rejects.toThrow(/self.signed|unable to verify|certificate/i);
    kept.destroy();
  });
});
