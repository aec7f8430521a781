/**
 * Staff passwords (OWASP ASVS 5.0 V6.2): at least 12 characters, up to 128, no composition rules; refused when
 * common (zxcvbn-ts with its common and Brazilian Portuguese dictionaries) or when they contain the person's
 * or the clinic's name. Stored as scrypt (memory-hard, N = 2^17, a per-account 16-byte salt) in one string that
 * names its parameters, so they can be raised later without breaking older hashes.
 */
import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { usageError } from '../errors.js';

export const PASSWORD_MIN = 12;
export const PASSWORD_MAX = 128;

/** scrypt cost: N = 2^17, r = 8, p = 1 → 128 MiB per hash (OWASP's recommended minimum for scrypt). */
export const KDF = { N: 2 ** 17, r: 8, p: 1, keyLength: 32, saltLength: 16 } as const;

/** scrypt needs 128·N·r bytes; node's default maxmem (32 MiB) is below that, so it is raised to fit with room. */
export const maxmemFor = (N: number, r: number) => 128 * N * r + 32 * 1024 * 1024;

function scrypt(password: string, salt: Buffer, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFC'), salt, keyLength, options, (err, key) => (err ? reject(err) : resolve(key))));
}

/** "scrypt$N$r$p$<salt b64url>$<key b64url>" */
export async function hashPassword(password: string, params: { N: number; r: number; p: number } = KDF): Promise<string> {
  const salt = randomBytes(KDF.saltLength);
  const key = await scrypt(password, salt, KDF.keyLength, { N: params.N, r: params.r, p: params.p, maxmem: maxmemFor(params.N, params.r) });
  return ['scrypt', params.N, params.r, params.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

/** A hash to compare against when there is no account, so a wrong e-mail costs the same time as a wrong password. */
let dummyHash: Promise<string> | undefined;
export const dummyPasswordHash = () => (dummyHash ??= hashPassword(randomBytes(16).toString('hex')));

/** Whether `password` matches `stored` (constant-time comparison of the derived keys). A malformed hash never matches. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') return false;
  const [N, r, p] = parts.slice(1, 4).map(Number) as [number, number, number];
  const salt = Buffer.from(parts[4]!, 'base64url');
  const expected = Buffer.from(parts[5]!, 'base64url');
  if (!Number.isInteger(N) || N < 2 || !Number.isInteger(r) || !Number.isInteger(p) || expected.length < 16) return false;
  const key = await scrypt(password.slice(0, PASSWORD_MAX * 4), salt, expected.length, { N, r, p, maxmem: maxmemFor(N, r) });
  return timingSafeEqual(key, expected);
}

type Zxcvbn = { check(password: string, userInputs?: (string | number)[]): { score: number } };
let zxcvbn: Promise<Zxcvbn> | undefined;

/** zxcvbn-ts with the common and pt-BR dictionaries: loaded on first use (megabytes of word lists). */
function loadZxcvbn(): Promise<Zxcvbn> {
  return (zxcvbn ??= (async () => {
    const [{ ZxcvbnFactory }, common, ptBr] = await Promise.all([import('@zxcvbn-ts/core'), import('@zxcvbn-ts/language-common'), import('@zxcvbn-ts/language-pt-br')]);
    return new ZxcvbnFactory({
      dictionary: { ...common.dictionary, ...ptBr.dictionary },
      graphs: common.adjacencyGraphs,
      translations: ptBr.translations,
    }) as unknown as Zxcvbn;
  })());
}

const fold = (text: string) =>
  text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '');

/** Words of a name worth refusing in a password: 4 letters or more ("Dra." and "da" are not). */
function nameWords(name: string): string[] {
  return name
    .split(/[\s@._-]+/)
    .map(fold)
    .filter((w) => w.length >= 4 && !['clinica', 'odontologia', 'demo', 'dental'].includes(w));
}

export type PasswordProblem = 'too-short' | 'too-long' | 'contains-name' | 'common';

/** Why a new password is refused, or undefined when it is acceptable. `names`: the person's name, e-mail and the clinic's name. */
export async function passwordProblem(password: string, names: string[]): Promise<PasswordProblem | undefined> {
  const length = [...password].length;
  if (length < PASSWORD_MIN) return 'too-short';
  if (length > PASSWORD_MAX) return 'too-long';
  const folded = fold(password);
  if (names.flatMap(nameWords).some((w) => folded.includes(w))) return 'contains-name';
  const { score } = (await loadZxcvbn()).check(password, names.flatMap(nameWords));
  return score < 3 ? 'common' : undefined;
}

const problemText: Record<PasswordProblem, string> = {
  'too-short': `the password is too short: at least ${PASSWORD_MIN} characters (a few words make a good one)`,
  'too-long': `the password is too long: at most ${PASSWORD_MAX} characters`,
  'contains-name': "the password contains the person's or the clinic's name; choose one without it",
  common: 'this password is too common or too easy to guess; a few unrelated words make a better one',
};

/** Throws a usage error (400 / exit 2, reason = the problem) when the password is refused. */
export async function checkNewPassword(password: unknown, names: string[]): Promise<string> {
  if (typeof password !== 'string' || !password) throw usageError('expected a password', { field: 'password', reason: 'too-short' });
  const problem = await passwordProblem(password, names);
  if (problem) throw usageError(problemText[problem], { field: 'password', reason: problem, params: { min: PASSWORD_MIN, max: PASSWORD_MAX } });
  return password;
}
