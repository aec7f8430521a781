import { writeFile } from 'node:fs/promises';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { buildSite } from '../../src/site/build.js';
import { HASH_METADATA, publishHash, publishSite } from '../../src/site/publish.js';
import { siteComponent } from '../../src/local/site.js';
import type { Store } from '../../src/store/store.js';
import { useTestStack } from '../helpers/stack.js';
import { fullConfig, writePictures } from './fixtures.js';

describe('site publish against the local S3', () => {
  const stack = useTestStack({ config: { site: fullConfig.site } });
  const configWith = async (input: ConfigInput) => {
    await writeFile(stack.configPath, JSON.stringify(input, null, 2));
    return loadConfig({ config: stack.configPath }, {});
  };
  const keys = async () => {
    const all: string[] = [];
    for await (const o of stack.siteStore.list('')) all.push(o.key);
    return all.sort();
  };

  beforeAll(async () => {
    await writePictures(stack.projectDir);
  });

  it('uploads every file with its Content-Type, Cache-Control and hash the first time', async () => {
    const config = await configWith(fullConfig);
    const site = await buildSite(config);
    const result = await publishSite(stack.siteStore, site.files);
    expect(result.upload.map((u) => u.path).sort()).toEqual(site.files.map((f) => f.path).sort());
    expect(result.upload.every((u) => u.reason === 'new')).toBe(true);
    expect(result.unchanged).toEqual([]);
    expect(result.uploadedBytes).toBe(site.files.reduce((n, f) => n + f.body.length, 0));
    expect(await keys()).toEqual(site.files.map((f) => f.path).sort());
    for (const file of site.files) {
      const head = await stack.siteStore.head(file.path);
      expect(head, file.path).toMatchObject({ contentType: file.contentType, size: file.body.length });
      expect(head!.metadata[HASH_METADATA]).toBe(publishHash(file));
      expect((await stack.siteStore.getBytes(file.path))!.equals(file.body)).toBe(true);
    }
  });

  it('skips every unchanged file on a second run', async () => {
    const config = loadConfig({ config: stack.configPath }, {});
    const site = await buildSite(config);
    const result = await publishSite(stack.siteStore, site.files);
    expect(result.upload).toEqual([]);
    expect(result.remove).toEqual([]);
    expect(result.unchanged.length).toBe(site.files.length);
    expect(result.uploadedBytes).toBe(0);
  });

  it('uploads only what changed, deletes what is gone, and keeps what clinica did not publish', async () => {
    await stack.siteStore.put('clinic-menu.pdf', Buffer.from('%PDF-1.4 not ours'), { contentType: 'application/pdf' });
    const before = await keys();
    // a new service changes the home page; dropping the logo changes every page's header and removes the
    // logo and portrait assets; the stylesheet and favicon stay as they are
    const site0 = fullConfig.site!;
    const config = await configWith({
      ...fullConfig,
      site: { ...site0, logo: undefined, services: [...site0.services!, { name: 'Prótese dentária' }], team: site0.team!.map((d) => ({ ...d, photo: undefined })) },
    });
    const site = await buildSite(config);
    const dry = await publishSite(stack.siteStore, site.files, { dryRun: true });
    expect(dry.upload.map((u) => `${u.reason} ${u.path}`)).toEqual(['changed 404.html', 'changed index.html', 'changed privacidade.html']);
    expect(await keys()).toEqual(before); // a dry run changes nothing

    const result = await publishSite(stack.siteStore, site.files);
    expect(result.upload.map((u) => `${u.reason} ${u.path}`)).toEqual(['changed 404.html', 'changed index.html', 'changed privacidade.html']);
    expect(result.unchanged.some((p) => p.endsWith('.css'))).toBe(true);
    expect(result.remove.sort()).toEqual(before.filter((k) => /^assets\/(logo|team-)/.test(k)).sort());
    expect(result.remove.length).toBe(2);
    expect(result.foreign).toEqual(['clinic-menu.pdf']);
    expect(await keys()).toEqual([...site.files.map((f) => f.path), 'clinic-menu.pdf'].sort());
    expect((await stack.siteStore.getBytes('index.html'))!.toString()).toContain('<h3>Prótese dentária</h3>');
  });

  it('re-uploads a file whose headers changed even if its bytes did not', async () => {
    const config = loadConfig({ config: stack.configPath }, {});
    const site = await buildSite(config);
    const files = site.files.map((f) => (f.path === 'robots.txt' ? { ...f, cacheControl: 'public, max-age=60' } : f));
    const result = await publishSite(stack.siteStore, files);
    expect(result.upload).toEqual([{ path: 'robots.txt', reason: 'changed', bytes: files.find((f) => f.path === 'robots.txt')!.body.length }]);
    await publishSite(stack.siteStore, site.files);
  });

  it('the dev component turns on website hosting: the local S3 serves the site without credentials', async () => {
    const started = await siteComponent.start(stack);
    const url = `${stack.s3.endpoint}/${stack.siteStore.bucket}/`;
    expect(started).toMatchObject({ urls: [{ name: 'Public site', url }] });
    expect(stack.endpoints.site).toBe(url);

    const home = await fetch(url);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(home.headers.get('cache-control')).toBe('public, max-age=300');
    expect(await home.text()).toContain(`<h1 id="hero-title">${stack.config.clinic.name}</h1>`);

    const cssPath = (await keys()).find((k) => k.endsWith('.css'))!;
    const css = await fetch(url + cssPath);
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect(css.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');

    const missing = await fetch(url + 'no-such-page.html');
    expect(missing.status).toBe(404);
    expect(await missing.text()).toContain('Página não encontrada');
  });

  it('the local S3 sends the site address without its trailing slash to the folder form, where relative links work', async () => {
    await siteComponent.start(stack);
    const bare = `${stack.s3.endpoint}/${stack.siteStore.bucket}`;
    const redirect = await fetch(bare, { redirect: 'manual' });
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`/${stack.siteStore.bucket}/`);
    const followed = await fetch(bare);
    expect(followed.url).toBe(`${bare}/`);
    expect(await followed.text()).toContain(`<h1 id="hero-title">${stack.config.clinic.name}</h1>`);
    // a bucket without website hosting, and a signed (SDK) request to the site bucket, are not redirected
    expect((await fetch(`${stack.s3.endpoint}/${stack.dataStore.bucket}`, { redirect: 'manual' })).status).not.toBe(302);
    const listed: string[] = [];
    for await (const o of stack.siteStore.list('')) listed.push(o.key);
    expect(listed).toContain('index.html');
  });
});

describe('site publish — order and partial failure (a recording fake store)', () => {
  function fakeStore(existing: Record<string, string | undefined>, failDeletes: string[] = []) {
    const calls: string[] = [];
    const store = {
      bucket: 'site-bucket',
      async *list() {
        for (const key of Object.keys(existing)) yield { key, size: 1, etag: '"x"' };
      },
      async head(key: string) {
        return { key, size: 1, etag: '"x"', metadata: existing[key] ? { [HASH_METADATA]: existing[key]! } : {} };
      },
      async put(key: string) {
        calls.push(`put ${key}`);
        return '"e"';
      },
      async deleteMany(keys: string[]) {
        calls.push(`delete ${keys.join(',')}`);
        return keys.filter((k) => failDeletes.includes(k));
      },
    };
    return { store: store as unknown as Store, calls };
  }
  const f = (path: string) => ({ path, body: Buffer.from(path), contentType: 'text/plain', cacheControl: 'x' });

  it('uploads assets, then pages, then the home page, and deletes last', async () => {
    const files = [f('index.html'), f('about.html'), f('assets/style.1.css'), f('robots.txt')];
    const { store, calls } = fakeStore({ 'assets/style.0.css': 'old', 'index.html': 'stale' });
    await publishSite(store, files, { concurrency: 1 });
    expect(calls).toEqual(['put assets/style.1.css', 'put robots.txt', 'put about.html', 'put index.html', 'delete assets/style.0.css']);
  });

  it('reports deletions that failed as a partial failure (exit 3), after everything was uploaded', async () => {
    const { store, calls } = fakeStore({ 'old-a.html': 'h', 'old-b.html': 'h' }, ['old-b.html']);
    const err = await publishSite(store, [f('index.html')]).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'partial', exitCode: 3 });
    expect((err as Error).message).toMatch(/published, but 1 old file could not be deleted from site-bucket: old-b\.html/);
    expect(calls[0]).toBe('put index.html');
  });
});
