/**
 * Cross-site request forgery: every state-changing request (not GET/HEAD/OPTIONS) must come from the page's own
 * origin. A browser says where a request comes from with `Sec-Fetch-Site` and `Origin`: anything but
 * same-origin (or `none`, typed by the person) is refused with 403. A request with a session cookie and neither
 * header is refused too (every current browser sends one of them); scripts use API tokens, which a browser
 * never adds on its own, and may send neither.
 */
import type { IncomingMessage } from 'node:http';
import { ClinicaError } from '../errors.js';
import { readCookie, SESSION_COOKIES } from './cookies.js';

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

const refused = (why: string) =>
  new ClinicaError('forbidden', `refused: ${why} (a change must come from the staff page itself)`, { reason: 'cross-origin' });

/**
 * Throws 403 cross-origin when a state-changing request comes from another site. `allowedOrigins`: the page's
 * public origin when a proxy or CDN in front changes the Host header (config auth.pageUrl).
 */
export function checkSameOrigin(req: IncomingMessage, allowedOrigins: readonly string[] = []): void {
  if (SAFE.has(req.method ?? 'GET')) return;
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') throw refused(`the request came from another site (Sec-Fetch-Site: ${String(site).slice(0, 20)})`);
  const origin = req.headers.origin;
  if (origin !== undefined) {
    let host: string | undefined;
    try {
      host = new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (!host || (host !== req.headers.host && !allowedOrigins.includes(origin))) throw refused('the request came from another origin');
    return;
  }
  if (site === undefined && readCookie(req.headers.cookie, SESSION_COOKIES) && !req.headers.authorization) {
    throw refused('a signed-in request without Origin or Sec-Fetch-Site');
  }
}

/** The page's origin as the browser sees it (for WebAuthn and invitation links): the Origin header, checked above. */
export function requestOrigin(req: IncomingMessage): string {
  const origin = req.headers.origin;
  if (origin && origin !== 'null') return origin;
  const proto = (req.socket as { encrypted?: boolean }).encrypted ? 'https' : 'http';
  return `${proto}://${req.headers.host ?? 'localhost'}`;
}
