/**
 * Deterministic names, tags and ARNs for a stage's AWS resources. Everything clinica creates is found again by
 * these names (and, for the EC2 instance, by its tags), so a second machine with the same config deploys the
 * same stage without any local state.
 */
import { createHash } from 'node:crypto';
import type { ResolvedConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';

export type Component = 'data' | 'site' | 'image-processor' | 'reminders' | 'server' | 'mail' | 'answers' | 'whatsapp';

export const TAG = { clinic: 'clinica:clinic', stage: 'clinica:stage', component: 'clinica:component' } as const;

export interface InfraNames {
  /** "<prefix>-<stage>", the root of every name */
  base: string;
  dataBucket: string;
  siteBucket: string;
  imageProcessorFunction: string;
  remindersFunction: string;
  imageProcessorRole: string;
  remindersRole: string;
  /** the WhatsApp events Lambda and its role (only with whatsapp.eventTopicArn) */
  whatsappEventsFunction: string;
  whatsappEventsRole: string;
  serverRole: string;
  /** the role S3 assumes to replicate the data bucket to the backup */
  replicationRole: string;
  /** the instance profile has the role's name */
  serverInstanceProfile: string;
  securityGroup: string;
  /** the EC2 Name tag */
  instanceName: string;
  /** the SQS queue image-processor sends the events it failed on (SQS names: up to 80 characters) */
  imageFailuresQueue: string;
  /** the patients' answer page (function URL) and its role */
  answersFunction: string;
  answersRole: string;
}

/**
 * "<base>-<suffix>" within `max` characters (IAM role and Lambda names: 64). Too long → the base is cut and a
 * short hash of the full name keeps it unique and stable.
 */
export function fitName(base: string, suffix: string, max = 64): string {
  const full = `${base}-${suffix}`;
  if (full.length <= max) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 6);
  const room = max - suffix.length - hash.length - 2;
  return `${base.slice(0, room).replace(/-+$/, '')}-${hash}-${suffix}`;
}

/** S3's rules for a bucket name, beyond the characters the config already limits: what is wrong, or undefined. */
export function bucketNameProblem(name: string): string | undefined {
  if (name.length > 63) return `is ${name.length} characters; S3 allows at most 63`;
  if (name.length < 3) return 'is shorter than 3 characters';
  if (!/^[a-z0-9][a-z0-9.-]*[a-z0-9]$/.test(name)) return 'may hold only lowercase letters, digits, "-" and ".", and must start and end with a letter or digit';
  if (/^\d+\.\d+\.\d+\.\d+$/.test(name)) return 'must not look like an IP address';
  if (/\.\.|\.-|-\./.test(name)) return 'must not have two periods, or a period beside a "-", in a row';
  const prefix = ['xn--', 'sthree-', 'amzn-s3-demo-'].find((p) => name.startsWith(p));
  if (prefix) return `must not start with "${prefix}" (reserved by S3)`;
  const suffix = ['-s3alias', '--ol-s3', '--x-s3', '--table-s3'].find((x) => name.endsWith(x));
  if (suffix) return `must not end with "${suffix}" (reserved by S3)`;
  return undefined;
}

/**
 * The stage's bucket names must be valid S3 names: "<prefix>-<stage>-data" can pass 63 characters (a 42-character
 * aws.bucketPrefix and a 16-character stage). A config error naming the fields, before any AWS call.
 */
export function checkBucketNames(config: Pick<ResolvedConfig, 'names' | 'stage' | 'aws'>): void {
  for (const bucket of [config.names.dataBucket, config.names.siteBucket]) {
    const problem = bucketNameProblem(bucket);
    if (!problem) continue;
    const prefixFrom = config.aws.bucketPrefix ? 'aws.bucketPrefix' : 'the clinic name (the default aws.bucketPrefix)';
    throw new ClinicaError('config', `the bucket name ${bucket} (${prefixFrom} "${config.names.prefix}" + stage "${config.stage}") ${problem}`, {
      hint: bucket.length > 63
        ? `shorten aws.bucketPrefix (${config.names.prefix.length} characters) or the stage (${config.stage.length}) by ${bucket.length - 63}`
        : 'choose another aws.bucketPrefix in clinica.config.json',
      field: 'aws.bucketPrefix',
    });
  }
}

export function infraNames(config: Pick<ResolvedConfig, 'names' | 'stage'>): InfraNames {
  const base = `${config.names.prefix}-${config.stage}`;
  const server = fitName(base, 'server');
  return {
    base,
    dataBucket: config.names.dataBucket,
    siteBucket: config.names.siteBucket,
    imageProcessorFunction: fitName(base, 'image-processor'),
    remindersFunction: fitName(base, 'reminders'),
    imageProcessorRole: fitName(base, 'image-processor'),
    remindersRole: fitName(base, 'reminders'),
    whatsappEventsFunction: fitName(base, 'whatsapp-events'),
    whatsappEventsRole: fitName(base, 'whatsapp-events'),
    serverRole: server,
    replicationRole: fitName(base, 'replication'),
    serverInstanceProfile: server,
    securityGroup: fitName(base, 'server', 255),
    instanceName: server,
    imageFailuresQueue: fitName(base, 'image-failures', 80),
    answersFunction: fitName(base, 'answers'),
    answersRole: fitName(base, 'answers'),
  };
}

/** The three tags every resource carries (plus Name for EC2). */
export function tagsFor(config: Pick<ResolvedConfig, 'names' | 'stage'>, component: Component): Record<string, string> {
  return { [TAG.clinic]: config.names.prefix, [TAG.stage]: config.stage, [TAG.component]: component };
}

export const toTagList = (tags: Record<string, string>) => Object.entries(tags).map(([Key, Value]) => ({ Key, Value }));

export function fromTagList(list: { Key?: string; Value?: string }[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of list ?? []) if (t.Key) out[t.Key] = t.Value ?? '';
  return out;
}

/** Tags another clinic or stage put there: the resource is someone else's and clinica must not touch it. */
export function foreignOwner(actual: Record<string, string>, wanted: Record<string, string>): string | undefined {
  for (const key of [TAG.clinic, TAG.stage] as const) {
    if (actual[key] !== undefined && actual[key] !== wanted[key]) return `${key}=${actual[key]}`;
  }
  return undefined;
}

/** Missing or different clinica tags, as "key=value" (for the plan's why). */
export function missingTags(actual: Record<string, string>, wanted: Record<string, string>): string[] {
  return Object.entries(wanted)
    .filter(([k, v]) => actual[k] !== v)
    .map(([k, v]) => `${k}=${v}`);
}

export interface Arns {
  partition: string;
  region: string;
  account: string;
}

export const arn = {
  bucket: (a: Arns, bucket: string) => `arn:${a.partition}:s3:::${bucket}`,
  objects: (a: Arns, bucket: string, prefix = '') => `arn:${a.partition}:s3:::${bucket}/${prefix}*`,
  role: (a: Arns, name: string) => `arn:${a.partition}:iam::${a.account}:role/${name}`,
  instanceProfile: (a: Arns, name: string) => `arn:${a.partition}:iam::${a.account}:instance-profile/${name}`,
  function: (a: Arns, name: string) => `arn:${a.partition}:lambda:${a.region}:${a.account}:function:${name}`,
  logGroup: (a: Arns, name: string) => `arn:${a.partition}:logs:${a.region}:${a.account}:log-group:${name}`,
  sesIdentity: (a: Arns, identity: string) => `arn:${a.partition}:ses:${a.region}:${a.account}:identity/${identity}`,
  queue: (a: Arns, name: string) => `arn:${a.partition}:sqs:${a.region}:${a.account}:${name}`,
  kmsKey: (a: Arns, key: string) => (key.startsWith('arn:') ? key : `arn:${a.partition}:kms:${a.region}:${a.account}:key/${key}`),
};

/**
 * How a policy statement names a KMS key: its ARN, or — an alias cannot be a Resource — the account's keys in
 * the region that carry that alias (kms:ResourceAliases).
 */
export function kmsKeyScope(a: Arns, key: string): { Resource: string; Condition?: Record<string, Record<string, string>> } {
  if (!key.startsWith('alias/')) return { Resource: arn.kmsKey(a, key) };
  return { Resource: `arn:${a.partition}:kms:${a.region}:${a.account}:key/*`, Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': key } } };
}

/** The S3 static-website endpoint of a bucket (older regions use "s3-website-<region>", newer "s3-website.<region>"). */
export function websiteUrl(bucket: string, region: string, endpoint?: string): string {
  if (endpoint) return `${endpoint.replace(/\/+$/, '')}/${bucket}/`;
  const dash = ['us-east-1', 'us-west-1', 'us-west-2', 'eu-west-1', 'ap-southeast-1', 'ap-southeast-2', 'ap-northeast-1', 'sa-east-1', 'us-gov-west-1'];
  return `http://${bucket}.s3-website${dash.includes(region) ? '-' : '.'}${region}.amazonaws.com/`;
}

/**
 * The second region a stage's backup goes to by default: another region, so one region's outage or a mistake
 * there does not take both copies. sa-east-1 (São Paulo) → us-east-1, the nearest with the lowest storage price
 * (LGPD allows the transfer to a processor under contract: AWS's DPA); us-east-1 → us-east-2; any other → us-east-1.
 */
export function backupRegionFor(region: string): string {
  return region === 'us-east-1' ? 'us-east-2' : 'us-east-1';
}

/** Where the stage's backup copy lives: aws.backupBucket (another account's) or "<prefix>-<stage>-backup". */
export function backupLocation(config: Pick<ResolvedConfig, 'names' | 'stage' | 'aws'>): { bucket: string; region: string; external: boolean } {
  return {
    bucket: config.aws.backupBucket ?? `${config.names.prefix}-${config.stage}-backup`,
    region: config.aws.backupRegion ?? backupRegionFor(config.aws.region),
    external: Boolean(config.aws.backupBucket),
  };
}
