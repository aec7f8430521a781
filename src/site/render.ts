/**
 * A tiny, escaping template renderer (a strict subset of Mustache) for the site's templates:
 *
 *   {{name}} {{a.b}} {{.}}   a value: strings and numbers are HTML-escaped; only `Html` values (made by
 *                            code that escaped its own parts) go in as they are — there is no raw form
 *   {{#name}}…{{/name}}      a section: once per array item, once for a truthy value (objects push a scope)
 *   {{^name}}…{{/name}}      an inverted section: when the value is missing, false or an empty array
 *   {{! comment }}
 *
 * A `{{name}}` that no scope defines is an error (catches template typos); sections may test missing names.
 * Lines holding only a section tag or a comment leave no blank line behind.
 */
import { ClinicaError } from '../errors.js';

/** A fragment of HTML that is safe to insert as is. Make one with `html` or `Html.trusted`. */
export class Html {
  private constructor(readonly value: string) {}
  /** For markup written in this code base, never for values from config or visitors. */
  static trusted(markup: string): Html {
    return new Html(markup);
  }
  toString(): string {
    return this.value;
  }
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => ESCAPES[c]!);
}

/** A tagged template: interpolated strings are escaped, Html fragments and arrays of them are inserted. */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0]!;
  values.forEach((value, i) => {
    out += interpolate(value) + strings[i + 1];
  });
  return Html.trusted(out);
}

function interpolate(value: unknown): string {
  if (value instanceof Html) return value.value;
  if (Array.isArray(value)) return value.map(interpolate).join('');
  if (value === undefined || value === null || value === false) return '';
  return escapeHtml(String(value));
}

type Node =
  | { kind: 'text'; text: string }
  | { kind: 'value'; name: string }
  | { kind: 'section'; name: string; inverted: boolean; children: Node[] };

const TAG = /\{\{\s*([#^/!]?)\s*([^}]*?)\s*\}\}/g;

/** Parses a template; `name` is used in error messages. */
export function parseTemplate(source: string, name = 'template'): Node[] {
  const root: Node[] = [];
  const stack: { name: string; children: Node[] }[] = [{ name: '', children: root }];
  let last = 0;
  for (const match of source.matchAll(TAG)) {
    const [tag, sigil, rawName] = match;
    let start = match.index;
    let end = start + tag.length;
    // a line holding only a block tag disappears entirely
    if (sigil) {
      const lineStart = source.lastIndexOf('\n', start - 1) + 1;
      const nl = source.indexOf('\n', end);
      const lineEnd = nl === -1 ? source.length : nl;
      if (lineStart >= last && /^[ \t]*$/.test(source.slice(lineStart, start)) && /^[ \t]*$/.test(source.slice(end, lineEnd))) {
        start = lineStart;
        end = nl === -1 ? lineEnd : nl + 1;
      }
    }
    const children = stack[stack.length - 1]!.children;
    if (start > last) children.push({ kind: 'text', text: source.slice(last, start) });
    last = end;
    const tagName = rawName!.trim();
    if (sigil === '!') continue;
    if (sigil === '#' || sigil === '^') {
      const section: Node = { kind: 'section', name: tagName, inverted: sigil === '^', children: [] };
      children.push(section);
      stack.push({ name: tagName, children: section.children });
    } else if (sigil === '/') {
      const open = stack.pop();
      if (!open || stack.length === 0 || open.name !== tagName) {
        throw new ClinicaError('internal', `${name}: {{/${tagName}}} closes ${open?.name ? `{{#${open.name}}}` : 'nothing'}`);
      }
    } else {
      if (!tagName) throw new ClinicaError('internal', `${name}: empty tag`);
      if (/^[{&]/.test(tagName)) throw new ClinicaError('internal', `${name}: {{${tagName}}}: there is no raw insertion; pass an Html value`);
      children.push({ kind: 'value', name: tagName });
    }
  }
  if (stack.length > 1) throw new ClinicaError('internal', `${name}: {{#${stack[stack.length - 1]!.name}}} is never closed`);
  if (last < source.length) root.push({ kind: 'text', text: source.slice(last) });
  return root;
}

const MISSING = Symbol('missing');

function lookup(scopes: unknown[], name: string): unknown {
  if (name === '.') return scopes[scopes.length - 1];
  const [first, ...rest] = name.split('.');
  for (let i = scopes.length - 1; i >= 0; i--) {
    const scope = scopes[i];
    if (scope !== null && typeof scope === 'object' && first! in scope) {
      let value: unknown = (scope as Record<string, unknown>)[first!];
      for (const part of rest) {
        if (value === null || typeof value !== 'object' || !(part in value)) return MISSING;
        value = (value as Record<string, unknown>)[part];
      }
      return value;
    }
  }
  return MISSING;
}

function renderNodes(nodes: Node[], scopes: unknown[], name: string): string {
  let out = '';
  for (const node of nodes) {
    if (node.kind === 'text') {
      out += node.text;
    } else if (node.kind === 'value') {
      const value = lookup(scopes, node.name);
      if (value === MISSING) throw new ClinicaError('internal', `${name}: {{${node.name}}} is not defined`);
      if (value !== null && typeof value === 'object' && !(value instanceof Html)) {
        throw new ClinicaError('internal', `${name}: {{${node.name}}} is an object or a list; use a section`);
      }
      out += interpolate(value);
    } else {
      const value = lookup(scopes, node.name);
      const empty = value === MISSING || value === undefined || value === null || value === false || value === '' || (Array.isArray(value) && value.length === 0);
      if (node.inverted) {
        if (empty) out += renderNodes(node.children, scopes, name);
      } else if (!empty) {
        if (Array.isArray(value)) for (const item of value) out += renderNodes(node.children, [...scopes, item], name);
        else if (typeof value === 'object') out += renderNodes(node.children, [...scopes, value], name);
        else out += renderNodes(node.children, scopes, name);
      }
    }
  }
  return out;
}

/** Renders a parsed template (or source text) with a view. */
export function render(template: string | Node[], view: object, name = 'template'): string {
  const nodes = typeof template === 'string' ? parseTemplate(template, name) : template;
  return renderNodes(nodes, [view], name);
}
