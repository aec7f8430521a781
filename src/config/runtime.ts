/**
 * How the deployed parts (the EC2 backend, the Lambdas) get their settings: environment variables set by
 * `clinica deploy` (or by `clinica dev` for the local twins). No secrets travel this way — the instance and
 * functions use their IAM roles.
 *
 *   CLINICA_CONFIG_JSON   the clinic's config (clinica.config.json, validated again here)
 *   CLINICA_STAGE         stage name (overrides the config's)
 *   CLINICA_DATA_BUCKET   the private data bucket
 *   CLINICA_SITE_BUCKET   the public site bucket (optional)
 *   AWS_REGION            set by Lambda itself; by the systemd unit on EC2
 *   CLINICA_S3_ENDPOINT / CLINICA_SES_ENDPOINT   only for the local stack and emulators
 *   CLINICA_ANSWERS_URL   the patients' answer page (its function URL): reminders carry signed links to it
 */
import type { AwsTarget } from '../aws/clients.js';
import { ClinicaError } from '../errors.js';
import { parseConfig, resourceNames, type ResolvedConfig } from './load.js';

export const RUNTIME_ENV = {
  config: 'CLINICA_CONFIG_JSON',
  stage: 'CLINICA_STAGE',
  dataBucket: 'CLINICA_DATA_BUCKET',
  siteBucket: 'CLINICA_SITE_BUCKET',
  s3Endpoint: 'CLINICA_S3_ENDPOINT',
  sesEndpoint: 'CLINICA_SES_ENDPOINT',
  answersUrl: 'CLINICA_ANSWERS_URL',
} as const;

export interface RuntimeSettings {
  config: ResolvedConfig;
  target: AwsTarget;
  dataBucket: string;
  siteBucket?: string;
  /** the patients' answer page, when deployed */
  answersUrl?: string;
}

/** The environment a deployed part needs, from the resolved config (used by deploy and by clinica dev). */
export function runtimeEnv(config: ResolvedConfig, extra: { s3Endpoint?: string; sesEndpoint?: string } = {}): Record<string, string> {
  const { configPath: _p, projectDir: _d, stateDir: _s, names: _n, ...plain } = config;
  const env: Record<string, string> = {
    [RUNTIME_ENV.config]: JSON.stringify(plain),
    [RUNTIME_ENV.stage]: config.stage,
    [RUNTIME_ENV.dataBucket]: config.names.dataBucket,
    [RUNTIME_ENV.siteBucket]: config.names.siteBucket,
  };
  if (extra.s3Endpoint) env[RUNTIME_ENV.s3Endpoint] = extra.s3Endpoint;
  if (extra.sesEndpoint) env[RUNTIME_ENV.sesEndpoint] = extra.sesEndpoint;
  return env;
}

export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): RuntimeSettings {
  const raw = env[RUNTIME_ENV.config];
  if (!raw) throw new ClinicaError('config', `${RUNTIME_ENV.config} is not set`, { hint: 'deploy sets it; locally, clinica dev does' });
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ClinicaError('config', `${RUNTIME_ENV.config} is not valid JSON`);
  }
  const base = parseConfig(parsed, RUNTIME_ENV.config);
  const stage = env[RUNTIME_ENV.stage] ?? base.stage;
  const names = resourceNames({ ...base, stage });
  const dataBucket = env[RUNTIME_ENV.dataBucket] ?? names.dataBucket;
  const region = env.AWS_REGION ?? env.AWS_DEFAULT_REGION ?? base.aws.region;
  const s3Endpoint = env[RUNTIME_ENV.s3Endpoint];
  const sesEndpoint = env[RUNTIME_ENV.sesEndpoint];
  const local = Boolean(s3Endpoint);
  const target: AwsTarget = {
    region,
    endpoints: { ...(s3Endpoint ? { s3: s3Endpoint } : {}), ...(sesEndpoint ? { ses: sesEndpoint } : {}) },
    s3Compatible: local,
    ...(local ? { credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, requestTimeoutMs: 15_000 } : {}),
  };
  return {
    config: { ...base, stage, projectDir: '.', stateDir: '.clinica', names: { ...names, dataBucket } },
    target,
    dataBucket,
    siteBucket: env[RUNTIME_ENV.siteBucket],
    answersUrl: env[RUNTIME_ENV.answersUrl] || undefined,
  };
}
