/**
 * The small client of the staff API (same origin, JSON): the session rides in the server's HttpOnly cookie
 * (the page never sees it; API tokens are for scripts, not for the page); a refusal becomes an ApiError with the server's code,
 * reason, field and params, which the page words in its own language (i18n.ts errorText).
 */
import type { ApiErrorBody, FutureAppointment, Permission, StaffMember } from './api-types.js';
import { t } from './i18n.js';

export class ApiError extends Error {
  readonly status: number;
  readonly code?: string;
  readonly field?: string;
  readonly reason?: string;
  readonly params?: Record<string, string | number>;
  readonly requestId?: string;
  /** reason future-appointments: the ones a status change would leave booked */
  readonly appointments?: FutureAppointment[];

  /** `own`: an error of the page itself (no answer came: code `offline`) */
  constructor(status: number, body: Partial<ApiErrorBody> | undefined, own?: { code: 'offline'; message: string }) {
    super(own?.message || body?.error?.message || `HTTP ${status}`);
    this.status = status;
    const e = body?.error;
    this.code = own?.code ?? e?.code;
    this.field = e?.field;
    this.reason = e?.reason;
    this.params = e?.params;
    this.requestId = e?.requestId;
    this.appointments = e?.appointments as FutureAppointment[] | undefined;
  }
}

/** What the server says of an ApiError's status, for any thrown value. */
export const statusOf = (err: unknown): number | undefined => (err instanceof ApiError ? err.status : undefined);

/** Who is signed in (null: nobody), as /api/me said. */
export const session = {
  staff: null as StaffMember | null,
  permissions: [] as readonly Permission[],
  /** the demo account on target local (the page says "demonstração") */
  demo: false,
};

export const canDo = (p: Permission): boolean => session.permissions.includes(p);

/**
 * What the page does when the server says the session ended (401, with the reason why): set by main.ts. The
 * steps of signing in answer 401 for a wrong password or code: those are the form's own errors.
 */
let onUnauthorized = (_reason: string | undefined): void => {};
const SIGN_IN_STEPS = /^\/api\/(sign-in|invitation|enrol|me$|me\/password)/;
export const whenUnauthorized = (handler: (reason: string | undefined) => void): void => {
  onUnauthorized = handler;
};

export async function api<T>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ data: T; etag: string | null }> {
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers: { ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body !== undefined ? JSON.stringify(body) : undefined,
    });
  } catch {
    throw new ApiError(0, undefined, { code: 'offline', message: t('error.offline') });
  }
  const data: unknown = res.status === 204 ? {} : await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401 && !SIGN_IN_STEPS.test(path)) onUnauthorized((data as Partial<ApiErrorBody>).error?.reason);
    throw new ApiError(res.status, data as Partial<ApiErrorBody>);
  }
  return { data: data as T, etag: res.headers.get('etag') };
}

export const enc = encodeURIComponent;
