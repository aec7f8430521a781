import { isIP } from 'node:net';
import { z } from 'zod';
import { domainName, openingSchema, publicPhone, siteSchema } from './site.js';

/** Stage names become part of bucket and function names: keep them short, lowercase, DNS-safe. */
export const stageName = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,15}$/, 'expected a stage name: lowercase letters, digits and "-", starting with a letter, at most 16 characters (e.g. "prod")');

export const cidr = z
  .string()
  .refine(isCidr, { message: 'expected a network in CIDR notation, e.g. "192.168.0.0/24" or "10.0.0.0/16"' })
  // AWS security groups refuse (or silently rewrite) a CIDR with host bits set: name the one meant
  .refine((value) => !isCidr(value) || hostBitsClear(value), {
    error: (issue) => `expected the network address "${networkAddress(String(issue.input))}" rather than "${String(issue.input)}"`,
  });

export function isCidr(value: string): boolean {
  const [addr, bits, ...rest] = value.split('/');
  if (rest.length || bits === undefined || !/^\d{1,3}$/.test(bits)) return false;
  const family = isIP(addr ?? '');
  return family !== 0 && Number(bits) <= (family === 4 ? 32 : 128);
}

/** The address as a bit string (32 or 128 characters). */
function addressBits(addr: string): string {
  if (isIP(addr) === 4) return addr.split('.').map((o) => Number(o).toString(2).padStart(8, '0')).join('');
  // an embedded IPv4 tail (::ffff:10.0.0.1) is two 16-bit groups
  const groupsOf = (part: string) =>
    part
      .split(':')
      .filter(Boolean)
      .flatMap((g) => {
        if (!g.includes('.')) return [g];
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
      });
  const [head = '', tail = ''] = addr.split('::');
  const h = groupsOf(head);
  const t = groupsOf(tail);
  const groups = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return groups.map((g) => parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}

export function hostBitsClear(value: string): boolean {
  const [addr, bits] = value.split('/');
  return !addressBits(addr!).slice(Number(bits)).includes('1');
}

/** The CIDR with its host bits cleared: "10.0.0.1/8" → "10.0.0.0/8", "2001:db8::1/64" → "2001:db8::/64". */
export function networkAddress(value: string): string {
  const [addr, bits] = value.split('/') as [string, string];
  const all = addressBits(addr);
  const net = all.slice(0, Number(bits)).padEnd(all.length, '0');
  const chunk = (size: number) => Array.from({ length: net.length / size }, (_, i) => parseInt(net.slice(i * size, (i + 1) * size), 2));
  if (isIP(addr) === 4) return `${chunk(8).join('.')}/${bits}`;
  const groups = chunk(16).map((g) => g.toString(16));
  // the longest run of two or more zero groups becomes "::" (RFC 5952)
  let best = { at: -1, length: 1 };
  for (let i = 0; i < groups.length; ) {
    let j = i;
    while (j < groups.length && groups[j] === '0') j++;
    if (j - i > best.length) best = { at: i, length: j - i };
    i = j > i ? j : i + 1;
  }
  const text = best.at < 0 ? groups.join(':') : `${groups.slice(0, best.at).join(':')}::${groups.slice(best.at + best.length).join(':')}`;
  return `${text}/${bits}`;
}

export function isTimeZone(value: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: value });
    return true;
  } catch {
    return false;
  }
}

/**
 * An e-mail sender as nodemailer and SES take it: "lembretes@clinica.com.br", or with a display name,
 * "Clínica Sorriso <lembretes@clinica.com.br>" (a name with "," or ";" must be quoted: it would split the header).
 */
export function isMailbox(value: string): boolean {
  const named = /^\s*("[^"\\]*"|[^"<>,;]*?)\s*<([^<>]+)>\s*$/.exec(value);
  return z.email().safeParse(named ? named[2]!.trim() : value.trim()).success;
}

const mailbox = z
  .string()
  .trim()
  .refine(isMailbox, { message: 'expected an e-mail address, e.g. "lembretes@clinica.com.br" or "Clínica Sorriso <lembretes@clinica.com.br>"' });

/** The retention periods CloudWatch Logs' PutRetentionPolicy accepts. */
/** a KMS key id (single- or multi-Region) or a key ARN; an alias is not a key S3 replication can be told of safely */
export const KMS_KEY_ID = /^(arn:aws[a-z-]*:kms:[a-z]{2}(-[a-z]+)+-\d:\d{12}:key\/)?([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32})$/;
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'expected a time of day as HH:MM (24 h), e.g. "09:00"');

const isoDate = z.iso.date({ message: 'expected a date as YYYY-MM-DD, e.g. "2026-12-24"' });

export const closureSchema = z.union([
  isoDate,
  z
    .object({ from: isoDate, to: isoDate, note: z.string().trim().max(120).optional() })
    .strict()
    .refine((c) => c.from <= c.to, { message: 'expected "from" on or before "to"' }),
]);
export type Closure = z.output<typeof closureSchema>;

/** Lei 13.787/2018, art. 6: dental records are kept at least 20 years from the last entry. */
export const LEGAL_RETENTION_YEARS = 20;

export const locales = ['pt-BR', 'en'] as const;
export type Locale = (typeof locales)[number];

export const reminderChannels = ['whatsapp', 'email'] as const;
export type ReminderChannel = (typeof reminderChannels)[number];

/** A WhatsApp template as approved by Meta: its name and language code. */
const whatsappTemplate = z
  .object({
    name: z.string().regex(/^[a-z0-9_]{1,512}$/, 'expected a template name of lowercase letters, digits and "_", as approved by Meta'),
    language: z.string().regex(/^[a-z]{2,3}(_[A-Z]{2})?$/, 'expected a WhatsApp language code, e.g. "pt_BR" or "en"'),
  })
  .strict();

/** WhatsApp reminders through AWS End User Messaging Social (docs/reminders.md). */
export const whatsappSchema = z
  .object({
    /** the sending number's id in End User Messaging Social, "phone-number-id-<32 hex>" */
    phoneNumberId: z
      .string()
      .regex(/^(phone-number-id-[0-9a-f]{32}|arn:aws:social-messaging:[a-z0-9-]+:\d{12}:phone-number-id\/[0-9a-f]{32})$/, 'expected the phone number id, e.g. "phone-number-id-0123456789abcdef0123456789abcdef"'),
    /** the WhatsApp Business Account's event destination (SNS topic): replies and delivery statuses */
    eventTopicArn: z.string().regex(/^arn:aws:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'expected an SNS topic ARN, e.g. "arn:aws:sns:sa-east-1:123456789012:whatsapp-events"').optional(),
    /** Meta's Cloud API version the messages are written for */
    metaApiVersion: z.string().regex(/^v\d+\.\d+$/, 'expected "v<major>.<minor>", e.g. "v20.0"').default('v20.0'),
    templates: z
      .object({ 'pt-BR': whatsappTemplate.default({ name: 'lembrete_consulta', language: 'pt_BR' }), en: whatsappTemplate.default({ name: 'appointment_reminder', language: 'en' }) })
      .strict()
      .default({ 'pt-BR': { name: 'lembrete_consulta', language: 'pt_BR' }, en: { name: 'appointment_reminder', language: 'en' } }),
  })
  .strict();
export type WhatsAppConfig = z.output<typeof whatsappSchema>;

export const reminderRule = z
  .object({
    /** the rule's name, used in --rule and in the reminder's key */
    name: z.string().regex(/^[a-z0-9-]{1,32}$/, 'expected a rule name of lowercase letters, digits and "-"'),
    /** send on the day before the appointment, from this clinic-local time */
    dayBeforeAt: hhmm.optional(),
    /** or: send this many minutes before the appointment */
    leadMinutes: z.number().int().positive().max(14 * 24 * 60).optional(),
    /**
     * the channels, in order: the first the patient consented to is used, the next is the fallback when it
     * fails for good (e.g. ["whatsapp", "email"]); default ["email"]
     */
    channels: z
      .array(z.enum(reminderChannels))
      .min(1)
      .refine((c) => new Set(c).size === c.length, { message: 'expected each channel once' })
      .optional(),
  })
  .refine((r) => (r.dayBeforeAt === undefined) !== (r.leadMinutes === undefined), {
    message: 'expected exactly one of "dayBeforeAt" or "leadMinutes"',
  });

export const configSchema = z
  .object({
    $schema: z.string().optional(),
    clinic: z
      .object({
        name: z.string().trim().min(1, 'expected the clinic name').max(120),
        address: z.string().trim().max(300).default(''),
        phone: publicPhone.default(''),
        /** public contact e-mail shown on the site and in e-mails */
        email: z
          .union([z.literal(''), z.email({ message: 'expected an e-mail address, e.g. "contato@clinica.com.br"' })])
          .default(''),
        whatsapp: publicPhone.optional(),
        timeZone: z.string().refine(isTimeZone, { message: 'expected an IANA time zone, e.g. "America/Sao_Paulo"' }).default('America/Sao_Paulo'),
        locale: z.enum(locales).default('pt-BR'),
        /**
         * opening hours, as the site shows them (site.hours when this is absent): the agenda books only within
         * them; none at all = no hours rule (see docs/agenda.md)
         */
        hours: z.array(openingSchema).max(21).optional(),
        /** days the clinic is closed: "2026-12-24" or { "from": "2026-12-24", "to": "2027-01-02", "note": "recesso" } */
        closures: z.array(closureSchema).max(500).default([]),
        /** "br-national": Brazil's national holidays (Carnival, Good Friday and Corpus Christi included) count as closures */
        holidays: z.enum(['none', 'br-national']).default('none'),
        /**
         * the word pt-BR e-mails and the calendar entry put before the name: "na" → "na Clínica Sorriso",
         * "no" → "no Consultório X", "em" → "em Sorriso Odonto"; default from the name's first word (docs/reminders.md)
         */
        preposition: z.enum(['em', 'na', 'no', 'nas', 'nos']).optional(),
      })
      .strict(),
    target: z.enum(['local', 'aws']).default('local'),
    stage: stageName.default('dev'),
    aws: z
      .object({
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region, e.g. "sa-east-1"').default('sa-east-1'),
        profile: z.string().optional(),
        endpointUrl: z.url({ protocol: /^https?$/, message: 'expected an http(s) URL, e.g. "http://127.0.0.1:4566"' }).optional(),
        /** bucket names are "<bucketPrefix>-<stage>-data" and "<bucketPrefix>-<stage>-site"; S3 names are global */
        bucketPrefix: z
          .string()
          .regex(/^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$/, 'expected lowercase letters, digits and "-", 3–42 characters')
          .optional(),
        /** SSE-KMS key for the data bucket; SSE-S3 when absent */
        kmsKeyId: z.string().optional(),
        architecture: z.enum(['arm64', 'x86_64']).default('arm64'),
        instanceType: z.string().optional(),
        /** SSH is closed unless this is set to the CIDRs allowed to reach port 22 */
        sshCidrs: z.array(cidr).default([]),
        keyName: z.string().optional(),
        /** subnet for the backend instance; default: the default VPC's first default subnet */
        subnetId: z.string().regex(/^subnet-[0-9a-f]+$/, 'expected a subnet id, e.g. "subnet-0abc1234"').optional(),
        /** origins allowed to PUT presigned uploads into the data bucket (CORS); default ["*"] (the URL's signature is the authorization) */
        corsOrigins: z.array(z.string().min(1)).optional(),
        /** days a replaced or deleted object version is kept before S3 expires it; default 90 */
        noncurrentVersionDays: z.number().int().min(1).max(3650).optional(),
        /** the backend instance's root volume (gp3, encrypted), in GiB; default 8 (Amazon Linux 2023's minimum) */
        rootVolumeGiB: z.number().int().min(8).max(1024).optional(),
        /** days the Lambda functions' CloudWatch logs are kept (one of the values CloudWatch Logs accepts); default 90 */
        logRetentionDays: z
          .number()
          .int()
          .refine((d) => LOG_RETENTION_DAYS.includes(d), { message: `expected one of ${LOG_RETENTION_DAYS.join(', ')}` })
          .optional(),
        /**
         * when the instance may reboot for a kernel update, in clinic.timeZone; default 03:00–04:00 (security
         * updates themselves are installed daily, without a reboot)
         */
        maintenanceWindow: z
          .object({ start: hhmm, end: hhmm })
          .strict()
          .refine((w) => w.start !== w.end, { message: 'expected "start" and "end" to differ' })
          .optional(),
        /** the region of the backup bucket the data bucket replicates to; default a second region (see backupRegionFor) */
        backupRegion: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'expected an AWS region, e.g. "us-east-1"').optional(),
        /** an existing bucket (e.g. in another AWS account) to replicate to instead of the one deploy creates */
        backupBucket: z
          .string()
          .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'expected an S3 bucket name (lowercase letters, digits, "-" and ".", 3–63 characters)')
          .optional(),
        /**
         * the KMS key in the backup region that encrypts the backup's replicas and is its default encryption
         * (a key id or key ARN; needed with aws.kmsKeyId: S3 replicates SSE-KMS objects only with such a key)
         */
        backupKmsKeyId: z
          .string()
          .regex(KMS_KEY_ID, 'expected a KMS key id or key ARN, e.g. "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab" (not an alias: S3 would resolve it in the writer\'s account)')
          .optional(),
        /** days Object Lock (governance mode) keeps every version in the backup bucket; default 400 */
        backupRetentionDays: z.number().int().min(1).max(36500).optional(),
      })
      .strict()
      .default({ region: 'sa-east-1', architecture: 'arm64', sshCidrs: [] }),
    network: z
      .object({
        /** the clinic's internal network(s): the only sources the backend answers (plus loopback) */
        clinicCidrs: z.array(cidr).min(1, 'expected at least one CIDR').default(['192.168.0.0/16']),
        /** reverse proxies whose X-Forwarded-For is trusted; none by default */
        trustedProxies: z.array(cidr).default([]),
        serverPort: z.number().int().min(1).max(65535).default(8080),
        /**
         * the staff page's name on target aws, e.g. "sistema.clinicasorriso.com.br": a Route 53 zone, an A record
         * on the Elastic IP and a Let's Encrypt certificate serve it over HTTPS on 443
         */
        domain: domainName.optional(),
        /**
         * serve the staff page over plain HTTP on serverPort (no domain, no certificate): only for a clinic that
         * reaches AWS over a VPN; every deploy and status warns
         */
        plainHttp: z.boolean().default(false),
      })
      .strict()
      .default({ clinicCidrs: ['192.168.0.0/16'], trustedProxies: [], serverPort: 8080, plainHttp: false }),
    auth: z
      .object({
        /** a staff session ends after this many minutes without use (OWASP ASVS V7.3); default 30 */
        idleMinutes: z.number().int().min(1).max(12 * 60).default(30),
        /** the staff page's address for invitation links (default: the address the request came to, or the local stack's) */
        pageUrl: z.url({ message: 'expected the staff page\'s address, e.g. "https://equipe.clinica.com.br/"' }).optional(),
      })
      .strict()
      .default({ idleMinutes: 30 }),
    mail: z
      .object({
        /**
         * the SES-verified sender, e.g. "Clínica Sorriso <lembretes@clinicasorriso.com.br>"; no default (a made-up
         * address is no one's to send from): without it, reminders are not sent (src/config/mail.ts)
         */
        sender: mailbox.optional(),
        replyTo: mailbox.optional(),
      })
      .strict()
      .default({}),
    images: z
      .object({
        maxPixels: z.number().int().positive().default(50_000_000),
        /** images processed at once; default: one per CPU core */
        concurrency: z.number().int().min(1).max(64).optional(),
        watermark: z
          .object({
            /** "{clinic}", "{patient}" and "{date}" are replaced; default "{clinic} · {patient} · {date}" */
            text: z.string().max(200).default('{clinic} · {patient} · {date}'),
            logo: z.string().optional(),
            position: z.enum(['bottom-right', 'bottom-left', 'top-right', 'top-left', 'center']).default('bottom-right'),
            opacity: z.number().min(0.05).max(1).default(0.6),
            /** text height as a fraction of the image's shorter side */
            size: z.number().min(0.01).max(0.3).default(0.04),
          })
          .strict()
          .default({ text: '{clinic} · {patient} · {date}', position: 'bottom-right', opacity: 0.6, size: 0.04 }),
      })
      .strict()
      .default({
        maxPixels: 50_000_000,
        watermark: { text: '{clinic} · {patient} · {date}', position: 'bottom-right', opacity: 0.6, size: 0.04 },
      }),
    reminders: z
      .object({
        rules: z
          .array(reminderRule)
          .min(1)
          // a rule's name keys its reminder records (reminders/{appointmentId}/{rule}.json): two rules of one
          // name would share them, and the second would never be sent ("already-sent")
          .superRefine((rules, ctx) => {
            rules.forEach((rule, i) => {
              if (rules.findIndex((r) => r.name === rule.name) < i) {
                ctx.addIssue({ code: 'custom', path: [i, 'name'], message: `"${rule.name}" is the name of another rule too; each rule needs its own name` });
              }
            });
          })
          .default([
          { name: 'day-before', dayBeforeAt: '09:00' },
          { name: '2h-before', leadMinutes: 120 },
        ]),
        quietHours: z.object({ start: hhmm, end: hhmm }).strict().default({ start: '21:00', end: '08:00' }),
        /** a claim older than this (a crashed run) is taken over and retried */
        claimTimeoutMinutes: z.number().int().min(1).max(24 * 60).default(15),
        /** e-mails per second; on AWS the account's SES max send rate caps it (default: that rate; 10/s locally) */
        maxSendRate: z.number().positive().max(1000).optional(),
      })
      .strict()
      .default({
        rules: [
          { name: 'day-before', dayBeforeAt: '09:00' },
          { name: '2h-before', leadMinutes: 120 },
        ],
        quietHours: { start: '21:00', end: '08:00' },
        claimTimeoutMinutes: 15,
      }),
    patients: z
      .object({
        /** clinical records must be kept this long after their last entry before a purge (Lei 13.787/2018: at least 20) */
        retentionYears: z
          .number()
          .int()
          .min(LEGAL_RETENTION_YEARS, { message: `at least ${LEGAL_RETENTION_YEARS}: Lei 13.787/2018 (art. 6) keeps the dental record ${LEGAL_RETENTION_YEARS} years from its last entry` })
          .max(100)
          .default(LEGAL_RETENTION_YEARS),
      })
      .strict()
      .default({ retentionYears: LEGAL_RETENTION_YEARS }),
    site: siteSchema.optional(),
    /** the patients' answer page (the link in every reminder) */
    answers: z
      .object({
        /**
         * on AWS, the most requests the page's function serves at once (Lambda reserved concurrency): a flood of
         * requests to its public URL costs at most this many runs at a time; default 5
         */
        reservedConcurrency: z.number().int().min(1).max(100).optional(),
      })
      .strict()
      .optional(),
    whatsapp: whatsappSchema.optional(),
  })
  .strict();

export type ConfigInput = z.input<typeof configSchema>;
export type Config = z.output<typeof configSchema>;
export type ReminderRule = z.output<typeof reminderRule>;
