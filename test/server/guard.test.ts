/**
 * The internal-network guard and the failed-login limit, over real HTTP. 127.0.0.2 plays a machine outside
 * the clinic (only 127.0.0.1 and ::1 count as loopback), 127.0.0.3 a workstation inside it.
 */
import { describe, expect, it } from 'vitest';
import { addStaff } from '../../src/clinic/staff.js';
import { NetworkGuard } from '../../src/server/network.js';
import { useServerHarness } from './harness.js';

describe('NetworkGuard (unit)', () => {
  const guard = new NetworkGuard({ clinicCidrs: ['192.168.10.0/24', 'fd00:1::/64'], trustedProxies: ['10.0.0.5/32'] });

  it('allows loopback and the clinic networks, nothing else', () => {
    for (const ok of ['127.0.0.1', '::1', '192.168.10.77', 'fd00:1::9']) expect(guard.allows(ok), ok).toBe(true);
    for (const no of ['127.0.0.2', '192.168.11.1', '8.8.8.8', '10.0.0.5', 'fd00:2::1', 'garbage']) expect(guard.allows(no), no).toBe(false);
  });

  it('reads IPv4-mapped IPv6 peers as IPv4', () => {
    expect(guard.clientAddress('::ffff:192.168.10.4', undefined)).toEqual({ ok: true, address: '192.168.10.4' });
  });

  it('ignores X-Forwarded-For from any peer that is not a trusted proxy', () => {
    expect(guard.clientAddress('8.8.8.8', '192.168.10.4')).toEqual({ ok: true, address: '8.8.8.8' });
    expect(guard.clientAddress('127.0.0.1', '8.8.8.8')).toEqual({ ok: true, address: '127.0.0.1' });
  });

  it('from a trusted proxy, takes the rightmost address that is not a trusted proxy', () => {
    expect(guard.clientAddress('10.0.0.5', '192.168.10.4')).toEqual({ ok: true, address: '192.168.10.4' });
    // a client-supplied (spoofed) entry on the left does not help: the proxy appended the real peer
    expect(guard.clientAddress('10.0.0.5', '192.168.10.4, 203.0.113.9')).toEqual({ ok: true, address: '203.0.113.9' });
    expect(guard.clientAddress('10.0.0.5', '203.0.113.9, 10.0.0.5')).toEqual({ ok: true, address: '203.0.113.9' });
    expect(guard.clientAddress('10.0.0.5', ['192.168.10.4', '10.0.0.5'])).toEqual({ ok: true, address: '192.168.10.4' });
    expect(guard.clientAddress('10.0.0.5', '192.168.10.4:51000')).toEqual({ ok: true, address: '192.168.10.4' });
    expect(guard.clientAddress('10.0.0.5', '[fd00:1::9]:443')).toEqual({ ok: true, address: 'fd00:1::9' });
  });

  it('fails closed on a malformed chain from a trusted proxy', () => {
    expect(guard.clientAddress('10.0.0.5', 'unknown, 192.168.10.4').ok).toBe(true); // rightmost decides
    expect(guard.clientAddress('10.0.0.5', '192.168.10.4, not-an-ip').ok).toBe(false);
    expect(guard.clientAddress(undefined, undefined).ok).toBe(false);
  });
});

describe('guard over HTTP, no trusted proxies', () => {
  const h = useServerHarness({ config: { network: { clinicCidrs: ['127.0.0.3/32'], trustedProxies: [] } } });

  it('refuses a source outside the clinic network with 403 before any login, and logs it', async () => {
    for (const path of ['/health', '/', '/api/me']) {
      const r = await h.call('GET', path, { from: '127.0.0.2', token: h.tokens.admin });
      expect(r.status, path).toBe(403);
      expect(r.body).toEqual({ error: { code: 'forbidden', reason: 'network', message: 'this server answers only the clinic network' } });
      expect(r.headers['content-security-policy']).toBeTruthy();
    }
    const warned = h.log.entries.filter((e) => e.level === 'warn' && e.message.startsWith('refused'));
    expect(warned.length).toBeGreaterThanOrEqual(3);
    expect(warned[0]!.data).toMatchObject({ ip: '127.0.0.2', path: '/health' });
  });

  it('is not fooled by X-Forwarded-For from an untrusted peer', async () => {
    const spoof = await h.call('GET', '/health', { from: '127.0.0.2', headers: { 'x-forwarded-for': '127.0.0.3' } });
    expect(spoof.status).toBe(403);
    const spoofLoopback = await h.call('GET', '/health', { from: '127.0.0.2', headers: { 'x-forwarded-for': '127.0.0.1' } });
    expect(spoofLoopback.status).toBe(403);
  });

  it('answers the clinic network and loopback', async () => {
    expect((await h.call('GET', '/health', { from: '127.0.0.3' })).status).toBe(200);
    expect((await h.call('GET', '/health')).status).toBe(200);
    expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: h.tokens.reception })).status).toBe(200);
  });
});

describe('guard over HTTP, behind a trusted proxy', () => {
  // 127.0.0.2 is the proxy (say, a load balancer); the clinic is 127.0.0.3/32 and 192.168.50.0/24
  const h = useServerHarness({ config: { network: { clinicCidrs: ['127.0.0.3/32', '192.168.50.0/24'], trustedProxies: ['127.0.0.2/32'] } } });

  it('believes the proxy about the client', async () => {
    expect((await h.call('GET', '/health', { from: '127.0.0.2', headers: { 'x-forwarded-for': '192.168.50.20' } })).status).toBe(200);
    expect((await h.call('GET', '/health', { from: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.7' } })).status).toBe(403);
  });

  it('takes the entry the proxy appended, not one the client wrote', async () => {
    const spoofed = await h.call('GET', '/health', { from: '127.0.0.2', headers: { 'x-forwarded-for': '192.168.50.20, 203.0.113.7' } });
    expect(spoofed.status).toBe(403);
  });

  it('treats the proxy itself (no header) as the client: not in the clinic network', async () => {
    expect((await h.call('GET', '/health', { from: '127.0.0.2' })).status).toBe(403);
  });

  it('refuses a malformed chain', async () => {
    const r = await h.call('GET', '/health', { from: '127.0.0.2', headers: { 'x-forwarded-for': '192.168.50.20, <script>' } });
    expect(r.status).toBe(403);
    const line = h.log.entries.findLast((e) => e.message.startsWith('refused'));
    expect(line?.data?.reason).toMatch(/malformed/);
  });

  it('rate-limits failed logins by the client address the proxy reports', async () => {
    const bad = { token: `${h.tokens.admin.split('.')[0]}.${'a'.repeat(43)}` }; // the admin's token id, a wrong secret
    for (let i = 0; i < 10; i++) {
      const r = await h.call('POST', '/api/login', { from: '127.0.0.2', headers: { 'x-forwarded-for': '192.168.50.66' }, body: bad });
      expect(r.status).toBe(401);
    }
    const locked = await h.call('POST', '/api/login', { from: '127.0.0.2', headers: { 'x-forwarded-for': '192.168.50.66' }, body: { token: h.tokens.admin } });
    expect(locked.status).toBe(429);
    // another workstation behind the same proxy is not locked out
    const other = await h.call('POST', '/api/login', { from: '127.0.0.2', headers: { 'x-forwarded-for': '192.168.50.67' }, body: { token: h.tokens.admin } });
    expect(other.status).toBe(200);
  });
});

describe('failed-login limit', () => {
  let clock = Date.now();
  const h = useServerHarness({
    config: { network: { clinicCidrs: ['127.0.0.3/32', '127.0.0.4/32'], trustedProxies: [] } },
    auth: { maxFailures: 3, maxSourceFailures: 6, windowMs: 60_000, now: () => clock },
  });

  it('locks an account out from a source after repeated failures (429 + Retry-After); colleagues on that machine — also ones this server has not verified yet, as after a restart — keep logging in; lifts after the window', async () => {
    // a colleague on this machine logged in before the typos
    expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: h.tokens.dentist })).status).toBe(200);
    const wrong = `${h.tokens.admin.split('.')[0]}.${'b'.repeat(43)}`; // the admin's token id, a wrong secret
    for (let i = 0; i < 3; i++) expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: wrong })).status).toBe(401);
    const locked = await h.call('GET', '/api/me', { from: '127.0.0.3', token: h.tokens.admin });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('rate-limited');
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    // behind the same address (a shared NAT), another account logs in: the typos named the admin's account
    expect((await h.call('POST', '/api/login', { from: '127.0.0.3', body: { token: h.tokens.reception } })).status).toBe(200);
    expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: h.tokens.dentist })).status).toBe(200);
    // …and still after its cached verification has expired (cacheMs 15 s): the page must not break mid-lockout
    clock += 20_000;
    expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: h.tokens.dentist })).status).toBe(200);
    expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: h.tokens.admin })).status).toBe(429);
    // another source is not affected
    expect((await h.call('GET', '/api/me', { token: h.tokens.admin })).status).toBe(200);
    clock += 41_000;
    expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: wrong })).status).toBe(401); // counted anew
    expect((await h.call('GET', '/api/me', { from: '127.0.0.3', token: h.tokens.admin })).status).toBe(200);
  });

  it('counts every failure against the source too, with a higher ceiling: past it (tokens naming no account, or many), the whole source waits', async () => {
    const late = (await addStaff(h.stack.dataStore, { name: 'Test late', role: 'assistant' }, 'test:setup')).token; // never verified
    const garbage = ['not-a-token', 'abc', `${'x'.repeat(60)}`, 'nobody-1.short', `ghost-2.${'c'.repeat(43)}`];
    for (const token of garbage) expect((await h.call('POST', '/api/login', { from: '127.0.0.4', body: { token } })).status).toBe(401);
    expect((await h.call('POST', '/api/login', { from: '127.0.0.4', body: { token: `ghost-3.${'c'.repeat(43)}` } })).status).toBe(401); // the 6th
    const locked = await h.call('POST', '/api/login', { from: '127.0.0.4', body: { token: late } });
    expect(locked.status).toBe(429);
    expect(Number(locked.headers['retry-after'])).toBeGreaterThan(0);
    expect((await h.call('GET', '/api/me', { from: '127.0.0.4', token: h.tokens.admin })).status).toBe(200); // verified before
    expect((await h.call('POST', '/api/login', { from: '127.0.0.3', body: { token: late } })).status).toBe(200); // another source
    clock += 61_000;
    expect((await h.call('POST', '/api/login', { from: '127.0.0.4', body: { token: `ghost-4.${'d'.repeat(43)}` } })).status).toBe(401);
  });
});

describe('when storage is down', () => {
  const h = useServerHarness(); // this block's own: its one test stops the S3 under it

  it('answers 503 with a generic message: no stack, no endpoint, no path', async () => {
    await h.call('GET', '/api/me', { token: h.tokens.admin }); // the token is verified (and cached) while S3 is up
    await h.stack.s3.stop();
    const r = await h.call('GET', '/api/patients?search=x', { token: h.tokens.admin });
    expect(r.status).toBe(503);
    expect(r.body.error).toMatchObject({ code: 'unavailable', message: 'storage is unavailable; try again shortly' });
    expect(r.text).not.toMatch(/127\.0\.0\.1|http:|\/tmp|\.ts|\.js|at /);
    const health = await h.call('GET', '/health');
    expect(health.status).toBe(503);
    expect(health.body).toMatchObject({ status: 'degraded', s3: { reachable: false } });
    const logged = h.log.entries.findLast((e) => e.level === 'error' && e.data?.path === '/api/patients');
    expect(logged?.data?.error).toBeTruthy(); // the detail is in the log
  });
});
