/** Headless Chromium for the browser tests (playwright-core on the system's /usr/bin/chromium). */
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
/** false where Chromium is not installed: the browser tests skip */
export const hasChromium = existsSync(CHROMIUM);

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * A slow link for the page's requests to `url` (a glob): the server answers at once (`answered` resolves then,
 * while the page's session is as it was), and the page gets the answer only when the test calls `release`.
 */
export async function holdAnswers(page: Page, url: string): Promise<{ answered: Promise<void>; release: () => void }> {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let answer!: () => void;
  const answered = new Promise<void>((resolve) => (answer = resolve));
  await page.route(url, async (r) => {
    const response = await r.fetch();
    answer();
    await held;
    await r.fulfill({ response });
  });
  return { answered, release };
}
