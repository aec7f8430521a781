/**
 * The privacy notice names Meta (WhatsApp) as a processor exactly when reminders can go out on WhatsApp
 * (config whatsapp.phoneNumberId), in the clinic's language; otherwise it names AWS only.
 */
import { rm } from 'node:fs/promises';
import { afterAll, describe, expect, it } from 'vitest';
import { buildSite, type BuiltSite } from '../../src/site/build.js';
import { fullConfig, makeProject } from './fixtures.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

const privacyOf = (site: BuiltSite) => site.files.find((f) => f.path === site.pages.privacy)!.body.toString('utf8');
/** the notice's "who we share it with" list, as its items' texts */
const sharedWith = (page: string) => {
  const list = /<h2>4\.[^<]*<\/h2>\s*<ul>([^]*?)<\/ul>/.exec(page)![1]!;
  return [...list.matchAll(/<li>([^]*?)<\/li>/g)].map((m) => m[1]!.trim());
};

async function privacyNotice(locale: 'pt-BR' | 'en', whatsapp?: { phoneNumberId: string }) {
  const { config, dir } = await makeProject({ ...fullConfig, clinic: { ...fullConfig.clinic, locale } });
  dirs.push(dir);
  return privacyOf(await buildSite({ ...config, ...(whatsapp ? { whatsapp } : {}) }));
}

describe('the privacy notice and WhatsApp', () => {
  it('without whatsapp.phoneNumberId: AWS is the only processor named', async () => {
    for (const locale of ['pt-BR', 'en'] as const) {
      const page = await privacyNotice(locale);
      expect(page).not.toContain('Meta Platforms');
      expect(sharedWith(page).filter((li) => /AWS/.test(li))).toHaveLength(1);
    }
  });

  it('with whatsapp.phoneNumberId: Meta (WhatsApp) is named as a processor, after AWS, in the clinic\'s language', async () => {
    const pt = sharedWith(await privacyNotice('pt-BR', { phoneNumberId: '123456789012345' }));
    const aws = pt.findIndex((li) => li.includes('Amazon Web Services'));
    expect(pt[aws + 1]).toMatch(/^A Meta Platforms \(WhatsApp\), como operadora, quando você aceita receber lembretes pelo WhatsApp/);
    expect(pt[aws + 1]).toContain('art. 33 da LGPD');
    const en = sharedWith(await privacyNotice('en', { phoneNumberId: '123456789012345' }));
    expect(en).toContainEqual(expect.stringMatching(/^Meta Platforms \(WhatsApp\), as a processor, when you agree to get reminders on WhatsApp/));
  });
});
