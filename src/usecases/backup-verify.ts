/**
 * `clinica backup verify`: does the backup hold what the data bucket holds? A sample of objects (default 100,
 * drawn at random) plus every audit object of the last 7 days is compared: the backup's copy must have the
 * same checksum (one S3 keeps with both — replication keeps it — else the ETag). Under SSE-KMS an ETag is not
 * a digest of the content (a replica re-encrypted with the backup key may carry another), so where only ETags
 * are there and they differ, both copies are read and their SHA-256 compared. The data bucket's replication
 * status says what is still on its way (PENDING: lag) and what S3 gave up on (FAILED).
 */
import { createHash } from 'node:crypto';
import { AUDIT_PREFIX } from '../clinic/audit.js';
import { addDays } from '../clinic/time.js';
import { mapLimit } from '../map-limit.js';
import type { OnProgress } from '../progress.js';
import { CHECKSUM_ALGORITHMS, type HeadInfo, type ObjectInfo, type Store } from '../store/store.js';

export type VerifyOutcome = 'ok' | 'mismatch' | 'missing' | 'pending' | 'failed';

export interface VerifiedObject {
  key: string;
  outcome: VerifyOutcome;
  /** for pending: how long ago the data bucket's version was written (seconds) */
  lagSeconds?: number;
}

export interface VerifyReport {
  checked: number;
  ok: number;
  /** the objects that are not ok, one line each */
  problems: VerifiedObject[];
  /** the oldest write still waiting to be replicated (seconds), if any */
  maxLagSeconds?: number;
  /** true when the backup differs or misses what it should have (exit 1) */
  failed: boolean;
}

/** Up to n items drawn at random (a partial Fisher–Yates shuffle). */
export function sample<T>(items: T[], n: number, random: () => number = Math.random): T[] {
  const copy = [...items];
  const take = Math.min(n, copy.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(random() * (copy.length - i));
    [copy[i], copy[j]] = [copy[j]!, copy[i]!];
  }
  return copy.slice(0, take);
}

const isKms = (h: HeadInfo) => h.encryption?.startsWith('aws:kms') ?? false;

/** true / false when the heads tell; undefined when only the bytes can (SSE-KMS copies with other ETags). */
function sameByHead(a: HeadInfo, b: HeadInfo): boolean | undefined {
  const both = CHECKSUM_ALGORITHMS.find((alg) => a.checksums?.[alg] && b.checksums?.[alg]);
  if (both) return a.checksums![both] === b.checksums![both];
  if (a.etag.replace(/"/g, '') === b.etag.replace(/"/g, '')) return true;
  return isKms(a) || isKms(b) ? undefined : false;
}

async function sha256Of(store: Store, key: string): Promise<string | undefined> {
  const stream = await store.getStream(key);
  if (!stream) return undefined;
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

async function sameContent(data: Store, backup: Store, key: string, a: HeadInfo, b: HeadInfo): Promise<boolean> {
  const told = sameByHead(a, b);
  if (told !== undefined) return told;
  const [mine, copy] = await Promise.all([sha256Of(data, key), sha256Of(backup, key)]);
  return mine !== undefined && mine === copy;
}

/** Compares one object in both buckets. */
async function verifyOne(data: Store, backup: Store, key: string, now: Date): Promise<VerifiedObject | undefined> {
  const [mine, copy] = await Promise.all([data.head(key, { checksums: true }), backup.head(key, { checksums: true })]);
  if (!mine) return undefined; // deleted since it was listed: nothing to compare
  if (mine.replicationStatus === 'FAILED') return { key, outcome: 'failed' };
  if (!copy) {
    if (mine.replicationStatus === 'PENDING') {
      return { key, outcome: 'pending', lagSeconds: Math.max(0, Math.round((now.getTime() - (mine.lastModified?.getTime() ?? now.getTime())) / 1000)) };
    }
    return { key, outcome: 'missing' };
  }
  if (!(await sameContent(data, backup, key, mine, copy))) {
    // a newer version on its way is lag, not damage
    if (mine.replicationStatus === 'PENDING') return { key, outcome: 'pending', lagSeconds: Math.round((now.getTime() - (mine.lastModified?.getTime() ?? now.getTime())) / 1000) };
    return { key, outcome: 'mismatch' };
  }
  return { key, outcome: 'ok' };
}

export interface VerifyOptions {
  /** how many objects to draw at random (default 100) */
  sampleSize?: number;
  now?: Date;
  random?: () => number;
  onProgress?: OnProgress<string>;
}

export async function verifyBackup(data: Store, backup: Store, options: VerifyOptions = {}): Promise<VerifyReport> {
  const now = options.now ?? new Date();
  const all: ObjectInfo[] = [];
  for await (const o of data.list('')) all.push(o);
  const today = now.toISOString().slice(0, 10);
  const lastWeek = new Set(Array.from({ length: 7 }, (_, i) => `${AUDIT_PREFIX}${addDays(today, -i)}/`));
  const audit = all.filter((o) => lastWeek.has(o.key.slice(0, AUDIT_PREFIX.length + 11)));
  const rest = all.filter((o) => !audit.includes(o));
  const keys = [...audit, ...sample(rest, options.sampleSize ?? 100, options.random)].map((o) => o.key);
  let done = 0;
  const results = await mapLimit(keys, 8, async (key) => {
    const r = await verifyOne(data, backup, key, now);
    options.onProgress?.({ done: ++done, total: keys.length, item: key });
    return r;
  });
  const checked = results.filter((r): r is VerifiedObject => Boolean(r));
  const problems = checked.filter((r) => r.outcome !== 'ok').sort((a, b) => (a.key < b.key ? -1 : 1));
  const lags = problems.filter((p) => p.outcome === 'pending').map((p) => p.lagSeconds ?? 0);
  return {
    checked: checked.length,
    ok: checked.length - problems.length,
    problems,
    ...(lags.length ? { maxLagSeconds: Math.max(...lags) } : {}),
    failed: problems.some((p) => p.outcome !== 'pending'),
  };
}
