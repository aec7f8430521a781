import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { CONFIG_FILE, defaultConfigInput, fieldProblem, saveConfig, validParts } from '../../config/load.js';
import { missingSender } from '../../config/mail.js';
import type { ConfigInput } from '../../config/schema.js';
import { ClinicaError, oneLine } from '../../errors.js';
import type { Ui } from '../../ui/output.js';
import { output, type CommandInput, type Output } from '../action.js';

interface InitOptions {
  name?: string;
  address?: string;
  phone?: string;
  email?: string;
  sender?: string;
  timeZone?: string;
  locale?: 'pt-BR' | 'en';
  target?: 'local' | 'aws';
  bucketPrefix?: string;
  clinicCidr?: string[];
  domain?: string;
  siteDomain?: string;
  watermark?: string;
  force?: boolean;
}

/** A config being written: anything may still be missing. */
/** The settings init asks for: from the flags, the existing file, or the defaults, then (on a terminal) the answers. */
interface Answers {
  address: string;
  phone: string;
  email: string;
  sender?: string;
  timeZone: string;
  locale: 'pt-BR' | 'en';
  target: 'local' | 'aws';
  region: string;
  stage: string;
  bucketPrefix?: string;
  cidrs: string[];
  domain?: string;
  siteDomain?: string;
  watermark: string;
}

type Draft = Omit<Partial<ConfigInput>, 'clinic'> & { clinic?: Partial<ConfigInput['clinic']> };

/** config fields → the init flag that sets them, and its key in the options */
const flagOfField: Record<string, [flag: string, option: keyof InitOptions | 'stage' | 'region']> = {
  'clinic.name': ['--name', 'name'], 'clinic.address': ['--address', 'address'], 'clinic.phone': ['--phone', 'phone'],
  'clinic.email': ['--email', 'email'], 'clinic.timeZone': ['--time-zone', 'timeZone'], 'clinic.locale': ['--locale', 'locale'],
  target: ['--target', 'target'], stage: ['--stage', 'stage'], 'aws.region': ['--region', 'region'],
  'aws.bucketPrefix': ['--bucket-prefix', 'bucketPrefix'], 'network.clinicCidrs': ['--clinic-cidr', 'clinicCidr'],
  'network.domain': ['--domain', 'domain'], 'site.domain': ['--site-domain', 'siteDomain'],
  'mail.sender': ['--sender', 'sender'], 'images.watermark': ['--watermark', 'watermark'],
};

const DEMO = defaultConfigInput;

/**
 * What an existing file gives to start from: its valid settings. A file that is not JSON, not an object, or
 * has values the schema refuses is repaired, not fatal (that is what `init --force` is for); the person is
 * told what was dropped.
 */
function startFrom(path: string, ui: Ui): Draft {
  if (!existsSync(path)) return {};
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    ui.warn(`${path} is not valid JSON: starting from the defaults`);
    return {};
  }
  const { input, dropped } = validParts(raw);
  if (dropped.length) ui.warn(`${path}: dropped what was invalid — ${dropped.join(', ')}; defaults or your answers take its place`);
  return input as Draft;
}

/**
 * The fictional demo clinic's content (address, phone, e-mail, reminder sender, the site's tagline, team,
 * hours…) belongs to the demo clinic alone: a real clinic must not publish a made-up team nor send from a
 * made-up address. The demo clinic (its default name) gets it where the file says nothing; any other clinic
 * loses whatever is still the demo's (a file first written for the demo clinic keeps the demo's values).
 */
function forClinic(base: Draft, name: string): Draft {
  if (name === DEMO.clinic.name) {
    return { ...DEMO, ...base, clinic: { ...DEMO.clinic, ...base.clinic }, mail: { ...DEMO.mail, ...base.mail }, site: { ...DEMO.site, ...base.site } };
  }
  const clinic = { ...base.clinic };
  for (const key of ['address', 'phone', 'email'] as const) if (clinic[key] === DEMO.clinic[key]) delete clinic[key];
  const mail = { ...base.mail };
  if (mail.sender === DEMO.mail?.sender) delete mail.sender;
  const demoSite = (DEMO.site ?? {}) as Record<string, unknown>;
  const site = Object.fromEntries(Object.entries(base.site ?? {}).filter(([key, value]) => !isDeepStrictEqual(value, demoSite[key])));
  const next: Draft = { ...base, clinic, mail };
  if (Object.keys(site).length) next.site = site;
  else delete next.site;
  return next;
}

/** A question's `validate` with the config schema's rule for the field. */
const rule =
  (field: string, parse: (answer: string) => unknown = (answer) => answer) =>
  (answer: string): true | string =>
    fieldProblem(field, parse(answer)) ?? true;

const cidrList = (text: string) => text.split(',').map((c) => c.trim()).filter(Boolean);

export default async function init({ opts, ui }: CommandInput<InitOptions>): Promise<Output | number> {
  // an empty CLINICA_CONFIG counts as unset, as in loadConfig (resolve('') is the working folder itself)
  const path = resolve(opts.config ?? (process.env.CLINICA_CONFIG || CONFIG_FILE));
  if (existsSync(path) && !opts.force) {
    const update = await ui.confirm(`${path} exists. Update it?`, {
      default: true,
      pass: '--force',
      refusal: `${path} already exists`,
      hint: 'pass --force to overwrite it, or edit it by hand',
    });
    if (!update) return 0;
  }
  const start = startFrom(path, ui);
  // every answer is checked at its prompt with the config's own rule: a typo is asked again, nothing is lost
  const ask = ui.interactive;

  let name = opts.name ?? start.clinic?.name ?? DEMO.clinic.name;
  if (ask && opts.name === undefined) name = await ui.ask('Clinic name', { default: name, validate: rule('clinic.name') });
  const base = forClinic(start, name);
  const answers: Answers = {
    address: opts.address ?? base.clinic?.address ?? '',
    phone: opts.phone ?? base.clinic?.phone ?? '',
    email: opts.email ?? base.clinic?.email ?? '',
    // no made-up default: a real clinic without one gets none, and reminders say mail.sender must be set
    sender: opts.sender ?? base.mail?.sender,
    timeZone: opts.timeZone ?? base.clinic?.timeZone ?? 'America/Sao_Paulo',
    locale: opts.locale ?? base.clinic?.locale ?? 'pt-BR',
    target: opts.target ?? base.target ?? 'local',
    region: opts.region ?? base.aws?.region ?? 'sa-east-1',
    stage: opts.stage ?? base.stage ?? 'dev',
    bucketPrefix: opts.bucketPrefix ?? base.aws?.bucketPrefix,
    cidrs: opts.clinicCidr ?? base.network?.clinicCidrs ?? ['192.168.0.0/16'],
    domain: opts.domain ?? base.network?.domain,
    siteDomain: opts.siteDomain ?? base.site?.domain,
    watermark: opts.watermark ?? base.images?.watermark?.text ?? '{clinic} · {patient} · {date}',
  };

  if (ask) await askTheRest(ui, opts, answers);

  const next: ConfigInput = {
    ...base,
    clinic: { ...base.clinic, name, address: answers.address, phone: answers.phone, email: answers.email, timeZone: answers.timeZone, locale: answers.locale },
    target: answers.target,
    stage: answers.stage,
    aws: { ...base.aws, region: answers.region, ...(answers.bucketPrefix ? { bucketPrefix: answers.bucketPrefix } : {}) },
    network: { ...base.network, clinicCidrs: answers.cidrs, ...(answers.domain ? { domain: answers.domain } : {}) },
    ...(answers.siteDomain || base.site ? { site: { ...base.site, ...(answers.siteDomain ? { domain: answers.siteDomain } : {}) } } : {}),
    mail: { ...base.mail, ...(answers.sender ? { sender: answers.sender } : {}) },
    images: { ...base.images, watermark: { ...base.images?.watermark, text: answers.watermark } },
  };
  await writeConfig(path, next, opts);
  return output({ written: path, config: next }, (ui) => {
    ui.print(`wrote ${path}`);
    if (!answers.sender) ui.warn(oneLine(missingSender()));
    ui.info(next.target === 'local' ? 'next: `npx clinica dev --demo`' : 'next: `npx clinica deploy --dry-run` to see the plan');
  });
}

/** On a terminal: the answers no flag gave, each checked at its prompt by the config's own rule. */
async function askTheRest(ui: Ui, opts: CommandInput<InitOptions>['opts'], answers: Answers): Promise<void> {
  if (opts.address === undefined) answers.address = await ui.ask('Address', { default: answers.address, validate: rule('clinic.address') });
  if (opts.phone === undefined) answers.phone = await ui.ask('Phone', { default: answers.phone, validate: rule('clinic.phone') });
  if (opts.email === undefined) answers.email = await ui.ask('Public contact e-mail', { default: answers.email, validate: rule('clinic.email') });
  if (opts.sender === undefined) {
    const sender = await ui.ask('Reminder e-mail sender, an address of the clinic\'s own domain, e.g. "Clínica <lembretes@clinica.com.br>" (empty: none yet, no reminders)', {
      default: answers.sender,
      validate: (answer) => answer.trim() === '' || rule('mail.sender')(answer),
    });
    answers.sender = sender.trim() || undefined;
  }
  if (opts.timeZone === undefined) answers.timeZone = await ui.ask('Time zone', { default: answers.timeZone, validate: rule('clinic.timeZone') });
  if (opts.locale === undefined)
    answers.locale = await ui.select('Language', [{ name: 'Português (Brasil)', value: 'pt-BR' as const }, { name: 'English', value: 'en' as const }], { default: answers.locale });
  if (opts.target === undefined)
    answers.target = await ui.select('Target', [{ name: 'local (clinica dev, no AWS account)', value: 'local' as const }, { name: 'aws', value: 'aws' as const }], { default: answers.target });
  if (opts.region === undefined && answers.target === 'aws') answers.region = await ui.ask('AWS region', { default: answers.region, validate: rule('aws.region') });
  if (opts.stage === undefined) answers.stage = await ui.ask('Stage', { default: answers.stage, validate: rule('stage') });
  if (opts.clinicCidr === undefined) {
    const text = await ui.ask('Clinic network (CIDR, comma-separated)', { default: answers.cidrs.join(', '), validate: rule('network.clinicCidrs', cidrList) });
    answers.cidrs = cidrList(text);
  }
  if (opts.watermark === undefined)
    answers.watermark = await ui.ask('Watermark text', { default: answers.watermark, validate: rule('images.watermark.text') });
}

/** The config written, validated first: a bad value names the flag it came from (if one did); nothing is written. */
async function writeConfig(path: string, next: ConfigInput, opts: CommandInput<InitOptions>['opts']): Promise<void> {
  try {
    await saveConfig(path, next);
  } catch (err) {
    // validated before writing: name the flag the value came from (if one did), not a file that was never written
    if (err instanceof ClinicaError && err.kind === 'config' && err.field) {
      const [flag, option] = Object.entries(flagOfField).find(([f]) => err.field === f || err.field!.startsWith(`${f}.`))?.[1] ?? [];
      const what = flag && option && opts[option] !== undefined ? `${flag} (${err.field})` : err.field;
      throw new ClinicaError('config', `${what}: ${err.message.split(`${err.field}: `).slice(1).join(`${err.field}: `)}; nothing was written`, {
        field: err.field,
        hint: `correct it and run \`clinica init\` again`,
        cause: err,
      });
    }
    throw err;
  }
}
