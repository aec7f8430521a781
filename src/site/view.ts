/**
 * From config to what the templates show: pure functions, no I/O. Every value from config stays a plain
 * string here and is escaped by the renderer; the few HTML fragments built here (paragraphs, JSON-LD) escape
 * their parts themselves.
 */
import { createHash } from 'node:crypto';
import { LEGAL_RETENTION_YEARS, type Config, type Locale } from '../config/schema.js';
import { siteConfigOf, weekdays, socialNetworks, type SiteConfig, type Weekday } from '../config/site.js';
import { icons } from './icons.js';
import { html, Html } from './render.js';

export interface SiteStrings {
  lang: string;
  ogLocale: string;
  privacyFile: string;
  tagline: string;
  skip: string;
  home: string;
  nav: Record<'label' | 'about' | 'services' | 'team' | 'hours' | 'contact' | 'menu', string>;
  cta: Record<'whatsapp' | 'call' | 'email' | 'book' | 'directions', string>;
  about: { title: string };
  services: { title: string; lead: string };
  team: { title: string; lead: string; photoAlt: string };
  hours: {
    title: string; day: string; time: string; closed: string; range: string; pair: string;
    lowercaseSecond: boolean; clock: '24h' | '12h'; between: string; and: string;
  };
  days: Record<Weekday, string>;
  contact: Record<'title' | 'lead' | 'address' | 'map' | 'phone' | 'whatsapp' | 'whatsappMessage' | 'email' | 'social', string>;
  social: Record<(typeof socialNetworks)[number], string>;
  /** responsible + profession: the CFO's Code of Dental Ethics (art. 43) asks for the name, the profession and the CRO */
  footer: Record<'responsible' | 'profession' | 'registration' | 'cnpj' | 'privacy' | 'noTracking', string>;
  notFound: { title: string; text: string; back: string };
  privacy: { title: string; description: string; storageBrazil: string; storageAbroad: string; whatsapp: string };
}

/** What the site is made from: the clinic, its site section, and the facts the privacy notice states. */
export interface SiteSource {
  clinic: Config['clinic'];
  site?: SiteConfig;
  patients: Pick<Config['patients'], 'retentionYears'>;
  aws: Pick<Config['aws'], 'region'>;
  /** the WhatsApp reminders channel: when configured, the privacy notice names Meta (WhatsApp) as a processor */
  whatsapp?: { phoneNumberId?: string };
}

/** Where the built assets are (fingerprinted paths) — filled by the build before the pages render. */
export interface SiteAssetRefs {
  stylesheet: string;
  favicon: string;
  themeColor: string;
  logo?: { src: string; width: number; height: number };
  /** the clinic's photo (site.heroImage) */
  hero?: { src: string; width: number; height: number };
  /** photo path per team member index */
  photos: (string | undefined)[];
}

/** "{name} logo" with {name} filled in. */
export function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => values[key] ?? whole);
}

// --- contact links -------------------------------------------------------------------------------------

/** tel: link: a leading + and the digits. */
export function telHref(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  return `tel:${phone.trim().startsWith('+') ? '+' : ''}${digits}`;
}

/**
 * The wa.me number: the E.164 digits, with the country code and no "+". A Brazilian number written without it
 * (10 or 11 digits, e.g. "(11) 98888-7777") gets 55 in front.
 */
export function whatsappNumber(whatsapp: string): string {
  const digits = whatsapp.replace(/\D/g, '');
  if (!whatsapp.trim().startsWith('+') && (digits.length === 10 || digits.length === 11)) return `55${digits}`;
  return digits;
}

export function whatsappHref(whatsapp: string, message?: string): string {
  const base = `https://wa.me/${whatsappNumber(whatsapp)}`;
  return message ? `${base}?text=${encodeURIComponent(message)}` : base;
}

/** A map search link: opens the visitor's map app or site only when clicked (nothing is embedded). */
export function mapHref(query: string): string {
  return `https://www.google.com/maps/search/?api=1&query=${encodeURIComponent(query)}`;
}

// --- opening hours --------------------------------------------------------------------------------------

export function formatTime(hhmm: string, clock: '24h' | '12h'): string {
  if (clock === '24h') return hhmm;
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  const suffix = h < 12 ? 'AM' : 'PM';
  return `${h % 12 === 0 ? 12 : h % 12}:${String(m).padStart(2, '0')} ${suffix}`;
}

export interface HoursRow {
  days: string;
  /** one entry per opening span ("08:00 – 12:00"), or just "Fechado" */
  times: string[];
  closed: boolean;
}

/** One row per run of consecutive weekdays with the same hours: "Segunda a sexta — 08:00 – 18:00". */
export function hoursRows(site: SiteConfig, t: SiteStrings): HoursRow[] {
  if (site.hours.length === 0) return [];
  const perDay = weekdays.map((day) => {
    const spans = site.hours
      .filter((o) => o.days.includes(day))
      .sort((a, b) => a.open.localeCompare(b.open))
      .map((o) => `${formatTime(o.open, t.hours.clock)} ${t.hours.between} ${formatTime(o.close, t.hours.clock)}`);
    return { day, spans, key: spans.join('|') };
  });
  const rows: HoursRow[] = [];
  for (let i = 0; i < perDay.length; ) {
    let j = i;
    while (j + 1 < perDay.length && perDay[j + 1]!.key === perDay[i]!.key) j++;
    const first = t.days[perDay[i]!.day];
    const lastRaw = t.days[perDay[j]!.day];
    const last = t.hours.lowercaseSecond ? lastRaw.toLocaleLowerCase(t.lang) : lastRaw;
    const days = i === j ? first : fill(j === i + 1 ? t.hours.pair : t.hours.range, { from: first, to: last });
    const spans = perDay[i]!.spans;
    rows.push({ days, times: spans.length ? spans : [t.hours.closed], closed: spans.length === 0 });
    i = j + 1;
  }
  return rows;
}

// --- text helpers ---------------------------------------------------------------------------------------

/** Paragraphs split on blank lines; single line breaks kept as <br>. */
export function paragraphs(text: string): Html[] {
  return text
    .split(/\r?\n\s*\r?\n/)
    .map((p) => p.trim())
    .filter(Boolean)
    .map((p) => {
      const lines = p.split(/\r?\n/).map((l) => l.trim());
      return html`${lines.map((line, i) => (i === 0 ? html`${line}` : html`<br>${line}`))}`;
    });
}

/** Cuts at a word boundary, with an ellipsis. */
export function clip(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat.length <= max) return flat;
  const cut = flat.slice(0, max - 1);
  const space = cut.lastIndexOf(' ');
  return (space > max * 0.6 ? cut.slice(0, space) : cut).replace(/[\s,.;:—–-]+$/, '') + '…';
}

export function initials(name: string): string {
  const words = name
    .replace(/^(dr|dra|dr\.|dra\.)\s+/i, '')
    .split(/\s+/)
    .filter((w) => /^\p{L}/u.test(w) && !/^(da|de|do|das|dos|e)$/i.test(w));
  const letters = words.length > 1 ? [words[0]!, words[words.length - 1]!] : words;
  return letters.map((w) => w[0]!.toLocaleUpperCase()).join('') || '·';
}

/** JSON inside <script type="application/ld+json">: nothing in it can close the element. */
export function jsonLdScript(value: unknown): Html {
  const json = JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
  return Html.trusted(json);
}

const schemaDays: Record<Weekday, string> = {
  mon: 'Monday', tue: 'Tuesday', wed: 'Wednesday', thu: 'Thursday', fri: 'Friday', sat: 'Saturday', sun: 'Sunday',
};

// --- the pages ------------------------------------------------------------------------------------------

export interface LayoutPage {
  title: string;
  description: string;
  canonicalPath?: string;
  content: Html;
  home: boolean;
  noindex?: boolean;
  /** prefix of the links to the other pages ("" = relative) */
  linkBase?: string;
  /** the page carries its stylesheet and pictures inside (the 404 page, served at any depth) */
  inline?: { css: string; favicon: string; logo?: string };
}

export interface PageViews {
  /** the shell around every page (layout.html), minus title/content */
  layout: (page: LayoutPage) => object;
  index: object;
  privacy: object;
  notFound: (linkBase: string) => object;
  titles: { index: string; privacy: string; notFound: string };
  descriptions: { index: string; privacy: string };
}

/** What the views read from the config: the clinic's name and contacts as the site shows them. */
interface SiteFacts {
  site: ReturnType<typeof siteConfigOf>;
  name: string;
  tagline: string;
  baseUrl?: string;
  phone?: string;
  email?: string;
  address?: string;
  whatsapp?: string;
  waHref?: string;
  mapQuery?: string;
}

function siteFacts(source: SiteSource, t: SiteStrings): SiteFacts {
  const { clinic } = source;
  const site = siteConfigOf(source);
  const whatsapp = site.whatsapp || clinic.whatsapp || undefined;
  const address = clinic.address || undefined;
  return {
    site,
    name: clinic.name,
    tagline: site.tagline ?? t.tagline,
    baseUrl: site.url?.replace(/\/+$/, ''),
    phone: clinic.phone || undefined,
    email: clinic.email || undefined,
    address,
    whatsapp,
    waHref: whatsapp ? whatsappHref(whatsapp, site.whatsappMessage ?? t.contact.whatsappMessage) : undefined,
    mapQuery: site.mapQuery ?? address,
  };
}

/** The contact list of the home page: address (or the map link alone), phone, WhatsApp, e-mail. */
function contactList({ address, mapQuery, phone, whatsapp, waHref, email }: SiteFacts, t: SiteStrings) {
  return [
    address
      ? { icon: icons.pin, label: t.contact.address, text: address, href: null, more: mapQuery ? { href: mapHref(mapQuery), label: t.contact.map } : null }
      : // no address, but a place to look up: the map link alone
        mapQuery && { icon: icons.pin, label: t.contact.address, text: t.contact.map, href: mapHref(mapQuery), more: null },
    phone && { icon: icons.phone, label: t.contact.phone, text: phone, href: telHref(phone), more: null },
    whatsapp && { icon: icons.chat, label: t.contact.whatsapp, text: whatsapp, href: waHref, more: null },
    email && { icon: icons.mail, label: t.contact.email, text: email, href: `mailto:${email}`, more: null },
  ].filter(Boolean);
}

/** The home page's two buttons (WhatsApp, call, e-mail — the first two there are) and the header's "book". */
function callsToAction({ waHref, phone, email }: SiteFacts, t: SiteStrings) {
  const ctas = [
    waHref && { href: waHref, label: t.cta.whatsapp, icon: icons.chat },
    phone && { href: telHref(phone), label: t.cta.call, icon: icons.phone },
    email && { href: `mailto:${email}`, label: t.cta.email, icon: icons.mail },
  ]
    .filter((c): c is { href: string; label: string; icon: Html } => Boolean(c))
    .slice(0, 2)
    .map((c, i) => ({ ...c, style: i === 0 ? 'button-primary' : 'button-secondary' }));
  const headerCta = waHref ? { href: waHref, label: t.cta.book } : phone ? { href: telHref(phone), label: t.cta.book } : null;
  return { ctas, headerCta };
}

/** The schema.org description of the clinic, for search engines. */
function siteJsonLd({ name, baseUrl, phone, email, address, site }: SiteFacts, description: string, social: { href: string }[]) {
  return {
    '@context': 'https://schema.org',
    '@type': 'Dentist',
    name,
    description,
    ...(baseUrl ? { url: `${baseUrl}/` } : {}),
    ...(phone ? { telephone: phone } : {}),
    ...(email ? { email } : {}),
    ...(address ? { address } : {}),
    ...(site.hours.length
      ? {
          openingHoursSpecification: site.hours.map((o) => ({
            '@type': 'OpeningHoursSpecification',
            dayOfWeek: o.days.map((d) => schemaDays[d]),
            opens: o.open,
            closes: o.close,
          })),
        }
      : {}),
    ...(social.length ? { sameAs: social.map((s) => s.href) } : {}),
  };

}

/** The frame every page shares: head, header with the sections' links, footer. */
function pageLayout(f: SiteFacts, t: SiteStrings, assets: SiteAssetRefs, sections: { id: string; label: string }[], jsonLd: object): PageViews['layout'] {
  const { name, baseUrl, address, site } = f;
  const { headerCta } = callsToAction(f, t);
  return (page) => {
    const base = page.linkBase ?? '';
    const inline = page.inline;
    return {
      t,
      clinic: { name },
      title: page.title,
      metaDescription: page.description,
      canonical: baseUrl && page.canonicalPath !== undefined ? `${baseUrl}/${page.canonicalPath}` : null,
      noindex: Boolean(page.noindex),
      themeColor: assets.themeColor,
      favicon: inline?.favicon ?? assets.favicon,
      stylesheet: assets.stylesheet,
      inlineCss: inline ? Html.trusted(inline.css) : null,
      styleSrc: Html.trusted(inline ? `'sha256-${createHash('sha256').update(inline.css).digest('base64')}'` : `'self'`),
      jsonLd: page.home ? jsonLdScript(jsonLd) : null,
      homeHref: `${base}index.html`,
      logo: assets.logo ? { ...assets.logo, src: inline?.logo ?? assets.logo.src } : null,
      icons,
      hasNav: sections.length > 0,
      nav: sections.map((s) => ({ href: page.home ? `#${s.id}` : `${base}index.html#${s.id}`, label: s.label })),
      headerCta,
      content: page.content,
      footer: {
        address: address ?? null,
        responsible: site.responsibleDentist ?? null,
        registration: site.clinicRegistration ?? null,
        cnpj: site.privacy.cnpj ?? null,
      },
      privacyHref: base + t.privacyFile,
    };
  };
}

/** The privacy notice's view (LGPD): controller, contact, retention, where the data is stored. */
function privacyView(source: SiteSource, { site, name, address, phone, email }: SiteFacts, t: SiteStrings): PageViews['privacy'] {
  const contactEmail = site.privacy.dpoEmail ?? email ?? null;
  const updated = site.privacy.updated
    ? {
        iso: site.privacy.updated,
        text: new Intl.DateTimeFormat(t.lang, { dateStyle: 'long', timeZone: 'UTC' }).format(new Date(`${site.privacy.updated}T12:00:00Z`)),
      }
    : null;
  const region = source.aws.region;
  return {
    t,
    clinic: { name },
    controller: site.privacy.legalName ?? name,
    // English: "X, CNPJ …, at …, is the controller" — but "X is the controller" with neither
    controllerDetails: Boolean(site.privacy.cnpj || address),
    cnpj: site.privacy.cnpj ?? null,
    address: address ?? null,
    contactEmail,
    dpoName: site.privacy.dpoName ?? null,
    phone: phone ?? null,
    phoneHref: phone ? telHref(phone) : null,
    // counted from the record's last entry, as Lei 13.787/2018 counts its 20-year minimum
    retention: { years: source.patients.retentionYears, legalMinimum: source.patients.retentionYears === LEGAL_RETENTION_YEARS },
    storage: region === 'sa-east-1' ? t.privacy.storageBrazil : fill(t.privacy.storageAbroad, { region }),
    // reminders on WhatsApp go through Meta: a processor the patient must be told of (LGPD art. 9)
    whatsappProcessor: source.whatsapp?.phoneNumberId ? t.privacy.whatsapp : null,
    updated,
    homeHref: 'index.html',
  };
}

export function siteViews(source: SiteSource, t: SiteStrings, assets: SiteAssetRefs): PageViews {
  const f = siteFacts(source, t);
  const { name, tagline } = f;
  const home = homeSections(f, t, assets);
  const descriptionIndex = f.site.description ?? clip([`${name} — ${tagline}.`, servicesSentence(home.services, t), f.address ?? ''].filter(Boolean).join(' '), 160);
  return {
    layout: pageLayout(f, t, assets, navSections(home, t), siteJsonLd(f, descriptionIndex, home.social)),
    titles: {
      index: `${name} — ${tagline}`,
      privacy: `${t.privacy.title} — ${name}`,
      notFound: `${t.notFound.title} — ${name}`,
    },
    descriptions: { index: descriptionIndex, privacy: fill(t.privacy.description, { clinic: name }) },
    index: indexView(f, t, assets, home),
    privacy: privacyView(source, f, t),
    notFound: (linkBase) => ({ t, homeHref: `${linkBase}index.html` }),
  };
}

/** The first services named, for the home page's description when the config gives none. */
const servicesSentence = (services: { name: string }[], t: SiteStrings) =>
  services.length ? `${t.services.title}: ${services.slice(0, 5).map((s) => s.name).join(', ')}.` : '';

type HomeSections = ReturnType<typeof homeSections>;

/** What the home page's sections show, from the config. */
function homeSections(f: SiteFacts, t: SiteStrings, assets: SiteAssetRefs) {
  const { site, address } = f;
  const team = site.team.map((d, i) => ({
    name: d.name,
    role: d.role ?? null,
    cro: d.cro ?? null,
    bio: d.bio ?? null,
    initials: initials(d.name),
    photo: assets.photos[i] ? { src: assets.photos[i], alt: fill(t.team.photoAlt, { name: d.name }) } : null,
  }));
  const hours = hoursRows(site, t);
  const hoursNote = site.hoursNote ?? null;
  const firstOpen = hours.find((h) => !h.closed);
  return {
    services: site.services.map((s) => ({ name: s.name, description: s.description ?? null })),
    team,
    hours,
    hoursNote,
    // the note stands alone too ("Atendimento somente com hora marcada")
    hasHours: hours.length > 0 || hoursNote !== null,
    about: site.presentation ? { paragraphs: paragraphs(site.presentation) } : null,
    contacts: contactList(f, t),
    social: socialNetworks.filter((n) => site.social[n]).map((n) => ({ href: site.social[n]!, label: t.social[n] })),
    ctas: callsToAction(f, t).ctas,
    facts: [
      address && { icon: icons.pin, text: address },
      firstOpen && { icon: icons.clock, text: `${firstOpen.days}: ${firstOpen.times.join(` ${t.hours.and} `)}` },
    ].filter(Boolean),
  };
}

/** The navigation's links: the sections the home page has. */
function navSections(home: HomeSections, t: SiteStrings): { id: string; label: string }[] {
  return [
    home.about && { id: 'about', label: t.nav.about },
    home.services.length && { id: 'services', label: t.nav.services },
    home.team.length && { id: 'team', label: t.nav.team },
    home.hasHours && { id: 'hours', label: t.nav.hours },
    (home.contacts.length || home.social.length) && { id: 'contact', label: t.nav.contact },
  ].filter((s): s is { id: string; label: string } => Boolean(s));
}

/** The home page's view: one field a line, read by the template as it is. */
function indexView(f: SiteFacts, t: SiteStrings, assets: SiteAssetRefs, home: HomeSections): PageViews['index'] {
  const { services, team, hours, contacts, social, ctas, facts } = home;
  return {
    t,
    icons,
    clinic: { name: f.name },
    tagline: f.tagline,
    lead: f.site.description ?? null,
    hero: assets.hero ?? null,
    hasCtas: ctas.length > 0,
    ctas,
    hasFacts: facts.length > 0,
    facts,
    about: home.about,
    hasServices: services.length > 0,
    services,
    hasTeam: team.length > 0,
    // "registered with the CRO" is a claim about every one of them
    teamLead: team.length > 0 && team.every((d) => d.cro) ? t.team.lead : null,
    team,
    hasVisit: home.hasHours || contacts.length > 0 || social.length > 0,
    hasHours: home.hasHours,
    hasHoursTable: hours.length > 0,
    hours,
    hoursNote: home.hoursNote,
    // social links stand alone too
    hasContact: contacts.length > 0 || social.length > 0,
    hasContactList: contacts.length > 0,
    contacts,
    hasSocial: social.length > 0,
    social,
  };
}

export function isLocale(value: string): value is Locale {
  return value === 'pt-BR' || value === 'en';
}
