import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * docs/architecture.md is the one map of the house: every path it names exists, and every room of src/ (each
 * folder and each top-level module) is on its picture.
 */
const doc = readFileSync('docs/architecture.md', 'utf8');
const rooms = readdirSync('src', { withFileTypes: true });
const folders = rooms.filter((d) => d.isDirectory()).map((d) => d.name);

/** The first fenced block: the picture of the house. */
const picture = /```\n([\s\S]*?)```/.exec(doc)![1]!;

/** Paths the page names: rooted ones (src/…, test/…), and src-relative ones of a room (`infra/plan.ts`). */
function namedPaths(text: string): string[] {
  const rooted = /(?<![\w./-])(?:src|test|templates|scripts|bench|bin|docs)\/[\w./{},<>*-]*/g;
  const relative = new RegExp(`(?<![\\w./-])(?:${folders.join('|')})/[\\w./-]+\\.\\w+`, 'g');
  const found = [...text.matchAll(rooted)].map((m) => m[0]);
  found.push(...[...text.matchAll(relative)].map((m) => `src/${m[0]}`));
  return [...new Set(found.map((p) => p.replace(/[.,]+$/, '')))];
}

/** A name with `{a,b}` is each of them; `<placeholder>` and `*` match any one name of a folder. */
function resolvesTo(path: string): boolean {
  const braces = /\{([^}]+)\}/.exec(path);
  if (braces) return braces[1]!.split(',').every((part) => resolvesTo(path.replace(braces[0], part)));
  const parts = path.replace(/<[^>]+>/g, '*').split('/').filter(Boolean);
  const walk = (at: string, rest: string[]): boolean => {
    if (!rest.length) return existsSync(at);
    const [part, ...more] = rest as [string, ...string[]];
    if (!part.includes('*')) return walk(join(at, part), more);
    const pattern = new RegExp(`^${part.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`);
    if (!existsSync(at)) return false;
    return readdirSync(at).some((name) => pattern.test(name) && walk(join(at, name), more));
  };
  return walk('.', parts);
}

describe('docs/architecture.md, the map of the house', () => {
  it('names only paths that exist', () => {
    const paths = namedPaths(doc);
    expect(paths.length).toBeGreaterThan(30);
    expect(paths.filter((p) => !resolvesTo(p))).toEqual([]);
  });

  it('shows every folder and top-level module of src/ on its picture', () => {
    const shown = new Set(namedPaths(picture).map((p) => p.split('/')[1]));
    const missing = rooms.map((d) => d.name).filter((name) => !shown.has(name));
    expect(missing).toEqual([]);
  });

  it('the checks see a missing path and a missing room', () => {
    expect(resolvesTo('src/clinic/no-such-module.ts')).toBe(false);
    expect(resolvesTo('src/web/strings/{pt-BR,xx}.json')).toBe(false);
    expect(resolvesTo('src/commands/<group>/declare.ts')).toBe(true);
    expect(namedPaths('`infra/plan.ts` and src/web/ and bin/clinica.js.')).toEqual(['src/web/', 'bin/clinica.js', 'src/infra/plan.ts']);
  });
});
