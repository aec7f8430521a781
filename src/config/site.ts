import { z } from 'zod';

/**
 * The public website's content (`site` in clinica.config.json). Everything is optional: a config with only the
 * clinic's name renders a complete page; sections without data (services, team, hours) are left out.
 * Texts are plain text (HTML-escaped when rendered); a blank line in `presentation` starts a new paragraph.
 */

const text = (max: number) => z.string().trim().min(1).max(max);
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day as HH:MM (24 h), e.g. "08:00"');
const httpsUrl = z.url({ protocol: /^https?$/, message: 'expected a web address starting with https:// (or http://)' });
/** Every network serves https: a plain http:// link would send the visitor through an insecure redirect first. */
const socialUrl = z.url({ protocol: /^https$/, message: 'expected an address starting with https://, e.g. "https://instagram.com/clinicasorriso"' });

/**
 * The clinic's public numbers (clinic.phone, clinic.whatsapp), which the site and the reminders turn into
 * tel: and wa.me links: at least 10 digits (a Brazilian number with its DDD), at most 15 (E.164), written with
 * spaces, dots, parentheses and dashes as people do, and a leading + for the country code. Empty = none.
 */
export const publicPhone = z
  .string()
  .trim()
  .max(40)
  .refine((v) => v === '' || (/^\+?[\d\s().-]+$/.test(v) && /^\d{10,15}$/.test(v.replace(/\D/g, ''))), {
    message: 'expected a phone number with its area code, e.g. "(11) 4000-0000" or "+55 11 98888-7777" (10 to 15 digits)',
  });

export const weekdays = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof weekdays)[number];

/** An image file beside clinica.config.json (PNG, JPEG, WebP or SVG); copied into the site at build time. */
const imageFile = z
  .string()
  .trim()
  .regex(/\.(png|jpe?g|webp|svg)$/i, 'expected a .png, .jpg, .webp or .svg file (a path relative to clinica.config.json)');

export const serviceSchema = z
  .object({
    name: text(80),
    description: text(400).optional(),
  })
  .strict();

export const dentistSchema = z
  .object({
    name: text(100),
    /** e.g. "Cirurgiã-dentista", "Ortodontista" */
    role: text(80).optional(),
    /** the dentist's CRO registration as shown to patients, e.g. "CRO-SP 12345" */
    cro: text(40).optional(),
    bio: text(600).optional(),
    /** a portrait, cropped to a square */
    photo: imageFile.optional(),
  })
  .strict();

export const openingSchema = z
  .object({
    days: z.array(z.enum(weekdays, { message: 'expected weekdays "mon" … "sun"' })).min(1),
    open: hhmm,
    close: hhmm,
  })
  .strict()
  .refine((o) => o.open < o.close, { message: 'expected "open" before "close"' });

const socialNetworks = ['instagram', 'facebook', 'linkedin', 'youtube', 'tiktok'] as const;

/** A DNS name of at least two labels, lowercase: "sistema.clinicasorriso.com.br". */
export const domainName = z
  .string()
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/, 'expected a lowercase domain name, e.g. "sistema.clinicasorriso.com.br"');

export const siteSchema = z
  .object({
    /** the site's public address, e.g. "https://www.clinicasorriso.com.br" (canonical link, sitemap) */
    url: httpsUrl.optional(),
    /**
     * the name CloudFront serves the site on, e.g. "www.clinicasorriso.com.br" (an ACM certificate validated in
     * the Route 53 zone of network.domain's parent); without it, the distribution's own *.cloudfront.net name
     */
    domain: domainName.optional(),
    /** one line under the clinic's name; default "Clínica odontológica" / "Dental clinic" */
    tagline: text(160).optional(),
    /** who the clinic is; a blank line starts a new paragraph */
    presentation: text(2000).optional(),
    /** search-engine summary (meta description); default: the tagline and the city of the address */
    description: text(300).optional(),
    /** the accent colour as #rrggbb; darkened if needed so white text on it stays readable */
    accentColor: z.string().regex(/^#[0-9a-fA-F]{6}$/, 'expected a colour as #rrggbb, e.g. "#0b6e69"').optional(),
    logo: imageFile.optional(),
    /** a photo of the clinic, shown beside the name (cropped to a square) instead of the tooth drawing */
    heroImage: imageFile.optional(),
    services: z.array(serviceSchema).max(40).default([]),
    team: z.array(dentistSchema).max(40).default([]),
    hours: z.array(openingSchema).max(21).default([]),
    /** a line under the opening hours, e.g. "Urgências: ligue a qualquer hora" */
    hoursNote: text(200).optional(),
    /** what the map link searches for; default the clinic's address */
    mapQuery: text(300).optional(),
    /** text pre-filled in WhatsApp when a visitor taps the WhatsApp link; default a booking request in the site's language */
    whatsappMessage: text(300).optional(),
    social: z.partialRecord(z.enum(socialNetworks), socialUrl).default({}),
    /** the dentist legally responsible for the clinic (CFO rules ask for name and CRO in advertising) */
    responsibleDentist: z.object({ name: text(100), cro: text(40) }).strict().optional(),
    /** the clinic's own CRO registration, e.g. "CRO-SP EPAO 1234" */
    clinicRegistration: text(60).optional(),
    /** the LGPD privacy notice */
    privacy: z
      .object({
        /** the legal entity (razão social) when it differs from the clinic's name */
        legalName: text(160).optional(),
        cnpj: text(20).optional(),
        /** the data protection officer (encarregado); default: the clinic's contact e-mail */
        dpoName: text(100).optional(),
        dpoEmail: z.email({ message: 'expected an e-mail address' }).optional(),
        /** when the notice last changed, YYYY-MM-DD */
        updated: z.iso.date({ message: 'expected a date as YYYY-MM-DD' }).optional(),
      })
      .strict()
      .default({}),
    /** the WhatsApp number the site links to (wa.me), when it is not clinic.whatsapp (e.g. the front desk's) */
    whatsapp: publicPhone.optional(),
  })
  .strict();

export type SiteConfig = z.output<typeof siteSchema>;
export type SiteConfigInput = z.input<typeof siteSchema>;
export type Dentist = z.output<typeof dentistSchema>;
export type Opening = z.output<typeof openingSchema>;
export type SocialNetwork = (typeof socialNetworks)[number];
export { socialNetworks };

/** The site section with every default applied (the section itself is optional in the config). */
export function siteConfigOf(config: { site?: SiteConfig; clinic?: { hours?: Opening[] } }): SiteConfig {
  const site = config.site ?? siteSchema.parse({});
  // one set of opening hours: the agenda's (clinic.hours) is what the site shows when it has none of its own
  return site.hours.length === 0 && config.clinic?.hours?.length ? { ...site, hours: config.clinic.hours } : site;
}
