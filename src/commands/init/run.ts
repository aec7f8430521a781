import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { CONFIG_FILE, defaultConfigInput, saveConfig } from '../../config/load.js';
import { isCidr, isTimeZone, type ConfigInput } from '../../config/schema.js';
import { ClinicaError } from '../../errors.js';
import type { CommandInput } from '../action.js';

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
  watermark?: string;
  force?: boolean;
}

/** config fields → the init flag that sets them */
const flagOfField: Record<string, string> = {
  'clinic.name': '--name', 'clinic.address': '--address', 'clinic.phone': '--phone', 'clinic.email': '--email',
  'clinic.timeZone': '--time-zone', 'clinic.locale': '--locale', target: '--target', stage: '--stage', 'aws.region': '--region',
  'aws.bucketPrefix': '--bucket-prefix', 'network.clinicCidrs': '--clinic-cidr', 'mail.sender': '--sender', 'images.watermark': '--watermark',
};

function readExisting(path: string): ConfigInput | undefined {
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as ConfigInput;
  } catch {
    return undefined; // a broken file: start from the defaults, it will be replaced
  }
}

export default async function init({ opts, ui }: CommandInput<InitOptions>): Promise<number> {
  const path = resolve(opts.config ?? process.env.CLINICA_CONFIG ?? CONFIG_FILE);
  const existing = readExisting(path);
  if (existsSync(path) && !opts.force) {
    if (!ui.interactive) {
      throw new ClinicaError('usage', `${path} already exists`, { hint: 'pass --force to overwrite it, or edit it by hand' });
    }
    const { confirm } = await import('@inquirer/prompts');
    if (!(await confirm({ message: `${path} exists. Update it?`, default: true }))) return 0;
  }
  const base = existing ?? defaultConfigInput;
  const answers = {
    name: opts.name ?? base.clinic.name,
    address: opts.address ?? base.clinic.address ?? '',
    phone: opts.phone ?? base.clinic.phone ?? '',
    email: opts.email ?? base.clinic.email ?? '',
    sender: opts.sender ?? base.mail?.sender ?? 'lembretes@clinica.example',
    timeZone: opts.timeZone ?? base.clinic.timeZone ?? 'America/Sao_Paulo',
    locale: opts.locale ?? base.clinic.locale ?? 'pt-BR',
    target: opts.target ?? base.target ?? 'local',
    region: opts.region ?? base.aws?.region ?? 'sa-east-1',
    stage: opts.stage ?? base.stage ?? 'dev',
    bucketPrefix: opts.bucketPrefix ?? base.aws?.bucketPrefix,
    cidrs: opts.clinicCidr ?? base.network?.clinicCidrs ?? ['192.168.0.0/16'],
    watermark: opts.watermark ?? base.images?.watermark?.text ?? '{clinic} · {patient} · {date}',
  };

  if (ui.interactive) {
    const { input, select } = await import('@inquirer/prompts');
    const required = (v: string) => (v.trim() ? true : 'required');
    if (opts.name === undefined) answers.name = await input({ message: 'Clinic name', default: answers.name, validate: required });
    if (opts.address === undefined) answers.address = await input({ message: 'Address', default: answers.address });
    if (opts.phone === undefined) answers.phone = await input({ message: 'Phone', default: answers.phone });
    if (opts.email === undefined) answers.email = await input({ message: 'Public contact e-mail', default: answers.email });
    if (opts.sender === undefined) answers.sender = await input({ message: 'Reminder e-mail sender (SES identity)', default: answers.sender, validate: required });
    if (opts.timeZone === undefined)
      answers.timeZone = await input({ message: 'Time zone', default: answers.timeZone, validate: (v) => (isTimeZone(v) ? true : 'an IANA zone, e.g. America/Sao_Paulo') });
    if (opts.locale === undefined)
      answers.locale = await select({ message: 'Language', default: answers.locale, choices: [{ name: 'Português (Brasil)', value: 'pt-BR' as const }, { name: 'English', value: 'en' as const }] });
    if (opts.target === undefined)
      answers.target = await select({ message: 'Target', default: answers.target, choices: [{ name: 'local (clinica dev, no AWS account)', value: 'local' as const }, { name: 'aws', value: 'aws' as const }] });
    if (opts.region === undefined && answers.target === 'aws') answers.region = await input({ message: 'AWS region', default: answers.region });
    if (opts.stage === undefined) answers.stage = await input({ message: 'Stage', default: answers.stage });
    if (opts.clinicCidr === undefined) {
      const text = await input({
        message: "Clinic network (CIDR, comma-separated)",
        default: answers.cidrs.join(', '),
        validate: (v) => (v.split(',').every((c) => isCidr(c.trim())) ? true : 'e.g. 192.168.1.0/24'),
      });
      answers.cidrs = text.split(',').map((c) => c.trim());
    }
    if (opts.watermark === undefined) answers.watermark = await input({ message: 'Watermark text', default: answers.watermark });
  }

  const next: ConfigInput = {
    ...base,
    clinic: { ...base.clinic, name: answers.name, address: answers.address, phone: answers.phone, email: answers.email, timeZone: answers.timeZone, locale: answers.locale },
    target: answers.target,
    stage: answers.stage,
    aws: { ...base.aws, region: answers.region, ...(answers.bucketPrefix ? { bucketPrefix: answers.bucketPrefix } : {}) },
    network: { ...base.network, clinicCidrs: answers.cidrs },
    mail: { ...base.mail, sender: answers.sender },
    images: { ...base.images, watermark: { ...base.images?.watermark, text: answers.watermark } },
  };
  try {
    await saveConfig(path, next);
  } catch (err) {
    // validated before writing: name the flag (or prompt) the value came from, not a file that was never written
    if (err instanceof ClinicaError && err.kind === 'config' && err.field) {
      const flag = Object.entries(flagOfField).find(([f]) => err.field === f || err.field!.startsWith(`${f}.`))?.[1];
      const what = flag ? `${flag} (${err.field})` : err.field;
      throw new ClinicaError('config', `${what}: ${err.message.split(`${err.field}: `).slice(1).join(`${err.field}: `)}; nothing was written`, {
        field: err.field,
        hint: `correct it and run \`clinica init\` again`,
        cause: err,
      });
    }
    throw err;
  }
  ui.result({ written: path, config: next });
  ui.print(`wrote ${path}`);
  ui.info(next.target === 'local' ? 'next: `npx clinica dev --demo`' : 'next: `npx clinica deploy --dry-run` to see the plan');
  return 0;
}
