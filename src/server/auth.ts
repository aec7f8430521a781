/**
 * Staff authentication for the API: `Authorization: Bearer <token>` (the staff page keeps the token in
 * sessionStorage; no cookies, so no cross-site request can act as a logged-in member).
 *
 * Verified tokens are remembered for `cacheMs` (default 15 s) so a busy page does not read the staff record
 * on every request; a revoke made through this server takes effect at once, one made with the CLI within
 * that time.
 *
 * Failed logins are counted per source address AND per account the token names (tokens are
 * `<account id>.<secret>`): past `maxFailures` within `windowMs`, that account gets 429 from that source for
 * any token this server has not already verified, until the window passes — so one person's typos do not
 * lock out colleagues behind the same NAT, even after a restart (when the server has verified no one yet).
 * Every failure from a source (tokens naming no account, or many accounts) also counts against the source,
 * with a higher ceiling, `maxSourceFailures`: past it, the whole source waits. Guesses are then never even
 * checked; colleagues already verified by this server keep working.
 */
import { createHash } from 'node:crypto';
import { tokenStaffId, verifyStaffToken, type StaffMember } from '../clinic/staff.js';
import type { Store } from '../store/store.js';
import { HttpError } from './http.js';
import { RecentMap } from './recent.js';

export interface AuthOptions {
  cacheMs?: number;
  /** failures per source and account before that account waits (from that source); default 10 */
  maxFailures?: number;
  /** failures per source, whatever the token, before the whole source waits; default 50 */
  maxSourceFailures?: number;
  windowMs?: number;
  now?: () => number;
}

interface Failures {
  count: number;
  since: number;
}

/** Bound on remembered sources and tokens, so a flood of addresses or junk tokens cannot grow memory. */
const MAX_ENTRIES = 10_000;

export class Authenticator {
  private readonly cache = new Map<string, { staff: StaffMember; until: number }>();
  /** tokens (hashed) this server has verified: a lockout of their source does not apply to them */
  private readonly known = new Set<string>();
  /** by source, and by `source account`: counted from the first failure, forgotten after the window */
  private readonly failures: RecentMap<Failures>;
  readonly cacheMs: number;
  readonly maxFailures: number;
  readonly maxSourceFailures: number;
  readonly windowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly store: Store,
    options: AuthOptions = {},
  ) {
    this.cacheMs = options.cacheMs ?? 15_000;
    this.maxFailures = options.maxFailures ?? 10;
    this.maxSourceFailures = options.maxSourceFailures ?? 50;
    this.windowMs = options.windowMs ?? 5 * 60_000;
    this.now = options.now ?? Date.now;
    this.failures = new RecentMap(this.windowMs, this.now, MAX_ENTRIES);
  }

  /** The bearer token of a request, or undefined. */
  static bearer(header: string | undefined): string | undefined {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header);
    return m?.[1];
  }

  /**
   * The staff member behind the token. Throws 401 (missing or wrong token — counted against the source and
   * the account it names) or 429 (too many failures for that account from this source, or from this source).
   */
  async authenticate(token: string | undefined, source: string): Promise<StaffMember> {
    if (!token) throw new HttpError(401, 'unauthorized', 'log in with your staff token', { headers: { 'www-authenticate': 'Bearer' } });
    const key = createHash('sha256').update(token).digest('base64');
    const now = this.now();
    const cached = this.cache.get(key);
    if (cached && cached.until > now) return cached.staff;
    const account = tokenStaffId(token);
    const accountKey = account ? `${source} ${account}` : undefined;
    // a token verified before is checked again even during a lockout (a revoke still applies): only guesses wait
    if (!this.known.has(key)) {
      const retryAfter = Math.max(this.lockedFor(source, this.maxSourceFailures, now), accountKey ? this.lockedFor(accountKey, this.maxFailures, now) : 0);
      if (retryAfter > 0) {
        throw new HttpError(429, 'rate-limited', 'too many failed logins from this computer; wait and try again', {
          headers: { 'retry-after': String(Math.ceil(retryAfter / 1000)) },
        });
      }
    }
    const staff = await verifyStaffToken(this.store, token);
    if (!staff) {
      this.known.delete(key);
      this.fail(source, now);
      if (accountKey) this.fail(accountKey, now);
      throw new HttpError(401, 'unauthorized', 'this staff token is not valid (or was revoked)', { headers: { 'www-authenticate': 'Bearer' } });
    }
    if (this.cache.size >= MAX_ENTRIES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, { staff, until: now + this.cacheMs });
    if (this.known.size >= MAX_ENTRIES) this.known.delete(this.known.values().next().value!);
    this.known.add(key);
    return staff;
  }

  /** Forgets every cached verification of a staff member (after a revoke through this server). */
  forget(staffId: string): void {
    for (const [key, entry] of this.cache) if (entry.staff.id === staffId) this.cache.delete(key);
  }

  private lockedFor(key: string, max: number, now: number): number {
    const f = this.failures.get(key);
    return f && f.count >= max ? f.since + this.windowMs - now : 0;
  }

  private fail(key: string, now: number): void {
    const f = this.failures.get(key);
    if (f) f.count++;
    else this.failures.set(key, { count: 1, since: now });
  }
}
