/**
 * Token verification shared by the requests that arrive together (Authenticator.verifyShared), over the local
 * S3: one read of the token's records for many concurrent requests, and a CLI revoke still seen once the
 * cached verification runs out.
 */
import { describe, expect, it } from 'vitest';
import { apiTokenId, createApiToken, revokeApiToken } from '../../src/clinic/api-tokens.js';
import { addStaff } from '../../src/clinic/staff.js';
import { Authenticator } from '../../src/server/auth.js';
import { HttpError } from '../../src/server/http.js';
import { recordS3Calls } from '../helpers/s3-calls.js';
import { useTestStack } from '../helpers/stack.js';

const stack = useTestStack({ publish: false });

/** Runs `fn` counting the GetObject calls the store's client makes under `prefix`. */
async function countingGets<T>(prefix: string, fn: () => Promise<T>): Promise<{ result: T; gets: number }> {
  const { result, calls } = await recordS3Calls(stack.dataStore.s3, fn);
  return { result, gets: calls.filter((c) => c.command === 'GetObjectCommand' && String(c.key).startsWith(prefix)).length };
}

describe('Authenticator: concurrent requests with one token', () => {
  it('share one read of the token and staff records, and all get the staff member', async () => {
    const { staff } = await addStaff(stack.dataStore, { name: 'Ana Shared', role: 'reception' }, 'test');
    const { token } = await createApiToken(stack.dataStore, { staffId: staff.id, name: 'script' }, 'test');
    const auth = new Authenticator(stack.dataStore);
    const { result, gets } = await countingGets('api-tokens/', () => Promise.all(Array.from({ length: 30 }, () => auth.authenticate(token, '127.0.0.1'))));
    expect(result.map((a) => a.staff.id)).toEqual(Array(30).fill(staff.id));
    expect(gets).toBe(1);
  });

  it('a wrong secret is refused for every one of them, and each counts as a failure', async () => {
    const { staff } = await addStaff(stack.dataStore, { name: 'Bruno Shared', role: 'reception' }, 'test');
    const { token } = await createApiToken(stack.dataStore, { staffId: staff.id, name: 'script' }, 'test');
    const wrong = `${token.slice(0, token.lastIndexOf('.'))}.${'x'.repeat(43)}`;
    const auth = new Authenticator(stack.dataStore, { maxFailures: 100, maxSourceFailures: 100 });
    const outcomes = await Promise.allSettled(Array.from({ length: 5 }, () => auth.authenticate(wrong, '127.0.0.9')));
    for (const o of outcomes) expect(o.status === 'rejected' && o.reason instanceof HttpError && o.reason.status).toBe(401);
    // five failures from that source for that token's id: a limit of five now locks it out
    const strict = new Authenticator(stack.dataStore, { maxFailures: 5 });
    await Promise.allSettled(Array.from({ length: 5 }, () => strict.authenticate(wrong, '127.0.0.9')));
    await expect(strict.authenticate(wrong, '127.0.0.9')).rejects.toMatchObject({ status: 429 });
  });

  it('a token revoked with the CLI is refused once the cached verification runs out', async () => {
    const { staff } = await addStaff(stack.dataStore, { name: 'Carla Shared', role: 'reception' }, 'test');
    const { token } = await createApiToken(stack.dataStore, { staffId: staff.id, name: 'script' }, 'test');
    let now = Date.now();
    const auth = new Authenticator(stack.dataStore, { cacheMs: 15_000, now: () => now });
    await Promise.all([auth.authenticate(token, '127.0.0.1'), auth.authenticate(token, '127.0.0.1')]);
    await revokeApiToken(stack.dataStore, apiTokenId(token)!, 'cli:test');
    now += 15_001;
    const outcomes = await Promise.allSettled([auth.authenticate(token, '127.0.0.1'), auth.authenticate(token, '127.0.0.1')]);
    expect(outcomes.map((o) => o.status)).toEqual(['rejected', 'rejected']);
  });
});
