/**
 * What every resource module works with: the config, the names, the SDK clients (from the one factory in
 * src/aws/clients.ts), the account, a Log, an injectable sleep (tests don't wait), the bundles, and the ids
 * learned while reading and applying (a security group's id is known only once it exists).
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { SESClient } from '@aws-sdk/client-ses';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Route53Client } from '@aws-sdk/client-route-53';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import type { ACMClient } from '@aws-sdk/client-acm';
import type { SQSClient } from '@aws-sdk/client-sqs';
import { acmClient, awsWhere, cloudfrontClient, ec2Client, iamClient, lambdaClient, logsClient, route53Client, s3Client, sesClient, sqsClient, ssmClient, stsClient, type AwsTarget } from '../aws/clients.js';
import { describeAwsError } from '../aws/errors.js';
import type { ResolvedConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';
import { silentLog, type Log } from '../log.js';
import type { Bundle, BundleName } from './bundle.js';
import { checkBucketNames, infraNames, tagsFor, type Arns, type Component, type InfraNames } from './names.js';
import { realSleep, type Sleep } from './retry.js';

export interface AwsClients {
  s3: S3Client;
  iam: IAMClient;
  lambda: LambdaClient;
  ec2: EC2Client;
  ssm: SSMClient;
  ses: SESClient;
  sts: STSClient;
  route53: Route53Client;
  logs: CloudWatchLogsClient;
  cloudfront: CloudFrontClient;
  acm: ACMClient;
  sqs: SQSClient;
}

/** Ids and addresses that exist only in AWS; filled while reading, updated while applying. */
export interface Facts {
  vpcId?: string;
  subnetId?: string;
  securityGroupId?: string;
  amiId?: string;
  instance?: { id: string; state: string; privateIp?: string; publicIp?: string; launchedAt?: string };
  serverRelease?: string;
  hostedZoneId?: string;
  zoneName?: string;
  nameServers?: string[];
  elasticIp?: { allocationId: string; publicIp: string };
  /** the public site's CloudFront distribution: id, ARN and its *.cloudfront.net name */
  distribution?: { id: string; arn: string; domainName: string };
  siteOacId?: string;
  siteHeadersPolicyId?: string;
  siteCertificateArn?: string;
  /** the patients' answer page: its function URL (https://<id>.lambda-url.<region>.on.aws/) */
  answersUrl?: string;
}

export interface InfraContext {
  config: ResolvedConfig;
  target: AwsTarget;
  names: InfraNames;
  arns: Arns;
  clients: AwsClients;
  log: Log;
  sleep: Sleep;
  facts: Facts;
  /** the deployable code, built on first use (esbuild + zip); memoized */
  bundle(name: BundleName): Promise<Bundle>;
  tags(component: Component): Record<string, string>;
  /** how AWS is named in messages: "AWS account 123456789012 (sa-east-1)" or the endpoint */
  where: string;
}

export type BundleSource = (name: BundleName) => Promise<Bundle>;

export interface OpenInfraOptions {
  log?: Log;
  sleep?: Sleep;
  /** where bundles come from (tests pass prebuilt ones); default: build them with esbuild */
  bundles?: BundleSource;
}

export async function makeClients(target: AwsTarget): Promise<AwsClients> {
  const [s3, iam, lambda, ec2, ssm, ses, sts, route53, logs, cloudfront, acm, sqs] = await Promise.all([
    s3Client(target),
    iamClient(target),
    lambdaClient(target),
    ec2Client(target),
    ssmClient(target),
    // SES emulators leave the identity calls unanswered: don't wait a minute for them
    sesClient(target.endpoint ? { ...target, requestTimeoutMs: 5_000, maxAttempts: 1 } : target),
    stsClient(target),
    route53Client(target),
    logsClient(target),
    cloudfrontClient(target),
    acmClient(target),
    sqsClient(target),
  ]);
  return { s3, iam, lambda, ec2, ssm, ses, sts, route53, logs, cloudfront, acm, sqs };
}

/**
 * Runs one AWS call; credentials, network, throttling and access-denied problems become the one-line
 * ClinicaError of describeAwsError, anything else an error naming the call.
 */
export async function awsCall<T>(ctx: Pick<InfraContext, 'where'>, what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw wrapAwsError(err, ctx.where, what);
  }
}

export function wrapAwsError(err: unknown, where: string, what: string): unknown {
  if (err instanceof ClinicaError) return err;
  const described = describeAwsError(err, where);
  if (described instanceof ClinicaError) {
    return new ClinicaError(described.kind, `${what}: ${described.message}`, { hint: described.hint, cause: err, exitCode: described.exitCode });
  }
  const e = err as { name?: string; message?: string };
  return new ClinicaError('internal', `${what} failed: ${e?.name ?? 'Error'}: ${e?.message ?? String(err)}`, { cause: err });
}

export async function openInfra(config: ResolvedConfig, target: AwsTarget, options: OpenInfraOptions = {}): Promise<InfraContext> {
  checkBucketNames(config);
  const clients = await makeClients(target);
  const endpoint = target.endpoint;
  let account: string;
  let partition = 'aws';
  const { GetCallerIdentityCommand } = await import('@aws-sdk/client-sts');
  try {
    const me = await clients.sts.send(new GetCallerIdentityCommand({}));
    account = me.Account ?? '000000000000';
    partition = me.Arn?.split(':')[1] || 'aws';
  } catch (err) {
    const wrapped = wrapAwsError(err, endpoint ? `endpoint ${endpoint}` : awsWhere(target), 'STS GetCallerIdentity');
    if (endpoint && wrapped instanceof ClinicaError && wrapped.kind === 'internal') {
      // it answered, but not as AWS does: most often an S3-only server (the local S3 of `clinica dev`, MinIO)
      const e = err as { name?: string; message?: string };
      throw new ClinicaError('unavailable', `endpoint ${endpoint} does not answer as AWS STS (GetCallerIdentity: ${e?.name ?? 'Error'}: ${(e?.message ?? String(err)).split('\n')[0]})`, {
        hint: '--endpoint-url must answer for every service deploy, status and destroy call (STS, S3, IAM, Lambda, EC2, SSM, SES), as an AWS emulator does; an S3-only server such as the local S3 of `clinica dev` is not enough',
        cause: err,
      });
    }
    throw wrapped;
  }
  const names = infraNames(config);
  const bundles = new Map<BundleName, Promise<Bundle>>();
  const source: BundleSource =
    options.bundles ??
    (async (name) => {
      const { buildBundle } = await import('./bundle.js');
      return buildBundle(name, { config, log: options.log ?? silentLog });
    });
  return {
    config,
    target,
    names,
    arns: { partition, region: target.region, account },
    clients,
    log: options.log ?? silentLog,
    sleep: options.sleep ?? realSleep,
    facts: {},
    bundle(name) {
      let b = bundles.get(name);
      if (!b) {
        b = source(name);
        bundles.set(name, b);
      }
      return b;
    },
    tags: (component) => tagsFor(config, component),
    where: endpoint ? `endpoint ${endpoint}` : `AWS account ${account} (${target.region})`,
  };
}

/**
 * Whether an SDK error is one of these AWS error codes. Modeled errors are named after their class
 * ("NoSuchEntity" arrives as NoSuchEntityException from IAM), unmodeled ones after the code itself.
 */
export function isAwsError(err: unknown, ...codes: string[]): boolean {
  const e = err as { name?: string; Code?: string; code?: string };
  const seen = [e?.name, e?.Code, e?.code].filter((n): n is string => typeof n === 'string').map((n) => n.replace(/Exception$/, ''));
  return codes.some((c) => seen.includes(c.replace(/Exception$/, '')));
}

/** The error's name (SDK v3 sets it to the AWS error code or the modeled exception's class). */
export const errorName = (err: unknown): string | undefined => (err as { name?: string })?.name;
export const httpStatus = (err: unknown): number | undefined => (err as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
