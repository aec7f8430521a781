import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DATA_ACCESS, DATA_PREFIXES } from '../../src/infra/iam.js';

/** Top-level data-bucket prefixes named in code: `FOO_PREFIX = 'x/…'`, `FOO_KEY = 'x/…'`, `` `x/${…}` ``. */
function prefixesInCode(): Map<string, string> {
  const found = new Map<string, string>();
  for (const room of ['clinic', 'server', 'lambdas', 'mail', 'imaging']) {
    const dir = join('src', room);
    let files: string[] = [];
    try {
      files = readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith('.ts'));
    } catch {
      continue;
    }
    for (const file of files) {
      const text = readFileSync(join(dir, file), 'utf8');
      // a key's first segment, wherever a key is spelled: constants, key functions (`locks/agenda/${d}.json`
      // as well as `x/${id}`), literal store calls
      const patterns = [/_(?:PREFIX|KEY)\s*=\s*'([a-z][a-z-]*)\//g, /(?:Key|key|prefix)\s*=\s*\([^)]*\)\s*=>\s*`([a-z][a-z-]*)\//g, /store\.\w+\(\s*['`]([a-z][a-z-]*)\//g];
      for (const re of patterns) for (const m of text.matchAll(re)) found.set(`${m[1]}/`, `src/${room}/${file}`);
    }
  }
  return found;
}

describe('IAM data prefixes', () => {
  it('cover every top-level prefix the code reads or writes (a new prefix must be added to DATA_PREFIXES)', () => {
    const missing = [...prefixesInCode()].filter(([p]) => !(DATA_PREFIXES as readonly string[]).includes(p));
    expect(missing.map(([p, file]) => `${p} (${file})`)).toEqual([]);
  });

  it('keep the audit log append-only and deploy/ read-only for every role', () => {
    for (const access of Object.values(DATA_ACCESS)) {
      expect(access.remove).not.toContain('audit/');
      expect(access.write.some((p) => p.startsWith('deploy/'))).toBe(false);
    }
  });
});
