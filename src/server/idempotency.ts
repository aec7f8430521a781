/**
 * `Idempotency-Key` on the POSTs that create something (a patient, an appointment): a request repeated with
 * the same key — a double click that got through, a retry after the answer was lost on a bad network — gets
 * the first request's answer again (with `Idempotent-Replayed: true`) instead of creating a second record.
 * A repeat that arrives while the first is still running waits for it.
 *
 * Keys are remembered per staff member for IDEMPOTENCY_TTL_MS, in this server's memory (one EC2 instance; a
 * restart forgets them). Only successes are remembered: a refused request (a bad CPF, an overlap) can be sent
 * again with the same key once corrected. The same key with a different body is refused (422), since it
 * would otherwise be answered with the other request's result.
 */
import { createHash } from 'node:crypto';
import { HttpError } from './http.js';
import { RecentMap } from './recent.js';

export const IDEMPOTENCY_TTL_MS = 10 * 60_000;
export const IDEMPOTENCY_HEADER = 'idempotency-key';

const KEY = /^[A-Za-z0-9_.:-]{8,100}$/;

interface Attempt {
  fingerprint: string;
  outcome: Promise<unknown>;
}

export class IdempotencyKeys {
  private readonly attempts: RecentMap<Attempt>;

  constructor(now: () => number) {
    this.attempts = new RecentMap(IDEMPOTENCY_TTL_MS, now);
  }

  /** The request's key (undefined without the header); 400 when it is not a plausible key. */
  static keyOf(header: string | string[] | undefined): string | undefined {
    if (header === undefined) return undefined;
    const key = Array.isArray(header) ? header.join(',') : header.trim();
    if (!KEY.test(key)) {
      throw new HttpError(400, 'usage', 'Idempotency-Key: expected 8 to 100 letters, digits or - _ . : (a random value per request)', { field: 'Idempotency-Key' });
    }
    return key;
  }

  /**
   * Runs `work` once per (scope, key): `scope` names who asks and where (staff member, method, path); `body`
   * is the request's JSON, compared on a repeat. Resolves to the output and whether it is a replay.
   */
  async run(scope: string, key: string, body: unknown, work: () => Promise<unknown>): Promise<{ out: unknown; replayed: boolean }> {
    const id = `${scope} ${key}`;
    const fingerprint = createHash('sha256').update(JSON.stringify(body)).digest('base64');
    for (;;) {
      const earlier = this.attempts.get(id);
      if (!earlier) break;
      if (earlier.fingerprint !== fingerprint) {
        throw new HttpError(422, 'usage', 'this Idempotency-Key was already used for a different request; send a new key with a new request', {
          field: 'Idempotency-Key',
          reason: 'idempotency-key-reused',
        });
      }
      try {
        return { out: await earlier.outcome, replayed: true };
      } catch {
        // the earlier attempt failed and was forgotten: this one runs (unless another repeat got there first)
      }
    }
    const attempt: Attempt = { fingerprint, outcome: work() };
    this.attempts.set(id, attempt);
    attempt.outcome.catch(() => {
      if (this.attempts.get(id) === attempt) this.attempts.delete(id);
    });
    return { out: await attempt.outcome, replayed: false };
  }
}
