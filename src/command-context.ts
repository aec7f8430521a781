/**
 * What a CLI command works with: the resolved config, where AWS (or the local stack) is, who is acting (for
 * the audit log), and lazily made stores. Building a Context reads files only; no SDK is loaded until a
 * store or client is asked for.
 */
import { userInfo, hostname } from 'node:os';
import type { AwsTarget } from './aws/clients.js';
import { localS3Where } from './aws/errors.js';
import { loadConfig, type GlobalOptions, type ResolvedConfig } from './config/load.js';
import { localTarget, readEndpoints, type LocalEndpoints } from './local/endpoints.js';
import type { Store } from './store/store.js';

export interface Context {
  config: ResolvedConfig;
  target: AwsTarget;
  /** the running `clinica dev` stack, when target is local */
  local?: LocalEndpoints;
  /** who is acting, for the audit log: "cli:<os user>@<host>" */
  actor: string;
  dataStore(): Promise<Store>;
  siteStore(): Promise<Store>;
  /** a store on another bucket of the same target (another stage's data, the backup), in its region */
  storeFor(bucket: string, region?: string): Promise<Store>;
}

export function awsTarget(config: ResolvedConfig): AwsTarget {
  return {
    region: config.aws.region,
    profile: config.aws.profile,
    endpoint: config.aws.endpointUrl,
    // an AWS-compatible emulator behind --endpoint-url wants path-style S3
    s3Compatible: Boolean(config.aws.endpointUrl),
  };
}

export function cliActor(): string {
  let user = 'unknown';
  try {
    user = userInfo().username;
  } catch {
    /* no passwd entry (containers) */
  }
  return `cli:${user}@${hostname()}`;
}

/**
 * @param needsStack false for commands that work without a running local stack (init, dev itself, site build)
 * @param config the config the command already loaded from these options (read once)
 */
export function openContext(options: GlobalOptions, needsStack = true, config: ResolvedConfig = loadConfig(options)): Context {
  let local: LocalEndpoints | undefined;
  let target: AwsTarget;
  // an endpoint URL (flag › CLINICA_ENDPOINT_URL › file) points every client there, on target local too
  if (config.target === 'local' && !config.aws.endpointUrl) {
    local = needsStack ? readEndpoints(config.stateDir) : undefined;
    target = local ? localTarget(local) : localTarget({ s3: 'http://127.0.0.1:4568', ses: 'http://127.0.0.1:8005', region: config.aws.region });
  } else {
    target = awsTarget(config);
  }
  const stores = new Map<string, Promise<Store>>();
  const store = (bucket: string, region = target.region) => {
    let s = stores.get(`${bucket}@${region}`);
    if (!s) {
      s = (async () => {
        const [{ s3Client }, { Store }] = await Promise.all([import('./aws/clients.js'), import('./store/store.js')]);
        const where = local ? localS3Where(local.s3) : target.endpoint ? `S3 at ${target.endpoint}` : `S3 bucket ${bucket} (${region}${target.profile ? `, profile ${target.profile}` : ''})`;
        return new Store(await s3Client({ ...target, region }), bucket, where);
      })();
      stores.set(`${bucket}@${region}`, s);
    }
    return s;
  };
  return {
    config,
    target,
    local,
    actor: cliActor(),
    dataStore: () => store(local?.dataBucket ?? config.names.dataBucket),
    siteStore: () => store(local?.siteBucket ?? config.names.siteBucket),
    // the local stack is one S3 in one region: every bucket is there
    storeFor: (bucket, region) => store(bucket, local ? target.region : region),
  };
}
