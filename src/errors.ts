/**
 * The one error type of clinica. Everything that should reach a person as a one-line message is a
 * ClinicaError: it carries the exit code and a hint (the fix). Only the entry point (src/cli.ts) prints it.
 * Lower rooms (store, clinic, imaging, …) throw these too; the server maps them to HTTP statuses.
 */
export const ExitCode = {
  ok: 0,
  failure: 1,
  usage: 2,
  partial: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export type ErrorKind =
  | 'usage' // bad flags, bad input values → exit 2, HTTP 400
  | 'config' // bad or missing clinica.config.json → exit 2
  | 'not-found' // unknown patient id, missing object → exit 2, HTTP 404
  | 'conflict' // ETag / If-None-Match precondition failed, duplicate → exit 1, HTTP 409
  | 'unavailable' // endpoint unreachable, local stack not running, throttled past retries → exit 1, HTTP 503
  | 'credentials' // missing/invalid AWS credentials → exit 1
  | 'forbidden' // not allowed (role, network) → exit 1, HTTP 403
  | 'partial' // bulk work where some items failed → exit 3
  | 'internal'; // a bug or an unexpected failure → exit 1, HTTP 500

const exitFor: Record<ErrorKind, ExitCode> = {
  usage: 2,
  config: 2,
  'not-found': 2,
  conflict: 1,
  unavailable: 1,
  credentials: 1,
  forbidden: 1,
  partial: 3,
  internal: 1,
};

export interface ClinicaErrorOptions {
  /** one line telling the person what to do about it */
  hint?: string;
  /** the input field or flag at fault (used by the server's 400 responses and by tests) */
  field?: string;
  /**
   * a stable machine-readable reason within the kind (e.g. 'overlap', 'cpf-format'), with its values in
   * `params` — the staff page translates by these; the message stays English for the CLI and logs
   */
  reason?: string;
  params?: Record<string, string | number>;
  /**
   * structured data a client needs to act on the refusal (e.g. the appointments a status change would leave
   * booked); the server adds these keys to its error body beside `code`/`reason`, the CLI does not print them
   */
  extra?: Record<string, unknown>;
  cause?: unknown;
  exitCode?: ExitCode;
}

export class ClinicaError extends Error {
  readonly kind: ErrorKind;
  readonly hint?: string;
  readonly field?: string;
  readonly reason?: string;
  readonly params?: Record<string, string | number>;
  readonly extra?: Record<string, unknown>;
  readonly exitCode: ExitCode;

  constructor(kind: ErrorKind, message: string, options: ClinicaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ClinicaError';
    this.kind = kind;
    this.hint = options.hint;
    this.field = options.field;
    if (options.reason) this.reason = options.reason;
    if (options.params) this.params = options.params;
    if (options.extra) this.extra = options.extra;
    this.exitCode = options.exitCode ?? exitFor[kind];
  }
}

export const usageError = (message: string, options?: ClinicaErrorOptions) => new ClinicaError('usage', message, options);
export const notFound = (message: string, options?: ClinicaErrorOptions) => new ClinicaError('not-found', message, options);
export const conflict = (message: string, options?: ClinicaErrorOptions) => new ClinicaError('conflict', message, options);

export function isClinicaError(err: unknown, kind?: ErrorKind): err is ClinicaError {
  return err instanceof ClinicaError && (kind === undefined || err.kind === kind);
}

/**
 * The one-line form: "message — hint". Never includes a stack, nor the lines an SDK message can carry after
 * its first (a deserialization error's "to see the raw response, inspect …") when a ClinicaError quotes it.
 */
export function oneLine(err: unknown): string {
  if (err instanceof ClinicaError) {
    const message = firstLine(err.message);
    return err.hint ? `${message} — ${err.hint}` : message;
  }
  if (err instanceof Error) return firstLine(err.message);
  return String(err);
}

const firstLine = (text: string) => text.split('\n')[0]!.trimEnd();
