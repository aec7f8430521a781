/**
 * E-mail templates from templates/email/<locale>/: `{{name}}` inserts a value (HTML-escaped in .html
 * templates), `{{#name}}…{{/name}}` keeps its content only when the value is non-empty. Nothing else — no
 * logic in templates, so a clinic can edit the wording without reading code. Every HTML e-mail is its
 * `<name>.html` body inside the one templates/email/layout.html (head, card, clinic name), which inserts the
 * rendered body with `{{{content}}}` (unescaped: it is already HTML).
 *
 * Where the folder is: CLINICA_TEMPLATES_DIR, else the first `templates/email` found walking up from this
 * module (src/mail → the repo; dist/mail → the package; a Lambda bundle at /var/task → /var/task/templates,
 * so the bundler must copy templates/email/ into the zip — see emailTemplateFiles()).
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClinicaError } from '../errors.js';

export type TemplateValues = Record<string, string | undefined>;

const cache = new Map<string, string>();

/** The templates/email folder (see the module comment for the search order). */
export function emailTemplatesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLINICA_TEMPLATES_DIR) return resolve(env.CLINICA_TEMPLATES_DIR, 'email');
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const candidate = join(dir, 'templates', 'email');
    if (existsSync(candidate)) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ClinicaError('internal', 'the e-mail templates (templates/email) were not found', {
    hint: 'reinstall clinica, or set CLINICA_TEMPLATES_DIR to the folder that holds email/',
  });
}

/** Every template file, relative to templates/ (for bundlers: the reminders Lambda zip must contain them). */
export function emailTemplateFiles(dir = emailTemplatesDir()): string[] {
  const files: string[] = [];
  for (const locale of readdirSync(dir, { withFileTypes: true })) {
    if (locale.isFile()) files.push(`email/${locale.name}`);
    if (!locale.isDirectory()) continue;
    for (const f of readdirSync(join(dir, locale.name))) files.push(`email/${locale.name}/${f}`);
  }
  return files.sort();
}

/** A template of one locale (`locale` '' for the files shared by every locale, as layout.html). */
export function loadTemplate(locale: string, name: string, dir = emailTemplatesDir()): string {
  const path = join(dir, locale, name);
  let text = cache.get(path);
  if (text === undefined) {
    try {
      text = readFileSync(path, 'utf8');
    } catch (err) {
      throw new ClinicaError('internal', `e-mail template ${locale}/${name} is missing in ${dir}`, { cause: err });
    }
    cache.set(path, text);
  }
  return text;
}

const escapes: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => escapes[c]!);

/**
 * Fills a template. `html` escapes every value. An unknown name is a template bug and throws, so a typo
 * shows up in the tests rather than as an empty gap in a patient's e-mail.
 */
export function renderTemplate(template: string, values: TemplateValues, options: { html: boolean; name?: string }): string {
  const known = (key: string) => {
    if (!(key in values)) throw new ClinicaError('internal', `e-mail template${options.name ? ` ${options.name}` : ''} uses an unknown value {{${key}}}`);
    return values[key] ?? '';
  };
  let out = template;
  // sections, innermost first, until none are left
  const section = /\{\{#([\w]+)\}\}((?:(?!\{\{#)[\s\S])*?)\{\{\/\1\}\}/;
  for (let m = section.exec(out); m; m = section.exec(out)) {
    out = out.slice(0, m.index) + (known(m[1]!) ? m[2]! : '') + out.slice(m.index + m[0].length);
  }
  // one pass, so a value is never read as template text; {{{name}}} inserts a value as it is
  return out.replace(/\{\{\{([\w]+)\}\}\}|\{\{([\w]+)\}\}/g, (_, raw: string | undefined, key: string | undefined) =>
    raw ? known(raw) : options.html ? escapeHtml(known(key!)) : known(key!),
  );
}

/** An HTML e-mail: templates/email/<locale>/<name>.html rendered into the shared layout.html. */
export function renderHtmlEmail(locale: string, name: string, values: TemplateValues): string {
  const content = renderTemplate(loadTemplate(locale, `${name}.html`), values, { html: true, name: `${locale}/${name}.html` });
  return renderTemplate(loadTemplate('', 'layout.html'), { lang: locale, subject: values.subject, clinicName: values.clinicName, content }, { html: true, name: 'layout.html' });
}
