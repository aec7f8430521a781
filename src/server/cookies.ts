/**
 * The session cookie. `__Host-clinica-session` (HttpOnly, SameSite=Strict, Path=/, Secure, no Domain) wherever a
 * browser keeps Secure cookies: a page over HTTPS (this socket is TLS, or the browser's Origin is https — TLS ended
 * at a proxy or CDN in front), and loopback (a secure context). A plain-HTTP address in the clinic network cannot
 * hold a Secure cookie, so there the cookie is `clinica-session`, with the same flags except Secure.
 */
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';

export const HOST_COOKIE = '__Host-clinica-session';
export const PLAIN_COOKIE = 'clinica-session';
export const SESSION_COOKIES = [HOST_COOKIE, PLAIN_COOKIE];

/** The value of the first of `names` in a Cookie header. */
export function readCookie(header: string | undefined, names: string[]): string | undefined {
  if (!header) return undefined;
  const found = new Map<string, string>();
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    const name = part.slice(0, eq).trim();
    if (!found.has(name)) found.set(name, part.slice(eq + 1).trim());
  }
  for (const name of names) if (found.get(name)) return found.get(name);
  return undefined;
}

export function isHttps(req: IncomingMessage): boolean {
  return Boolean((req.socket as TLSSocket).encrypted);
}

const LOOPBACK_HOST = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?$/i;

/** Set-Cookie for a session (`value` undefined: clears it). */
export function sessionCookie(req: IncomingMessage, value: string | undefined): string {
  const secure = isHttps(req) || /^https:\/\//i.test(req.headers.origin ?? '') || LOOPBACK_HOST.test(req.headers.host ?? '');
  const name = secure ? HOST_COOKIE : PLAIN_COOKIE;
  const attrs = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : []), ...(value === undefined ? ['Max-Age=0'] : [])];
  return [`${name}=${value ?? ''}`, ...attrs].join('; ');
}
