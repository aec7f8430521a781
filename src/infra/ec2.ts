/**
 * The backend on EC2: a security group and one instance.
 *
 * Security group: inbound TCP network.serverPort from network.clinicCidrs only (and TCP 22 from aws.sshCidrs
 * when set — closed otherwise); outbound TCP 443 only (package repositories, S3, Lambda: all HTTPS; DNS, NTP
 * and the instance metadata service are not filtered by security groups). Rules someone added by hand are
 * revoked.
 *
 * Instance: the latest Amazon Linux 2023 AMI for the architecture (the SSM public parameter), the instance
 * profile, IMDSv2 required (endpoint on, hop limit 1, no tags in metadata), an encrypted gp3 root volume, T-family CPU credits "standard" (no
 * surprise bill), user data from templates/ec2/. The AMI is chosen at creation: a newer AMI does not replace a
 * running instance. A changed instance type, architecture, subnet, key pair or user data replaces the
 * instance (the new one starts before the old one is terminated; its IP addresses change). Code and config
 * changes never do — see server-code.ts.
 */
import type { EC2Client, Instance, IpPermission, SecurityGroup } from '@aws-sdk/client-ec2';
import { randomUUID } from 'node:crypto';
import { BlockList, isIP } from 'node:net';
import type { ResolvedConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';
import { awsCall, isAwsError, type InfraContext } from './context.js';
import { TAG, foreignOwner, fromTagList, missingTags, toTagList } from './names.js';
import { deleteStep, step, type Change, type Step } from './plan.js';
import { resource } from './resource.js';
import { httpsDomain } from './serving.js';
import { retryIam, waitFor } from './retry.js';
import { maintenanceTimer, renderUserData, userDataHash } from './user-data.js';
import { count } from '../plural.js';

const ec2Sdk = () => import('@aws-sdk/client-ec2');

export const USER_DATA_TAG = 'clinica:user-data';
const LIVE_STATES = ['pending', 'running', 'stopping', 'stopped'];

export const amiParameter = (arch: 'arm64' | 'x86_64') => `/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${arch}`;
export const defaultInstanceType = (arch: 'arm64' | 'x86_64') => (arch === 'arm64' ? 't4g.micro' : 't3.micro');

// --- network ---

export interface NetworkState {
  vpcId: string;
  subnetId: string;
}

export async function readNetwork(ctx: InfraContext): Promise<NetworkState> {
  const { DescribeSubnetsCommand, DescribeVpcsCommand } = await ec2Sdk();
  const ec2 = ctx.clients.ec2;
  return awsCall(ctx, 'reading the VPC', async () => {
    const wanted = ctx.config.aws.subnetId;
    if (wanted) {
      const s = (await ec2.send(new DescribeSubnetsCommand({ SubnetIds: [wanted] }))).Subnets?.[0];
      if (!s?.VpcId) throw new ClinicaError('config', `subnet ${wanted} (aws.subnetId) was not found in ${ctx.arns.region}`, { field: 'aws.subnetId' });
      return { vpcId: s.VpcId, subnetId: wanted };
    }
    const vpc = (await ec2.send(new DescribeVpcsCommand({ Filters: [{ Name: 'is-default', Values: ['true'] }] }))).Vpcs?.[0];
    if (!vpc?.VpcId) {
      throw new ClinicaError('config', `${ctx.arns.region} has no default VPC`, { hint: 'set aws.subnetId in clinica.config.json to a subnet with internet access', field: 'aws.subnetId' });
    }
    const subnets = (await ec2.send(new DescribeSubnetsCommand({ Filters: [{ Name: 'vpc-id', Values: [vpc.VpcId] }, { Name: 'default-for-az', Values: ['true'] }] }))).Subnets ?? [];
    const first = subnets.filter((s) => s.SubnetId).sort((a, b) => (a.AvailabilityZone ?? '').localeCompare(b.AvailabilityZone ?? ''))[0];
    if (!first) throw new ClinicaError('config', `the default VPC ${vpc.VpcId} has no default subnet`, { hint: 'set aws.subnetId', field: 'aws.subnetId' });
    return { vpcId: vpc.VpcId, subnetId: first.SubnetId! };
  });
}

// --- security group ---

interface Rule {
  protocol: string;
  from: number;
  to: number;
  cidr: string;
  description?: string;
}

const ruleKey = (r: Rule) => `${r.protocol}:${r.from}-${r.to}:${r.cidr}`;

export function desiredIngress(ctx: InfraContext): Rule[] {
  // HTTPS on 443 at network.domain; plain HTTP on serverPort only with network.plainHttp
  const port = httpsDomain(ctx.config) ? 443 : ctx.config.network.serverPort;
  return [
    ...ctx.config.network.clinicCidrs.map((cidr) => ({ protocol: 'tcp', from: port, to: port, cidr, description: port === 443 ? 'clinic network to the backend (HTTPS)' : 'clinic network to the backend' })),
    ...ctx.config.aws.sshCidrs.map((cidr) => ({ protocol: 'tcp', from: 22, to: 22, cidr, description: 'SSH (aws.sshCidrs)' })),
  ];
}

/** Ranges the internet never shows AWS as a source: RFC 1918, shared (CGNAT), loopback, link-local, IPv6 ULA. */
const PRIVATE_RANGES: [string, number, 'ipv4' | 'ipv6'][] = [
  ['10.0.0.0', 8, 'ipv4'], ['172.16.0.0', 12, 'ipv4'], ['192.168.0.0', 16, 'ipv4'], ['100.64.0.0', 10, 'ipv4'],
  ['127.0.0.0', 8, 'ipv4'], ['169.254.0.0', 16, 'ipv4'], ['::1', 128, 'ipv6'], ['fe80::', 10, 'ipv6'], ['fc00::', 7, 'ipv6'],
];

/** Whether every address of the CIDR is in a private range (192.168.1.0/24 is; 0.0.0.0/0 and 172.0.0.0/8 are not). */
export function isPrivateCidr(cidr: string): boolean {
  const [addr = '', bits = '0'] = cidr.split('/');
  const family = isIP(addr) === 6 ? 'ipv6' : 'ipv4';
  return PRIVATE_RANGES.some(([net, prefix, f]) => {
    if (f !== family || Number(bits) < prefix) return false;
    const list = new BlockList();
    list.addSubnet(net, prefix, f);
    return list.check(addr, f);
  });
}

/**
 * The silent failure of the default config: on AWS the security group sees the clinic's PUBLIC address, so
 * clinicCidrs that are all private ranges admit nobody — unless the traffic arrives privately, over a VPN or
 * Direct Connect into the VPC, which clinica takes aws.subnetId (a subnet the operator chose) to mean.
 */
export function clinicNetworkWarning(config: Pick<ResolvedConfig, 'network' | 'aws'>): string | undefined {
  const cidrs = config.network.clinicCidrs;
  if (config.aws.subnetId || !cidrs.every(isPrivateCidr)) return undefined;
  return (
    `network.clinicCidrs (${cidrs.join(', ')}) holds private ranges only, but AWS sees the clinic's public address: ` +
    `the security group admits nobody and the backend is unreachable — put the clinic's public IP in network.clinicCidrs ` +
    `(e.g. 203.0.113.10/32), or reach the VPC over a VPN / Direct Connect and set aws.subnetId to its subnet (docs/aws.md, "Reaching the backend")`
  );
}

export const DESIRED_EGRESS: Rule[] = [{ protocol: 'tcp', from: 443, to: 443, cidr: '0.0.0.0/0', description: 'HTTPS out (packages, S3, Lambda)' }];

function flatten(perms: IpPermission[] | undefined): { rules: Rule[]; other: IpPermission[] } {
  const rules: Rule[] = [];
  const other: IpPermission[] = [];
  for (const p of perms ?? []) {
    const base = { protocol: p.IpProtocol ?? '-1', from: p.FromPort ?? -1, to: p.ToPort ?? -1 };
    for (const r of p.IpRanges ?? []) if (r.CidrIp) rules.push({ ...base, cidr: r.CidrIp });
    for (const r of p.Ipv6Ranges ?? []) if (r.CidrIpv6) rules.push({ ...base, cidr: r.CidrIpv6 });
    if (p.UserIdGroupPairs?.length || p.PrefixListIds?.length) other.push({ IpProtocol: p.IpProtocol, FromPort: p.FromPort, ToPort: p.ToPort, UserIdGroupPairs: p.UserIdGroupPairs, PrefixListIds: p.PrefixListIds });
  }
  return { rules, other };
}

const toPermission = (r: Rule): IpPermission => ({
  IpProtocol: r.protocol,
  ...(r.protocol === '-1' ? {} : { FromPort: r.from, ToPort: r.to }),
  ...(isIP(r.cidr.split('/')[0] ?? '') === 6
    ? { Ipv6Ranges: [{ CidrIpv6: r.cidr, ...(r.description ? { Description: r.description } : {}) }] }
    : { IpRanges: [{ CidrIp: r.cidr, ...(r.description ? { Description: r.description } : {}) }] }),
});

const showRule = (r: Rule) => `${r.protocol === '-1' ? 'all traffic' : `${r.protocol} ${r.from === r.to ? r.from : `${r.from}-${r.to}`}`} ${r.cidr}`;

export interface GroupState {
  group?: SecurityGroup;
}

export async function readSecurityGroup(ctx: InfraContext, vpcId: string): Promise<GroupState> {
  const { DescribeSecurityGroupsCommand } = await ec2Sdk();
  return awsCall(ctx, `reading security group ${ctx.names.securityGroup}`, async () => {
    const out = await ctx.clients.ec2.send(
      new DescribeSecurityGroupsCommand({ Filters: [{ Name: 'group-name', Values: [ctx.names.securityGroup] }, { Name: 'vpc-id', Values: [vpcId] }] }),
    );
    const group = out.SecurityGroups?.[0];
    if (group?.GroupId) ctx.facts.securityGroupId = group.GroupId;
    return { group };
  });
}

function ruleChanges(ctx: InfraContext, direction: 'ingress' | 'egress', groupId: () => string, actual: IpPermission[] | undefined, desired: Rule[], fresh: boolean): Change[] {
  const { rules, other } = flatten(actual);
  const have = new Set(rules.map(ruleKey));
  const want = new Set(desired.map(ruleKey));
  const add = desired.filter((r) => !have.has(ruleKey(r)));
  const remove = rules.filter((r) => !want.has(ruleKey(r)));
  const changes: Change[] = [];
  const ec2 = ctx.clients.ec2;
  if (remove.length || other.length) {
    changes.push({
      what: fresh ? `${direction}: drop the default allow-all` : `${direction}: revoke ${[...remove.map(showRule), ...other.map(() => 'a group/prefix-list rule')].join(', ')}`,
      apply: () =>
        awsCall(ctx, `revoking ${direction} rules`, async () => {
          const sdk = await ec2Sdk();
          const IpPermissions = [...remove.map((r) => toPermission({ ...r, description: undefined })), ...other];
          const input = { GroupId: groupId(), IpPermissions };
          if (direction === 'ingress') await ec2.send(new sdk.RevokeSecurityGroupIngressCommand(input));
          else await ec2.send(new sdk.RevokeSecurityGroupEgressCommand(input));
        }),
    });
  }
  if (add.length) {
    changes.push({
      what: `${direction}: allow ${add.map(showRule).join(', ')}`,
      apply: () =>
        awsCall(ctx, `authorizing ${direction} rules`, async () => {
          const sdk = await ec2Sdk();
          const input = { GroupId: groupId(), IpPermissions: add.map(toPermission) };
          try {
            if (direction === 'ingress') await ec2.send(new sdk.AuthorizeSecurityGroupIngressCommand(input));
            else await ec2.send(new sdk.AuthorizeSecurityGroupEgressCommand(input));
          } catch (err) {
            if (!isAwsError(err, 'InvalidPermission.Duplicate')) throw err;
          }
        }),
    });
  }
  return changes;
}

/** A fresh group comes with "all traffic out to 0.0.0.0/0"; this is what it looks like before we touch it. */
const DEFAULT_EGRESS: IpPermission[] = [{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }];

export async function planSecurityGroup(ctx: InfraContext, network: NetworkState, state: GroupState): Promise<Step> {
  const name = ctx.names.securityGroup;
  const g = state.group;
  const groupId = () => {
    if (!ctx.facts.securityGroupId) throw new ClinicaError('internal', `security group ${name} has no id yet`);
    return ctx.facts.securityGroupId;
  };
  const changes: Change[] = [];
  if (!g) {
    changes.push({
      what: 'create',
      apply: () =>
        awsCall(ctx, `creating security group ${name}`, async () => {
          const { CreateSecurityGroupCommand } = await ec2Sdk();
          const out = await ctx.clients.ec2.send(
            new CreateSecurityGroupCommand({
              GroupName: name,
              Description: `clinica backend (${ctx.config.stage}): port ${desiredIngress(ctx)[0]?.from ?? ctx.config.network.serverPort} from the clinic network only`,
              VpcId: network.vpcId,
              TagSpecifications: [{ ResourceType: 'security-group', Tags: toTagList({ Name: name, ...ctx.tags('server') }) }],
            }),
          );
          ctx.facts.securityGroupId = out.GroupId;
        }),
    });
  } else {
    const foreign = foreignOwner(fromTagList(g.Tags), ctx.tags('server'));
    if (foreign) throw new ClinicaError('conflict', `security group ${name} (${g.GroupId}) is tagged ${foreign}: it belongs to another clinic or stage`, { hint: 'set aws.bucketPrefix to use other names' });
    const missing = missingTags(fromTagList(g.Tags), ctx.tags('server'));
    if (missing.length) {
      changes.push({
        what: `tags ${missing.join(', ')}`,
        apply: () =>
          awsCall(ctx, 'tagging the security group', async () => {
            const { CreateTagsCommand } = await ec2Sdk();
            await ctx.clients.ec2.send(new CreateTagsCommand({ Resources: [groupId()], Tags: toTagList(ctx.tags('server')) }));
          }),
      });
    }
  }
  changes.push(...ruleChanges(ctx, 'ingress', groupId, g?.IpPermissions, desiredIngress(ctx), !g));
  changes.push(...ruleChanges(ctx, 'egress', groupId, g ? g.IpPermissionsEgress : DEFAULT_EGRESS, DESIRED_EGRESS, !g));
  const ingress = desiredIngress(ctx).map(showRule).join(', ');
  return step({
    id: 'security-group',
    component: 'server',
    kind: 'EC2 security group',
    name: g?.GroupId ? `${name} (${g.GroupId})` : name,
    exists: Boolean(g),
    changes,
    createWhy: `does not exist: create; in: ${ingress}; out: tcp 443`,
  });
}

// --- instance ---

export interface InstanceState {
  /** the newest live instance tagged for this stage */
  instance?: Instance;
  /** older live instances (a replacement that failed half-way): terminated by deploy */
  extra: Instance[];
}

export function instanceFacts(i: Instance | undefined): InfraContext['facts']['instance'] {
  if (!i?.InstanceId) return undefined;
  return { id: i.InstanceId, state: i.State?.Name ?? 'unknown', privateIp: i.PrivateIpAddress, publicIp: i.PublicIpAddress, launchedAt: i.LaunchTime?.toISOString() };
}

export async function readInstances(ctx: InfraContext): Promise<InstanceState> {
  const { DescribeInstancesCommand } = await ec2Sdk();
  const tags = ctx.tags('server');
  return awsCall(ctx, 'reading the backend instance', async () => {
    const instances: Instance[] = [];
    let NextToken: string | undefined;
    do {
      const out = await ctx.clients.ec2.send(
        new DescribeInstancesCommand({
          Filters: [
            ...Object.entries(tags).map(([k, v]) => ({ Name: `tag:${k}`, Values: [v] })),
            { Name: 'instance-state-name', Values: LIVE_STATES },
          ],
          NextToken,
        }),
      );
      for (const r of out.Reservations ?? []) instances.push(...(r.Instances ?? []));
      NextToken = out.NextToken;
    } while (NextToken);
    instances.sort((a, b) => (b.LaunchTime?.getTime() ?? 0) - (a.LaunchTime?.getTime() ?? 0));
    const [instance, ...extra] = instances;
    ctx.facts.instance = instanceFacts(instance);
    return { instance, extra };
  });
}

/**
 * The instance metadata service: on (the instance role's credentials come from it), IMDSv2 only (a session
 * token, so an SSRF in the backend cannot read the credentials with a plain GET), a hop limit of 1 (no
 * container or forwarded packet reaches it), and the instance's tags not exposed in it.
 */
export const METADATA_OPTIONS = { HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' } as const;

/** How the instance's metadata options differ from METADATA_OPTIONS, for the plan's why. */
export function metadataDrift(actual: Instance['MetadataOptions']): string[] {
  const a = actual ?? {};
  const out: string[] = [];
  if (a.HttpTokens !== METADATA_OPTIONS.HttpTokens) out.push('IMDSv1 allowed → IMDSv2 required');
  if (a.HttpEndpoint !== METADATA_OPTIONS.HttpEndpoint) out.push(`metadata endpoint ${a.HttpEndpoint ?? 'unknown'} → enabled`);
  if (a.HttpPutResponseHopLimit !== METADATA_OPTIONS.HttpPutResponseHopLimit) out.push(`metadata hop limit ${a.HttpPutResponseHopLimit ?? 'unknown'} → 1`);
  // absent = the default, disabled
  if ((a.InstanceMetadataTags ?? 'disabled') !== METADATA_OPTIONS.InstanceMetadataTags) out.push(`tags in metadata ${a.InstanceMetadataTags} → disabled`);
  return out;
}

export interface InstanceDesired {
  instanceType: string;
  /** a burstable (T-family) type: launched with CPU credits "standard" */
  burstable: boolean;
  userData: string;
  userDataHash: string;
}

/** What EC2 says about an instance type; undefined when the endpoint cannot tell (an emulator). */
export interface InstanceTypeInfo {
  architectures: string[];
  burstable: boolean;
}

export const configuredInstanceType = (ctx: InfraContext) => ctx.config.aws.instanceType ?? defaultInstanceType(ctx.config.aws.architecture);

/**
 * Checks the configured instance type against aws.architecture with DescribeInstanceTypes (read-only), so a
 * mismatch (arm64 + t3.micro) is a config error in the plan instead of a RunInstances failure half-way.
 */
export async function readInstanceType(ctx: InfraContext): Promise<InstanceTypeInfo | undefined> {
  const { DescribeInstanceTypesCommand } = await ec2Sdk();
  const type = configuredInstanceType(ctx);
  const arch = ctx.config.aws.architecture;
  const named = ctx.config.aws.instanceType ? `aws.instanceType ${type}` : `the default instance type ${type}`;
  const info = await awsCall(ctx, `reading instance type ${type}`, async () => {
    try {
      const t = (await ctx.clients.ec2.send(new DescribeInstanceTypesCommand({ InstanceTypes: [type as never] }))).InstanceTypes?.[0];
      return t ? { architectures: t.ProcessorInfo?.SupportedArchitectures ?? [], burstable: Boolean(t.BurstablePerformanceSupported) } : null;
    } catch (err) {
      if (isAwsError(err, 'InvalidInstanceType')) return null;
      // an AWS-compatible endpoint that does not model instance types: nothing to check against
      if (ctx.target.endpoint && isAwsError(err, 'UnsupportedOperation', 'NotImplemented', 'InvalidAction')) return undefined;
      throw err;
    }
  });
  if (info === undefined) {
    ctx.log.warn(`the endpoint ${ctx.target.endpoint} does not describe instance types: ${type} was not checked against ${arch}`);
    return undefined;
  }
  if (info === null) {
    throw new ClinicaError('config', `${named} is not an EC2 instance type offered in ${ctx.arns.region}`, {
      hint: `set aws.instanceType to an ${arch} type such as ${defaultInstanceType(arch)}`,
      field: 'aws.instanceType',
    });
  }
  if (!info.architectures.includes(arch)) {
    throw new ClinicaError('config', `${named} runs ${info.architectures.join('/') || 'another architecture'}, but aws.architecture is ${arch}`, {
      hint: `set aws.instanceType to an ${arch} type (e.g. ${defaultInstanceType(arch)}) or aws.architecture to ${arch === 'arm64' ? 'x86_64' : 'arm64'}`,
      field: 'aws.instanceType',
    });
  }
  return info;
}

export function desiredInstance(ctx: InfraContext, type: InstanceTypeInfo | undefined): InstanceDesired {
  const userData = renderUserData({
    bucket: ctx.names.dataBucket,
    region: ctx.arns.region,
    remindersFunction: ctx.names.remindersFunction,
    timeZone: ctx.config.clinic.timeZone,
    ...maintenanceTimer(ctx.config.aws.maintenanceWindow),
  });
  const instanceType = configuredInstanceType(ctx);
  // unknown (an emulator): the T families are the burstable ones — "t" and a generation digit, not trn1
  const burstable = type ? type.burstable : /^t\d/.test(instanceType);
  return { instanceType, burstable, userData, userDataHash: userDataHash(userData) };
}

export async function latestAmi(ctx: InfraContext): Promise<{ imageId: string; rootDevice: string }> {
  const { GetParameterCommand } = await import('@aws-sdk/client-ssm');
  const { DescribeImagesCommand } = await ec2Sdk();
  const param = amiParameter(ctx.config.aws.architecture);
  return awsCall(ctx, `reading the latest Amazon Linux 2023 AMI (${param})`, async () => {
    const imageId = (await ctx.clients.ssm.send(new GetParameterCommand({ Name: param }))).Parameter?.Value;
    if (!imageId) throw new ClinicaError('unavailable', `SSM parameter ${param} has no value`);
    const image = (await ctx.clients.ec2.send(new DescribeImagesCommand({ ImageIds: [imageId] }))).Images?.[0];
    return { imageId, rootDevice: image?.RootDeviceName ?? '/dev/xvda' };
  });
}

async function waitForState(ctx: InfraContext, ids: string[], state: 'running' | 'terminated'): Promise<Instance[]> {
  const { DescribeInstancesCommand } = await ec2Sdk();
  return waitFor(
    async () => {
      let out;
      try {
        out = await ctx.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: ids }));
      } catch (err) {
        if (isAwsError(err, 'InvalidInstanceID.NotFound')) return undefined; // EC2 is eventually consistent too
        throw err;
      }
      const all = (out.Reservations ?? []).flatMap((r) => r.Instances ?? []);
      if (state === 'running' && all.some((i) => ['terminated', 'shutting-down'].includes(i.State?.Name ?? ''))) {
        throw new ClinicaError('internal', `instance ${ids.join(', ')} stopped while starting: ${all[0]?.StateReason?.Message ?? 'no reason given'}`);
      }
      return all.length && all.every((i) => i.State?.Name === state) ? all : undefined;
    },
    { what: `instance ${ids.join(', ')} to be ${state}`, sleep: ctx.sleep, intervalMs: 5_000, timeoutMs: 600_000 },
  );
}

export const DEFAULT_ROOT_VOLUME_GIB = 8;
/** The root volume's size, set explicitly rather than left to whatever the AMI's snapshot says. */
export const rootVolumeGiB = (config: ResolvedConfig) => config.aws.rootVolumeGiB ?? DEFAULT_ROOT_VOLUME_GIB;

async function runInstance(ctx: InfraContext, desired: InstanceDesired, network: NetworkState, ami: { imageId: string; rootDevice: string }): Promise<Instance> {
  const { RunInstancesCommand } = await ec2Sdk();
  const tags = { Name: ctx.names.instanceName, ...ctx.tags('server') };
  const sg = ctx.facts.securityGroupId;
  if (!sg) throw new ClinicaError('internal', 'the security group has no id yet');
  const out = await retryIam(
    () =>
      ctx.clients.ec2.send(
        new RunInstancesCommand({
          // one token per call, sent again by the SDK's retries of it (a timeout, a dropped connection): EC2
          // answers a repeated call with the instance the first one started instead of starting a second. A new
          // call after IAM's refusal (nothing started) gets a new token.
          ClientToken: `clinica-${randomUUID()}`,
          ImageId: ami.imageId,
          InstanceType: desired.instanceType as never,
          MinCount: 1,
          MaxCount: 1,
          SubnetId: network.subnetId,
          SecurityGroupIds: [sg],
          IamInstanceProfile: { Name: ctx.names.serverInstanceProfile },
          MetadataOptions: METADATA_OPTIONS,
          BlockDeviceMappings: [{ DeviceName: ami.rootDevice, Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: rootVolumeGiB(ctx.config), DeleteOnTermination: true } }],
          UserData: Buffer.from(desired.userData).toString('base64'),
          ...(desired.burstable ? { CreditSpecification: { CpuCredits: 'standard' } } : {}),
          ...(ctx.config.aws.keyName ? { KeyName: ctx.config.aws.keyName } : {}),
          TagSpecifications: [
            { ResourceType: 'instance', Tags: toTagList({ ...tags, [USER_DATA_TAG]: desired.userDataHash }) },
            { ResourceType: 'volume', Tags: toTagList(tags) },
          ],
        }),
      ),
    { what: `starting the backend instance`, sleep: ctx.sleep, onRetry: (n) => ctx.log.info(`waiting for instance profile ${ctx.names.serverInstanceProfile} to reach EC2 (attempt ${n + 1})`) },
  );
  const id = out.Instances?.[0]?.InstanceId;
  if (!id) throw new ClinicaError('internal', 'RunInstances returned no instance');
  const [running] = await waitForState(ctx, [id], 'running');
  ctx.facts.instance = instanceFacts(running);
  return running!;
}

export async function terminate(ec2: EC2Client, ids: string[]): Promise<void> {
  if (!ids.length) return;
  const { TerminateInstancesCommand } = await ec2Sdk();
  try {
    await ec2.send(new TerminateInstancesCommand({ InstanceIds: ids }));
  } catch (err) {
    if (!isAwsError(err, 'InvalidInstanceID.NotFound')) throw err;
  }
}

export async function planInstance(ctx: InfraContext, network: NetworkState, state: InstanceState, type: InstanceTypeInfo | undefined): Promise<Step> {
  const desired = desiredInstance(ctx, type);
  const i = state.instance;
  const ec2 = ctx.clients.ec2;
  const create = async () => {
    const ami = await latestAmi(ctx);
    await awsCall(ctx, 'starting the backend instance', () => runInstance(ctx, desired, network, ami));
  };
  const base = { id: 'instance', component: 'server' as const, kind: 'EC2 instance' };
  if (!i) {
    return step({
      ...base,
      name: ctx.names.instanceName,
      exists: false,
      changes: [{ what: 'create', apply: create }],
      createWhy: `does not exist: ${desired.instanceType}, Amazon Linux 2023 ${ctx.config.aws.architecture}, IMDSv2 required, encrypted root volume of ${rootVolumeGiB(ctx.config)} GiB`,
    });
  }
  const id = i.InstanceId!;
  const replaceWhy = replacementReasons(ctx, i, desired, network);
  const changes: Change[] = replaceWhy.length
    ? [
        {
          what: `replace (${replaceWhy.join(', ')}; the backend is down ≈2–3 min and its IP addresses change)`,
          apply: async () => {
            await create();
            await awsCall(ctx, `terminating the old instance ${id}`, () => terminate(ec2, [id]));
          },
        },
      ]
    : inPlaceChanges(ctx, i);
  if (state.extra.length) {
    const ids = state.extra.map((x) => x.InstanceId!).filter(Boolean);
    changes.push({ what: `terminate ${count(ids.length, 'older instance')} ${ids.join(', ')}`, apply: () => awsCall(ctx, 'terminating older instances', () => terminate(ec2, ids)) });
  }
  return step({ ...base, name: `${ctx.names.instanceName} (${id})`, exists: true, changes, upToDateWhy: `${i.State?.Name}, ${i.InstanceType}, ${i.PrivateIpAddress ?? ''}`.replace(/, $/, '') });
}

/** What an instance cannot change in place (a new one replaces it), a phrase each. */
function replacementReasons(ctx: InfraContext, i: Instance, desired: InstanceDesired, network: NetworkState): string[] {
  const arch = ctx.config.aws.architecture;
  const tags = fromTagList(i.Tags);
  const why: string[] = [];
  if (i.InstanceType !== desired.instanceType) why.push(`type ${i.InstanceType} → ${desired.instanceType}`);
  if (i.Architecture && i.Architecture !== arch) why.push(`architecture ${i.Architecture} → ${arch}`);
  if (i.SubnetId && i.SubnetId !== network.subnetId) why.push(`subnet ${i.SubnetId} → ${network.subnetId}`);
  if ((i.KeyName ?? '') !== (ctx.config.aws.keyName ?? '')) why.push(`key pair ${i.KeyName ?? '(none)'} → ${ctx.config.aws.keyName ?? '(none)'}`);
  if (tags[USER_DATA_TAG] !== desired.userDataHash) why.push('set-up script (templates/ec2) changed');
  if (!i.IamInstanceProfile?.Arn?.endsWith(`/${ctx.names.serverInstanceProfile}`)) why.push(`instance profile → ${ctx.names.serverInstanceProfile}`);
  return why;
}

/** A change made by EC2 calls, the SDK loaded when it runs. */
function ec2Change(ctx: InfraContext, what: string, doing: string, run: (sdk: Awaited<ReturnType<typeof ec2Sdk>>, ec2: EC2Client) => Promise<void>): Change {
  return { what, apply: () => awsCall(ctx, doing, async () => run(await ec2Sdk(), ctx.clients.ec2)) };
}

/** What an instance that is kept needs: started, its metadata options, its security group, its tags. */
function inPlaceChanges(ctx: InfraContext, i: Instance): Change[] {
  const id = i.InstanceId!;
  const changes: Change[] = [];
  const state = i.State?.Name;
  if (state === 'stopped' || state === 'stopping') {
    changes.push(
      ec2Change(ctx, `${state} → start`, `starting instance ${id}`, async (sdk, ec2) => {
        if (state === 'stopping') await waitForStopped(ctx, id);
        await ec2.send(new sdk.StartInstancesCommand({ InstanceIds: [id] }));
        const [running] = await waitForState(ctx, [id], 'running');
        ctx.facts.instance = instanceFacts(running);
      }),
    );
  }
  const metadata = metadataDrift(i.MetadataOptions);
  if (metadata.length) {
    changes.push(
      ec2Change(ctx, metadata.join(', '), `setting the metadata options of ${id}`, async (sdk, ec2) => {
        await ec2.send(new sdk.ModifyInstanceMetadataOptionsCommand({ InstanceId: id, ...METADATA_OPTIONS }));
      }),
    );
  }
  const groups = (i.SecurityGroups ?? []).map((g) => g.GroupId);
  const sg = ctx.facts.securityGroupId;
  if (!sg || groups.length !== 1 || groups[0] !== sg) {
    changes.push(
      ec2Change(ctx, `security groups ${groups.join(', ') || '(none)'} → ${ctx.names.securityGroup} only`, `setting the security group of ${id}`, async (sdk, ec2) => {
        await ec2.send(new sdk.ModifyInstanceAttributeCommand({ InstanceId: id, Groups: [ctx.facts.securityGroupId!] }));
      }),
    );
  }
  const wantTags = { Name: ctx.names.instanceName, ...ctx.tags('server') };
  const missing = missingTags(fromTagList(i.Tags), wantTags);
  if (missing.length) {
    changes.push(
      ec2Change(ctx, `tags ${missing.join(', ')}`, `tagging ${id}`, async (sdk, ec2) => {
        await ec2.send(new sdk.CreateTagsCommand({ Resources: [id], Tags: toTagList(wantTags) }));
      }),
    );
  }
  return changes;
}

async function waitForStopped(ctx: InfraContext, id: string): Promise<void> {
  const { DescribeInstancesCommand } = await ec2Sdk();
  await waitFor(
    async () => {
      const out = await ctx.clients.ec2.send(new DescribeInstancesCommand({ InstanceIds: [id] }));
      return out.Reservations?.[0]?.Instances?.[0]?.State?.Name === 'stopped' ? true : undefined;
    },
    { what: `instance ${id} to stop`, sleep: ctx.sleep, intervalMs: 5_000, timeoutMs: 600_000 },
  );
}

// --- destroy ---

export function destroyInstanceStep(ctx: InfraContext, state: InstanceState): Step | undefined {
  const all = [state.instance, ...state.extra].filter((i): i is Instance => Boolean(i?.InstanceId));
  if (!all.length) return undefined;
  const ids = all.map((i) => i.InstanceId!);
  return deleteStep({ id: 'instance', component: 'server', kind: 'EC2 instance', name: `${ctx.names.instanceName} (${ids.join(', ')})`, why: 'stage destroyed: terminate and wait' }, () =>
    awsCall(ctx, `terminating ${ids.join(', ')}`, async () => {
      await terminate(ctx.clients.ec2, ids);
      await waitForState(ctx, ids, 'terminated');
    }),
  );
}

export function destroySecurityGroupStep(ctx: InfraContext, state: GroupState): Step | undefined {
  const id = state.group?.GroupId;
  if (!id) return undefined;
  return deleteStep({ id: 'security-group', component: 'server', kind: 'EC2 security group', name: `${ctx.names.securityGroup} (${id})`, why: 'stage destroyed (after the instance is gone)' }, () =>
    awsCall(ctx, `deleting security group ${id}`, async () => {
      const { DeleteSecurityGroupCommand } = await ec2Sdk();
      // the terminated instance's network interface can hold on to the group for a little while
      await retryIam(
        async () => {
          try {
            await ctx.clients.ec2.send(new DeleteSecurityGroupCommand({ GroupId: id }));
          } catch (err) {
            if (!isAwsError(err, 'InvalidGroup.NotFound')) throw err;
          }
        },
        {
          what: `deleting security group ${id}`,
          sleep: ctx.sleep,
          retryIf: (err) => isAwsError(err, 'DependencyViolation'),
          delays: [5_000, 5_000, 10_000, 10_000, 15_000, 15_000, 20_000, 20_000],
          exhausted: (err, waited) =>
            new ClinicaError('unavailable', `security group ${id} is still in use after ${waited} s (${(err as Error).message})`, {
              hint: 'something else uses it (a network interface): check the EC2 console, then run `clinica destroy` again',
              cause: err,
            }),
        },
      );
    }),
  );
}

export { TAG };

// --- the resource shapes ---

/** The default VPC and subnet the backend goes in: read for the security group and the instance, never changed. */
export const network = resource({
  id: 'network',
  async read(ctx) {
    const state = await readNetwork(ctx);
    ctx.facts.vpcId = state.vpcId;
    ctx.facts.subnetId = state.subnetId;
    return state;
  },
  plan: () => undefined,
  destroy: () => undefined,
});

export const securityGroup = resource({
  id: 'security-group',
  read: async (ctx, stage) => readSecurityGroup(ctx, (await stage.state<NetworkState>('network')).vpcId),
  plan(ctx, state, stage) {
    const warning = clinicNetworkWarning(ctx.config);
    if (warning) stage.warn(warning);
    return planSecurityGroup(ctx, stage.state<NetworkState>('network'), state);
  },
  destroy: destroySecurityGroupStep,
  owner: (ctx, state) => ({ what: `security group ${ctx.names.securityGroup}`, tags: state.group ? fromTagList(state.group.Tags) : undefined }),
});

/** Found by this stage's tags, so always ours. The instance type is checked only for deploy. */
export const instance = resource<InstanceState & { type?: InstanceTypeInfo }>({
  id: 'instance',
  async read(ctx, stage) {
    const [instances, type] = await Promise.all([readInstances(ctx), stage.mode === 'deploy' ? readInstanceType(ctx) : undefined]);
    return { ...instances, type };
  },
  plan: (ctx, state, stage) => planInstance(ctx, stage.state<NetworkState>('network'), state, state.type),
  destroy: destroyInstanceStep,
});
