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
  | 'bad-json';

/** What every error response looks like: `{"error": {"code", "message", "field"?, "hint"?}}`. */
export interface ErrorBody {
  error: { code: ErrorCode; message: string; field?: string; hint?: string; requestId?: string };
}

/** An error the HTTP layer raises itself (not from the clinic code). */
export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly extra: { field?: string; hint?: string; headers?: Record<string, string> } = {},
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
      body: { error: { code: err.code, message: err.message, ...(err.extra.field ? { field: err.extra.field } : {}), ...(err.extra.hint ? { hint: err.extra.hint } : {}) } },
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
      body: {
        error: {
          code: err.kind === 'config' ? 'usage' : err.kind,
          message: err.message,
          ...(err.field ? { field: err.field } : {}),
          ...(err.hint ? { hint: err.hint } : {}),
        },
      },
      serverSide: false,
    };
  }
  return { status: 500, body: { error: { code: 'internal', message: serverSideMessage[500]!, requestId } }, serverSide: true };
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
