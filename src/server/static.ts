/**
 * The staff page's files (templates/staff/), read once at start-up and served from memory with ETags. app.js
 * there is the bundle of src/web made by `npm run build` (scripts/bundle-web.js).
 * index.html gets the clinic's name, locale and time zone filled in (as attributes — the CSP forbids inline
 * script, so the page reads them from <html data-…>).
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { dirname, extname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ClinicaError } from '../errors.js';

export interface StaticFile {
  body: Buffer;
  type: string;
  etag: string;
}

const types: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json; charset=utf-8',
};

/** Where templates/staff is: $CLINICA_STAFF_DIR, else the nearest templates/staff above this module. */
export function findStaffDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLINICA_STAFF_DIR) return resolve(env.CLINICA_STAFF_DIR);
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const candidate = join(dir, 'templates', 'staff');
    if (existsSync(join(candidate, 'index.html'))) return candidate;
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  throw new ClinicaError('config', 'cannot find the staff page (templates/staff/index.html)', {
    hint: 'set CLINICA_STAFF_DIR to the folder that holds index.html, app.js and app.css',
  });
}

const escapeAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export async function loadStaticFiles(dir: string, vars: Record<string, string>): Promise<Map<string, StaticFile>> {
  const files = new Map<string, StaticFile>();
  for (const name of await readdir(dir)) {
    const type = types[extname(name)];
    if (!type) continue;
    let body = await readFile(join(dir, name));
    if (name === 'index.html') {
      body = Buffer.from(body.toString('utf8').replace(/\{\{(\w+)\}\}/g, (_, key: string) => escapeAttr(vars[key] ?? '')));
    }
    const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`;
    files.set(name === 'index.html' ? '/' : `/${name}`, { body, type, etag });
  }
  if (!files.has('/')) throw new ClinicaError('config', `${dir} has no index.html`);
  // app.js is built from src/web (scripts/bundle-web.js), not kept in git: a clone that was never built lacks it
  if (!files.has('/app.js')) throw new ClinicaError('config', `${dir} has no app.js (the staff page's script)`, { hint: 'run `npm run build` in the clinica folder' });
  return files;
}
