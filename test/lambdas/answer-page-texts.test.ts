/** The answer page's texts (src/lambdas/answer-page-strings): the same keys and placeholders in both languages. */
import { describe, expect, it } from 'vitest';
import en from '../../src/lambdas/answer-page-strings/en.json' with { type: 'json' };
import ptBR from '../../src/lambdas/answer-page-strings/pt-BR.json' with { type: 'json' };

/** "key.sub" → the placeholders its text uses, for every text in the file. */
function shape(texts: object, prefix = ''): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of Object.entries(texts)) {
    if (typeof v === 'string') out[prefix + k] = [...v.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
    else Object.assign(out, shape(v as object, `${prefix}${k}.`));
  }
  return out;
}

describe("the answer page's texts", () => {
  it('have every key, with the same placeholders, in pt-BR and English', () => {
    expect(shape(en)).toEqual(shape(ptBR));
    expect(shape(ptBR)['already.cancel']).toEqual(['when']);
    expect(shape(ptBR).hello).toEqual(['name']);
  });
});
