import { createHash } from 'node:crypto';
import { rm } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultConfigInput, type ResolvedConfig } from '../../src/config/load.js';
import { ClinicaError } from '../../src/errors.js';
import { buildSite, type BuiltSite } from '../../src/site/build.js';
import { contrastRatio, palette } from '../../src/site/colors.js';
import { hoursRows, initials, telHref, whatsappHref } from '../../src/site/view.js';
import { loadStrings } from '../../src/site/build.js';
import { siteSchema } from '../../src/config/site.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { SITE_WEBSITE } from '../../src/infra/site-bucket.js';
import { fullConfig, makeProject } from './fixtures.js';

const text = (site: BuiltSite, path: string) => {
  const file = site.files.find((f) => f.path === path);
  if (!file) throw new Error(`${path} not built; have ${site.files.map((f) => f.path).join(', ')}`);
  return file.body.toString('utf8');
};
const jsonLd = (page: string) => JSON.parse(/<script type="application\/ld\+json">(.*?)<\/script>/s.exec(page)![1]!);

const dirs: string[] = [];
async function project(input = fullConfig) {
  const p = await makeProject(input);
  dirs.push(p.dir);
  return p;
}
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

describe('site build — every field', () => {
  let config: ResolvedConfig;
  let site: BuiltSite;
  let index: string;
  beforeAll(async () => {
    ({ config } = await project());
    site = await buildSite(config);
    index = text(site, 'index.html');
  });

  it('builds the pages, a fingerprinted stylesheet, favicon, logo and portrait, robots and sitemap', () => {
    const paths = site.files.map((f) => f.path);
    expect(paths).toEqual(expect.arrayContaining(['index.html', 'privacidade.html', '404.html', 'robots.txt', 'sitemap.xml']));
    expect(paths.some((p) => /^assets\/style\.[0-9a-f]{10}\.css$/.test(p))).toBe(true);
    expect(paths.some((p) => /^assets\/favicon\.[0-9a-f]{10}\.svg$/.test(p))).toBe(true);
    expect(paths.some((p) => /^assets\/logo\.[0-9a-f]{10}\.svg$/.test(p))).toBe(true);
    expect(paths.some((p) => /^assets\/team-dra-ana-lima\.[0-9a-f]{10}\.webp$/.test(p))).toBe(true);
    expect(paths.some((p) => /^assets\/clinic\.[0-9a-f]{10}\.webp$/.test(p))).toBe(true);
    expect(site.pages).toEqual({ index: 'index.html', privacy: 'privacidade.html', notFound: '404.html' });
    // the documents the deploy configures on the AWS site bucket exist in the build
    expect([site.pages.index, site.pages.notFound]).toEqual([SITE_WEBSITE.index, SITE_WEBSITE.error]);
  });

  it('gives every file its Content-Type and Cache-Control', () => {
    const by = (p: string) => site.files.find((f) => f.path === p || f.path.startsWith(p))!;
    expect(by('index.html')).toMatchObject({ contentType: 'text/html; charset=utf-8', cacheControl: 'public, max-age=300' });
    expect(by('assets/style.')).toMatchObject({ contentType: 'text/css; charset=utf-8', cacheControl: 'public, max-age=31536000, immutable' });
    expect(by('assets/team-')).toMatchObject({ contentType: 'image/webp', cacheControl: 'public, max-age=31536000, immutable' });
    expect(by('assets/logo.')).toMatchObject({ contentType: 'image/svg+xml' });
    expect(by('robots.txt')).toMatchObject({ contentType: 'text/plain; charset=utf-8', cacheControl: 'public, max-age=300' });
    expect(by('sitemap.xml')).toMatchObject({ contentType: 'application/xml; charset=utf-8' });
  });

  it('renders the clinic, presentation, services, team with CRO numbers, hours and contacts', () => {
    expect(index).toContain('<html lang="pt-BR">');
    expect(index).toContain('<title>Clínica Sorriso — Odontologia para toda a família</title>');
    expect(index).toContain('<meta name="description" content="Cuidado odontológico completo no centro de São Paulo');
    expect(index).toContain('<link rel="canonical" href="https://www.clinicasorriso.com.br/">');
    expect(index).toContain('<p>Desde 2009, a Clínica Sorriso cuida');
    expect(index).toContain('planejamento transparente:<br>você sabe'); // a single newline stays a line break
    for (const s of fullConfig.site!.services!) expect(index).toContain(`<h3>${s.name}</h3>`);
    expect(index).toContain('<p>Profilaxia, aplicação de flúor');
    for (const d of fullConfig.site!.team!) {
      expect(index).toContain(`<h3>${d.name}</h3>`);
      expect(index).toContain(`<p class="cro">${d.cro}</p>`);
    }
    expect(index).toMatch(/<img class="avatar" src="assets\/team-dra-ana-lima\.[0-9a-f]{10}\.webp" alt="Foto de Dra\. Ana Lima" width="112" height="112"/);
    expect(index).toContain('<span class="avatar avatar-initials" aria-hidden="true">BC</span>');
    // the clinic's photo takes the place of the tooth drawing, as a 720 px square
    expect(index).toMatch(/<img class="hero-photo" src="assets\/clinic\.[0-9a-f]{10}\.webp" alt="" width="720" height="720"/);
    expect(index).not.toContain('class="hero-circle"');
    expect(index).toContain('<th scope="row">Segunda a sexta</th><td><span>08:00 – 12:00</span><span>13:30 – 19:00</span></td>');
    expect(index).toContain('<th scope="row">Sábado</th><td><span>08:00 – 12:00</span></td>');
    expect(index).toContain('<tr class="closed"><th scope="row">Domingo</th><td><span>Fechado</span></td>');
    expect(index).toContain('Urgências: ligue ou mande mensagem a qualquer hora.');
    expect(index).toContain('href="https://wa.me/5511988887777?text=Ol%C3%A1!%20Gostaria%20de%20agendar%20uma%20consulta."');
    expect(index).toContain('href="tel:+551140000000"');
    expect(index).toContain('href="mailto:contato@clinicasorriso.com.br"');
    expect(index).toContain('href="https://www.google.com/maps/search/?api=1&amp;query=Cl%C3%ADnica%20Sorriso%2C%20Rua%20das%20Flores%20123%2C%20S%C3%A3o%20Paulo"');
    expect(index).toContain('<a href="https://instagram.com/clinicasorriso">Instagram</a>');
    // CFO Res. 118/2012, art. 43: the dentist in charge by name, profession and CRO number
    expect(index).toContain('<p>Responsável técnico: Dra. Ana Lima — cirurgião-dentista, <span class="nowrap">CRO-SP 12345</span></p>');
    expect(index).toContain('Inscrição no CRO: <span class="nowrap">CRO-SP EPAO 9876</span>');
    expect(index).toContain('CNPJ 12.345.678/0001-90');
    expect(index).toMatch(/<img class="brand-logo" src="assets\/logo\.[0-9a-f]{10}\.svg" alt="" width="120" height="48">/);
    for (const id of ['about', 'services', 'team', 'hours', 'contact']) expect(index).toContain(`<a href="#${id}">`);
  });

  it('describes the clinic to search engines with schema.org data', () => {
    const ld = jsonLd(index);
    expect(ld).toMatchObject({
      '@type': 'Dentist',
      name: 'Clínica Sorriso',
      url: 'https://www.clinicasorriso.com.br/',
      telephone: '+55 11 4000-0000',
      sameAs: ['https://instagram.com/clinicasorriso', 'https://facebook.com/clinicasorriso'],
    });
    expect(ld.openingHoursSpecification[2]).toEqual({ '@type': 'OpeningHoursSpecification', dayOfWeek: ['Saturday'], opens: '08:00', closes: '12:00' });
    expect(text(site, 'sitemap.xml')).toContain('<loc>https://www.clinicasorriso.com.br/privacidade.html</loc>');
    expect(text(site, 'robots.txt')).toContain('Sitemap: https://www.clinicasorriso.com.br/sitemap.xml');
  });

  it('writes the LGPD notice with controller, DPO, retention and the date it changed', () => {
    const privacy = text(site, 'privacidade.html');
    expect(privacy).toContain('<title>Aviso de privacidade — Clínica Sorriso</title>');
    expect(privacy).toContain('é Sorriso Serviços Odontológicos Ltda., CNPJ nº 12.345.678/0001-90, com endereço em Rua das Flores, 123');
    expect(privacy).toContain('encarregado pelo tratamento de dados pessoais (Marina Alves), escreva para <a href="mailto:privacidade@clinicasorriso.com.br">');
    expect(privacy).toContain('25 anos a partir do último registro (a Lei nº 13.787/2018 exige a guarda do prontuário por, no mínimo, 20 anos a partir do último registro).');
    expect(privacy).toContain('Os dados ficam armazenados no Brasil');
    // the right to complain to the ANPD (LGPD art. 18 §1), worded for any reader (no masculine "satisfeito")
    expect(privacy).toContain('Se a resposta não resolver o seu pedido, você pode apresentar uma reclamação à Autoridade Nacional de Proteção de Dados (ANPD)');
    expect(privacy).toContain('<time datetime="2025-03-15">15 de março de 2025</time>');
    expect(privacy).toContain('href="tel:+551140000000"');
    expect(privacy).toContain('<a href="index.html#services">'); // the nav leads back to the one-page site
  });

  it('makes the 404 page self-contained, with absolute links when the address is known, out of search results', () => {
    const notFound = text(site, '404.html');
    expect(notFound).toContain('<meta name="robots" content="noindex">');
    // served at any depth: the stylesheet and pictures travel inside the page, links are absolute
    expect(notFound).not.toContain('<link rel="stylesheet"');
    const css = site.files.find((f) => f.path.endsWith('.css'))!.body.toString('utf8');
    expect(notFound).toContain(`<style>${css}</style>`);
    const hash = createHash('sha256').update(css).digest('base64');
    expect(notFound).toContain(`style-src 'sha256-${hash}';`);
    expect(notFound).toMatch(/<img class="brand-logo" src="data:image\/svg\+xml;base64,/);
    expect(notFound).toContain('<a class="button" href="https://www.clinicasorriso.com.br/index.html">');
    expect(notFound).toContain('Página não encontrada');
  });

  it('uses no external resources: no scripts, fonts, frames, or third-party stylesheets', () => {
    for (const file of site.files.filter((f) => f.path.endsWith('.html'))) {
      const page = file.body.toString('utf8');
      expect(page).not.toMatch(/<script(?![^>]*application\/ld\+json)/);
      expect(page).not.toMatch(/<(iframe|object|embed)\b/);
      expect(page).not.toMatch(/<link[^>]+href="(https?:)?\/\/(?!www\.clinicasorriso\.com\.br)/);
      expect(page).not.toMatch(/<img[^>]+src="(https?:)?\/\/(?!www\.clinicasorriso\.com\.br)/);
      expect(page).toContain(`default-src 'none'`);
    }
    const css = site.files.find((f) => f.path.endsWith('.css'))!.body.toString('utf8');
    expect(css).not.toMatch(/@import|url\(|@font-face/);
  });

  it('is deterministic: the same config builds the same bytes', async () => {
    const again = await buildSite(config);
    expect(again.files.map((f) => [f.path, f.body.toString('base64')])).toEqual(site.files.map((f) => [f.path, f.body.toString('base64')]));
  });
});

describe('site build — only the required fields', () => {
  it('renders a complete page from a clinic name alone', async () => {
    const { config } = await project({ clinic: { name: 'Consultório Dr. Silva' } });
    const site = await buildSite(config);
    expect(site.files.map((f) => f.path).filter((p) => !p.startsWith('assets/'))).toEqual(['404.html', 'index.html', 'privacidade.html', 'robots.txt']);
    const index = text(site, 'index.html');
    expect(index).toContain('<title>Consultório Dr. Silva — Clínica odontológica</title>');
    expect(index).toContain('<meta name="description" content="Consultório Dr. Silva — Clínica odontológica.">');
    expect(index).toContain('<h1 id="hero-title">Consultório Dr. Silva</h1>');
    expect(index).not.toContain('id="services"');
    expect(index).not.toContain('id="team"');
    expect(index).not.toContain('id="contact"');
    expect(index).not.toContain('<nav');
    expect(index).not.toContain('canonical');
    expect(index).toContain('href="privacidade.html"');
    const privacy = text(site, 'privacidade.html');
    expect(privacy).toContain('quem decide como eles são tratados, é Consultório Dr. Silva.</p>');
    expect(privacy).toContain('20 anos a partir do último registro, o prazo mínimo exigido pela Lei nº 13.787/2018.');
    expect(privacy).toContain('Fale com a nossa recepção.');
    expect(text(site, 'robots.txt')).toBe('User-agent: *\nAllow: /\n');
  });

  it('never puts an article before the clinic name: a masculine name reads right on every pt-BR page', async () => {
    const { legalName: _legalName, ...privacy } = fullConfig.site!.privacy!;
    const { config } = await project({
      ...fullConfig,
      clinic: { ...fullConfig.clinic, name: 'Consultório Dr. Silva' },
      site: { ...fullConfig.site, presentation: 'Atendimento de família.', privacy },
    });
    const site = await buildSite(config);
    const pages = site.files.filter((f) => f.path.endsWith('.html'));
    expect(pages.map((f) => f.path).sort()).toEqual(['404.html', 'index.html', 'privacidade.html']);
    for (const file of pages) {
      const page = file.body.toString('utf8');
      expect(page, file.path).toContain('Consultório Dr. Silva');
      // "a Consultório", "da Consultório", "pela Consultório"…, and words that agree with a feminine name
      expect(page, file.path).not.toMatch(/\b(a|à|da|na|pela|para a|A|Da|Na) Consultório/);
      expect(page, file.path).not.toMatch(/inscrita|controladora/);
    }
    const notice = text(site, 'privacidade.html');
    expect(notice).toContain('<meta name="description" content="Consultório Dr. Silva: como tratamos os seus dados pessoais');
    expect(notice).toContain('é Consultório Dr. Silva, CNPJ nº 12.345.678/0001-90, com endereço em');
  });

  it('shows the hours note without hours, and the map link without an address', async () => {
    const { config } = await project({ clinic: { name: 'A' }, site: { hoursNote: 'Atendimento somente com hora marcada.', mapQuery: 'Clínica A, Campinas' } });
    const index = text(await buildSite(config), 'index.html');
    const hours = /<div class="card hours" id="hours">(.*?)<\/div>/s.exec(index)?.[1];
    expect(hours).toContain('<p class="note">Atendimento somente com hora marcada.</p>');
    expect(hours).not.toContain('<table');
    expect(index).toContain('<a href="#hours">Horários</a>');
    expect(index).toContain('<span class="contact-label">Endereço</span>');
    expect(index).toContain('<a href="https://www.google.com/maps/search/?api=1&amp;query=Cl%C3%ADnica%20A%2C%20Campinas">Ver no mapa</a>');
  });

  it('shows social links when they are the only contact', async () => {
    const { config } = await project({ clinic: { name: 'A' }, site: { social: { instagram: 'https://instagram.com/a' } } });
    const index = text(await buildSite(config), 'index.html');
    expect(index).toContain('<a href="https://instagram.com/a">Instagram</a>');
    expect(index).toContain('<a href="#contact">Contato</a>');
    expect(index).not.toContain('class="contact-list"');
  });

  it('says the team is registered with the CRO only when every member shows a CRO number, in both languages', async () => {
    const team = [{ name: 'Dra. Ana Lima', cro: 'CRO-SP 12345' }, { name: 'Bruno Costa', role: 'Recepção' }];
    for (const [locale, lead] of [['pt-BR', 'Profissionais registrados no Conselho Regional de Odontologia.'], ['en', 'Dentists registered with the Regional Council of Dentistry (CRO).']] as const) {
      const { config: mixed } = await project({ clinic: { name: 'A', locale }, site: { team } });
      const page = text(await buildSite(mixed), 'index.html');
      expect(page).toContain('<h3>Bruno Costa</h3>');
      expect(page).not.toContain(lead);
      const { config: all } = await project({ clinic: { name: 'A', locale }, site: { team: [team[0]!] } });
      expect(text(await buildSite(all), 'index.html')).toContain(`<p class="section-lead">${lead}</p>`);
    }
  });

  it('applies every default of the site section', () => {
    expect(siteSchema.parse({})).toEqual({ services: [], team: [], hours: [], social: {}, privacy: {} });
  });
});

describe('site build — the LGPD notice', () => {
  const privacyOf = async (input: ConfigInput) => {
    const { config } = await project(input);
    const site = await buildSite(config);
    return text(site, site.pages.privacy).replace(/\s+/g, ' ');
  };
  const english = (input: ConfigInput): ConfigInput => ({ ...input, clinic: { ...input.clinic, locale: 'en' } });

  it('gives consent as the basis of e-mail reminders, revocable by replying or through the contacts, and the health bases of the record', async () => {
    const pt = await privacyOf(fullConfig);
    expect(pt).not.toMatch(/legítimo interesse/i);
    expect(pt).toContain('<strong>Enviar lembretes das suas consultas por e-mail</strong> — o seu consentimento (art. 7º, I, e art. 11, I), pedido à parte: sem ele, não enviamos lembretes.');
    expect(pt).toContain('Você pode revogá-lo a qualquer momento, de graça e sem prejuízo do seu atendimento, respondendo a qualquer lembrete com o pedido de não recebê-los mais ou pelos canais do item 8.');
    expect(pt).toContain('tutela da saúde, em procedimento realizado por profissionais de saúde (art. 7º, VIII, e art. 11, II, “f”, da LGPD)');
    expect(pt).toContain('cumprimento de obrigação legal e regulatória (art. 7º, II, e art. 11, II, “a”), conforme a Lei nº 13.787/2018 e as normas do Conselho Federal de Odontologia.');
    expect(pt).toContain('a informação sobre a possibilidade de não dar o consentimento e sobre as consequências da negativa');

    const en = await privacyOf(english(fullConfig));
    expect(en).not.toMatch(/legitimate interest/i);
    expect(en).toContain('<strong>E-mailing reminders of your appointments</strong> — your consent (art. 7 I and art. 11 I), asked for separately: without it we send no reminders.');
    expect(en).toContain('You can withdraw it at any time, free of charge and without any effect on your care, by replying to any reminder asking us to stop, or through the channels in section 8.');
    expect(en).toContain('protection of health, in a procedure carried out by health professionals (LGPD art. 7 VIII and art. 11 II “f”)');
    expect(en).toContain('compliance with a legal and regulatory obligation (art. 7 II and art. 11 II “a”), under Law 13,787/2018');
    expect(en).toContain('25 years from the last entry (Law 13,787/2018 requires dental records to be kept for at least 20 years from the last entry).');
  });

  it('states a 20-year retention as the legal minimum, counted from the last entry, in both languages', async () => {
    const input: ConfigInput = { clinic: { name: 'Odonto Mínima' }, patients: { retentionYears: 20 } };
    expect(await privacyOf(input)).toContain('20 anos a partir do último registro, o prazo mínimo exigido pela Lei nº 13.787/2018.');
    const en = await privacyOf(english(input));
    expect(en).toContain('20 years from the last entry, the minimum Law 13,787/2018 requires.');
    expect(en).not.toContain('at least 20 years');
  });

  it('names the controller without a stray comma, and with one before its CNPJ or address', async () => {
    expect(await privacyOf({ clinic: { name: 'Odonto Mínima' } })).toContain('<p>O controlador dos dados pessoais tratados no seu atendimento, quem decide como eles são tratados, é Odonto Mínima.</p>');
    expect(await privacyOf(english({ clinic: { name: 'Odonto Mínima' } }))).toContain('<p>Odonto Mínima is the controller of the personal data');
    expect(await privacyOf({ clinic: { name: 'Odonto Mínima', address: 'Rua A, 1' } })).toContain('é Odonto Mínima, com endereço em Rua A, 1.</p>');
    expect(await privacyOf(english({ clinic: { name: 'Odonto Mínima' }, site: { privacy: { cnpj: '12.345.678/0001-90' } } }))).toContain(
      '<p>Odonto Mínima, CNPJ 12.345.678/0001-90, is the controller',
    );
  });

  it('gives the phone as the DPO contact when there is no e-mail', async () => {
    const input: ConfigInput = { clinic: { name: 'Odonto Mínima', phone: '(11) 4000-0000' }, site: { privacy: { dpoName: 'Marina Alves' } } };
    expect(await privacyOf(input)).toContain('encarregado pelo tratamento de dados pessoais (Marina Alves), ligue para <a href="tel:1140000000">(11) 4000-0000</a>.');
    expect(await privacyOf(english(input))).toContain('To reach our data protection officer (Marina Alves), call <a href="tel:1140000000">(11) 4000-0000</a>.');
    // no contact at all: the front desk, in words that fit any DPO ("procurado" assumed a man)
    expect(await privacyOf({ clinic: { name: 'Odonto Mínima' }, site: { privacy: { dpoName: 'Marina Alves' } } })).toContain(
      '<p>O encarregado pelo tratamento de dados pessoais é Marina Alves; para falar com o encarregado, procure a recepção da clínica.</p>',
    );
  });
});

describe('site build — warnings for what the law or the CFO asks the site to show', () => {
  const fieldsOf = async (input: ConfigInput) => {
    const { config } = await project(input);
    return (await buildSite(config)).warnings.map((w) => w.fields);
  };

  it('warns when no contact reaches the DPO, and when the footer lacks the dentist in charge or the clinic registration', async () => {
    const { config } = await project({ clinic: { name: 'Odonto Mínima' } });
    const site = await buildSite(config);
    expect(site.warnings.map((w) => w.fields)).toEqual([
      ['site.privacy.dpoEmail', 'clinic.email', 'clinic.phone'],
      ['site.privacy.dpoName'],
      ['site.responsibleDentist'],
      ['site.clinicRegistration'],
    ]);
    expect(site.warnings[0]!.message).toMatch(/LGPD art\. 41 §1 .* — set site\.privacy\.dpoEmail, clinic\.email or clinic\.phone$/);
    expect(site.warnings[1]!.message).toMatch(/^the privacy notice does not name the data protection officer \(encarregado\), whose identity LGPD art\. 41 §1 .* — set site\.privacy\.dpoName/);
    expect(site.warnings[2]!.message).toMatch(/Code of Dental Ethics \(art\. 43\).* — set site\.responsibleDentist/);
    expect(text(site, 'privacidade.html')).toContain('Fale com a nossa recepção.'); // still built
  });

  it('any one contact is enough; a complete config builds without warnings', async () => {
    const footer = { responsibleDentist: { name: 'Dra. Ana', cro: 'CRO-SP 1' }, clinicRegistration: 'CRO-SP EPAO 2', privacy: { dpoName: 'Marina Alves' } };
    expect(await fieldsOf({ clinic: { name: 'A', phone: '(11) 4000-0000' }, site: footer })).toEqual([]);
    expect(await fieldsOf({ clinic: { name: 'A', email: 'a@a.com.br' }, site: footer })).toEqual([]);
    expect(await fieldsOf({ clinic: { name: 'A' }, site: { ...footer, privacy: { dpoName: 'Marina Alves', dpoEmail: 'dpo@a.com.br' } } })).toEqual([]);
    expect(await fieldsOf({ clinic: { name: 'A', phone: '(11) 4000-0000' }, site: { ...footer, responsibleDentist: undefined } })).toEqual([['site.responsibleDentist']]);
    // a DPO contact without a name is not enough
    expect(await fieldsOf({ clinic: { name: 'A' }, site: { ...footer, privacy: { dpoEmail: 'dpo@a.com.br' } } })).toEqual([['site.privacy.dpoName']]);
    expect(await fieldsOf(fullConfig)).toEqual([]);
  });

  it("the demo clinic (init's default, `clinica dev --demo`) builds without warnings: its fictional site is complete", async () => {
    expect(await fieldsOf(defaultConfigInput)).toEqual([]);
  });
});

describe('site build — English', () => {
  it('follows clinic.locale: English text, privacy.html, 12-hour clock, storage abroad stated', async () => {
    const { config } = await project({
      ...fullConfig,
      clinic: { ...fullConfig.clinic, locale: 'en' },
      aws: { region: 'us-east-1', architecture: 'arm64', sshCidrs: [] },
    });
    const site = await buildSite(config);
    expect(site.pages.privacy).toBe('privacy.html');
    const index = text(site, 'index.html');
    expect(index).toContain('<html lang="en">');
    expect(index).toContain('<th scope="row">Monday – Friday</th><td><span>8:00 AM – 12:00 PM</span><span>1:30 PM – 7:00 PM</span></td>');
    expect(index).toContain('Book on WhatsApp');
    expect(index).toContain('alt="Photo of Dra. Ana Lima"');
    expect(index).toContain('<p>Dentist in charge: Dra. Ana Lima — dental surgeon, <span class="nowrap">CRO-SP 12345</span></p>');
    const privacy = text(site, 'privacy.html');
    expect(privacy).toContain('<title>Privacy notice — Clínica Sorriso</title>');
    expect(privacy).toContain('stored in the AWS region us-east-1, outside Brazil');
    expect(privacy).toContain('<time datetime="2025-03-15">March 15, 2025</time>');
  });
});

describe('site build — escaping', () => {
  it('renders markup in config values as text, everywhere', async () => {
    const evil = '<script>alert("x")</script> & Cia';
    const { config } = await project({
      clinic: { name: `Clínica ${evil}`, address: 'Rua <b>A</b> & "B"', phone: '+55 11 4000-0000', email: 'contato@x.com', whatsapp: '11 98888-7777' },
      site: {
        tagline: `Tag ${evil}`,
        presentation: `Hello ${evil}\n\nSecond <i>para</i>`,
        services: [{ name: `Svc ${evil}`, description: `Desc ${evil}` }],
        team: [{ name: `Dr. ${evil}`, cro: `CRO <SP> 1`, role: '<em>x</em>', bio: '</p><p>' }],
        hoursNote: evil,
        hours: [{ days: ['mon'], open: '08:00', close: '12:00' }],
        responsibleDentist: { name: evil, cro: '<1>' },
        privacy: { legalName: evil, cnpj: '<cnpj>', dpoName: evil },
        whatsappMessage: '"><script>',
        mapQuery: '"><script>',
      },
    });
    const site = await buildSite(config);
    for (const file of site.files.filter((f) => f.contentType.startsWith('text/html'))) {
      const page = file.body.toString('utf8');
      expect(page, file.path).not.toContain('<script>alert');
      expect(page, file.path).not.toContain('<b>A</b>');
      expect(page, file.path).not.toContain('<img src=x>');
      expect(page, file.path).not.toContain('<i>para</i>');
      expect(page, file.path).not.toContain('<em>x</em>');
      expect(page, file.path).not.toContain('"><script>');
    }
    const index = text(site, 'index.html');
    expect(index).toContain('<title>Clínica &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cia — Tag');
    expect(index).toContain('<h3>Svc &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cia</h3>');
    expect(index).toContain('<p class="cro">CRO &lt;SP&gt; 1</p>');
    expect(index).toContain('href="mailto:contato@x.com"');
    // markup cannot even reach the e-mail link: the config refuses a value that is not an address
    await expect(project({ clinic: { name: 'X', email: 'a"><img src=x>@x.com' } })).rejects.toMatchObject({ field: 'clinic.email' });
    // JSON-LD cannot be closed early by a value, and still parses to the original text
    expect(index).toContain('"name":"Clínica \\u003cscript\\u003ealert(\\"x\\")\\u003c/script\\u003e \\u0026 Cia"');
    expect(jsonLd(index).name).toBe(`Clínica ${evil}`);
    expect(text(site, 'privacidade.html')).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; Cia, CNPJ nº &lt;cnpj&gt;');
  });
});

describe('site build — problems reach the person as one line', () => {
  it('names the field of a picture that cannot be read', async () => {
    const { config } = await project({ clinic: { name: 'X' }, site: { team: [{ name: 'Ana', photo: 'missing.jpg' }] } });
    const err = await buildSite(config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect(err).toMatchObject({ kind: 'config', field: 'site.team.0.photo' });
    expect((err as Error).message).toMatch(/site\.team\.0\.photo: cannot read .*missing\.jpg \(ENOENT\)/);
  });

  it('refuses an SVG as the photo of the clinic, naming the field', async () => {
    const { config } = await project({ clinic: { name: 'X' }, site: { heroImage: 'logo.svg' } });
    await expect(buildSite(config)).rejects.toMatchObject({ kind: 'config', field: 'site.heroImage', message: expect.stringMatching(/site\.heroImage: a photo of the clinic must be a photo/) });
  });

  it('refuses an SVG portrait and a file that is not an image', async () => {
    const { config, dir } = await project({ clinic: { name: 'X' }, site: { logo: 'ana.jpg', team: [{ name: 'Ana', photo: 'logo.svg' }] } });
    await expect(buildSite(config)).rejects.toThrow(/site\.team\.0\.photo: a portrait must be a photo/);
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${dir}/fake.png`, 'not a png');
    const { config: c2 } = await project({ clinic: { name: 'X' }, site: { logo: `${dir}/fake.png` } });
    await expect(buildSite(c2)).rejects.toMatchObject({ kind: 'config', field: 'site.logo' });
  });
});

describe('the clinic\'s public numbers', () => {
  it('refuses a phone or WhatsApp that is not a number, naming the field, before any link is made of it', async () => {
    for (const field of ['phone', 'whatsapp'] as const) {
      for (const bad of ['ligue já', '4000-0000', '+55 11 4000-0000 ramal 2', '11 4000 0000 0000 0000']) {
        const err = await project({ clinic: { name: 'A', [field]: bad } }).catch((e: unknown) => e);
        expect(err, `${field}: ${bad}`).toBeInstanceOf(ClinicaError);
        expect(err).toMatchObject({ kind: 'config', field: `clinic.${field}` });
        expect((err as Error).message).toContain('expected a phone number with its area code');
      }
    }
  });

  it('accepts the ways people write them: DDD, +55, spaces, parentheses, dashes; empty means none', async () => {
    const { config } = await project({ clinic: { name: 'A', phone: '+55 (11) 4000-0000', whatsapp: '11 98888.7777' } });
    const index = text(await buildSite(config), 'index.html');
    expect(index).toContain('href="tel:+551140000000"');
    // no site.whatsappMessage: the default booking text of the site's language
    expect(index).toContain('href="https://wa.me/5511988887777?text=Ol%C3%A1!%20Gostaria%20de%20agendar%20uma%20consulta."');
    const { config: none } = await project({ clinic: { name: 'A', phone: '', whatsapp: '' } });
    expect(text(await buildSite(none), 'index.html')).not.toMatch(/href="(tel:|https:\/\/wa\.me)/);
  });
});

describe('site addresses', () => {
  it('refuses a plain http:// social link, naming the field; the site\'s own address may be http://', async () => {
    const err = await project({ clinic: { name: 'A' }, site: { social: { instagram: 'http://instagram.com/a' } } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ kind: 'config', field: 'site.social.instagram' });
    expect((err as Error).message).toContain('expected an address starting with https://');
    const { config } = await project({ clinic: { name: 'A', phone: '(11) 4000-0000' }, site: { url: 'http://clinica-a.s3-website-sa-east-1.amazonaws.com', social: { instagram: 'https://instagram.com/a' } } });
    const index = text(await buildSite(config), 'index.html');
    expect(index).toContain('<link rel="canonical" href="http://clinica-a.s3-website-sa-east-1.amazonaws.com/">');
    expect(index).toContain('<a href="https://instagram.com/a">Instagram</a>');
  });
});

describe('site view helpers', () => {
  it('builds phone and WhatsApp links', () => {
    expect(telHref('+55 (11) 4000-0000')).toBe('tel:+551140000000');
    expect(telHref('(11) 4000-0000')).toBe('tel:1140000000');
    expect(whatsappHref('(11) 98888-7777')).toBe('https://wa.me/5511988887777');
    expect(whatsappHref('+351 912 345 678', 'Olá & até')).toBe('https://wa.me/351912345678?text=Ol%C3%A1%20%26%20at%C3%A9');
  });

  it('groups consecutive days with the same hours', async () => {
    const t = await loadStrings('pt-BR');
    const site = siteSchema.parse({
      hours: [
        { days: ['mon', 'tue', 'wed'], open: '08:00', close: '18:00' },
        { days: ['thu'], open: '10:00', close: '20:00' },
        { days: ['fri', 'sat'], open: '08:00', close: '12:00' },
      ],
    });
    expect(hoursRows(site, t).map((r) => [r.days, r.times.join(' | ')])).toEqual([
      ['Segunda a quarta', '08:00 – 18:00'],
      ['Quinta', '10:00 – 20:00'],
      ['Sexta e sábado', '08:00 – 12:00'],
      ['Domingo', 'Fechado'],
    ]);
  });

  it('shows initials without titles and particles', () => {
    expect(initials('Dra. Carla de Souza')).toBe('CS');
    expect(initials('Bruno')).toBe('B');
  });

  it('keeps the accent readable: white on it and it on the tinted sections reach 4.5:1', () => {
    for (const color of ['#0b6e69', '#7fd1c9', '#ffcc00', '#ffffff', '#1f6fb2']) {
      const p = palette(color);
      expect(contrastRatio(p.accent, '#ffffff')).toBeGreaterThanOrEqual(4.5);
      expect(contrastRatio(p.accent, p.tint)).toBeGreaterThanOrEqual(4.5);
    }
    expect(palette('#0b6e69').accent).toBe('#0b6e69'); // a dark enough colour is kept as is
  });
});
