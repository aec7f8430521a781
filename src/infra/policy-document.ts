/**
 * Policy documents as data, and comparing them the way AWS means them: IAM returns documents URL-encoded and
 * may turn a one-element list into a string; S3 may reorder keys. Two documents are equal when their
 * normalized forms are.
 */
export interface Statement {
  Sid?: string;
  Effect: 'Allow' | 'Deny';
  Principal?: '*' | Record<string, string | string[]>;
  Action: string | string[];
  Resource?: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}

export interface PolicyDocument {
  Version: '2012-10-17';
  Statement: Statement[];
}

export const policy = (...statements: Statement[]): PolicyDocument => ({ Version: '2012-10-17', Statement: statements });

const listy = new Set(['Action', 'NotAction', 'Resource', 'NotResource']);

function normalizeValue(key: string | undefined, value: unknown): unknown {
  if (Array.isArray(value)) {
    const items = value.map((v) => normalizeValue(undefined, v));
    return items.length === 1 && key !== undefined && !listy.has(key) ? items[0] : items.map((v) => JSON.stringify(v)).sort().map((v) => JSON.parse(v));
  }
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) out[k] = normalizeValue(k, (value as Record<string, unknown>)[k]);
    return out;
  }
  if (key !== undefined && listy.has(key) && typeof value === 'string') return [value];
  return value;
}

/** A canonical JSON text of a policy (keys sorted, lists sorted, single values as lists where AWS allows both). */
export function canonicalPolicy(doc: unknown): string {
  const text = typeof doc === 'string' ? parsePolicyText(doc) : doc;
  return JSON.stringify(normalizeValue(undefined, text));
}

/** IAM hands documents back URL-encoded; S3 and Lambda as plain JSON. */
export function parsePolicyText(text: string): unknown {
  const trimmed = text.trim();
  try {
    return JSON.parse(trimmed.startsWith('%7B') || trimmed.startsWith('%7b') ? decodeURIComponent(trimmed) : trimmed);
  } catch {
    return JSON.parse(decodeURIComponent(trimmed));
  }
}

export const samePolicy = (a: unknown, b: unknown) => a !== undefined && b !== undefined && canonicalPolicy(a) === canonicalPolicy(b);

export const trustPolicy = (service: string): PolicyDocument =>
  policy({ Effect: 'Allow', Principal: { Service: service }, Action: 'sts:AssumeRole' });
