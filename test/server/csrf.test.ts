/**
 * The same-origin check of state-changing requests and the session cookie's attributes, on plain request
 * objects (the HTTP-level cases are in sign-in.test.ts).
 */
import type { IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { readCookie, sessionCookie, SESSION_COOKIES } from '../../src/server/cookies.js';
import { checkSameOrigin } from '../../src/server/csrf.js';

const req = (method: string, headers: Record<string, string>, encrypted = false) => ({ method, headers, socket: { encrypted } }) as unknown as IncomingMessage;
const host = { host: '192.168.0.10:8080' };

describe('checkSameOrigin', () => {
  it('lets reads through, and changes from the page itself', () => {
    expect(() => checkSameOrigin(req('GET', { ...host, origin: 'http://evil.example', 'sec-fetch-site': 'cross-site' }))).not.toThrow();
    expect(() => checkSameOrigin(req('POST', { ...host, origin: 'http://192.168.0.10:8080', 'sec-fetch-site': 'same-origin' }))).not.toThrow();
    expect(() => checkSameOrigin(req('POST', { ...host, 'sec-fetch-site': 'none' }))).not.toThrow();
    // a script with a token and no browser headers
    expect(() => checkSameOrigin(req('POST', { ...host, authorization: 'Bearer t_x.y' }))).not.toThrow();
  });

  it('refuses another origin, another site, "null", and a cookie without either header', () => {
    const elsewhere: Record<string, string>[] = [
      { origin: 'http://evil.example' },
      { origin: 'http://192.168.0.10:8081' },
      { origin: 'null' },
      { 'sec-fetch-site': 'same-site' },
      { 'sec-fetch-site': 'cross-site', origin: 'http://192.168.0.10:8080' },
      { cookie: '__Host-clinica-session=a.b' },
    ];
    for (const h of elsewhere) {
      expect(() => checkSameOrigin(req('POST', { ...host, ...h })), JSON.stringify(h)).toThrow(expect.objectContaining({ kind: 'forbidden', reason: 'cross-origin' }));
    }
  });

  it("accepts the page's public origin (auth.pageUrl) when a proxy in front changes the Host", () => {
    const r = req('POST', { host: '10.0.1.5:8080', origin: 'https://equipe.clinica.com.br', 'sec-fetch-site': 'same-origin' });
    expect(() => checkSameOrigin(r)).toThrow();
    expect(() => checkSameOrigin(r, ['https://equipe.clinica.com.br'])).not.toThrow();
  });
});

describe('session cookie', () => {
  it('is __Host- with Secure over HTTPS, behind a TLS proxy (https Origin) and on loopback; plain without Secure on a clinic HTTP address', () => {
    expect(sessionCookie(req('POST', host, true), 'v')).toBe('__Host-clinica-session=v; Path=/; HttpOnly; SameSite=Strict; Secure');
    expect(sessionCookie(req('POST', { host: '10.0.1.5:8080', origin: 'https://equipe.clinica.com.br' }), 'v')).toMatch(/^__Host-clinica-session=v;.*; Secure$/);
    expect(sessionCookie(req('POST', { host: '127.0.0.1:8080' }), 'v')).toMatch(/^__Host-clinica-session=v;.*; Secure$/);
    expect(sessionCookie(req('POST', host), 'v')).toBe('clinica-session=v; Path=/; HttpOnly; SameSite=Strict');
    expect(sessionCookie(req('POST', host), undefined)).toBe('clinica-session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });

  it('is read from either name, the first value of a name winning', () => {
    expect(readCookie('a=1; __Host-clinica-session=s1; __Host-clinica-session=s2', SESSION_COOKIES)).toBe('s1');
    expect(readCookie('clinica-session=p', SESSION_COOKIES)).toBe('p');
    expect(readCookie('other=1', SESSION_COOKIES)).toBeUndefined();
  });
});
