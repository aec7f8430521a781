/**
 * The one factory for AWS SDK clients. Every client in clinica is made here, from an AwsTarget derived from
 * the resolved config, so region, profile, endpoint, retries, timeouts and the local-server quirks are set in
 * one place. SDK packages are imported lazily: a command that never talks to AWS never pays for them.
 */
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SESClient } from '@aws-sdk/client-ses';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { LambdaClient } from '@aws-sdk/client-lambda';
import type { IAMClient } from '@aws-sdk/client-iam';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { Route53Client } from '@aws-sdk/client-route-53';

/** Where and how to reach AWS (or an AWS-compatible emulator). */
export interface AwsTarget {
  region: string;
  profile?: string;
  /** endpoint for every service (e.g. --endpoint-url of an emulator) */
  endpoint?: string;
  /** per-service endpoints (the local stack runs S3 and SES on different ports) */
  endpoints?: Partial<Record<'s3' | 'ses' | 'ec2' | 'lambda' | 'iam' | 'ssm' | 'sts' | 'route53', string>>;
  /** static credentials (the local stack); otherwise the default chain with `profile` */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /**
   * An S3-compatible server rather than AWS: path-style addressing and checksums only when required
   * (s3rver stores the SDK's default aws-chunked uploads with their framing bytes — silent corruption).
   */
  s3Compatible?: boolean;
  maxAttempts?: number;
  /** per-request socket timeout; the local SES never answers actions it doesn't know */
  requestTimeoutMs?: number;
}

/**
 * How AWS is named in messages before the account is known: "AWS (sa-east-1)", or "AWS (sa-east-1, profile
 * clinica)" — so "no AWS credentials for …" says which profile gave none (a mistyped --profile or AWS_PROFILE).
 */
export const awsWhere = (target: Pick<AwsTarget, 'region' | 'profile' | 'credentials'>) =>
  `AWS (${target.region}${target.profile && !target.credentials ? `, profile ${target.profile}` : ''})`;

/** The credentials s3rver accepts (any other access key gets 403; secrets are not checked). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

type Service = keyof NonNullable<AwsTarget['endpoints']>;

function baseConfig(target: AwsTarget, service: Service) {
  return {
    region: target.region,
    ...(target.profile && !target.credentials ? { profile: target.profile } : {}),
    ...(target.credentials ? { credentials: target.credentials } : {}),
    endpoint: target.endpoints?.[service] ?? target.endpoint,
    maxAttempts: target.maxAttempts ?? 4,
    requestHandler: {
      connectionTimeout: 5_000,
      requestTimeout: target.requestTimeoutMs ?? 60_000,
      throwOnRequestTimeout: true,
    },
  };
}

export async function s3Client(target: AwsTarget): Promise<S3Client> {
  const { S3Client } = await import('@aws-sdk/client-s3');
  const config: S3ClientConfig = baseConfig(target, 's3');
  if (target.s3Compatible) {
    config.forcePathStyle = true;
    config.requestChecksumCalculation = 'WHEN_REQUIRED';
    config.responseChecksumValidation = 'WHEN_REQUIRED';
  }
  return new S3Client(config);
}

export async function sesClient(target: AwsTarget): Promise<SESClient> {
  const { SESClient } = await import('@aws-sdk/client-ses');
  return new SESClient(baseConfig(target, 'ses'));
}

export async function ec2Client(target: AwsTarget): Promise<EC2Client> {
  const { EC2Client } = await import('@aws-sdk/client-ec2');
  return new EC2Client(baseConfig(target, 'ec2'));
}

export async function lambdaClient(target: AwsTarget): Promise<LambdaClient> {
  const { LambdaClient } = await import('@aws-sdk/client-lambda');
  return new LambdaClient(baseConfig(target, 'lambda'));
}

export async function iamClient(target: AwsTarget): Promise<IAMClient> {
  const { IAMClient } = await import('@aws-sdk/client-iam');
  // IAM is a global service; its endpoint lives in us-east-1 (unless an emulator says otherwise).
  return new IAMClient({ ...baseConfig(target, 'iam'), region: target.endpoint || target.endpoints?.iam ? target.region : 'us-east-1' });
}

export async function ssmClient(target: AwsTarget): Promise<SSMClient> {
  const { SSMClient } = await import('@aws-sdk/client-ssm');
  return new SSMClient(baseConfig(target, 'ssm'));
}

export async function stsClient(target: AwsTarget): Promise<STSClient> {
  const { STSClient } = await import('@aws-sdk/client-sts');
  return new STSClient(baseConfig(target, 'sts'));
}

export async function route53Client(target: AwsTarget): Promise<Route53Client> {
  const { Route53Client } = await import('@aws-sdk/client-route-53');
  // Route 53 is a global service; its endpoint lives in us-east-1 (unless an emulator says otherwise).
  return new Route53Client({ ...baseConfig(target, 'route53'), region: target.endpoint || target.endpoints?.route53 ? target.region : 'us-east-1' });
}
