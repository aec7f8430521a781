/**
 * The password rules and the KDF: scrypt parameters (N ≥ 2^17, a per-hash salt, maxmem that fits), verification,
 * and constant-time comparisons of derived keys and token digests.
 */
import * as crypto from 'node:crypto';
import { describe, expect, it, vi } from 'vitest';

vi.mock('node:crypto', async (importOriginal) => {
  const real = await importOriginal<typeof import('node:crypto')>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});

const { KDF, checkNewPassword, hashPassword, maxmemFor, passwordProblem, verifyPassword } = await import('../../src/clinic/passwords.js');
const { sameDigest, sha256Hex } = await import('../../src/clinic/staff.js');

const CHEAP = { N: 2 ** 10, r: 8, p: 1 };

describe('scrypt parameters', () => {
  it('uses N ≥ 2^17, r = 8, p = 1, a 16-byte salt and a 32-byte key, and a maxmem above the 128·N·r bytes it needs', () => {
    expect(KDF.N).toBeGreaterThanOrEqual(2 ** 17);
    expect([KDF.r, KDF.p, KDF.saltLength, KDF.keyLength]).toEqual([8, 1, 16, 32]);
    expect(maxmemFor(KDF.N, KDF.r)).toBeGreaterThan(128 * KDF.N * KDF.r);
  });

  it('stores the parameters, a fresh salt and the key; the default parameters really run (maxmem fits)', async () => {
    const hash = await hashPassword('cavalo azul pedra lua');
    const [alg, N, r, p, salt, key] = hash.split('$');
    expect([alg, Number(N), Number(r), Number(p)]).toEqual(['scrypt', 2 ** 17, 8, 1]);
    expect(Buffer.from(salt!, 'base64url')).toHaveLength(16);
    expect(Buffer.from(key!, 'base64url')).toHaveLength(32);
    expect(await verifyPassword('cavalo azul pedra lua', hash)).toBe(true);
  }, 30_000);

  it('gives two hashes of one password different salts; verifies the right password only; a malformed hash never matches', async () => {
    const a = await hashPassword('batata frita com sal', CHEAP);
    const b = await hashPassword('batata frita com sal', CHEAP);
    expect(a).not.toBe(b);
    expect(await verifyPassword('batata frita com sal', a)).toBe(true);
    expect(await verifyPassword('batata frita com sol', a)).toBe(false);
    expect(await verifyPassword('Batata frita com sal', a)).toBe(false);
    for (const bad of ['', 'scrypt$1024$8$1$abc', 'bcrypt$x$y$z$a$b', a.replace(/\$[^$]+$/, '$AAAA')]) expect(await verifyPassword('batata frita com sal', bad)).toBe(false);
  });

  it('compares derived keys and token digests in constant time (crypto.timingSafeEqual)', async () => {
    const spy = vi.mocked(crypto.timingSafeEqual);
    const hash = await hashPassword('batata frita com sal', CHEAP);
    spy.mockClear();
    await verifyPassword('batata frita com sol', hash);
    expect(spy).toHaveBeenCalledTimes(1);
    spy.mockClear();
    const digest = sha256Hex('t_abc.secret');
    expect(sameDigest(digest, digest)).toBe(true);
    expect(sameDigest(sha256Hex('other'), digest)).toBe(false);
    expect(sameDigest(digest, undefined)).toBe(false); // compared against a dummy, still in constant time
    expect(sameDigest(digest, 'not-hex')).toBe(false);
    expect(spy).toHaveBeenCalledTimes(4);
  });
});

describe('password rules (ASVS V6.2)', () => {
  const names = ['Dra. Ana Souza', 'ana@clinicasorriso.com.br', 'Clínica Sorriso'];
  it('refuses short, overlong, common (Brazilian lists too) and name-bearing passwords; no composition rules', async () => {
    expect(await passwordProblem('abc def ghi', names)).toBe('too-short');
    expect(await passwordProblem('x'.repeat(129), names)).toBe('too-long');
    for (const common of ['senha12345678', 'flamengo12345', 'corinthians2024', 'palmeiras1914', 'qwertyuiop123']) expect(await passwordProblem(common, names), common).toBe('common');
    expect(await passwordProblem('AnaSouza#2026!', names)).toBe('contains-name');
    expect(await passwordProblem('sorriso da tarde 77', names)).toBe('contains-name');
    // all lower case, no digits or symbols: accepted when long and uncommon
    expect(await passwordProblem('cavalo azul pedra lua', names)).toBeUndefined();
    expect(await passwordProblem('ç'.repeat(3) + ' bolo de fubá no forno', names)).toBeUndefined();
    expect(await passwordProblem('y'.repeat(128).replace(/y/g, (_, i: number) => 'qwzxkjvbnm'[i % 10]!), names)).toBeUndefined();
  });

  it('says why, with the reason the page translates by (exit 2 / 400)', async () => {
    await expect(checkNewPassword('senha12345678', names)).rejects.toMatchObject({ kind: 'usage', field: 'password', reason: 'common' });
    await expect(checkNewPassword(undefined, names)).rejects.toMatchObject({ kind: 'usage', field: 'password' });
  });
});
