/**
 * The published site in a real browser: served by the local S3's website mode (as `clinica dev` does) and by
 * `clinica site preview`. Screenshots go to test-artifacts/site/ for a person to look at.
 */
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser, type Page } from 'playwright-core';
import { loadConfig } from '../../src/config/load.js';
import { siteComponent } from '../../src/local/site.js';
import { buildSite } from '../../src/site/build.js';
import { contrastRatio } from '../../src/site/colors.js';
import { startPreview } from '../../src/site/preview.js';
import { useTestStack } from '../helpers/stack.js';
import { fullConfig, makeProject, writePictures } from './fixtures.js';

const ARTIFACTS = join(process.cwd(), 'test-artifacts', 'site');

describe('the public site in headless Chromium', () => {
  const stack = useTestStack({ config: { clinic: fullConfig.clinic, site: fullConfig.site } });
  let browser: Browser;
  let siteUrl: string;
  const projects: string[] = [];

  beforeAll(async () => {
    await mkdir(ARTIFACTS, { recursive: true });
    await writePictures(stack.projectDir);
    const started = await siteComponent.start(stack);
    siteUrl = started!.urls![0]!.url;
    browser = await chromium.launch({
      executablePath: '/usr/bin/chromium',
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    for (const dir of projects) await rm(dir, { recursive: true, force: true });
  });

  /** Opens a page and records every request that leaves the site's origin. */
  async function open(url: string, width: number, height = 900): Promise<{ page: Page; foreign: string[]; failed: string[]; requested: string[] }> {
    const page = await browser.newPage({ viewport: { width, height } });
    const origin = new URL(url).origin;
    const foreign: string[] = [];
    const failed: string[] = [];
    const requested: string[] = [];
    page.on('request', (r) => {
      requested.push(r.url());
      if (!r.url().startsWith(origin) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    page.on('requestfailed', (r) => failed.push(r.url()));
    page.on('response', (r) => {
      if (r.status() >= 400 && !r.url().includes('no-such-page')) failed.push(`${r.status()} ${r.url()}`);
    });
    await page.goto(url, { waitUntil: 'load' });
    return { page, foreign, failed, requested };
  }

  /** Lazy pictures load only near the viewport: bring each shown one into view, wait for them, go back to the top. */
  async function loadPictures(page: Page) {
    for (const img of await page.locator('img:visible').all()) await img.scrollIntoViewIfNeeded();
    await page.waitForFunction(() => [...document.images].filter((i) => i.getClientRects().length > 0).every((i) => i.complete && i.naturalWidth > 0));
    await page.evaluate(() => window.scrollTo(0, 0)); // the sticky header belongs at the top of the picture
  }

  it('desktop: the home page renders from the local S3 website endpoint, styled, with its pictures and nothing third-party', async () => {
    const { page, foreign, failed } = await open(siteUrl, 1280);
    expect(await page.title()).toBe('Clínica Sorriso — Odontologia para toda a família');
    expect(await page.locator('h1').innerText()).toBe('Clínica Sorriso');
    expect(await page.locator('html').getAttribute('lang')).toBe('pt-BR');
    expect(await page.locator('meta[name="description"]').getAttribute('content')).toMatch(/^Cuidado odontológico/);
    // the stylesheet applied: the primary button wears the accent colour
    expect(await page.locator('.hero .button-primary').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(31, 111, 178)');
    // every picture loaded and has an alt attribute
    await loadPictures(page);
    const images = await page.locator('img').evaluateAll((imgs) => imgs.map((i) => ({ alt: i.getAttribute('alt'), src: i.getAttribute('src') })));
    expect(images.length).toBe(3);
    expect(await page.locator('img.hero-photo').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBe(720);
    for (const img of images) expect(img.alt, img.src ?? '').not.toBeNull();
    expect(await page.locator('img.avatar').getAttribute('alt')).toBe('Foto de Dra. Ana Lima');
    expect(await page.locator('.cro').allInnerTexts()).toEqual(['CRO-SP 12345', 'CRO-SP 23456', 'CRO-SP 34567']);
    expect(await page.locator('h1').count()).toBe(1);
    expect(await page.locator('script:not([type="application/ld+json"])').count()).toBe(0);
    expect(foreign).toEqual([]);
    expect(failed).toEqual([]);
    await page.screenshot({ path: join(ARTIFACTS, 'desktop.png'), fullPage: true });
    await page.close();
  });

  it('phone (390 px): no horizontal scroll, the call-to-action on the first screen, a menu button that shows every entry', async () => {
    const { page, requested } = await open(siteUrl, 390, 844);
    const size = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, bodyWidth: document.body.scrollWidth, innerWidth: window.innerWidth }));
    expect(size.scrollWidth).toBeLessThanOrEqual(size.innerWidth);
    expect(size.bodyWidth).toBeLessThanOrEqual(size.innerWidth);
    const cta = await page.locator('.hero .button-primary').boundingBox();
    expect(cta!.y + cta!.height).toBeLessThanOrEqual(844);
    // the row of links gives way to one button; by keyboard alone it opens a list of every section and "Agendar"
    expect(await page.locator('.nav-inline').isVisible()).toBe(false);
    const button = page.getByRole('navigation', { name: 'Seções do site' }).locator('summary');
    expect(await button.innerText()).toBe('Menu');
    expect(await button.boundingBox()).toMatchObject({ x: expect.any(Number) });
    await page.screenshot({ path: join(ARTIFACTS, 'phone-first-screen.png') });
    await page.keyboard.press('Tab'); // the skip link
    await page.keyboard.press('Tab'); // the clinic's name
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.classList.contains('nav-menu-button'))).toBe(true);
    await page.keyboard.press('Enter');
    const entries = page.locator('.nav-menu a');
    expect(await entries.allInnerTexts()).toEqual(['A clínica', 'Tratamentos', 'Equipe', 'Horários', 'Contato', 'Agendar']);
    for (const box of await entries.evaluateAll((links) => links.map((a) => a.getBoundingClientRect().toJSON() as DOMRect))) {
      expect(box.x).toBeGreaterThanOrEqual(0);
      expect(box.x + box.width).toBeLessThanOrEqual(390);
      expect(box.y + box.height).toBeLessThanOrEqual(844);
      expect(box.height).toBeGreaterThanOrEqual(24); // WCAG 2.2 target size
    }
    await page.screenshot({ path: join(ARTIFACTS, 'phone-menu.png') });
    // the next Tabs walk the entries; Enter on "Contato" goes to the contact section
    for (let i = 0; i < 5; i++) await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Contato');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => location.hash === '#contact');
    // Escape-free closing: the button again
    await button.click();
    expect(await entries.first().isVisible()).toBe(false);
    await loadPictures(page);
    await page.screenshot({ path: join(ARTIFACTS, 'phone.png'), fullPage: true });
    // the clinic's photo beside the name is hidden on phones, and so never downloaded
    expect(requested.filter((u) => u.includes('/assets/clinic.'))).toEqual([]);
    await page.close();
  });

  it('desktop: the menu is one row of links and the booking button; no menu button', async () => {
    const { page } = await open(siteUrl, 1280);
    expect(await page.locator('.nav-inline a').allInnerTexts()).toEqual(['A clínica', 'Tratamentos', 'Equipe', 'Horários', 'Contato']);
    expect(await page.locator('.nav-menu').isVisible()).toBe(false);
    expect(await page.locator('.header-cta').isVisible()).toBe(true);
    await page.close();
  });

  it('site.whatsapp: the contact section links to wa.me with the E.164 digits and a pre-filled text (pt-BR and English)', async () => {
    for (const locale of ['pt-BR', 'en'] as const) {
      // no whatsappMessage: the default text of the site's language
      const site = { ...fullConfig.site, whatsapp: '(21) 99876-5432', whatsappMessage: undefined };
      const { config, dir } = await makeProject({ ...fullConfig, clinic: { ...fullConfig.clinic, locale }, site });
      projects.push(dir);
      const preview = await startPreview({ build: () => buildSite(config) });
      try {
        const { page } = await open(preview.url, 390, 844);
        const link = page.locator('#contact a[href^="https://wa.me/"]');
        expect(await link.innerText()).toBe('(21) 99876-5432');
        const href = new URL((await link.getAttribute('href'))!);
        expect(href.pathname).toBe('/5521998765432');
        expect(href.searchParams.get('text')).toBe(locale === 'en' ? 'Hello! I would like to book an appointment.' : 'Olá! Gostaria de agendar uma consulta.');
        await page.close();
      } finally {
        await preview.stop();
      }
    }
  });

  it('keyboard focus shows clearly on the dark footer (ring ≥ 3:1 against it), with the default accent', async () => {
    const { accentColor: _accent, ...site } = fullConfig.site!;
    const { config, dir } = await makeProject({ ...fullConfig, site });
    projects.push(dir);
    const preview = await startPreview({ build: () => buildSite(config) });
    try {
      const { page } = await open(preview.url, 1280);
      let inFooter = false;
      for (let i = 0; i < 60 && !inFooter; i++) {
        await page.keyboard.press('Tab');
        inFooter = await page.evaluate(() => Boolean(document.activeElement?.closest('.site-footer')));
      }
      expect(inFooter).toBe(true);
      const ring = await page.evaluate(() => {
        const el = document.activeElement!;
        const style = getComputedStyle(el);
        return {
          matches: el.matches(':focus-visible'),
          style: style.outlineStyle,
          width: style.outlineWidth,
          color: style.outlineColor,
          against: getComputedStyle(el.closest('.site-footer')!).backgroundColor,
        };
      });
      expect(ring).toMatchObject({ matches: true, style: 'solid', width: '3px' });
      const hex = (rgb: string) => '#' + rgb.match(/\d+/g)!.slice(0, 3).map((n) => Number(n).toString(16).padStart(2, '0')).join('');
      expect(contrastRatio(hex(ring.color), hex(ring.against))).toBeGreaterThanOrEqual(3);
      await page.close();
    } finally {
      await preview.stop();
    }
  });

  it('the privacy notice and the 404 page are served too', async () => {
    const { page } = await open(`${siteUrl}privacidade.html`, 1280);
    expect(await page.title()).toBe('Aviso de privacidade — Clínica Sorriso');
    expect(await page.locator('h2').allInnerTexts()).toContain('7. Os seus direitos');
    const size = await page.evaluate(() => ({ w: document.documentElement.scrollWidth, iw: window.innerWidth }));
    expect(size.w).toBeLessThanOrEqual(size.iw);
    await page.screenshot({ path: join(ARTIFACTS, 'privacy.png'), fullPage: true });
    const phone = await open(`${siteUrl}privacidade.html`, 375);
    expect(await phone.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await phone.page.close();

    // a missing page at any depth gets the styled error page (its stylesheet and logo travel inside it)
    const response = await page.goto(`${siteUrl}no-such-page/deeper/still.html`);
    expect(response!.status()).toBe(404);
    expect(await page.locator('h1').innerText()).toBe('Página não encontrada');
    expect(await page.locator('.page-404 .button').evaluate((el) => getComputedStyle(el).backgroundColor)).toBe('rgb(31, 111, 178)');
    expect(await page.locator('img.brand-logo').evaluate((img) => (img as HTMLImageElement).naturalWidth)).toBeGreaterThan(0);
    await page.screenshot({ path: join(ARTIFACTS, '404.png') });
    await page.close();
  });

  it('site preview: a clinic name with markup shows as text, and only the required fields still make a full page', async () => {
    const evilName = 'Clínica <b>Sorriso</b> & "Filhos" <script>alert(1)</script>';
    const { config, dir } = await makeProject({ clinic: { name: evilName } });
    projects.push(dir);
    const preview = await startPreview({ build: () => buildSite(loadConfig({ config: config.configPath }, {})) });
    try {
      const { page, foreign } = await open(preview.url, 375, 812);
      expect(await page.title()).toBe(`${evilName} — Clínica odontológica`);
      expect(await page.locator('h1').innerText()).toBe(evilName);
      expect(await page.locator('h1 b, body script:not([type="application/ld+json"])').count()).toBe(0);
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(foreign).toEqual([]);
      await page.screenshot({ path: join(ARTIFACTS, 'minimal-phone.png'), fullPage: true });
      await page.setViewportSize({ width: 1280, height: 800 });
      await page.screenshot({ path: join(ARTIFACTS, 'minimal-desktop.png'), fullPage: true });
      await page.close();
    } finally {
      await preview.stop();
    }
  });

  it('phone (320 px): a long e-mail address (the clinic\'s, the DPO\'s) wraps inside the text instead of pushing any page sideways', async () => {
    const long = (user: string) => `${user}@clinicaodontologicasorrisobrilhante.com.br`;
    const { config, dir } = await makeProject({
      ...fullConfig,
      clinic: { ...fullConfig.clinic, email: long('atendimento') },
      site: { ...fullConfig.site, privacy: { ...fullConfig.site!.privacy, dpoEmail: long('privacidade') } },
    });
    projects.push(dir);
    const preview = await startPreview({ build: () => buildSite(config) });
    try {
      for (const [path, email] of [['index.html', long('atendimento')], ['privacidade.html', long('privacidade')]] as const) {
        const { page } = await open(`${preview.url}${path}`, 320, 700);
        expect(await page.locator(`a[href="mailto:${email}"]`).count(), path).toBeGreaterThan(0);
        const size = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }));
        expect(size.scrollWidth, path).toBeLessThanOrEqual(size.innerWidth);
        await page.screenshot({ path: join(ARTIFACTS, `phone-long-email-${path.replace('.html', '')}.png`), fullPage: true });
        await page.close();
      }
    } finally {
      await preview.stop();
    }
  });

  it('English site, at tablet width', async () => {
    const { config, dir } = await makeProject({ ...fullConfig, clinic: { ...fullConfig.clinic, locale: 'en' }, site: { ...fullConfig.site, accentColor: '#7a3e9d' } });
    projects.push(dir);
    const preview = await startPreview({ build: () => buildSite(config) });
    try {
      const { page, failed } = await open(preview.url, 820, 1000);
      expect(await page.locator('html').getAttribute('lang')).toBe('en');
      expect(await page.locator('#hours tbody th').first().innerText()).toBe('Monday – Friday');
      expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
      expect(failed).toEqual([]);
      await loadPictures(page);
      await page.screenshot({ path: join(ARTIFACTS, 'english-tablet.png'), fullPage: true });
      await page.close();
    } finally {
      await preview.stop();
    }
  });
});
