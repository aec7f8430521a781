/**
 * A signed value (a link's token, a button's payload) with its last character changed: always a different
 * character, so the test never sends, by chance, the value it meant to change (a random key's MAC ends in
 * any of the 64 base64url characters).
 */
export const tamper = (signed: string): string => signed.slice(0, -1) + (signed.endsWith('A') ? 'B' : 'A');
