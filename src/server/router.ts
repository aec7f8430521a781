/**
 * A small router: "GET /api/patients/:id" patterns, one permission per route, handlers that return the JSON
 * to send (or write the response themselves and return undefined).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Permission, StaffMember } from '../clinic/staff.js';
import type { Log } from '../log.js';
import type { Authenticated } from './auth.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestContext {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** the logged-in staff member (routes with `auth: false` get undefined) */
  staff?: StaffMember;
  /** how the staff member signed in (session or API token) */
  auth?: Authenticated;
  /** "staff:<id>", for the audit log */
  actor: string;
  /** the client's address (after the X-Forwarded-For rules) */
  ip: string;
  requestId: string;
  log: Log;
  /** the JSON body (an object), read once with the size limit */
  body(): Promise<Record<string, unknown>>;
}

/** What a handler returns: a body to send as JSON with status 200, or an explicit reply. */
export type Reply = { status: number; body: unknown; headers?: Record<string, string> } | { body: unknown } | undefined;

export type Handler = (ctx: RequestContext) => Promise<Reply | unknown>;

export interface Route {
  method: Method;
  path: string;
  /** the role permission needed; `false` for routes that need no login (health, login) */
  permission: Permission | 'any' | false;
  /** a POST that creates: an `Idempotency-Key` header makes a repeat answer the first result (idempotency.ts) */
  idempotent?: boolean;
  handler: Handler;
}

interface Compiled extends Route {
  regex: RegExp;
  keys: string[];
}

export type Match =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method-not-allowed'; allow: string[] }
  | { kind: 'not-found' };

export class Router {
  private readonly routes: Compiled[] = [];

  add(route: Route): this {
    const keys: string[] = [];
    const pattern = route.path
      .split('/')
      .map((part) => {
        if (!part.startsWith(':')) return part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        keys.push(part.slice(1));
        return '([^/]+)';
      })
      .join('/');
    this.routes.push({ ...route, regex: new RegExp(`^${pattern}$`), keys });
    return this;
  }

  match(method: string, path: string): Match {
    const allow: string[] = [];
    for (const route of this.routes) {
      const m = route.regex.exec(path);
      if (!m) continue;
      if (route.method !== method && !(method === 'HEAD' && route.method === 'GET')) {
        allow.push(route.method);
        continue;
      }
      const params: Record<string, string> = {};
      route.keys.forEach((key, i) => {
        params[key] = safeDecode(m[i + 1]!);
      });
      return { kind: 'found', route, params };
    }
    return allow.length ? { kind: 'method-not-allowed', allow } : { kind: 'not-found' };
  }
}

function safeDecode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}
