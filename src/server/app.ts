/**
 * The backend: one node:http server for the JSON API and the staff page.
 *
 * Every request, in order: request id → client address (socket peer; X-Forwarded-For only from trusted
 * proxies) → network guard (clinic CIDRs + loopback, else 403 and a warning in the log) → route → same-origin
 * check of state-changing requests (csrf.ts) → session cookie or API token (401/429) → role (403) → handler → JSON reply or the stable error shape. One JSON log line per
 * request (no query string, no headers: search terms are personal data and tokens are secrets).
 */
import { agendaCalendar } from '../clinic/agenda-calendar.js';
import type { ReminderSender } from '../clinic/reminders.js';
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { ResolvedConfig } from '../config/load.js';
import { can, staffActor, type StaffMember } from '../clinic/staff.js';
import { ClinicaError } from '../errors.js';
import type { Log } from '../log.js';
import type { Store } from '../store/store.js';
import { Authenticator, type Authenticated, type AuthOptions } from './auth.js';
import { checkSameOrigin } from './csrf.js';
import { HSTS, tlsOptions, type Certificate } from './tls.js';
import { DEFAULT_BODY_LIMIT, HttpError, mapError, readJson, securityHeaders, sendJson } from './http.js';
import { IDEMPOTENCY_HEADER, IdempotencyKeys } from './idempotency.js';
import { NetworkGuard } from './network.js';
import { Router, type RequestContext, type Route } from './router.js';
import { findStaffDir, loadStaticFiles, type StaticFile } from './static.js';
import { routes as apiRoutes, type ApiDeps, type SendInvitation } from './routes/index.js';

export interface BackendOptions {
  config: ResolvedConfig;
  /** the data bucket */
  store: Store;
  log: Log;
  version?: string;
  /** templates/staff (default: found beside the code, or $CLINICA_STAFF_DIR) */
  staffDir?: string;
  bodyLimit?: number;
  auth?: AuthOptions;
  /** the clock (tests) */
  now?: () => Date;
  /** opens the SES sender for patients' change notices (cancel, move); absent: no notices are sent */
  openSender?: () => Promise<ReminderSender>;
  /** e-mails an invitation made through the API (on AWS with mail.sender set: SES); without it, the link is only returned */
  sendInvitation?: SendInvitation;
  /** level of the one-line-per-request log (default info; `clinica dev` uses debug to keep its terminal calm) */
  requestLogLevel?: 'info' | 'debug';
  /** serve HTTPS with this certificate (target aws); plain HTTP without (`clinica dev`, network.plainHttp) */
  tls?: Certificate;
}

export interface Backend {
  server: Server | TlsServer;
  /** HTTPS only: serve this certificate to new connections from now on (open ones keep theirs) */
  setCertificate(certificate: Certificate): void;
  /** listens; resolves to the base URL */
  listen(port: number, host?: string): Promise<string>;
  /** stops accepting, lets requests in flight finish (up to `graceMs`), then closes idle connections */
  close(graceMs?: number): Promise<void>;
  auth: Authenticator;
}

/** Request ids: a random per-process prefix and a counter (cheaper than random bytes per request). */
const idPrefix = randomBytes(3).toString('hex');
let idCounter = 0;
const newRequestId = () => `${idPrefix}-${(++idCounter).toString(36)}`;

/** The origin presigned URLs point at (the S3 endpoint), for the CSP's img-src and connect-src. */
async function storageOrigin(store: Store): Promise<string | undefined> {
  try {
    return new URL(await store.presignGet('_origin-probe', { expiresIn: 60 })).origin;
  } catch {
    return undefined;
  }
}

/** An opener run at most once (a failed open is tried again at the next use). */
export function once<T>(open: () => Promise<T>): () => Promise<T> {
  let opened: Promise<T> | undefined;
  return () => (opened ??= open().catch((err: unknown) => {
    opened = undefined;
    throw err;
  }));
}

/** What a request needs, made once when the backend starts. */
interface App {
  router: Router;
  files: Awaited<ReturnType<typeof loadStaticFiles>>;
  auth: Authenticator;
  idempotency: IdempotencyKeys;
  pageOrigins: string[];
  bodyLimit: number;
  log: BackendOptions['log'];
}

export async function createBackend(options: BackendOptions): Promise<Backend> {
  const { config, store, log } = options;
  const now = options.now ?? (() => new Date());
  const auth = new Authenticator(store, { idleMs: config.auth.idleMinutes * 60_000, ...options.auth });
  const headers = { ...securityHeaders(await storageOrigin(store)), ...(options.tls ? { 'strict-transport-security': HSTS } : {}) };
  const files = await loadStaticFiles(options.staffDir ?? findStaffDir(), {
    lang: config.clinic.locale,
    clinicName: config.clinic.name,
    timeZone: config.clinic.timeZone,
    // the agenda grid's rows span the opening hours (the same data the rules and the public site use)
    hours: JSON.stringify(agendaCalendar(config).hours),
  });
  const deps: Omit<ApiDeps, 'patients' | 'records'> = {
    config,
    store,
    log,
    auth,
    now,
    version: options.version ?? 'unknown',
    startedAt: Date.now(),
    sendInvitation: options.sendInvitation,
    ...(options.openSender ? { openSender: options.openSender } : {}),
  };
  const router = new Router();
  for (const route of apiRoutes(deps)) router.add(route);
  const app: App = {
    router,
    files,
    auth,
    idempotency: new IdempotencyKeys(() => now().getTime()),
    pageOrigins: config.auth.pageUrl ? [new URL(config.auth.pageUrl).origin] : [],
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    log,
  };
  const listener = requestListener(app, headers, options);
  const tlsServer = options.tls ? createTlsServer(tlsOptions(options.tls), listener) : undefined;
  const server = tlsServer ?? createServer(listener);
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  server.keepAliveTimeout = 5_000;
  return backendOf(server, tlsServer, auth);
}

/** One request: a static file of the staff page, or an API route (authenticated, authorized, run once per idempotency key). */
async function handle(app: App, req: IncomingMessage, res: ServerResponse, requestId: string, ip: string): Promise<{ staff?: StaffMember }> {
  const url = new URL(req.url ?? '/', 'http://server');
  const method = req.method ?? 'GET';
  const path = url.pathname;
  if (!path.startsWith('/api/') && path !== '/health') {
    serveStatic(req, res, app.files.get(path === '/index.html' ? '/' : path));
    return {};
  }
  const match = app.router.match(method, path);
  if (match.kind === 'not-found') throw new HttpError(404, 'not-found', `no such endpoint: ${method} ${path}`, { reason: 'endpoint-not-found' });
  if (match.kind === 'method-not-allowed') {
    throw new HttpError(405, 'method-not-allowed', `${method} is not allowed here (allowed: ${match.allow.join(', ')})`, {
      headers: { allow: match.allow.join(', ') },
    });
  }
  const { route, params } = match;
  checkSameOrigin(req, app.pageOrigins);
  const who = await authorize(app.auth, route.permission, req, ip);
  const staff = who?.staff;
  let bodyPromise: Promise<Record<string, unknown>> | undefined;
  const ctx: RequestContext = {
    req,
    res,
    params,
    query: url.searchParams,
    staff,
    auth: who,
    actor: staff ? staffActor(staff.id) : 'anonymous',
    ip,
    requestId,
    log: app.log,
    body: () => (bodyPromise ??= readJson(req, app.bodyLimit)),
  };
  const key = route.idempotent && staff ? IdempotencyKeys.keyOf(req.headers[IDEMPOTENCY_HEADER]) : undefined;
  let out: unknown;
  if (key) {
    const body = await ctx.body();
    const done = await app.idempotency.run(`${staff!.id} ${method} ${path}`, key, body, () => route.handler(ctx));
    out = done.replayed ? replayed(done.out) : done.out;
  } else {
    out = await route.handler(ctx);
  }
  if (res.headersSent || res.writableEnded) return { staff };
  reply(res, out);
  return { staff };
}

/** The signed-in person of a route that needs one, refused when their role lacks the route's permission. */
async function authorize(auth: Authenticator, permission: Route['permission'], req: IncomingMessage, ip: string): Promise<Authenticated | undefined> {
  if (permission === false) return undefined;
  const who = await auth.authenticateRequest(req, ip);
  const { staff } = who;
  if (permission !== 'any' && !can(staff.role, permission)) {
    throw new ClinicaError('forbidden', `the ${staff.role} role cannot use ${permission}`, {
      hint: 'ask an admin',
      reason: 'role',
      params: { role: staff.role, permission },
    });
  }
  return who;
}

/** Every request: the security headers and a request id, the clinic-network guard, the handler, one log line. */
function requestListener(app: App, headers: Record<string, string>, options: BackendOptions): RequestListener {
  const { config, log } = options;
  const guard = new NetworkGuard({ clinicCidrs: config.network.clinicCidrs, trustedProxies: config.network.trustedProxies });
  return (req, res) => {
    const requestId = newRequestId();
    const begun = performance.now();
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    res.setHeader('x-request-id', requestId);
    const path = (req.url ?? '/').split('?')[0]!;
    const client = guard.clientAddress(req.socket.remoteAddress, req.headers['x-forwarded-for']);
    const logLine = (status: number, extra: Record<string, unknown> = {}) => {
      const data = { requestId, method: req.method, path, status, ms: Math.round((performance.now() - begun) * 10) / 10, ip: client.address, ...extra };
      if (status >= 500) log.error('request failed', data);
      else if (options.requestLogLevel === 'debug') log.debug('request', data);
      else log.info('request', data);
    };
    if (!client.ok || !guard.allows(client.address)) {
      log.warn('refused: source outside the clinic network', {
        requestId,
        method: req.method,
        path,
        ip: client.address,
        peer: req.socket.remoteAddress,
        ...(client.ok ? {} : { reason: client.reason }),
      });
      req.resume();
      sendJson(res, 403, { error: { code: 'forbidden', reason: 'network', message: 'this server answers only the clinic network' } }, { connection: 'close' });
      return;
    }
    handle(app, req, res, requestId, client.address).then(
      ({ staff }) => logLine(res.statusCode, staff ? { staff: staff.id } : {}),
      (err: unknown) => {
        const mapped = mapError(err, requestId);
        if (mapped.status === 413 || mapped.status === 415) req.resume();
        if (!res.headersSent) sendJson(res, mapped.status, mapped.body, mapped.headers);
        else res.destroy();
        logLine(mapped.status, {
          code: mapped.body.error.code,
          ...(mapped.serverSide ? { error: describe(err) } : {}),
        });
      },
    );
  };
}

/** The running backend: listen (a busy port named in one line), swap the certificate, close gracefully. */
function backendOf(server: Server, tlsServer: TlsServer | undefined, auth: Authenticator): Backend {
  return {
    server,
    auth,
    setCertificate(certificate) {
      if (!tlsServer) throw new ClinicaError('internal', 'this backend serves plain HTTP: it has no certificate to replace');
      tlsServer.setSecureContext(tlsOptions(certificate));
    },
    async listen(port, host = '127.0.0.1') {
      await new Promise<void>((resolve, reject) => {
        const onError = (err: NodeJS.ErrnoException) => {
          reject(
            new ClinicaError('unavailable', `cannot listen on ${host}:${port} for the staff backend (${err.code})`, {
              hint: err.code === 'EADDRINUSE' ? 'another program uses that port: stop it or pick another (--port / PORT)' : undefined,
              cause: err,
            }),
          );
        };
        server.once('error', onError);
        server.listen(port, host, () => {
          server.off('error', onError);
          resolve();
        });
      });
      const address = server.address() as AddressInfo;
      const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
      return `${tlsServer ? 'https' : 'http'}://${shownHost}:${address.port}`;
    },
    async close(graceMs = 10_000) {
      if (!server.listening) return;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      const timer = setTimeout(() => server.closeAllConnections(), graceMs);
      timer.unref();
      await closed;
      clearTimeout(timer);
    },
  };
}

function reply(res: ServerResponse, out: unknown): void {
  if (out && typeof out === 'object' && 'body' in out && Object.keys(out).every((k) => k === 'status' || k === 'body' || k === 'headers')) {
    const r = out as { status?: number; body: unknown; headers?: Record<string, string> };
    if (r.status === 204) {
      res.writeHead(204, { 'cache-control': 'no-store', ...r.headers });
      res.end();
      return;
    }
    sendJson(res, r.status ?? 200, r.body, r.headers);
    return;
  }
  sendJson(res, 200, out ?? {});
}

/** A remembered answer sent again: marked as such (the draft IETF Idempotency-Key header's convention). */
function replayed(out: unknown): unknown {
  const r = out as { status?: number; body: unknown; headers?: Record<string, string> };
  return { status: r.status ?? 200, body: r.body, headers: { ...r.headers, 'idempotent-replayed': 'true' } };
}

function serveStatic(req: IncomingMessage, res: ServerResponse, file: StaticFile | undefined): void {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    throw new HttpError(405, 'method-not-allowed', `${req.method} is not allowed here`, { headers: { allow: 'GET, HEAD' } });
  }
  if (!file) throw new HttpError(404, 'not-found', 'no such page');
  const common = { etag: file.etag, 'cache-control': 'no-cache' };
  if (req.headers['if-none-match'] === file.etag) {
    res.writeHead(304, common);
    res.end();
    return;
  }
  res.writeHead(200, { ...common, 'content-type': file.type, 'content-length': String(file.body.length) });
  res.end(req.method === 'HEAD' ? undefined : file.body);
}

/** The log's view of a failure: message and cause chain, no stack. */
function describe(err: unknown): string {
  const parts: string[] = [];
  let e: unknown = err;
  for (let i = 0; e && i < 4; i++) {
    parts.push(e instanceof Error ? `${e.name}: ${e.message}` : String(e));
    e = e instanceof Error ? e.cause : undefined;
  }
  return parts.join(' ← ');
}

export type { Route, ApiDeps };
