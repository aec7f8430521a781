/**
 * Staff authentication for the API. Two ways in:
 *
 * - a **session cookie** (sign-in with e-mail, password and a second factor, or a passkey: routes/sign-in.ts),
 *   checked against its record in the data bucket (src/clinic/sessions.ts);
 * - an **API token** for scripts, `Authorization: Bearer t_<id>.<secret>` (src/clinic/api-tokens.ts), or the
 *   `<staff id>.<secret>` token of an account made before e-mail sign-in.
 *
 * Verified sessions and tokens are remembered for `cacheMs` (default 15 s) so a busy page does not read the
 * bucket on every request; a revoke made through this server takes effect at once, one made with the CLI within
 * that time. A session's last activity is kept in memory and written to its record at most once a minute, so
 * the idle timeout also holds across a restart (to within that minute).
 *
 * Failed attempts — tokens, passwords, codes, recovery codes — are counted per source address AND per account
 * (`AttemptLimiter`): past `maxFailures` within `windowMs`, that account gets 429 from that source until the window
 * passes — so one person's typos do not lock out colleagues behind the same NAT. Every failure from a source also
 * counts against the source, with a higher ceiling, `maxSourceFailures`: past it, the whole source waits.
 * Guesses are then never even checked; tokens this server verified before keep working.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { apiTokenId, verifyApiToken } from '../clinic/api-tokens.js';
import { audit } from '../clinic/audit.js';
import { checkSession, touchSession, type SessionRecord } from '../clinic/sessions.js';
import { publicStaff, tokenStaffId, verifyStaffToken, type StaffMember } from '../clinic/staff.js';
import type { Store } from '../store/store.js';
import { readCookie, SESSION_COOKIES } from './cookies.js';
import { HttpError } from './http.js';
import { RecentMap } from './recent.js';

export interface AuthOptions {
  cacheMs?: number;
  /** failures per source and account before that account waits (from that source); default 10 */
  maxFailures?: number;
  /** failures per source, whatever the account, before the whole source waits; default 50 */
  maxSourceFailures?: number;
  windowMs?: number;
  /** the idle timeout of sessions (default: config auth.idleMinutes) */
  idleMs?: number;
  now?: () => number;
}

interface Failures {
  count: number;
  since: number;
}

/** Bound on remembered sources and tokens, so a flood of addresses or junk tokens cannot grow memory. */
const MAX_ENTRIES = 10_000;
/** A session's lastSeenAt is written at most this often. */
const TOUCH_MS = 60_000;

/** Counts failures per source and per `source account`; refuses (429) past the limits until the window passes. */
export class AttemptLimiter {
  private readonly failures: RecentMap<Failures>;

  constructor(
    readonly maxFailures: number,
    readonly maxSourceFailures: number,
    readonly windowMs: number,
    private readonly now: () => number,
  ) {
    this.failures = new RecentMap(windowMs, now, MAX_ENTRIES);
  }

  /** Throws 429 when the source, or this account from this source, has failed too often. */
  check(source: string, account: string | undefined, what = 'sign-in attempts'): void {
    const now = this.now();
    const retryAfter = Math.max(this.lockedFor(source, this.maxSourceFailures, now), account ? this.lockedFor(`${source} ${account}`, this.maxFailures, now) : 0);
    if (retryAfter > 0) {
      throw new HttpError(429, 'rate-limited', `too many failed ${what} from this computer; wait and try again`, {
        headers: { 'retry-after': String(Math.ceil(retryAfter / 1000)) },
      });
    }
  }

  fail(source: string, account: string | undefined): void {
    const now = this.now();
    this.count(source, now);
    if (account) this.count(`${source} ${account}`, now);
  }

  private lockedFor(key: string, max: number, now: number): number {
    const f = this.failures.get(key);
    return f && f.count >= max ? f.since + this.windowMs - now : 0;
  }

  private count(key: string, now: number): void {
    const f = this.failures.get(key);
    if (f) f.count++;
    else this.failures.set(key, { count: 1, since: now });
  }
}

/** Who a request is: the staff member, and through what. */
export interface Authenticated {
  staff: StaffMember;
  via: 'session' | 'token';
  session?: SessionRecord;
  /** the session's storage key (to end it) */
  sessionKey?: string;
  /** the session record's ETag (its lastSeenAt is written with If-Match) */
  sessionEtag?: string;
  tokenId?: string;
}

interface CachedSession {
  auth: Authenticated;
  until: number;
  lastSeen: number;
  written: number;
}

const unauthorized = (message: string, reason: string) => new HttpError(401, 'unauthorized', message, { reason, headers: { 'www-authenticate': 'Bearer' } });

export class Authenticator {
  private readonly cache = new Map<string, { auth: Authenticated; until: number }>();
  private readonly sessions = new Map<string, CachedSession>();
  /** tokens (hashed) this server has verified: a lockout of their source does not apply to them */
  private readonly known = new Set<string>();
  /** verifications of tokens (hashed) under way: see verifyShared */
  private readonly verifying = new Map<string, Promise<{ staff: StaffMember; tokenId: string } | undefined>>();
  /** API tokens whose use was audited lately, by `token ip` (one entry an hour) */
  private readonly audited: RecentMap<true>;
  readonly limiter: AttemptLimiter;
  readonly cacheMs: number;
  readonly idleMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: AuthOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 15_000;
    this.idleMs = options.idleMs ?? 30 * 60_000;
    this.now = options.now ?? Date.now;
    this.limiter = new AttemptLimiter(options.maxFailures ?? 10, options.maxSourceFailures ?? 50, options.windowMs ?? 5 * 60_000, this.now);
    this.audited = new RecentMap(3600_000, this.now, MAX_ENTRIES);
  }

  /** The bearer token of a request, or undefined. */
  static bearer(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1];
  }

  /** A request's staff member: its bearer token if it has one, else its session cookie (full sessions only). */
  async authenticateRequest(req: IncomingMessage, source: string): Promise<Authenticated> {
    const token = Authenticator.bearer(req.headers.authorization);
    if (token) return this.authenticate(token, source);
    const cookie = readCookie(req.headers.cookie, SESSION_COOKIES);
    if (!cookie) throw unauthorized('sign in first', 'signed-out');
    const got = await this.session(cookie);
    if (got.session?.stage !== 'full') throw unauthorized('finish signing in first (the second factor)', 'second-factor');
    return got;
  }

  /**
   * The session a cookie value names, any stage. Throws 401 with the reason (signed-out, idle, expired, ended,
   * revoked) — the page says why before asking to sign in again.
   */
  async session(cookie: string): Promise<Authenticated> {
    const key = createHash('sha256').update(cookie).digest('base64');
    const now = this.now();
    const cached = this.sessions.get(key);
    if (cached && cached.until > now && now - cached.lastSeen < this.idleMs && now < Date.parse(cached.auth.session!.expiresAt)) {
      cached.lastSeen = now;
      if (now - cached.written >= TOUCH_MS) await this.touch(cached, now);
      return cached.auth;
    }
    const checked = await checkSession(this.store, cookie, { idleMs: this.idleMs, now: new Date(now), lastSeen: cached?.lastSeen });
    if (!checked.ok) {
      this.sessions.delete(key);
      const messages = {
        missing: 'sign in first',
        ended: 'this session was ended (signed out elsewhere, password changed or account reset); sign in again',
        idle: 'the session ended after a while without use; sign in again',
        expired: 'the session reached its 12-hour limit; sign in again',
        revoked: 'this account was revoked',
      } as const;
      throw unauthorized(messages[checked.reason], checked.reason === 'missing' ? 'signed-out' : checked.reason);
    }
    const auth: Authenticated = { staff: publicStaff(checked.staff), via: 'session', session: checked.session, sessionKey: checked.key, sessionEtag: checked.etag };
    const entry: CachedSession = { auth, until: now + this.cacheMs, lastSeen: now, written: Date.parse(checked.session.lastSeenAt) };
    if (this.sessions.size >= MAX_ENTRIES) this.sessions.delete(this.sessions.keys().next().value!);
    this.sessions.set(key, entry);
    if (now - entry.written >= TOUCH_MS) await this.touch(entry, now);
    return auth;
  }

  /** Records the session's activity in the bucket (so the idle timeout holds across a restart). */
  private async touch(entry: CachedSession, now: number): Promise<void> {
    entry.written = now;
    const etag = await touchSession(this.store, entry.auth.sessionKey!, entry.auth.session!, new Date(now), entry.auth.sessionEtag!);
    if (etag) entry.auth.sessionEtag = etag;
    else entry.until = 0; // ended meanwhile: check it again on the next request
  }

  /**
   * The staff member behind an API token. Throws 401 (missing or wrong token — counted against the source and
   * the account or token it names) or 429 (too many failures for it from this source, or from this source).
   */
  async authenticate(token: string | undefined, source: string): Promise<Authenticated> {
    if (!token) throw unauthorized('sign in, or send an API token', 'signed-out');
    const key = createHash('sha256').update(token).digest('base64');
    const now = this.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.auth;
    const account = apiTokenId(token) ?? tokenStaffId(token);
    // a token verified before is checked again even during a lockout (a revoke still applies): only guesses wait
    if (!this.known.has(key)) this.limiter.check(source, account, 'logins');
    const verified = await this.verifyShared(key, token, now);
    if (!verified) {
      this.known.delete(key);
      this.limiter.fail(source, account);
      throw unauthorized('this API token is not valid (or expired, or was revoked)', 'token');
    }
    const auth: Authenticated = { staff: verified.staff, via: 'token', tokenId: verified.tokenId };
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { auth, until: now + this.cacheMs });
    if (this.known.size >= MAX_ENTRIES) this.known.delete(this.known.values().next().value!);
    this.known.add(key);
    if (!this.audited.get(`${verified.tokenId} ${source}`)) {
      this.audited.set(`${verified.tokenId} ${source}`, true);
      await audit(this.store, { actor: `staff:${verified.staff.id}`, action: 'api-token.use', details: { tokenId: verified.tokenId, ip: source } }, new Date(now));
    }
    return auth;
  }

  /**
   * One verification of a token at a time: requests arriving with it while its records are being read share
   * that read, rather than 50 connections reading the same token and staff records at once when its cached
   * verification runs out. A revoke is seen as with the cache: through this server at once (forget() drops the
   * reads in flight, so a request arriving after it reads anew), with the CLI within cacheMs.
   */
  private verifyShared(key: string, token: string, now: number): Promise<{ staff: StaffMember; tokenId: string } | undefined> {
    let verifying = this.verifying.get(key);
    if (!verifying) {
      verifying = apiTokenId(token) ? verifyApiToken(this.store, token, new Date(now)) : legacy(this.store, token);
      const settled = () => {
        if (this.verifying.get(key) === verifying) this.verifying.delete(key);
      };
      verifying.then(settled, settled);
      this.verifying.set(key, verifying);
    }
    return verifying;
  }

  /** Forgets every cached verification of a staff member (after a revoke, reset or role change through this server). */
  forget(staffId: string): void {
    this.verifying.clear();
    for (const [key, entry] of this.cache) if (entry.auth.staff.id === staffId) this.cache.delete(key);
    for (const [key, entry] of this.sessions) if (entry.auth.staff.id === staffId) this.sessions.delete(key);
  }

  /** Forgets one cached session (signed out, or moved to a new id). */
  forgetSession(cookie: string): void {
    this.sessions.delete(createHash('sha256').update(cookie).digest('base64'));
  }

  /** Forgets a revoked API token at once. */
  forgetToken(tokenId: string): void {
    this.verifying.clear();
    for (const [key, entry] of this.cache) if (entry.auth.tokenId === tokenId) this.cache.delete(key);
  }
}

/** A token of an account from before e-mail sign-in. */
async function legacy(store: Store, token: string): Promise<{ staff: StaffMember; tokenId: string } | undefined> {
  const staff = await verifyStaffToken(store, token);
  return staff ? { staff, tokenId: `legacy:${staff.id}` } : undefined;
}
