/**
 * The HTTP plumbing of the backend: the stable JSON error shape, ClinicaError → status mapping, JSON bodies
 * with a size limit, security headers. No framework: node:http is enough for a dozen routes, and keeps the
 * EC2 bundle small.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ClinicaError, type ErrorKind } from '../errors.js';

/** Error codes in responses: the ClinicaError kinds, plus the server's own. */
export type ErrorCode =
  | ErrorKind
  | 'unauthorized'
  | 'too-large'
  | 'unsupported-media-type'
  | 'method-not-allowed'
  | 'rate-limited'
  | 'precondition-required'
  | 'bad-json';

/**
 * What every error response looks like: `{"error": {"code", "message", "field"?, "reason"?, "params"?, "hint"?}}`.
 * `code` (+ `reason` within it, + `params`) is what a client translates by; `message` is English detail.
 */
export interface ErrorBody {
  error: {
    code: ErrorCode;
    message: string;
    field?: string;
    reason?: string;
    params?: Record<string, string | number>;
    hint?: string;
    requestId?: string;
    /** a refusal's structured data (ClinicaError `extra`), e.g. `appointments` for reason `future-appointments` */
    [extra: string]: unknown;
  };
}

type HttpErrorExtra = { field?: string; hint?: string; reason?: string; params?: Record<string, string | number>; headers?: Record<string, string> };

/** An error the HTTP layer raises itself (not from the clinic code). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: HttpErrorExtra = {},
  ) {
    super(message);
    this.name = 'HttpError';
  }
}

const statusOfKind: Partial<Record<ErrorKind, number>> = {
  usage: 400,
  config: 400,
  'not-found': 404,
  conflict: 409,
  forbidden: 403,
  unavailable: 503,
};

/** Generic messages for server-side failures: details go to the log, never to the client. */
const serverSideMessage: Record<number, string> = {
  500: 'internal error',
  503: 'storage is unavailable; try again shortly',
};

export interface MappedError {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
  /** 5xx: the server's fault (or storage's) — logged as an error with the cause */
  serverSide: boolean;
}

/** Maps anything thrown by a handler to a status and the stable body. 5xx bodies carry no details. */
export function mapError(err: unknown, requestId: string): MappedError {
  if (err instanceof HttpError) {
    return {
      status: err.status,
      body: { error: errorBody(err.code, err.message, err.extra) },
      headers: err.extra.headers,
      serverSide: err.status >= 500,
    };
  }
  if (err instanceof ClinicaError) {
    const status = statusOfKind[err.kind] ?? 500;
    if (status >= 500) {
      const code: ErrorCode = status === 503 ? 'unavailable' : 'internal';
      return { status, body: { error: { code, message: serverSideMessage[status]!, requestId } }, serverSide: true };
    }
    return {
      status,
      body: { error: errorBody(err.kind === 'config' ? 'usage' : err.kind, err.message, err) },
      serverSide: false,
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: serverSideMessage[500]!, requestId } }, serverSide: true };
}

/** A CLI command in backticks, or a command-line flag: advice for the terminal, not for an API client. */
const CLI_TEXT = /`clinica\b[^`]*`|(^|[\s(])--[a-z][\w-]*/i;

/** What to advise over HTTP instead of a CLI hint, by reason. */
const httpHints: Record<string, string> = {
  overlap: 'choose another time, or send "force": true to double-book',
  stale: 'read it again (for its new ETag) and re-apply the change',
  'cpf-taken': 'open that patient instead of adding a new one',
  'duplicate-person': 'open that patient instead of adding a new one; if this is another person, send "force": true',
  'erased-match': 'if this person is returning as a new patient, send "force": true',
  'patient-not-found': 'search the patients to find the id',
  'appointment-not-found': 'look at the agenda to find the id',
  'future-appointments': 'send "cancelAppointments": true to cancel them, or "keepAppointments": true to keep them',
};

/**
 * The HTTP face of a clinic message: parenthesised CLI advice ("(e.g. --dentist "Dra. Ana")", "(`clinica …`)")
 * is dropped, and any CLI command or flag left is not shown as one.
 */
export function httpText(text: string): string {
  if (!CLI_TEXT.test(text)) return text;
  return text
    .replace(/\s*\([^()]*(`clinica\b|--[a-z])[^()]*\)/gi, '')
    .replace(/`clinica\b[^`]*`/gi, 'the clinica CLI')
    .replace(/(^|[\s(])--([a-z][\w-]*)/gi, '$1"$2"')
    .trim();
}

function errorBody(
  code: ErrorCode,
  message: string,
  e: { field?: string; hint?: string; reason?: string; params?: Record<string, string | number>; extra?: Record<string, unknown> },
): ErrorBody['error'] {
  const hint = e.hint && CLI_TEXT.test(e.hint) ? (e.reason ? httpHints[e.reason] : undefined) : e.hint;
  return {
    ...e.extra,
    code,
    message: httpText(message),
    ...(e.field ? { field: e.field } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
    ...(e.params ? { params: e.params } : {}),
    ...(hint ? { hint } : {}),
  };
}

/** Headers on every response. The CSP allows scripts and styles from this origin only (no inline script). */
export function securityHeaders(storageOrigin?: string): Record<string, string> {
  const s3 = storageOrigin ? ` ${storageOrigin}` : '';
  return {
    'content-security-policy': [
      "default-src 'none'",
      "script-src 'self'",
      "style-src 'self'",
      `img-src 'self' data: blob:${s3}`,
      `connect-src 'self'${s3}`,
      "font-src 'self'",
      "manifest-src 'self'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
  };
}

/** A body already serialized (a cached answer): sent as is. */
export class JsonText {
  constructor(readonly text: string) {}
}

export function sendJson(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = value instanceof JsonText ? value.text : JSON.stringify(value);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': String(Buffer.byteLength(body)),
    'cache-control': 'no-store',
    ...headers,
  });
  res.end(body);
}

/** Default limit of a JSON request body: records are small; images never pass through the server. */
export const DEFAULT_BODY_LIMIT = 64 * 1024;

/**
 * Reads a JSON object body: 415 unless Content-Type is application/json (also keeps plain HTML forms of
 * other sites out), 413 past the limit (the connection is not read further), 400 on bad JSON.
 */
export async function readJson(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Record<string, unknown>> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  const declared = Number(req.headers['content-length'] ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  if (type !== 'application/json') {
    if (!declared && req.headers['transfer-encoding'] === undefined) return {};
    throw new HttpError(415, 'unsupported-media-type', 'expected a JSON body (Content-Type: application/json)');
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    chunks.push(chunk);
  }
  if (size === 0) return {};
  let value: unknown;
  try {
    value = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  } catch {
    throw new HttpError(400, 'bad-json', 'the request body is not valid JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new HttpError(400, 'bad-json', 'expected a JSON object');
  }
  return value as Record<string, unknown>;
}

const tooLarge = (limit: number) =>
  new HttpError(413, 'too-large', `the request body is larger than ${Math.round(limit / 1024)} KiB`, { headers: { connection: 'close' } });
