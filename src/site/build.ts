/**
 * Builds the public site from config and templates/site into a list of files (path, bytes, Content-Type,
 * Cache-Control). Nothing is written here: `writeSite` puts a build in a folder, `publishSite` (publish.ts)
 * puts it in the site bucket, the preview server serves it from memory.
 *
 * Stylesheet, favicon and pictures get a content hash in their names and are cached for a year; pages keep
 * fixed names and a short cache, so a publish is visible within minutes and never mixes old and new assets.
 */
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { siteConfigOf } from '../config/site.js';
import { ClinicaError } from '../errors.js';
import { siteWarnings, type SiteWarning } from './checks.js';
import { palette } from './colors.js';
import { faviconSvg } from './icons.js';
import { loadSiteImage } from './images.js';
import { Html, parseTemplate, render } from './render.js';
import { siteViews, type LayoutPage, type SiteAssetRefs, type SiteSource, type SiteStrings } from './view.js';

/** templates/site: CLINICA_TEMPLATES_DIR/site when set, else the package's own (same place from src/ and dist/). */
export function siteTemplatesDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CLINICA_TEMPLATES_DIR) return resolve(env.CLINICA_TEMPLATES_DIR, 'site');
  return fileURLToPath(new URL('../../templates/site/', import.meta.url));
}

export interface SiteFile {
  /** the object key / relative path, e.g. "index.html", "assets/style.3f2a9c01d4.css" */
  path: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
}

export interface BuiltSite {
  files: SiteFile[];
  /** the file names of the pages */
  pages: { index: string; privacy: string; notFound: string };
  /** what the site should show but the config leaves out (see checks.ts) */
  warnings: SiteWarning[];
}

export interface BuildOptions {
  templatesDir?: string;
}

export const CACHE_PAGES = 'public, max-age=300';
export const CACHE_ASSETS = 'public, max-age=31536000, immutable';

const TYPES: Record<string, string> = {
  html: 'text/html; charset=utf-8',
  css: 'text/css; charset=utf-8',
  svg: 'image/svg+xml',
  webp: 'image/webp',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  ico: 'image/x-icon',
  txt: 'text/plain; charset=utf-8',
  xml: 'application/xml; charset=utf-8',
  json: 'application/json; charset=utf-8',
};

export function contentTypeOf(path: string): string {
  const ext = path.slice(path.lastIndexOf('.') + 1).toLowerCase();
  return TYPES[ext] ?? 'application/octet-stream';
}

/** Fingerprinted assets are immutable; everything else is revalidated after five minutes. */
export function cacheControlOf(path: string): string {
  return path.startsWith('assets/') ? CACHE_ASSETS : CACHE_PAGES;
}

function file(path: string, body: Buffer | string): SiteFile {
  return { path, body: Buffer.isBuffer(body) ? body : Buffer.from(body, 'utf8'), contentType: contentTypeOf(path), cacheControl: cacheControlOf(path) };
}

const shortHash = (body: Buffer | string) => createHash('sha256').update(body).digest('hex').slice(0, 10);

async function readTemplate(dir: string, name: string): Promise<string> {
  try {
    return await readFile(join(dir, name), 'utf8');
  } catch (err) {
    throw new ClinicaError('internal', `site template ${join(dir, name)} is missing (${(err as NodeJS.ErrnoException).code ?? err})`, {
      hint: 'reinstall clinica; the templates/ folder ships with it',
    });
  }
}

export async function loadStrings(locale: string, templatesDir = siteTemplatesDir()): Promise<SiteStrings> {
  return JSON.parse(await readTemplate(templatesDir, `strings/${locale}.json`)) as SiteStrings;
}

/** The site's slug for file names: "Dra. Ana Lima" → "dra-ana-lima". */
function slug(text: string): string {
  return (
    text
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 40) || 'photo'
  );
}

export async function buildSite(source: SiteSource & { projectDir: string }, options: BuildOptions = {}): Promise<BuiltSite> {
  const dir = options.templatesDir ?? siteTemplatesDir();
  const site = siteConfigOf(source);
  const t = await loadStrings(source.clinic.locale, dir);
  const [layoutSrc, indexSrc, privacySrc, notFoundSrc, cssSrc] = await Promise.all([
    readTemplate(dir, 'layout.html'),
    readTemplate(dir, 'index.html'),
    readTemplate(dir, `privacy.${source.clinic.locale}.html`),
    readTemplate(dir, '404.html'),
    readTemplate(dir, 'style.css'),
  ]);
  const built = await buildAssets(source, site, cssSrc);
  const views = siteViews(source, t, built.assets);
  const layout = parseTemplate(layoutSrc, 'layout.html');
  const page = (content: string, options: Omit<LayoutPage, 'content'>) =>
    render(layout, views.layout({ ...options, content: Html.trusted(content) }), 'layout.html');

  const pages = { index: 'index.html', privacy: t.privacyFile, notFound: '404.html' };
  // The error page is served for any missing path, also nested ones ("/a/b/c"), where relative links break:
  // it carries its stylesheet (allowed by hash) and pictures inside, and links absolutely when the address is known.
  const base = site.url ? `${site.url.replace(/\/+$/, '')}/` : '';
  const dataUri = (type: string, body: Buffer | string) => `data:${type};base64,${Buffer.from(body).toString('base64')}`;
  const files = [
    ...built.files,
    file(pages.index, page(render(indexSrc, views.index, 'index.html'), { title: views.titles.index, description: views.descriptions.index, canonicalPath: '', home: true })),
    file(
      pages.privacy,
      page(render(privacySrc, views.privacy, pages.privacy), { title: views.titles.privacy, description: views.descriptions.privacy, canonicalPath: pages.privacy, home: false }),
    ),
    file(
      pages.notFound,
      page(render(notFoundSrc, views.notFound(base), '404.html'), {
        title: views.titles.notFound,
        description: views.descriptions.index,
        home: false,
        noindex: true,
        linkBase: base,
        inline: {
          css: built.css,
          favicon: dataUri('image/svg+xml', built.favicon),
          logo: built.logo ? dataUri(built.logo.contentType, built.logo.body) : undefined,
        },
      }),
    ),
    ...crawlerFiles(site.url ? base : undefined, pages.privacy),
  ];
  files.sort((a, b) => a.path.localeCompare(b.path));
  return { files, pages, warnings: siteWarnings(source) };
}

/** The stylesheet, favicon and pictures, named by their content's hash, and where the pages find them. */
async function buildAssets(
  source: SiteSource & { projectDir: string },
  site: ReturnType<typeof siteConfigOf>,
  cssSrc: string,
): Promise<{ files: SiteFile[]; assets: SiteAssetRefs; css: string; favicon: string; logo?: SiteFile }> {
  const colors = palette(site.accentColor);
  const css = render(cssSrc, colors, 'style.css');
  const favicon = faviconSvg(colors.accent);
  const files = [file(`assets/style.${shortHash(css)}.css`, css), file(`assets/favicon.${shortHash(favicon)}.svg`, favicon)];
  const assets: SiteAssetRefs = { stylesheet: files[0]!.path, favicon: files[1]!.path, themeColor: colors.accent, photos: [] };
  const picture = async (path: string, kind: Parameters<typeof loadSiteImage>[2], field: string, name: string) => {
    const image = await loadSiteImage(source.projectDir, path, kind, field);
    const added = file(`assets/${name}.${shortHash(image.body)}.${image.ext}`, image.body);
    files.push(added);
    return { added, ref: { src: added.path, width: image.width, height: image.height } };
  };
  let logo: SiteFile | undefined;
  if (site.logo) {
    const { added, ref } = await picture(site.logo, 'logo', 'site.logo', 'logo');
    logo = added;
    assets.logo = ref;
  }
  if (site.heroImage) assets.hero = (await picture(site.heroImage, 'hero', 'site.heroImage', 'clinic')).ref;
  assets.photos = await Promise.all(
    site.team.map(async (member, i) => (member.photo ? (await picture(member.photo, 'portrait', `site.team.${i}.photo`, `team-${slug(member.name)}`)).added.path : undefined)),
  );
  return { files, assets, css, favicon, logo };
}

/** robots.txt, and the sitemap when the site's address is known (`base`, ending in "/"). */
function crawlerFiles(base: string | undefined, privacyPage: string): SiteFile[] {
  const robots = ['User-agent: *', 'Allow: /', ...(base ? [`Sitemap: ${base}sitemap.xml`] : [])].join('\n') + '\n';
  if (!base) return [file('robots.txt', robots)];
  const urls = [`${base}`, `${base}${privacyPage}`]
    .map((u) => `  <url><loc>${u.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</loc></url>`)
    .join('\n');
  return [file('robots.txt', robots), file('sitemap.xml', `<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls}\n</urlset>\n`)];
}
