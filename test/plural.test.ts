/** Counts in the CLI's English come from Intl.PluralRules: "1 e-mail", "2 e-mails", "0 e-mails" — never "e-mail(s)". */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { count } from '../src/plural.js';

describe('count', () => {
  it('takes the form Intl.PluralRules gives the number', () => {
    expect([0, 1, 2, 1.5].map((n) => count(n, 'e-mail'))).toEqual(['0 e-mails', '1 e-mail', '2 e-mails', '1.5 e-mails']);
    expect(count(2, 'person', 'people')).toBe('2 people');
  });

  it('no message of the CLI, the server or the Lambdas writes a count as "thing(s)"', () => {
    const files = execFileSync('git', ['ls-files', 'src'], { encoding: 'utf8' }).split('\n').filter((f) => f.endsWith('.ts') && !f.startsWith('src/web/'));
    const found = files.flatMap((f) => readFileSync(f, 'utf8').split('\n').filter((line) => /\$\{[^}]+\} [\w -]*\w\(s\)/.test(line)).map((line) => `${f}: ${line.trim()}`));
    expect(found).toEqual([]);
  });
});
