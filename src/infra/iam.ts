/**
 * IAM: one role per deployed part, each with one inline policy named "clinica" that allows only what that
 * part does — its data-bucket prefixes, its own log group, SES as the clinic's sender — and an instance
 * profile for the server's role. A managed policy attached by hand (say AdministratorAccess) or another inline
 * policy added by hand is drift: deploy detaches / deletes it, status flags it.
 *
 * Why s3:ListBucket is not scoped by prefix: without ListBucket on the bucket, S3 answers a GET of a missing
 * key with 403 instead of 404, and "no such record" is a normal answer in clinica (a reminder not yet claimed,
 * an image not yet processed). ListBucket reveals key names only, which the same role may read anyway.
 */
import type { IAMClient } from '@aws-sdk/client-iam';
import { reminderSender, senderAddress } from '../config/mail.js';
import { ClinicaError } from '../errors.js';
import { awsCall, isAwsError, type InfraContext } from './context.js';
import { arn, foreignOwner, fromTagList, kmsKeyScope, missingTags, toTagList, type Component } from './names.js';
import { deleteStep, step, type Change, type Step } from './plan.js';
import { resource } from './resource.js';
import { httpsDomain } from './serving.js';
import { replicationPolicy } from './backup-bucket.js';
import { policy, samePolicy, trustPolicy, type PolicyDocument, type Statement } from './policy-document.js';
import { ANSWER_KEY_OBJECT } from '../clinic/answer-link.js';
import { AGENDA_LOCKS_PREFIX, APPOINTMENTS_PREFIX } from '../clinic/appointments.js';
import { AUDIT_PREFIX } from '../clinic/audit.js';
import { BY_PATIENT_PREFIX } from '../clinic/patient-appointments.js';
import { CHANGES_PREFIX } from '../clinic/patient-changes.js';
import { INDEX_PREFIX as PATIENT_INDEX_PREFIX } from '../clinic/patient-index.js';
import { ANSWERS_PREFIX } from '../clinic/patient-answers.js';
import { PATIENTS_PREFIX } from '../clinic/patients.js';

const iamSdk = () => import('@aws-sdk/client-iam');

export const INLINE_POLICY = 'clinica';

export type RoleKey = 'image-processor' | 'reminders' | 'server' | 'answers' | 'replication' | 'whatsapp-events';
/** The roles whose data access is a plain list of prefixes (the answer page's is narrower: see answersPolicy;
 * the replication role's is its own: see replicationPolicy). */
type PrefixRoleKey = Exclude<RoleKey, 'answers' | 'replication'>;

/** Every top-level prefix of the data bucket that clinica's code reads or writes (test/infra/iam-prefixes.test.ts
 * checks this list against the code). */
export const DATA_PREFIXES = [
  'patients/', 'appointments/', 'images/', 'image-hashes/', 'image-ids/', 'claims/', 'counters/', 'index/',
  'reminders/', 'audit/', 'staff/', 'settings/', 'health/', 'locks/', 'tls/', 'staff-emails/', 'sessions/', 'api-tokens/',
  'dentists/', 'chairs/', 'notices/', 'answers/',
] as const;

const except = (...excluded: string[]) => DATA_PREFIXES.filter((p) => !excluded.includes(p));

/**
 * Which data-bucket prefixes each part reads and writes (see ARCHITECTURE.md "Data in the private bucket").
 * audit/ is append-only for everyone: PutObject, never DeleteObject. Only the server (its update timer) reads
 * deploy/server/, and nothing deployed may write there: a compromised part cannot plant a new release.
 */
export const DATA_ACCESS: Record<PrefixRoleKey, { read: string[]; write: string[]; remove: string[] }> = {
  'image-processor': {
    read: ['images/', 'image-ids/', 'image-hashes/', 'patients/', 'settings/'],
    write: ['images/', 'image-ids/', 'image-hashes/', 'audit/'],
    remove: ['images/'],
  },
  reminders: {
    read: ['appointments/', 'patients/', 'index/', 'reminders/', 'staff/', 'settings/'],
    write: ['reminders/', 'audit/'],
    remove: [],
  },
  // a button press answers as the answer page does (the answer, the appointment, its audit); statuses go on
  // the reminder; a text is matched to a patient by the index
  'whatsapp-events': {
    read: ['answers/', 'appointments/', 'patients/', 'index/', 'reminders/'],
    write: ['answers/', 'appointments/', 'index/', 'reminders/', 'audit/'],
    remove: [],
  },
  // tls/ (the certificate and its key) only when the server speaks HTTPS: see serverCertificateStatements
  server: {
    read: [...except('tls/'), 'deploy/server/'],
    write: except('health/', 'tls/'),
    remove: except('health/', 'audit/', 'tls/'),
  },
};

function kmsStatement(ctx: InfraContext): Statement[] {
  const key = ctx.config.aws.kmsKeyId;
  if (!key) return [];
  return [{ Sid: 'UseDataKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], ...kmsKeyScope(ctx.arns, key) }];
}

function dataStatements(ctx: InfraContext, key: PrefixRoleKey): Statement[] {
  const bucket = ctx.names.dataBucket;
  const access = DATA_ACCESS[key];
  const objects = (prefixes: string[]) => prefixes.map((p) => arn.objects(ctx.arns, bucket, p));
  const statements: Statement[] = [
    { Sid: 'ListDataBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: arn.bucket(ctx.arns, bucket) },
    { Sid: 'ReadData', Effect: 'Allow', Action: 's3:GetObject', Resource: objects(access.read) },
    { Sid: 'WriteData', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects(access.write) },
  ];
  if (access.remove.length) statements.push({ Sid: 'DeleteData', Effect: 'Allow', Action: 's3:DeleteObject', Resource: objects(access.remove) });
  return [...statements, ...kmsStatement(ctx)];
}

function logStatement(ctx: InfraContext, functionName: string): Statement {
  const group = `/aws/lambda/${functionName}`;
  return {
    Sid: 'OwnLogGroup',
    Effect: 'Allow',
    Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
    Resource: [arn.logGroup(ctx.arns, group), `${arn.logGroup(ctx.arns, group)}:*`],
  };
}

/**
 * With network.domain the instance obtains its own certificate (src/server/certificates.ts): it reads and writes
 * tls/ in the data bucket, finds the zone by name, may change only the _acme-challenge TXT record of its domain
 * (Route 53's normalized-record-name and record-type condition keys) and read a change's status.
 */
export function serverCertificateStatements(ctx: InfraContext): Statement[] {
  const domain = httpsDomain(ctx.config);
  if (!domain) return [];
  const tls = arn.objects(ctx.arns, ctx.names.dataBucket, 'tls/');
  return [
    { Sid: 'ServerCertificate', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: tls },
    { Sid: 'FindZone', Effect: 'Allow', Action: 'route53:ListHostedZonesByName', Resource: '*' },
    {
      Sid: 'AcmeChallengeRecord',
      Effect: 'Allow',
      Action: 'route53:ChangeResourceRecordSets',
      Resource: `arn:${ctx.arns.partition}:route53:::hostedzone/*`,
      Condition: {
        'ForAllValues:StringEquals': {
          'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`_acme-challenge.${domain}`],
          'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'],
        },
      },
    },
    { Sid: 'AcmeChangeStatus', Effect: 'Allow', Action: 'route53:GetChange', Resource: `arn:${ctx.arns.partition}:route53:::change/*` },
  ];
}

/** Writes S3 accepts only as a create (If-None-Match: *): the same s3:if-none-match key as the audit's bucket policy. */
const createOnly = { Null: { 's3:if-none-match': 'false' } };

/**
 * The answer-link key (src/clinic/answer-link.ts): read by the two parts that sign or check links — the
 * reminders and the answer page — and made once by whichever runs first (If-None-Match, so never replaced).
 */
function answerKeyStatements(ctx: InfraContext): Statement[] {
  const key = `arn:${ctx.arns.partition}:s3:::${ctx.names.dataBucket}/${ANSWER_KEY_OBJECT}`;
  return [
    { Sid: 'ReadAnswerLinkKey', Effect: 'Allow', Action: 's3:GetObject', Resource: key },
    { Sid: 'MakeAnswerLinkKeyOnce', Effect: 'Allow', Action: 's3:PutObject', Resource: key, Condition: createOnly },
  ];
}

/**
 * The public answer page's role, for what confirm and cancel do and nothing else: read the appointment, the
 * patient (first name, language) and an earlier answer; write the answer and the audit entry only as new
 * objects; update the appointment with the records a status change keeps in step (the patient's list of
 * appointments and its change marker, the row in the patient index, the day's slots for a cancellation). No staff, sessions, images, tokens or settings.
 */
function answersPolicy(ctx: InfraContext): PolicyDocument {
  const bucket = ctx.names.dataBucket;
  const objects = (...prefixes: string[]) => prefixes.map((p) => arn.objects(ctx.arns, bucket, p));
  const records = [APPOINTMENTS_PREFIX, BY_PATIENT_PREFIX, PATIENT_INDEX_PREFIX, AGENDA_LOCKS_PREFIX];
  return policy(
    { Sid: 'ListDataBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: arn.bucket(ctx.arns, bucket) },
    { Sid: 'ReadAnswerData', Effect: 'Allow', Action: 's3:GetObject', Resource: objects(...records, PATIENTS_PREFIX, ANSWERS_PREFIX) },
    // and the marker that tells the server's memory of opened records the patient changed (patient-changes.ts)
    { Sid: 'UpdateAppointment', Effect: 'Allow', Action: 's3:PutObject', Resource: objects(...records, CHANGES_PREFIX) },
    { Sid: 'RecordAnswerOnce', Effect: 'Allow', Action: 's3:PutObject', Resource: objects(ANSWERS_PREFIX, AUDIT_PREFIX), Condition: createOnly },
    ...answerKeyStatements(ctx),
    ...kmsStatement(ctx),
    logStatement(ctx, ctx.names.answersFunction),
  );
}

/** The reminders send WhatsApp messages from the configured phone number only. */
function whatsappSendStatements(ctx: InfraContext): Statement[] {
  const id = ctx.config.whatsapp?.phoneNumberId;
  if (!id) return [];
  const resource = id.startsWith('arn:') ? id : `arn:${ctx.arns.partition}:social-messaging:${ctx.arns.region}:${ctx.arns.account}:phone-number-id/${id.slice('phone-number-id-'.length)}`;
  return [{ Sid: 'SendWhatsApp', Effect: 'Allow', Action: 'social-messaging:SendWhatsAppMessage', Resource: resource }];
}

/** The inline policy of each role. */
export function rolePolicy(ctx: InfraContext, key: RoleKey): PolicyDocument {
  const n = ctx.names;
  switch (key) {
    case 'image-processor':
      return policy(...dataStatements(ctx, key), logStatement(ctx, n.imageProcessorFunction), {
        // Lambda sends an event whose processing failed after its retries to this queue as the function's role
        Sid: 'ReportFailures',
        Effect: 'Allow',
        Action: 'sqs:SendMessage',
        Resource: arn.queue(ctx.arns, n.imageFailuresQueue),
      });
    case 'reminders':
      return policy(
        ...dataStatements(ctx, key),
        logStatement(ctx, n.remindersFunction),
        {
          // identity/*: in the SES sandbox the recipients are identities too; the condition pins the sender
          Sid: 'SendAsClinic',
          Effect: 'Allow',
          Action: ['ses:SendEmail', 'ses:SendRawEmail'],
          Resource: arn.sesIdentity(ctx.arns, '*'),
          Condition: { StringEquals: { 'ses:FromAddress': senderAddress(reminderSender(ctx.config)) } },
        },
        { Sid: 'ReadSendQuota', Effect: 'Allow', Action: 'ses:GetSendQuota', Resource: '*' },
        // every reminder carries a signed link to the answer page
        ...answerKeyStatements(ctx),
        ...whatsappSendStatements(ctx),
      );
    case 'answers':
      return answersPolicy(ctx);
    case 'whatsapp-events':
      return policy(...dataStatements(ctx, key), logStatement(ctx, n.whatsappEventsFunction), {
        // the answer-link key, to check a button's token (the one object under keys/ it may read)
        Sid: 'ReadAnswerLinkKey',
        Effect: 'Allow',
        Action: 's3:GetObject',
        Resource: `${arn.bucket(ctx.arns, ctx.names.dataBucket)}/${ANSWER_KEY_OBJECT}`,
      });
    case 'server':
      return policy(
        ...dataStatements(ctx, key),
        {
          // the instance's timer starts the reminders run every 15 minutes (see templates/ec2)
          Sid: 'StartReminders',
          Effect: 'Allow',
          Action: 'lambda:InvokeFunction',
          Resource: arn.function(ctx.arns, n.remindersFunction),
        },
        ...serverCertificateStatements(ctx),
        {
          // staff invitations made on the page are e-mailed, as the clinic's sender only
          Sid: 'SendInvitations',
          Effect: 'Allow',
          Action: 'ses:SendRawEmail',
          Resource: arn.sesIdentity(ctx.arns, '*'),
          Condition: { StringEquals: { 'ses:FromAddress': senderAddress(reminderSender(ctx.config)) } },
        },
      );
    case 'replication':
      return replicationPolicy(ctx);
  }
}

export interface RoleSpec {
  key: RoleKey;
  component: Component;
  name: string;
  service: string;
  description: string;
}

export function roleSpecs(ctx: InfraContext): RoleSpec[] {
  const n = ctx.names;
  return [
    { key: 'image-processor', component: 'image-processor', name: n.imageProcessorRole, service: 'lambda.amazonaws.com', description: 'clinica image-processor Lambda' },
    { key: 'reminders', component: 'reminders', name: n.remindersRole, service: 'lambda.amazonaws.com', description: 'clinica reminders Lambda' },
    { key: 'server', component: 'server', name: n.serverRole, service: 'ec2.amazonaws.com', description: 'clinica backend on EC2' },
    { key: 'answers', component: 'answers', name: n.answersRole, service: 'lambda.amazonaws.com', description: "clinica patients' answer page Lambda" },
    { key: 'replication', component: 'data', name: n.replicationRole, service: 's3.amazonaws.com', description: 'clinica data bucket replication to the backup' },
    ...(ctx.config.whatsapp?.eventTopicArn
      ? [{ key: 'whatsapp-events' as const, component: 'whatsapp' as const, name: n.whatsappEventsRole, service: 'lambda.amazonaws.com', description: 'clinica WhatsApp events Lambda' }]
      : []),
  ];
}

export interface RoleState {
  exists: boolean;
  trust?: unknown;
  inline?: unknown;
  tags: Record<string, string>;
  /** managed policies attached to the role (any is drift: clinica attaches none) */
  attached: string[];
  /** inline policies other than clinica's own (added by hand: drift) */
  extraInline: string[];
}

/** Every page of a paginated IAM list (Marker / IsTruncated). */
async function allPages<T>(fetch: (marker: string | undefined) => Promise<{ items: T[]; next?: string }>): Promise<T[]> {
  const out: T[] = [];
  let marker: string | undefined;
  do {
    const page = await fetch(marker);
    out.push(...page.items);
    marker = page.next;
  } while (marker);
  return out;
}

export async function readRole(ctx: InfraContext, name: string): Promise<RoleState> {
  const { GetRoleCommand, GetRolePolicyCommand, ListAttachedRolePoliciesCommand, ListRolePoliciesCommand } = await iamSdk();
  const iam = ctx.clients.iam;
  return awsCall(ctx, `reading IAM role ${name}`, async () => {
    let role;
    try {
      role = (await iam.send(new GetRoleCommand({ RoleName: name }))).Role;
    } catch (err) {
      if (isAwsError(err, 'NoSuchEntity')) return { exists: false, tags: {}, attached: [], extraInline: [] };
      throw err;
    }
    const [inline, attached, inlineNames] = await Promise.all([
      iam.send(new GetRolePolicyCommand({ RoleName: name, PolicyName: INLINE_POLICY })).then(
        (r) => r.PolicyDocument,
        (err) => {
          if (isAwsError(err, 'NoSuchEntity')) return undefined;
          throw err;
        },
      ),
      allPages(async (Marker) => {
        const r = await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: name, Marker }));
        return { items: (r.AttachedPolicies ?? []).map((p) => p.PolicyArn!).filter(Boolean), next: r.IsTruncated ? r.Marker : undefined };
      }),
      allPages(async (Marker) => {
        const r = await iam.send(new ListRolePoliciesCommand({ RoleName: name, Marker }));
        return { items: r.PolicyNames ?? [], next: r.IsTruncated ? r.Marker : undefined };
      }),
    ]);
    return {
      exists: true,
      trust: role?.AssumeRolePolicyDocument ? decodePolicy(role.AssumeRolePolicyDocument) : undefined,
      inline: inline ? decodePolicy(inline) : undefined,
      tags: fromTagList(role?.Tags),
      attached,
      extraInline: inlineNames.filter((n) => n !== INLINE_POLICY),
    };
  });
}

const decodePolicy = (text: string) => JSON.parse(text.trim().startsWith('{') ? text : decodeURIComponent(text));

export async function planRole(ctx: InfraContext, spec: RoleSpec, state: RoleState): Promise<Step> {
  const { CreateRoleCommand, PutRolePolicyCommand, UpdateAssumeRolePolicyCommand, TagRoleCommand, DetachRolePolicyCommand, DeleteRolePolicyCommand } = await iamSdk();
  const iam = ctx.clients.iam;
  const wantTrust = trustPolicy(spec.service);
  const wantInline = rolePolicy(ctx, spec.key);
  const wantTags = ctx.tags(spec.component);
  const foreign = state.exists ? foreignOwner(state.tags, wantTags) : undefined;
  if (foreign) {
    throw new ClinicaError('conflict', `IAM role ${spec.name} is tagged ${foreign}: it belongs to another clinic or stage`, { hint: 'set aws.bucketPrefix to use other names' });
  }
  const call = (what: string, fn: () => Promise<unknown>): Change => ({ what, apply: () => awsCall(ctx, `${what} (IAM role ${spec.name})`, fn).then(() => undefined) });
  const putInline = call('least-privilege policy', () =>
    iam.send(new PutRolePolicyCommand({ RoleName: spec.name, PolicyName: INLINE_POLICY, PolicyDocument: JSON.stringify(wantInline) })),
  );
  const changes: Change[] = [];
  if (!state.exists) {
    changes.push(
      call('create', () =>
        iam
          .send(
            new CreateRoleCommand({
              RoleName: spec.name,
              AssumeRolePolicyDocument: JSON.stringify(wantTrust),
              Description: spec.description,
              Tags: toTagList(wantTags),
            }),
          )
          .catch((err) => {
            if (!isAwsError(err, 'EntityAlreadyExists')) throw err; // a previous run got this far
          }),
      ),
      putInline,
    );
  } else {
    const missing = missingTags(state.tags, wantTags);
    if (missing.length) changes.push(call(`tags ${missing.join(', ')}`, () => iam.send(new TagRoleCommand({ RoleName: spec.name, Tags: toTagList(wantTags) }))));
    if (!samePolicy(state.trust, wantTrust)) {
      changes.push(call(`trust policy changed → ${spec.service} only`, () => iam.send(new UpdateAssumeRolePolicyCommand({ RoleName: spec.name, PolicyDocument: JSON.stringify(wantTrust) }))));
    }
    if (!samePolicy(state.inline, wantInline)) changes.push({ ...putInline, what: state.inline ? 'policy differs from the least-privilege one' : 'policy missing' });
    for (const policyName of state.extraInline) {
      changes.push(call(`delete inline policy ${policyName} (added by hand)`, () => iam.send(new DeleteRolePolicyCommand({ RoleName: spec.name, PolicyName: policyName }))));
    }
    for (const policyArn of state.attached) {
      changes.push(call(`detach ${policyArn.split('/').pop()} (attached by hand)`, () => iam.send(new DetachRolePolicyCommand({ RoleName: spec.name, PolicyArn: policyArn }))));
    }
  }
  return step({ id: `role:${spec.key}`, component: spec.component, kind: 'IAM role', name: spec.name, exists: state.exists, changes, createWhy: `does not exist: create, trusted by ${spec.service}, least-privilege policy` });
}

export interface ProfileState {
  exists: boolean;
  roles: string[];
  tags: Record<string, string>;
}

export async function readInstanceProfile(ctx: InfraContext, name: string): Promise<ProfileState> {
  const { GetInstanceProfileCommand } = await iamSdk();
  return awsCall(ctx, `reading instance profile ${name}`, async () => {
    try {
      const out = await ctx.clients.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }));
      return { exists: true, roles: (out.InstanceProfile?.Roles ?? []).map((r) => r.RoleName!).filter(Boolean), tags: fromTagList(out.InstanceProfile?.Tags) };
    } catch (err) {
      if (isAwsError(err, 'NoSuchEntity')) return { exists: false, roles: [], tags: {} };
      throw err;
    }
  });
}

/**
 * Like the roles: a profile of the stage's name tagged for another clinic or stage is refused before anything
 * changes; one without clinica's tags (made by hand, or before tags) is adopted and tagged.
 */
export async function planInstanceProfile(ctx: InfraContext, state: ProfileState): Promise<Step> {
  const { CreateInstanceProfileCommand, AddRoleToInstanceProfileCommand, RemoveRoleFromInstanceProfileCommand, TagInstanceProfileCommand } = await iamSdk();
  const iam = ctx.clients.iam;
  const name = ctx.names.serverInstanceProfile;
  const role = ctx.names.serverRole;
  const wantTags = ctx.tags('server');
  const foreign = state.exists ? foreignOwner(state.tags, wantTags) : undefined;
  if (foreign) {
    throw new ClinicaError('conflict', `IAM instance profile ${name} is tagged ${foreign}: it belongs to another clinic or stage`, { hint: 'set aws.bucketPrefix to use other names' });
  }
  const call = (what: string, fn: () => Promise<unknown>): Change => ({ what, apply: () => awsCall(ctx, `${what} (instance profile ${name})`, fn).then(() => undefined) });
  const addRole = call(`add role ${role}`, () => iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: name, RoleName: role })));
  const changes: Change[] = [];
  if (!state.exists) {
    changes.push(
      call('create', () =>
        iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Tags: toTagList(wantTags) })).catch((err) => {
          if (!isAwsError(err, 'EntityAlreadyExists')) throw err;
        }),
      ),
      addRole,
    );
  } else {
    const missing = missingTags(state.tags, wantTags);
    if (missing.length) changes.push(call(`tags ${missing.join(', ')}`, () => iam.send(new TagInstanceProfileCommand({ InstanceProfileName: name, Tags: toTagList(wantTags) }))));
    for (const other of state.roles.filter((r) => r !== role)) {
      changes.push(call(`remove role ${other}`, () => iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: other }))));
    }
    if (!state.roles.includes(role)) changes.push(addRole);
  }
  return step({ id: 'instance-profile', component: 'server', kind: 'IAM instance profile', name, exists: state.exists, changes, createWhy: `does not exist: create with role ${role}` });
}

// --- destroy ---

export async function deleteRole(iam: IAMClient, name: string): Promise<void> {
  const sdk = await iamSdk();
  try {
    const [inline, attached, profiles] = await Promise.all([
      iam.send(new sdk.ListRolePoliciesCommand({ RoleName: name })),
      iam.send(new sdk.ListAttachedRolePoliciesCommand({ RoleName: name })),
      iam.send(new sdk.ListInstanceProfilesForRoleCommand({ RoleName: name })),
    ]);
    for (const p of inline.PolicyNames ?? []) await iam.send(new sdk.DeleteRolePolicyCommand({ RoleName: name, PolicyName: p }));
    for (const p of attached.AttachedPolicies ?? []) await iam.send(new sdk.DetachRolePolicyCommand({ RoleName: name, PolicyArn: p.PolicyArn }));
    for (const p of profiles.InstanceProfiles ?? []) {
      await iam.send(new sdk.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: p.InstanceProfileName, RoleName: name }));
    }
    await iam.send(new sdk.DeleteRoleCommand({ RoleName: name }));
  } catch (err) {
    if (!isAwsError(err, 'NoSuchEntity')) throw err;
  }
}

export async function deleteInstanceProfile(iam: IAMClient, name: string, roles: string[]): Promise<void> {
  const sdk = await iamSdk();
  try {
    for (const role of roles) await iam.send(new sdk.RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: name, RoleName: role }));
    await iam.send(new sdk.DeleteInstanceProfileCommand({ InstanceProfileName: name }));
  } catch (err) {
    if (!isAwsError(err, 'NoSuchEntity')) throw err;
  }
}

export function destroyRoleStep(ctx: InfraContext, spec: RoleSpec, state: RoleState): Step | undefined {
  if (!state.exists) return undefined;
  return deleteStep({ id: `role:${spec.key}`, component: spec.component, kind: 'IAM role', name: spec.name, why: 'stage destroyed' }, () =>
    awsCall(ctx, `deleting IAM role ${spec.name}`, () => deleteRole(ctx.clients.iam, spec.name)),
  );
}

export function destroyProfileStep(ctx: InfraContext, state: ProfileState): Step | undefined {
  if (!state.exists) return undefined;
  const name = ctx.names.serverInstanceProfile;
  return deleteStep({ id: 'instance-profile', component: 'server', kind: 'IAM instance profile', name, why: 'stage destroyed' }, () =>
    awsCall(ctx, `deleting instance profile ${name}`, () => deleteInstanceProfile(ctx.clients.iam, name, state.roles)),
  );
}

// --- the resource shape ---

export const roleResource = (spec: RoleSpec) =>
  resource({
    id: `role:${spec.key}`,
    read: (ctx) => readRole(ctx, spec.name),
    plan: (ctx, state) => planRole(ctx, spec, state),
    destroy: (ctx, state) => destroyRoleStep(ctx, spec, state),
    owner: (_ctx, state) => ({ what: `IAM role ${spec.name}`, tags: state.exists ? state.tags : undefined }),
  });

export const instanceProfile = resource({
  id: 'instance-profile',
  read: (ctx) => readInstanceProfile(ctx, ctx.names.serverInstanceProfile),
  plan: planInstanceProfile,
  destroy: destroyProfileStep,
  owner: (ctx, state) => ({ what: `instance profile ${ctx.names.serverInstanceProfile}`, tags: state.exists ? state.tags : undefined }),
});
