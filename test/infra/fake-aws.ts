/* eslint-disable @typescript-eslint/no-explicit-any -- AWS requests and answers are plain JSON here */
/**
 * One helper mocks every AWS client clinica uses (aws-sdk-client-mock on S3, IAM, Lambda, EC2, SSM, SES,
 * STS), so no infra test can reach AWS. Behind the mocks sits a small in-memory account that remembers what
 * was created and answers the Get/Describe calls the way AWS does (IAM documents URL-encoded, a fresh security
 * group with its allow-all egress, Lambda updates "InProgress" until read once, instances "pending" until
 * described once). Every call is recorded in order, across clients.
 */
import { createHash } from 'node:crypto';
import { mockClient } from 'aws-sdk-client-mock';
import { S3Client } from '@aws-sdk/client-s3';
import { IAMClient } from '@aws-sdk/client-iam';
import { LambdaClient } from '@aws-sdk/client-lambda';
import { EC2Client } from '@aws-sdk/client-ec2';
import { SSMClient } from '@aws-sdk/client-ssm';
import { SESClient } from '@aws-sdk/client-ses';
import { STSClient } from '@aws-sdk/client-sts';
import { Route53Client } from '@aws-sdk/client-route-53';
import { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { CloudFrontClient } from '@aws-sdk/client-cloudfront';
import { ACMClient } from '@aws-sdk/client-acm';
import { SQSClient } from '@aws-sdk/client-sqs';
import { SNSClient } from '@aws-sdk/client-sns';

export interface Call {
  service: string;
  command: string;
  input: Record<string, any>;
}

type Handler = (input: any) => unknown;

export const awsError = (name: string, message = name, status = 400) => Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status }, $fault: 'client' });

const READ = /^(Get|List|Describe|Head)/;
/** a handler whose answer is empty */
const ok = (_effect: unknown) => ({});

interface Bucket {
  /** the region it was created in (CreateBucketConfiguration.LocationConstraint; us-east-1 without one) */
  region?: string;
  settings: Record<string, any>;
  objects: Map<string, { body: Buffer; versionId: string; metadata?: Record<string, string>; replicationStatus?: string }[]>;
}

interface Role {
  trust: string;
  tags: { Key: string; Value: string }[];
  inline: Map<string, string>;
  attached: string[];
}

interface Fn {
  config: Record<string, any>;
  tags: Record<string, string>;
  policy: any[];
  settleAfterReads: number;
  reserved?: number;
  /** function URLs by qualifier ('' for the function itself) */
  urls?: Map<string, Record<string, any>>;
  /** PutFunctionEventInvokeConfig's settings */
  eventConfig?: any;
}

interface Queue {
  attributes: Record<string, string>;
  tags: Record<string, string>;
  messages: { MessageId: string; Body: string; ReceiptHandle?: string; visible: boolean }[];
}

/** What a synchronous Invoke answers (FunctionError set: the function threw). */
export type InvokeResult = { FunctionError?: string; Payload?: unknown };

/** The instance types the fake account knows (DescribeInstanceTypes). */
const INSTANCE_TYPES: Record<string, { architectures: string[]; burstable: boolean }> = {
  't4g.micro': { architectures: ['arm64'], burstable: true },
  't4g.small': { architectures: ['arm64'], burstable: true },
  't3.micro': { architectures: ['i386', 'x86_64'], burstable: true },
  'm7g.medium': { architectures: ['arm64'], burstable: false },
  'trn1.2xlarge': { architectures: ['x86_64'], burstable: false },
};

export interface FakeAwsOptions {
  account?: string;
  region?: string;
  /** default true: the region has a default VPC with two default subnets */
  defaultVpc?: boolean;
  /** default true: ACM issues a certificate once its validation CNAME is in a zone (false: the zone is not delegated) */
  acmValidates?: boolean;
}

export function fakeAws(options: FakeAwsOptions = {}) {
  const account = options.account ?? '123456789012';
  const region = options.region ?? 'sa-east-1';
  const calls: Call[] = [];
  const failures = new Map<string, Error[]>();
  let counter = 0;
  const id = (prefix: string) => `${prefix}-${(++counter).toString(16).padStart(8, '0')}`;

  const buckets = new Map<string, Bucket>();
  const subscriptions = new Map<string, { TopicArn: string; Protocol: string; Endpoint: string }>();
  const roles = new Map<string, Role>();
  const profiles = new Map<string, { roles: string[]; tags: { Key: string; Value: string }[] }>();
  const functions = new Map<string, Fn>();
  const groups = new Map<string, any>();
  const instances = new Map<string, any>();
  const identities = new Map<string, string>();
  /** Easy DKIM per domain, as VerifyDomainDkim leaves it */
  const dkim = new Map<string, { DkimEnabled: boolean; DkimVerificationStatus: string; DkimTokens: string[] }>();
  const addresses = new Map<string, any>();
  const zones = new Map<string, { name: string; tags: { Key: string; Value: string }[]; records: any[]; nameServers: string[] }>();
  const logGroups = new Map<string, { tags: Record<string, string>; retentionInDays?: number }>();
  /** CloudFront: OACs, response headers policies and distributions by id, each with its ETag */
  const oacs = new Map<string, { config: any; etag: string }>();
  const headerPolicies = new Map<string, { config: any; etag: string }>();
  const distributions = new Map<string, { config: any; etag: string; status: string; readsUntilDeployed: number; tags: any[]; domainName: string }>();
  const invalidations: any[] = [];
  /** ACM (us-east-1) certificates by ARN; the validation record is named from the second DescribeCertificate on */
  const certificates = new Map<string, { domain: string; status: string; tags: any[]; describes: number; record: { Name: string; Type: string; Value: string }; notAfter?: Date; token?: string }>();
  /** SQS queues by name */
  const queues = new Map<string, Queue>();
  const queueUrl = (name: string) => `https://sqs.${region}.amazonaws.com/${account}/${name}`;
  const queue = (url: string) => {
    const q = queues.get(url.split('/').pop()!);
    if (!q) throw awsError('QueueDoesNotExist', 'The specified queue does not exist.', 400);
    return q;
  };
  /** what image-processor (or any function) answers a synchronous Invoke with; default: success */
  let invoke: (functionName: string, payload: any) => InvokeResult = () => ({ Payload: null });
  const certificate = (arn: string) => {
    const c = certificates.get(arn);
    if (!c) throw awsError('ResourceNotFoundException', `Could not find certificate ${arn}.`, 400);
    return c;
  };
  const etag = () => id('ETAG').toUpperCase();
  const matchEtag = (item: { etag: string } | undefined, ifMatch: string, what: string) => {
    if (!item) throw awsError(`NoSuch${what}`, `The specified ${what} does not exist.`, 404);
    if (item.etag !== ifMatch) throw awsError('PreconditionFailed', 'The If-Match version is missing or not valid', 412);
  };
  const distView = (Id: string) => {
    const d = distributions.get(Id)!;
    if (d.status === 'InProgress' && d.readsUntilDeployed-- <= 0) d.status = 'Deployed';
    return { Id, ARN: `arn:aws:cloudfront::${account}:distribution/${Id}`, DomainName: d.domainName, Status: d.status, DistributionConfig: structuredClone(d.config) };
  };
  const vpcs = options.defaultVpc === false ? [] : [{ VpcId: 'vpc-default', IsDefault: true }];
  const subnets = options.defaultVpc === false ? [] : [
    { SubnetId: 'subnet-b', VpcId: 'vpc-default', AvailabilityZone: `${region}b`, DefaultForAz: true },
    { SubnetId: 'subnet-a', VpcId: 'vpc-default', AvailabilityZone: `${region}a`, DefaultForAz: true },
  ];

  const bucket = (name: string) => {
    const b = buckets.get(name);
    if (!b) throw awsError('NoSuchBucket', 'The specified bucket does not exist', 404);
    return b;
  };
  const setting = (name: string, key: string, missing: string) => (input: any) => {
    const value = bucket(input.Bucket).settings[key];
    if (value === undefined) {
      if (missing === 'empty') return {};
      throw awsError(missing, missing, 404);
    }
    return structuredClone(value);
  };
  const put = (key: string, from: (input: any) => unknown) => (input: any) => {
    bucket(input.Bucket).settings[key] = from(input);
    return {};
  };
  const role = (name: string) => {
    const r = roles.get(name);
    if (!r) throw awsError('NoSuchEntityException', `The role with name ${name} cannot be found.`, 404);
    return r;
  };
  const fn = (name: string) => {
    const f = functions.get(name);
    if (!f) throw awsError('ResourceNotFoundException', `Function not found: ${name}`, 404);
    return f;
  };
  const fnView = (f: Fn) => {
    if (f.settleAfterReads > 0 && --f.settleAfterReads === 0) {
      f.config.State = 'Active';
      f.config.LastUpdateStatus = 'Successful';
    }
    return {
      Configuration: structuredClone(f.config),
      Tags: { ...f.tags },
      ...(f.reserved === undefined ? {} : { Concurrency: { ReservedConcurrentExecutions: f.reserved } }),
    };
  };
  const group = (gid: string) => {
    const g = groups.get(gid);
    if (!g) throw awsError('InvalidGroup.NotFound', `The security group '${gid}' does not exist`);
    return g;
  };
  const sha = (zip: Uint8Array) => createHash('sha256').update(zip).digest('base64');
  const matchesFilters = (tags: { Key: string; Value: string }[], state: string, filters: { Name: string; Values: string[] }[] = []) =>
    filters.every((f) => {
      if (f.Name === 'instance-state-name') return f.Values.includes(state);
      if (f.Name.startsWith('tag:')) return tags.some((t) => t.Key === f.Name.slice(4) && f.Values.includes(t.Value));
      return true;
    });
  const addPermissions = (list: any[], perms: any[]) => {
    for (const p of perms) {
      const existing = list.find((x) => x.IpProtocol === p.IpProtocol && x.FromPort === p.FromPort && x.ToPort === p.ToPort);
      if (existing) {
        existing.IpRanges = [...(existing.IpRanges ?? []), ...(p.IpRanges ?? [])];
        existing.Ipv6Ranges = [...(existing.Ipv6Ranges ?? []), ...(p.Ipv6Ranges ?? [])];
      } else list.push(structuredClone({ IpRanges: [], Ipv6Ranges: [], ...p }));
    }
  };
  const removePermissions = (list: any[], perms: any[]) => {
    for (const p of perms) {
      const existing = list.find((x) => x.IpProtocol === p.IpProtocol && (p.IpProtocol === '-1' || (x.FromPort === p.FromPort && x.ToPort === p.ToPort)));
      if (!existing) throw awsError('InvalidPermission.NotFound', 'rule not found');
      const drop = new Set([...(p.IpRanges ?? []).map((r: any) => r.CidrIp), ...(p.Ipv6Ranges ?? []).map((r: any) => r.CidrIpv6)]);
      existing.IpRanges = (existing.IpRanges ?? []).filter((r: any) => !drop.has(r.CidrIp));
      existing.Ipv6Ranges = (existing.Ipv6Ranges ?? []).filter((r: any) => !drop.has(r.CidrIpv6));
      if (!existing.IpRanges.length && !existing.Ipv6Ranges.length) list.splice(list.indexOf(existing), 1);
    }
  };
  const describeInstance = (i: any) => {
    if (i.State.Name === 'pending') i.State = { Name: 'running', Code: 16 };
    else if (i.State.Name === 'shutting-down') i.State = { Name: 'terminated', Code: 48 };
    return structuredClone(i);
  };

  const handlers: Record<string, Record<string, Handler>> = {
    STS: {
      GetCallerIdentity: () => ({ Account: account, Arn: `arn:aws:iam::${account}:user/operator`, UserId: 'AIDAEXAMPLE' }),
    },
    S3: {
      HeadBucket: (i) => {
        if (!buckets.has(i.Bucket)) throw awsError('NotFound', 'Not Found', 404);
        return { BucketRegion: buckets.get(i.Bucket)!.region ?? region };
      },
      CreateBucket: (i) => {
        if (buckets.has(i.Bucket)) throw awsError('BucketAlreadyOwnedByYou', 'owned', 409);
        // what S3 gives a new bucket: SSE-S3, and ACLs disabled (BucketOwnerEnforced, since April 2023)
        buckets.set(i.Bucket, {
          region: i.CreateBucketConfiguration?.LocationConstraint ?? 'us-east-1',
          settings: {
            encryption: { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } },
            ownership: { OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } },
            // Object Lock at creation turns versioning on with it, as S3 does
            ...(i.ObjectLockEnabledForBucket ? { objectLock: { ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled' } }, versioning: { Status: 'Enabled' } } : {}),
          },
          objects: new Map(),
        });
        return {};
      },
      DeleteBucket: (i) => {
        const b = bucket(i.Bucket);
        if ([...b.objects.values()].some((v) => v.length)) throw awsError('BucketNotEmpty', 'not empty', 409);
        buckets.delete(i.Bucket);
        return {};
      },
      GetBucketTagging: setting('', 'tags', 'NoSuchTagSet'),
      PutBucketTagging: put('tags', (i) => ({ TagSet: i.Tagging.TagSet })),
      GetPublicAccessBlock: setting('', 'pab', 'NoSuchPublicAccessBlockConfiguration'),
      PutPublicAccessBlock: put('pab', (i) => ({ PublicAccessBlockConfiguration: i.PublicAccessBlockConfiguration })),
      GetBucketEncryption: setting('', 'encryption', 'ServerSideEncryptionConfigurationNotFoundError'),
      PutBucketEncryption: put('encryption', (i) => ({ ServerSideEncryptionConfiguration: i.ServerSideEncryptionConfiguration })),
      GetBucketVersioning: setting('', 'versioning', 'empty'),
      PutBucketVersioning: put('versioning', (i) => ({ Status: i.VersioningConfiguration.Status })),
      // S3 hands the policy back re-serialized
      GetBucketPolicy: setting('', 'policy', 'NoSuchBucketPolicy'),
      PutBucketPolicy: put('policy', (i) => ({ Policy: JSON.stringify(JSON.parse(i.Policy)) })),
      DeleteBucketPolicy: (i) => {
        delete bucket(i.Bucket).settings.policy;
        return {};
      },
      GetBucketOwnershipControls: setting('', 'ownership', 'OwnershipControlsNotFoundError'),
      PutBucketOwnershipControls: put('ownership', (i) => ({ OwnershipControls: i.OwnershipControls })),
      DeleteBucketOwnershipControls: (i) => ok(delete bucket(i.Bucket).settings.ownership),
      GetBucketCors: setting('', 'cors', 'NoSuchCORSConfiguration'),
      PutBucketCors: put('cors', (i) => ({ CORSRules: i.CORSConfiguration.CORSRules })),
      GetBucketLifecycleConfiguration: setting('', 'lifecycle', 'NoSuchLifecycleConfiguration'),
      PutBucketLifecycleConfiguration: put('lifecycle', (i) => ({ Rules: i.LifecycleConfiguration.Rules })),
      GetObjectLockConfiguration: setting('', 'objectLock', 'ObjectLockConfigurationNotFoundError'),
      PutObjectLockConfiguration: (i) => {
        const b = bucket(i.Bucket);
        if (!b.settings.objectLock && b.settings.versioning?.Status !== 'Enabled') throw awsError('InvalidBucketState', 'Versioning must be Enabled on the bucket to apply a Object Lock configuration', 409);
        b.settings.objectLock = { ObjectLockConfiguration: i.ObjectLockConfiguration };
        return {};
      },
      GetBucketReplication: setting('', 'replication', 'ReplicationConfigurationNotFoundError'),
      PutBucketReplication: (i) => {
        const b = bucket(i.Bucket);
        if (b.settings.versioning?.Status !== 'Enabled') throw awsError('InvalidRequest', 'Versioning must be enabled', 400);
        b.settings.replication = { ReplicationConfiguration: i.ReplicationConfiguration };
        return {};
      },
      DeleteBucketReplication: (i) => ok(delete bucket(i.Bucket).settings.replication),
      GetBucketWebsite: setting('', 'website', 'NoSuchWebsiteConfiguration'),
      DeleteBucketWebsite: (i) => ok(delete bucket(i.Bucket).settings.website),
      PutBucketWebsite: put('website', (i) => i.WebsiteConfiguration),
      GetBucketNotificationConfiguration: setting('', 'notification', 'empty'),
      PutBucketNotificationConfiguration: put('notification', (i) => ({
        ...i.NotificationConfiguration,
        // S3 answers with capitalised filter rule names
        LambdaFunctionConfigurations: (i.NotificationConfiguration.LambdaFunctionConfigurations ?? []).map((c: any) => ({
          ...c,
          Filter: c.Filter && { Key: { FilterRules: c.Filter.Key.FilterRules.map((r: any) => ({ Name: r.Name[0].toUpperCase() + r.Name.slice(1), Value: r.Value })) } },
        })),
      })),
      PutObject: (i) => {
        const b = bucket(i.Bucket);
        const body = Buffer.from(typeof i.Body === 'string' ? i.Body : i.Body);
        const versions = b.objects.get(i.Key) ?? [];
        versions.push({ body, versionId: id('v'), metadata: i.Metadata });
        b.objects.set(i.Key, versions);
        return { ETag: `"${createHash('md5').update(body).digest('hex')}"` };
      },
      GetObject: (i) => {
        const versions = bucket(i.Bucket).objects.get(i.Key);
        const last = versions?.[versions.length - 1];
        if (!last) throw awsError('NoSuchKey', 'The specified key does not exist.', 404);
        return { Body: { transformToByteArray: async () => new Uint8Array(last.body) }, ETag: '"e"' };
      },
      HeadObject: (i) => {
        const versions = bucket(i.Bucket).objects.get(i.Key);
        const last = versions?.[versions.length - 1];
        if (!last) throw awsError('NotFound', 'Not Found', 404);
        return { ContentLength: last.body.length, ETag: '"e"', Metadata: last.metadata ?? {}, ...(last.replicationStatus ? { ReplicationStatus: last.replicationStatus } : {}) };
      },
      ListObjectsV2: (i) => {
        const b = bucket(i.Bucket);
        const keys = [...b.objects.keys()].filter((k) => k.startsWith(i.Prefix ?? '')).sort();
        return { Contents: keys.map((Key) => ({ Key, Size: b.objects.get(Key)!.at(-1)!.body.length, ETag: '"e"' })), IsTruncated: false };
      },
      ListObjectVersions: (i) => {
        const b = bucket(i.Bucket);
        const Versions = [...b.objects.entries()].filter(([k]) => k.startsWith(i.Prefix ?? '')).flatMap(([Key, vs]) => vs.map((v) => ({ Key, VersionId: v.versionId })));
        return { Versions, DeleteMarkers: [], IsTruncated: false };
      },
      DeleteObjects: (i) => {
        const b = bucket(i.Bucket);
        // the bucket policy's Deny statements on object deletes apply to every caller, as in S3
        const denied = (key: string) =>
          (JSON.parse(b.settings.policy?.Policy ?? '{"Statement":[]}').Statement as any[]).some(
            (st) =>
              st.Effect === 'Deny' &&
              [st.Action].flat().some((a: string) => a === 's3:DeleteObjectVersion' || a === 's3:*') &&
              !st.Condition &&
              [st.Resource].flat().some((r: string) => new RegExp(`^${r.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`).test(`arn:aws:s3:::${i.Bucket}/${key}`)),
          );
        // Object Lock: a version under its default retention is refused (governance, no bypass header)
        const lockedVersion = (o: any) => Boolean(b.settings.objectLock?.ObjectLockConfiguration?.Rule?.DefaultRetention) && Boolean(o.VersionId) && !i.BypassGovernanceRetention;
        const refused = i.Delete.Objects.filter((o: any) => denied(o.Key) || lockedVersion(o));
        if (refused.length) return { Errors: refused.map((o: any) => ({ Key: o.Key, Code: 'AccessDenied', Message: 'Access Denied' })) };
        for (const o of i.Delete.Objects) {
          const vs = (b.objects.get(o.Key) ?? []).filter((v) => o.VersionId && v.versionId !== o.VersionId);
          if (vs.length) b.objects.set(o.Key, vs);
          else b.objects.delete(o.Key);
        }
        return {};
      },
    },
    IAM: {
      GetRole: (i) => {
        const r = role(i.RoleName);
        return { Role: { RoleName: i.RoleName, Arn: `arn:aws:iam::${account}:role/${i.RoleName}`, AssumeRolePolicyDocument: encodeURIComponent(r.trust), Tags: r.tags } };
      },
      CreateRole: (i) => {
        if (roles.has(i.RoleName)) throw awsError('EntityAlreadyExistsException', 'exists', 409);
        roles.set(i.RoleName, { trust: i.AssumeRolePolicyDocument, tags: i.Tags ?? [], inline: new Map(), attached: [] });
        return { Role: { RoleName: i.RoleName, Arn: `arn:aws:iam::${account}:role/${i.RoleName}` } };
      },
      GetRolePolicy: (i) => {
        const doc = role(i.RoleName).inline.get(i.PolicyName);
        if (!doc) throw awsError('NoSuchEntityException', 'no such policy', 404);
        return { RoleName: i.RoleName, PolicyName: i.PolicyName, PolicyDocument: encodeURIComponent(doc) };
      },
      PutRolePolicy: (i) => ok(role(i.RoleName).inline.set(i.PolicyName, i.PolicyDocument)),
      ListRolePolicies: (i) => ({ PolicyNames: [...role(i.RoleName).inline.keys()] }),
      DeleteRolePolicy: (i) => ok(role(i.RoleName).inline.delete(i.PolicyName)),
      ListAttachedRolePolicies: (i) => ({ AttachedPolicies: role(i.RoleName).attached.map((PolicyArn) => ({ PolicyArn, PolicyName: PolicyArn.split('/').pop() })) }),
      DetachRolePolicy: (i) => {
        const r = role(i.RoleName);
        r.attached = r.attached.filter((a) => a !== i.PolicyArn);
        return {};
      },
      UpdateAssumeRolePolicy: (i) => {
        role(i.RoleName).trust = i.PolicyDocument;
        return {};
      },
      TagRole: (i) => {
        const r = role(i.RoleName);
        r.tags = [...r.tags.filter((t) => !i.Tags.some((n: any) => n.Key === t.Key)), ...i.Tags];
        return {};
      },
      ListInstanceProfilesForRole: (i) => {
        role(i.RoleName);
        return { InstanceProfiles: [...profiles.entries()].filter(([, p]) => p.roles.includes(i.RoleName)).map(([InstanceProfileName]) => ({ InstanceProfileName })) };
      },
      DeleteRole: (i) => {
        const r = role(i.RoleName);
        if (r.inline.size || r.attached.length || [...profiles.values()].some((p) => p.roles.includes(i.RoleName))) throw awsError('DeleteConflictException', 'must remove policies first', 409);
        roles.delete(i.RoleName);
        return {};
      },
      GetInstanceProfile: (i) => {
        const p = profiles.get(i.InstanceProfileName);
        if (!p) throw awsError('NoSuchEntityException', 'no such profile', 404);
        return { InstanceProfile: { InstanceProfileName: i.InstanceProfileName, Roles: p.roles.map((RoleName) => ({ RoleName })), Tags: p.tags } };
      },
      CreateInstanceProfile: (i) => {
        if (profiles.has(i.InstanceProfileName)) throw awsError('EntityAlreadyExistsException', 'exists', 409);
        profiles.set(i.InstanceProfileName, { roles: [], tags: i.Tags ?? [] });
        return {};
      },
      TagInstanceProfile: (i) => {
        const p = profiles.get(i.InstanceProfileName);
        if (!p) throw awsError('NoSuchEntityException', 'no such profile', 404);
        p.tags = [...p.tags.filter((t) => !i.Tags.some((n: any) => n.Key === t.Key)), ...i.Tags];
        return {};
      },
      AddRoleToInstanceProfile: (i) => {
        const p = profiles.get(i.InstanceProfileName)!;
        if (p.roles.length) throw awsError('LimitExceededException', 'one role per profile', 409);
        p.roles.push(i.RoleName);
        return {};
      },
      RemoveRoleFromInstanceProfile: (i) => {
        const p = profiles.get(i.InstanceProfileName)!;
        p.roles = p.roles.filter((r) => r !== i.RoleName);
        return {};
      },
      DeleteInstanceProfile: (i) => {
        if (profiles.get(i.InstanceProfileName)?.roles.length) throw awsError('DeleteConflictException', 'remove the role first', 409);
        profiles.delete(i.InstanceProfileName);
        return {};
      },
    },
    Lambda: {
      GetFunction: (i) => fnView(fn(i.FunctionName)),
      PutFunctionConcurrency: (i) => {
        fn(i.FunctionName).reserved = i.ReservedConcurrentExecutions;
        return { ReservedConcurrentExecutions: i.ReservedConcurrentExecutions };
      },
      DeleteFunctionConcurrency: (i) => {
        delete fn(i.FunctionName).reserved;
        return {};
      },
      CreateFunction: (i) => {
        if (!roles.has(i.Role.split('/').pop())) throw awsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
        const { Code, Tags, ...rest } = i;
        functions.set(i.FunctionName, {
          config: { ...rest, FunctionArn: `arn:aws:lambda:${region}:${account}:function:${i.FunctionName}`, CodeSha256: sha(Code.ZipFile), State: 'Pending', LastUpdateStatus: 'InProgress', LastModified: '2026-01-01T00:00:00.000+0000' },
          tags: Tags ?? {},
          policy: [],
          settleAfterReads: 1,
        });
        return {};
      },
      UpdateFunctionCode: (i) => {
        const f = fn(i.FunctionName);
        Object.assign(f.config, { CodeSha256: sha(i.ZipFile), Architectures: i.Architectures, LastUpdateStatus: 'InProgress' });
        f.settleAfterReads = 1;
        return {};
      },
      UpdateFunctionConfiguration: (i) => {
        const f = fn(i.FunctionName);
        const { FunctionName: _n, ...rest } = i;
        Object.assign(f.config, rest, { LastUpdateStatus: 'InProgress' });
        f.settleAfterReads = 1;
        return {};
      },
      TagResource: (i) => {
        Object.assign(fn(i.Resource.split(':').pop()).tags, i.Tags);
        return {};
      },
      GetPolicy: (i) => {
        const f = fn(i.FunctionName);
        if (!f.policy.length) throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
        return { Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: f.policy }) };
      },
      AddPermission: (i) => {
        const f = fn(i.FunctionName);
        if (f.policy.some((s) => s.Sid === i.StatementId)) throw awsError('ResourceConflictException', 'exists', 409);
        // a public statement (function URLs) as AWS shows it: Principal "*", the condition the call asked for
        const condition = i.Principal === '*'
          ? { ...(i.FunctionUrlAuthType ? { StringEquals: { 'lambda:FunctionUrlAuthType': i.FunctionUrlAuthType } } : {}), ...(i.InvokedViaFunctionUrl ? { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } : {}) }
          : { StringEquals: { 'AWS:SourceAccount': i.SourceAccount }, ArnLike: { 'AWS:SourceArn': i.SourceArn } };
        f.policy.push({
          Sid: i.StatementId,
          Effect: 'Allow',
          Principal: i.Principal === '*' ? '*' : { Service: i.Principal },
          Action: i.Action,
          Resource: f.config.FunctionArn,
          ...(Object.keys(condition).length ? { Condition: condition } : {}),
        });
        return {};
      },
      GetFunctionEventInvokeConfig: (i) => {
        const f = fn(i.FunctionName);
        if (!f.eventConfig) throw awsError('ResourceNotFoundException', 'The function does not have an EventInvokeConfig', 404);
        return structuredClone(f.eventConfig);
      },
      PutFunctionEventInvokeConfig: (i) => {
        const { FunctionName: _n, ...config } = i;
        fn(i.FunctionName).eventConfig = structuredClone(config);
        return config;
      },
      Invoke: (i) => {
        fn(i.FunctionName);
        const out = invoke(i.FunctionName, JSON.parse(Buffer.from(i.Payload).toString('utf8')));
        return { StatusCode: 200, ...(out.FunctionError ? { FunctionError: out.FunctionError } : {}), Payload: Buffer.from(JSON.stringify(out.Payload ?? null)) };
      },
      ListFunctionUrlConfigs: (i) => ({
        FunctionUrlConfigs: [...(fn(i.FunctionName).urls ?? new Map())].map(([q, u]) => ({ ...structuredClone(u), FunctionArn: `${fn(i.FunctionName).config.FunctionArn}${q ? `:${q}` : ''}` })),
      }),
      CreateFunctionUrlConfig: (i) => {
        const f = fn(i.FunctionName);
        f.urls ??= new Map();
        if (f.urls.has(i.Qualifier ?? '')) throw awsError('ResourceConflictException', 'Failed to create function url config for [functionArn = ...]. Error message:  FunctionUrlConfig exists for this Lambda function', 409);
        const FunctionUrl = `https://${createHash('sha256').update(`${i.FunctionName}:${i.Qualifier ?? ''}`).digest('hex').slice(0, 32)}.lambda-url.${region}.on.aws/`;
        const u = { FunctionUrl, FunctionArn: f.config.FunctionArn, AuthType: i.AuthType, InvokeMode: i.InvokeMode ?? 'BUFFERED', ...(i.Cors ? { Cors: i.Cors } : {}) };
        f.urls.set(i.Qualifier ?? '', u);
        return structuredClone(u);
      },
      UpdateFunctionUrlConfig: (i) => {
        const u = fn(i.FunctionName).urls?.get(i.Qualifier ?? '');
        if (!u) throw awsError('ResourceNotFoundException', 'The resource you requested does not exist.', 404);
        const { FunctionName: _n, Qualifier: _q, ...rest } = i;
        Object.assign(u, rest);
        return structuredClone(u);
      },
      DeleteFunctionUrlConfig: (i) => {
        if (!fn(i.FunctionName).urls?.delete(i.Qualifier ?? '')) throw awsError('ResourceNotFoundException', 'no URL', 404);
        return {};
      },
      RemovePermission: (i) => {
        const f = fn(i.FunctionName);
        f.policy = f.policy.filter((s) => s.Sid !== i.StatementId);
        return {};
      },
      DeleteFunction: (i) => {
        fn(i.FunctionName);
        functions.delete(i.FunctionName);
        return {};
      },
    },
    EC2: {
      DescribeVpcs: (i) => ({ Vpcs: vpcs.filter((v) => !(i.Filters ?? []).some((f: any) => f.Name === 'is-default' && String(v.IsDefault) !== f.Values[0])) }),
      DescribeSubnets: (i) => ({
        Subnets: i.SubnetIds ? subnets.filter((s) => i.SubnetIds.includes(s.SubnetId)) : subnets.filter((s) => (i.Filters ?? []).every((f: any) => (f.Name === 'vpc-id' ? f.Values.includes(s.VpcId) : true))),
      }),
      DescribeSecurityGroups: (i) => ({
        SecurityGroups: [...groups.values()]
          .filter((g) => (i.Filters ?? []).every((f: any) => (f.Name === 'group-name' ? f.Values.includes(g.GroupName) : f.Name === 'vpc-id' ? f.Values.includes(g.VpcId) : true)))
          .map((g) => structuredClone(g)),
      }),
      CreateSecurityGroup: (i) => {
        if ([...groups.values()].some((g) => g.GroupName === i.GroupName && g.VpcId === i.VpcId)) throw awsError('InvalidGroup.Duplicate', 'exists');
        const GroupId = id('sg');
        groups.set(GroupId, {
          GroupId,
          GroupName: i.GroupName,
          Description: i.Description,
          VpcId: i.VpcId,
          Tags: i.TagSpecifications?.[0]?.Tags ?? [],
          IpPermissions: [],
          IpPermissionsEgress: [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }], Ipv6Ranges: [] }],
        });
        return { GroupId };
      },
      AuthorizeSecurityGroupIngress: (i) => ok(addPermissions(group(i.GroupId).IpPermissions, i.IpPermissions)),
      AuthorizeSecurityGroupEgress: (i) => ok(addPermissions(group(i.GroupId).IpPermissionsEgress, i.IpPermissions)),
      RevokeSecurityGroupIngress: (i) => ok(removePermissions(group(i.GroupId).IpPermissions, i.IpPermissions)),
      RevokeSecurityGroupEgress: (i) => ok(removePermissions(group(i.GroupId).IpPermissionsEgress, i.IpPermissions)),
      DeleteSecurityGroup: (i) => {
        group(i.GroupId);
        if ([...instances.values()].some((x) => x.State.Name !== 'terminated' && x.SecurityGroups.some((g: any) => g.GroupId === i.GroupId))) throw awsError('DependencyViolation', 'in use');
        groups.delete(i.GroupId);
        return {};
      },
      CreateTags: (i) => {
        for (const r of i.Resources) {
          const target = groups.get(r) ?? instances.get(r);
          target.Tags = [...(target.Tags ?? []).filter((t: any) => !i.Tags.some((n: any) => n.Key === t.Key)), ...i.Tags];
        }
        return {};
      },
      DescribeInstanceTypes: (i) => {
        const unknown = i.InstanceTypes.filter((t: string) => !INSTANCE_TYPES[t]);
        if (unknown.length) throw awsError('InvalidInstanceType', `The following supplied instance types do not exist: [${unknown.join(', ')}]`);
        return {
          InstanceTypes: i.InstanceTypes.map((t: string) => ({
            InstanceType: t,
            BurstablePerformanceSupported: INSTANCE_TYPES[t]!.burstable,
            ProcessorInfo: { SupportedArchitectures: INSTANCE_TYPES[t]!.architectures },
          })),
        };
      },
      DescribeImages: (i) => ({ Images: i.ImageIds.map((ImageId: string) => ({ ImageId, RootDeviceName: '/dev/xvda', Architecture: 'arm64' })) }),
      RunInstances: (i) => {
        const profile = profiles.get(i.IamInstanceProfile.Name);
        if (!profile?.roles.length) throw awsError('InvalidParameterValue', `Value (${i.IamInstanceProfile.Name}) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name`);
        const InstanceId = id('i');
        const instance = {
          InstanceId,
          ImageId: i.ImageId,
          InstanceType: i.InstanceType,
          Architecture: INSTANCE_TYPES[i.InstanceType]!.architectures.includes('arm64') ? 'arm64' : 'x86_64',
          SubnetId: i.SubnetId,
          KeyName: i.KeyName,
          State: { Name: 'pending', Code: 0 },
          PrivateIpAddress: `172.31.0.${counter}`,
          PublicIpAddress: `203.0.113.${counter}`,
          LaunchTime: new Date(Date.UTC(2026, 0, 1, 0, counter)),
          IamInstanceProfile: { Arn: `arn:aws:iam::${account}:instance-profile/${i.IamInstanceProfile.Name}` },
          SecurityGroups: i.SecurityGroupIds.map((GroupId: string) => ({ GroupId })),
          // what EC2 reports: the defaults for what RunInstances left out
          MetadataOptions: { State: 'applied', HttpTokens: 'optional', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled', HttpProtocolIpv6: 'disabled', ...i.MetadataOptions },
          Tags: i.TagSpecifications.find((t: any) => t.ResourceType === 'instance')?.Tags ?? [],
        };
        instances.set(InstanceId, instance);
        return { Instances: [structuredClone(instance)] };
      },
      DescribeInstances: (i) => {
        const list = i.InstanceIds ? i.InstanceIds.map((x: string) => instances.get(x)).filter(Boolean) : [...instances.values()].filter((x) => matchesFilters(x.Tags, x.State.Name, i.Filters));
        return { Reservations: list.length ? [{ Instances: list.map(describeInstance) }] : [] };
      },
      TerminateInstances: (i) => {
        for (const x of i.InstanceIds) {
          const inst = instances.get(x);
          if (!inst) throw awsError('InvalidInstanceID.NotFound', 'not found');
          inst.State = { Name: 'shutting-down', Code: 32 };
        }
        return {};
      },
      StartInstances: (i) => {
        for (const x of i.InstanceIds) instances.get(x).State = { Name: 'pending', Code: 0 };
        return {};
      },
      ModifyInstanceMetadataOptions: (i) => {
        const { InstanceId, ...options } = i;
        Object.assign(instances.get(InstanceId).MetadataOptions, options);
        return {};
      },
      DescribeAddresses: (i) => ({ Addresses: [...addresses.values()].filter((a) => matchesFilters(a.Tags, 'running', i.Filters)).map((a) => structuredClone(a)) }),
      AllocateAddress: (i) => {
        const AllocationId = id('eipalloc');
        const PublicIp = `198.51.100.${counter}`;
        addresses.set(AllocationId, { AllocationId, PublicIp, Domain: 'vpc', Tags: i.TagSpecifications?.[0]?.Tags ?? [] });
        return { AllocationId, PublicIp };
      },
      AssociateAddress: (i) => {
        const a = addresses.get(i.AllocationId);
        if (!a) throw awsError('InvalidAllocationID.NotFound', 'not found');
        a.InstanceId = i.InstanceId;
        a.AssociationId = id('eipassoc');
        return { AssociationId: a.AssociationId };
      },
      ReleaseAddress: (i) => {
        const a = addresses.get(i.AllocationId);
        if (!a) throw awsError('InvalidAllocationID.NotFound', 'not found');
        if (a.InstanceId && instances.get(a.InstanceId)?.State.Name !== 'terminated') throw awsError('InvalidIPAddress.InUse', 'Address is in use');
        addresses.delete(i.AllocationId);
        return {};
      },
      ModifyInstanceAttribute: (i) => {
        instances.get(i.InstanceId).SecurityGroups = i.Groups.map((GroupId: string) => ({ GroupId }));
        return {};
      },
    },
    Route53: {
      ListHostedZonesByName: (i) => {
        const sorted = [...zones.entries()].map(([Id, z]) => ({ Id: `/hostedzone/${Id}`, Name: z.name, Config: { PrivateZone: false } })).sort((a, b) => a.Name.localeCompare(b.Name));
        return { HostedZones: sorted.filter((z) => z.Name >= `${i.DNSName}.`).slice(0, i.MaxItems ?? 100) };
      },
      GetHostedZone: (i) => {
        const z = zones.get(i.Id);
        if (!z) throw awsError('NoSuchHostedZone', 'No hosted zone found', 404);
        return { HostedZone: { Id: `/hostedzone/${i.Id}`, Name: z.name }, DelegationSet: { NameServers: z.nameServers } };
      },
      ListTagsForResource: (i) => ({ ResourceTagSet: { ResourceType: i.ResourceType, ResourceId: i.ResourceId, Tags: structuredClone(zones.get(i.ResourceId)!.tags) } }),
      ChangeTagsForResource: (i) => ok((zones.get(i.ResourceId)!.tags = [...zones.get(i.ResourceId)!.tags, ...i.AddTags])),
      ListResourceRecordSets: (i) => ({ ResourceRecordSets: structuredClone(zones.get(i.HostedZoneId)!.records), IsTruncated: false }),
      CreateHostedZone: (i) => {
        const Id = id('Z').toUpperCase().replace('-', '');
        const name = `${i.Name}.`;
        const nameServers = ['ns-1.awsdns-01.org', 'ns-2.awsdns-02.co.uk', 'ns-3.awsdns-03.com', 'ns-4.awsdns-04.net'];
        zones.set(Id, { name, tags: [], nameServers, records: [{ Name: name, Type: 'SOA', TTL: 900, ResourceRecords: [{ Value: 'ns-1.awsdns-01.org. hostmaster 1 7200 900 1209600 86400' }] }, { Name: name, Type: 'NS', TTL: 172800, ResourceRecords: nameServers.map((Value) => ({ Value })) }] });
        return { HostedZone: { Id: `/hostedzone/${Id}`, Name: name }, DelegationSet: { NameServers: nameServers }, ChangeInfo: { Id: '/change/C0', Status: 'PENDING' } };
      },
      ChangeResourceRecordSets: (i) => {
        const z = zones.get(i.HostedZoneId)!;
        for (const c of i.ChangeBatch.Changes) {
          const r = c.ResourceRecordSet;
          const at = z.records.findIndex((x) => x.Name === r.Name && x.Type === r.Type);
          if (c.Action === 'DELETE') {
            if (at < 0 || JSON.stringify(z.records[at]) !== JSON.stringify(r)) throw awsError('InvalidChangeBatch', 'Tried to delete resource record set but it was not found');
            z.records.splice(at, 1);
          } else if (at >= 0) z.records[at] = structuredClone(r);
          else z.records.push(structuredClone(r));
        }
        return { ChangeInfo: { Id: '/change/C1', Status: 'PENDING' } };
      },
      GetChange: (i) => ({ ChangeInfo: { Id: i.Id, Status: 'INSYNC' } }),
      DeleteHostedZone: (i) => {
        const z = zones.get(i.Id)!;
        if (z.records.some((r) => r.Type !== 'SOA' && r.Type !== 'NS')) throw awsError('HostedZoneNotEmpty', 'The hosted zone contains resource records');
        zones.delete(i.Id);
        return {};
      },
    },
    Logs: {
      DescribeLogGroups: (i) => ({
        logGroups: [...logGroups.entries()]
          .filter(([name]) => name.startsWith(i.logGroupNamePrefix ?? ''))
          .map(([logGroupName, g]) => ({ logGroupName, ...(g.retentionInDays ? { retentionInDays: g.retentionInDays } : {}) })),
      }),
      CreateLogGroup: (i) => {
        if (logGroups.has(i.logGroupName)) throw awsError('ResourceAlreadyExistsException', 'The specified log group already exists', 400);
        logGroups.set(i.logGroupName, { tags: i.tags ?? {} });
        return {};
      },
      PutRetentionPolicy: (i) => {
        const g = logGroups.get(i.logGroupName);
        if (!g) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
        g.retentionInDays = i.retentionInDays;
        return {};
      },
      DeleteLogGroup: (i) => {
        if (!logGroups.delete(i.logGroupName)) throw awsError('ResourceNotFoundException', 'The specified log group does not exist.', 400);
        return {};
      },
    },
    CloudFront: {
      ListOriginAccessControls: () => ({ OriginAccessControlList: { Quantity: oacs.size, Items: [...oacs].map(([Id, o]) => ({ Id, Name: o.config.Name })) } }),
      GetOriginAccessControlConfig: (i) => ({ OriginAccessControlConfig: structuredClone(oacs.get(i.Id)!.config), ETag: oacs.get(i.Id)!.etag }),
      GetOriginAccessControl: (i) => ({ OriginAccessControl: { Id: i.Id, OriginAccessControlConfig: structuredClone(oacs.get(i.Id)!.config) }, ETag: oacs.get(i.Id)!.etag }),
      CreateOriginAccessControl: (i) => {
        const Id = id('OAC').toUpperCase();
        oacs.set(Id, { config: structuredClone(i.OriginAccessControlConfig), etag: etag() });
        return { OriginAccessControl: { Id, OriginAccessControlConfig: i.OriginAccessControlConfig }, ETag: oacs.get(Id)!.etag };
      },
      UpdateOriginAccessControl: (i) => {
        matchEtag(oacs.get(i.Id), i.IfMatch, 'OriginAccessControl');
        oacs.set(i.Id, { config: structuredClone(i.OriginAccessControlConfig), etag: etag() });
        return {};
      },
      DeleteOriginAccessControl: (i) => {
        matchEtag(oacs.get(i.Id), i.IfMatch, 'OriginAccessControl');
        if ([...distributions.values()].some((d) => d.config.Origins.Items.some((o: any) => o.OriginAccessControlId === i.Id))) throw awsError('OriginAccessControlInUse', 'in use', 409);
        oacs.delete(i.Id);
        return {};
      },
      ListResponseHeadersPolicies: (i) => ({
        ResponseHeadersPolicyList: { Quantity: headerPolicies.size, Items: i.Type === 'custom' ? [...headerPolicies].map(([Id, p]) => ({ Type: 'custom', ResponseHeadersPolicy: { Id, ResponseHeadersPolicyConfig: structuredClone(p.config) } })) : [] },
      }),
      GetResponseHeadersPolicyConfig: (i) => ({ ResponseHeadersPolicyConfig: structuredClone(headerPolicies.get(i.Id)!.config), ETag: headerPolicies.get(i.Id)!.etag }),
      GetResponseHeadersPolicy: (i) => ({ ResponseHeadersPolicy: { Id: i.Id, ResponseHeadersPolicyConfig: structuredClone(headerPolicies.get(i.Id)!.config) }, ETag: headerPolicies.get(i.Id)!.etag }),
      CreateResponseHeadersPolicy: (i) => {
        const Id = id('rhp');
        headerPolicies.set(Id, { config: structuredClone(i.ResponseHeadersPolicyConfig), etag: etag() });
        return { ResponseHeadersPolicy: { Id, ResponseHeadersPolicyConfig: i.ResponseHeadersPolicyConfig }, ETag: headerPolicies.get(Id)!.etag };
      },
      UpdateResponseHeadersPolicy: (i) => {
        matchEtag(headerPolicies.get(i.Id), i.IfMatch, 'ResponseHeadersPolicy');
        headerPolicies.set(i.Id, { config: structuredClone(i.ResponseHeadersPolicyConfig), etag: etag() });
        return {};
      },
      DeleteResponseHeadersPolicy: (i) => {
        matchEtag(headerPolicies.get(i.Id), i.IfMatch, 'ResponseHeadersPolicy');
        if ([...distributions.values()].some((d) => d.config.DefaultCacheBehavior.ResponseHeadersPolicyId === i.Id)) throw awsError('ResponseHeadersPolicyInUse', 'in use', 409);
        headerPolicies.delete(i.Id);
        return {};
      },
      ListDistributions: () => ({
        DistributionList: { IsTruncated: false, Quantity: distributions.size, Items: [...distributions].map(([Id, d]) => ({ Id, ARN: `arn:aws:cloudfront::${account}:distribution/${Id}`, Comment: d.config.Comment, DomainName: d.domainName })) },
      }),
      GetDistribution: (i) => {
        if (!distributions.has(i.Id)) throw awsError('NoSuchDistribution', 'The specified distribution does not exist.', 404);
        return { Distribution: distView(i.Id), ETag: distributions.get(i.Id)!.etag };
      },
      ListTagsForResource: (i) => ({ Tags: { Items: structuredClone(distributions.get(i.Resource.split('/').pop())!.tags) } }),
      CreateDistributionWithTags: (i) => {
        const Id = id('E').toUpperCase().replace('-', '');
        const domainName = `d${Id.toLowerCase()}.cloudfront.net`;
        distributions.set(Id, { config: structuredClone(i.DistributionConfigWithTags.DistributionConfig), etag: etag(), status: 'InProgress', readsUntilDeployed: 1, tags: structuredClone(i.DistributionConfigWithTags.Tags.Items), domainName });
        return { Distribution: { Id, ARN: `arn:aws:cloudfront::${account}:distribution/${Id}`, DomainName: domainName, Status: 'InProgress' }, ETag: distributions.get(Id)!.etag };
      },
      UpdateDistribution: (i) => {
        const d = distributions.get(i.Id);
        matchEtag(d, i.IfMatch, 'Distribution');
        Object.assign(d!, { config: structuredClone(i.DistributionConfig), etag: etag(), status: 'InProgress', readsUntilDeployed: 2 });
        return { Distribution: distView(i.Id), ETag: d!.etag };
      },
      DeleteDistribution: (i) => {
        const d = distributions.get(i.Id);
        matchEtag(d, i.IfMatch, 'Distribution');
        if (d!.config.Enabled || d!.status !== 'Deployed') throw awsError('DistributionNotDisabled', 'The distribution you are trying to delete has not been disabled.', 409);
        distributions.delete(i.Id);
        return {};
      },
      CreateInvalidation: (i) => {
        invalidations.push(structuredClone(i));
        return { Invalidation: { Id: id('I'), Status: 'InProgress' } };
      },
    },
    ACM: {
      ListCertificates: (i) => ({
        CertificateSummaryList: [...certificates]
          .filter(([, c]) => !i.CertificateStatuses || i.CertificateStatuses.includes(c.status))
          .map(([CertificateArn, c]) => ({ CertificateArn, DomainName: c.domain, Status: c.status })),
      }),
      DescribeCertificate: (i) => {
        const c = certificate(i.CertificateArn);
        c.describes++;
        const held = [...zones.values()].some((z) => z.records.some((r) => r.Type === 'CNAME' && r.Name === c.record.Name && r.ResourceRecords?.[0]?.Value === c.record.Value));
        if (c.status === 'PENDING_VALIDATION' && held && options.acmValidates !== false) Object.assign(c, { status: 'ISSUED', notAfter: new Date(Date.UTC(2027, 11, 31)) });
        return {
          Certificate: {
            CertificateArn: i.CertificateArn,
            DomainName: c.domain,
            Status: c.status,
            Type: 'AMAZON_ISSUED',
            ...(c.status === 'ISSUED' ? { Issuer: 'Amazon', NotAfter: c.notAfter } : {}),
            DomainValidationOptions: [{ DomainName: c.domain, ValidationMethod: 'DNS', ValidationStatus: c.status === 'ISSUED' ? 'SUCCESS' : 'PENDING_VALIDATION', ...(c.describes > 1 ? { ResourceRecord: c.record } : {}) }],
          },
        };
      },
      ListTagsForCertificate: (i) => ({ Tags: structuredClone(certificate(i.CertificateArn).tags) }),
      RequestCertificate: (i) => {
        const same = [...certificates].find(([, c]) => c.token === i.IdempotencyToken);
        if (same) return { CertificateArn: same[0] };
        const CertificateArn = `arn:aws:acm:us-east-1:${account}:certificate/${id('cert')}`;
        const hash = createHash('md5').update(CertificateArn).digest('hex');
        certificates.set(CertificateArn, {
          domain: i.DomainName,
          status: 'PENDING_VALIDATION',
          tags: i.Tags ?? [],
          describes: 0,
          token: i.IdempotencyToken,
          record: { Name: `_${hash.slice(0, 16)}.${i.DomainName}.`, Type: 'CNAME', Value: `_${hash.slice(16)}.acm-validations.aws.` },
        });
        return { CertificateArn };
      },
      DeleteCertificate: (i) => {
        certificate(i.CertificateArn);
        if ([...distributions.values()].some((d) => d.config.ViewerCertificate?.ACMCertificateArn === i.CertificateArn)) throw awsError('ResourceInUseException', 'Certificate is in use', 400);
        certificates.delete(i.CertificateArn);
        return {};
      },
    },
    SQS: {
      GetQueueUrl: (i) => {
        if (!queues.has(i.QueueName)) throw awsError('QueueDoesNotExist', 'The specified queue does not exist.', 400);
        return { QueueUrl: queueUrl(i.QueueName) };
      },
      CreateQueue: (i) => {
        if (queues.has(i.QueueName)) throw awsError('QueueNameExists', 'A queue already exists with the same name and a different value for attribute(s)', 400);
        queues.set(i.QueueName, { attributes: { ...i.Attributes, QueueArn: `arn:aws:sqs:${region}:${account}:${i.QueueName}` }, tags: { ...i.tags }, messages: [] });
        return { QueueUrl: queueUrl(i.QueueName) };
      },
      GetQueueAttributes: (i) => {
        const q = queue(i.QueueUrl);
        return { Attributes: { ...q.attributes, ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visible).length), ApproximateNumberOfMessagesNotVisible: String(q.messages.filter((m) => !m.visible).length) } };
      },
      SetQueueAttributes: (i) => ok(Object.assign(queue(i.QueueUrl).attributes, i.Attributes)),
      ListQueueTags: (i) => ({ Tags: { ...queue(i.QueueUrl).tags } }),
      TagQueue: (i) => ok(Object.assign(queue(i.QueueUrl).tags, i.Tags)),
      DeleteQueue: (i) => {
        queue(i.QueueUrl);
        queues.delete(i.QueueUrl.split('/').pop());
        return {};
      },
      SendMessage: (i) => {
        const MessageId = id('msg');
        queue(i.QueueUrl).messages.push({ MessageId, Body: i.MessageBody, visible: true });
        return { MessageId };
      },
      ReceiveMessage: (i) => {
        const picked = queue(i.QueueUrl).messages.filter((m) => m.visible).slice(0, i.MaxNumberOfMessages ?? 1);
        for (const m of picked) Object.assign(m, { visible: false, ReceiptHandle: id('rh') });
        return picked.length ? { Messages: picked.map(({ MessageId, Body, ReceiptHandle }) => ({ MessageId, Body, ReceiptHandle })) } : {};
      },
      DeleteMessage: (i) => {
        const q = queue(i.QueueUrl);
        q.messages = q.messages.filter((m) => m.ReceiptHandle !== i.ReceiptHandle);
        return {};
      },
      ChangeMessageVisibilityBatch: (i) => {
        const q = queue(i.QueueUrl);
        for (const e of i.Entries) for (const m of q.messages) if (m.ReceiptHandle === e.ReceiptHandle && e.VisibilityTimeout === 0) m.visible = true;
        return { Successful: i.Entries.map((e: any) => ({ Id: e.Id })), Failed: [] };
      },
    },
    SNS: {
      // topics exist (the WhatsApp account's); only their subscriptions are modelled
      ListSubscriptionsByTopic: (i) => ({ Subscriptions: [...subscriptions.entries()].filter(([, s]) => s.TopicArn === i.TopicArn).map(([SubscriptionArn, s]) => ({ SubscriptionArn, ...s })) }),
      Subscribe: (i) => {
        const existing = [...subscriptions.entries()].find(([, s]) => s.TopicArn === i.TopicArn && s.Endpoint === i.Endpoint && s.Protocol === i.Protocol);
        const arn = existing?.[0] ?? `${i.TopicArn}:${id('sub')}`;
        subscriptions.set(arn, { TopicArn: i.TopicArn, Protocol: i.Protocol, Endpoint: i.Endpoint });
        return { SubscriptionArn: arn };
      },
      Unsubscribe: (i) => ok(subscriptions.delete(i.SubscriptionArn)),
    },
    SSM: {
      GetParameter: (i) => ({ Parameter: { Name: i.Name, Value: i.Name.endsWith('arm64') ? 'ami-0arm64' : 'ami-0x8664' } }),
    },
    SES: {
      GetIdentityVerificationAttributes: (i) => ({
        VerificationAttributes: Object.fromEntries(i.Identities.filter((x: string) => identities.has(x)).map((x: string) => [x, { VerificationStatus: identities.get(x) }])),
      }),
      GetSendQuota: () => ({ Max24HourSend: 200, MaxSendRate: 1, SentLast24Hours: 0 }),
      VerifyEmailIdentity: (i) => ok(identities.set(i.EmailAddress, 'Pending')),
      SendRawEmail: () => ({ MessageId: id('M') }),
      GetIdentityDkimAttributes: (i) => ({ DkimAttributes: Object.fromEntries(i.Identities.filter((x: string) => dkim.has(x)).map((x: string) => [x, dkim.get(x)])) }),
      VerifyDomainDkim: (i) => {
        const tokens = [1, 2, 3].map((n) => `${n}`.repeat(32));
        dkim.set(i.Domain, { DkimEnabled: true, DkimVerificationStatus: 'Pending', DkimTokens: tokens });
        return { DkimTokens: tokens };
      },
    },
  };

  const clients = [
    ['S3', S3Client],
    ['IAM', IAMClient],
    ['Lambda', LambdaClient],
    ['EC2', EC2Client],
    ['SSM', SSMClient],
    ['SES', SESClient],
    ['STS', STSClient],
    ['Route53', Route53Client],
    ['Logs', CloudWatchLogsClient],
    ['CloudFront', CloudFrontClient],
    ['ACM', ACMClient],
    ['SQS', SQSClient],
    ['SNS', SNSClient],
  ] as const;
  const mocks = clients.map(([service, Client]) => {
    const mock = mockClient(Client as never);
    (mock as unknown as { send: { callsFake(fn: (cmd: any) => Promise<unknown>): void } }).send.callsFake(async (cmd: any) => {
      const command = String(cmd.constructor.name).replace(/Command$/, '');
      const input = structuredClone(cmd.input ?? {});
      calls.push({ service, command, input });
      const queued = failures.get(command);
      if (queued?.length) throw queued.shift();
      const handler = handlers[service]![command];
      if (!handler) throw new Error(`fake AWS: ${service} ${command} is not modelled (a test must never reach real AWS)`);
      return { $metadata: { httpStatusCode: 200 }, ...((handler(cmd.input ?? {}) as object) ?? {}) };
    });
    return mock;
  });

  return {
    account,
    region,
    calls,
    /** every call that is not a Get/List/Describe/Head */
    mutating: () => calls.filter((c) => !READ.test(c.command)),
    named: (command: string) => calls.filter((c) => c.command === command),
    clear: () => void calls.splice(0),
    /** the next `errors.length` calls of `command` throw these */
    failNext: (command: string, ...errors: Error[]) => void failures.set(command, [...(failures.get(command) ?? []), ...errors]),
    state: { buckets, roles, profiles, functions, groups, instances, identities, dkim, addresses, zones, logGroups, oacs, headerPolicies, distributions, invalidations, certificates, queues, subscriptions },
    /** how a synchronous Invoke is answered from now on */
    onInvoke: (fn: (functionName: string, payload: any) => InvokeResult) => void (invoke = fn),
    restore: () => mocks.forEach((m) => m.restore()),
  };
}

export type FakeAws = ReturnType<typeof fakeAws>;
