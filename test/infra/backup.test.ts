/* eslint-disable @typescript-eslint/no-explicit-any -- AWS requests are plain JSON in these assertions */
/**
 * The backup bucket and the replication to it (mocked AWS): the exact calls and parameters, the replication
 * role's policy statement by statement, drift found and repaired, destroy with and without
 * --delete-patient-data under Object Lock, a backup bucket of another account, and the operator's policy in
 * docs/aws.md (no way to bypass governance retention).
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pending } from '../../src/infra/plan.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { backupRegionFor } from '../../src/infra/names.js';
import { replicationCheck } from '../../src/infra/health.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';
import { rejection } from '../helpers/rejection.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const data = 'sorriso-prod-data';
const backup = 'sorriso-prod-backup';
const role = 'sorriso-prod-replication';
const s3Calls = (bucket: string) => fake.mutating().filter((c) => c.service === 'S3' && c.input.Bucket === bucket).map((c) => ({ [c.command]: c.input }));

describe('the backup bucket and replication (mocked AWS)', () => {
  it('creates the backup in the second region, locked, private, encrypted, TLS only — in this order, with these parameters', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await testConfig())));
    const tags = [{ Key: 'clinica:clinic', Value: 'sorriso' }, { Key: 'clinica:stage', Value: 'prod' }, { Key: 'clinica:component', Value: 'data' }];
    expect(s3Calls(backup)).toEqual([
      { CreateBucket: { Bucket: backup, ObjectOwnership: 'BucketOwnerEnforced', ObjectLockEnabledForBucket: true } }, // us-east-1: no LocationConstraint
      { PutPublicAccessBlock: { Bucket: backup, PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true } } },
      { PutBucketEncryption: { Bucket: backup, ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } } },
      { PutBucketTagging: { Bucket: backup, Tagging: { TagSet: tags } } },
      { PutBucketVersioning: { Bucket: backup, VersioningConfiguration: { Status: 'Enabled' } } },
      {
        PutObjectLockConfiguration: {
          Bucket: backup,
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 400 } } },
        },
      },
      {
        PutBucketPolicy: {
          Bucket: backup,
          Policy: JSON.stringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*',
                Resource: [`arn:aws:s3:::${backup}`, `arn:aws:s3:::${backup}/*`],
                Condition: { Bool: { 'aws:SecureTransport': 'false' } },
              },
            ],
          }),
        },
      },
    ]);
    expect(fake.state.buckets.get(backup)!.region).toBe('us-east-1');
    expect(backupRegionFor('sa-east-1')).toBe('us-east-1');
    expect(backupRegionFor('us-east-1')).toBe('us-east-2');

    // the role S3 assumes: trusted by S3 only; its policy, statement by statement (no delete of any kind)
    expect(fake.named('CreateRole').find((c) => c.input.RoleName === role)!.input).toMatchObject({
      AssumeRolePolicyDocument: JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 's3.amazonaws.com' }, Action: 'sts:AssumeRole' }] }),
    });
    const statements = JSON.parse(fake.named('PutRolePolicy').find((c) => c.input.RoleName === role)!.input.PolicyDocument).Statement;
    expect(statements).toEqual([
      { Sid: 'ReadSourceConfiguration', Effect: 'Allow', Action: ['s3:GetReplicationConfiguration', 's3:ListBucket'], Resource: `arn:aws:s3:::${data}` },
      {
        Sid: 'ReadSourceVersions', Effect: 'Allow',
        Action: ['s3:GetObjectVersionForReplication', 's3:GetObjectVersionAcl', 's3:GetObjectVersionTagging'],
        Resource: `arn:aws:s3:::${data}/*`,
      },
      { Sid: 'WriteReplicas', Effect: 'Allow', Action: ['s3:ReplicateObject', 's3:ReplicateTags'], Resource: `arn:aws:s3:::${backup}/*` },
    ]);
    expect(JSON.stringify(statements)).not.toMatch(/Delete|Bypass|s3:\*|PutObject"/);

    // the data bucket replicates every object; delete markers are NOT replicated; after the role exists
    expect(s3Calls(data).filter((c) => 'PutBucketReplication' in c)).toEqual([
      {
        PutBucketReplication: {
          Bucket: data,
          ReplicationConfiguration: {
            Role: `arn:aws:iam::123456789012:role/${role}`,
            Rules: [
              {
                ID: 'clinica-backup', Priority: 1, Status: 'Enabled', Filter: { Prefix: '' },
                DeleteMarkerReplication: { Status: 'Disabled' },
                Destination: { Bucket: `arn:aws:s3:::${backup}`, StorageClass: 'STANDARD_IA' },
              },
            ],
          },
        },
      },
    ]);
    const order = fake.mutating().map((c) => `${c.command} ${c.input.RoleName ?? c.input.Bucket ?? ''}`);
    expect(order.indexOf(`PutRolePolicy ${role}`)).toBeLessThan(order.indexOf(`PutBucketReplication ${data}`));
    expect(order.indexOf(`PutBucketVersioning ${backup}`)).toBeLessThan(order.indexOf(`PutBucketReplication ${data}`));
  });

  it('takes aws.backupRegion and aws.backupRetentionDays', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await testConfig({ aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], backupRegion: 'eu-west-1', backupRetentionDays: 3650 } }))));
    expect(fake.named('CreateBucket').find((c) => c.input.Bucket === backup)!.input.CreateBucketConfiguration).toEqual({ LocationConstraint: 'eu-west-1' });
    expect(fake.named('PutObjectLockConfiguration')[0]!.input.ObjectLockConfiguration.Rule.DefaultRetention).toEqual({ Mode: 'GOVERNANCE', Days: 3650 });
  });

  it('finds drift — delete markers replicated, retention shortened — and puts it back', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const b = fake.state.buckets.get(backup)!;
    b.settings.objectLock.ObjectLockConfiguration.Rule.DefaultRetention.Days = 1;
    const rule = fake.state.buckets.get(data)!.settings.replication.ReplicationConfiguration.Rules[0];
    rule.DeleteMarkerReplication.Status = 'Enabled';
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    const changed = pending(plan).map((s) => [s.id, s.action, s.drift, s.why]);
    expect(changed).toEqual([
      ['backup-bucket', 'update', true, expect.stringContaining('Object Lock governance, 1 days → governance, 400 days')],
      ['backup-replication', 'update', true, expect.stringMatching(/replication changed by hand \(1 rule; delete markers REPLICATED, to arn:aws:s3:::sorriso-prod-backup\) → to sorriso-prod-backup, delete markers not replicated/)],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['PutObjectLockConfiguration', 'PutBucketReplication']);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('destroy keeps the backup; --delete-patient-data deletes what retention allows and keeps the locked versions (and the bucket)', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.buckets.get(backup)!.objects.set('patients/p1.json', [{ body: Buffer.from('x'), versionId: 'r1' }]);
    fake.clear();
    const kept = await planDestroy(await openTestInfra(fake, config));
    expect(kept.steps.find((s) => s.id === 'backup-bucket')).toMatchObject({ action: 'no-change', why: expect.stringMatching(/^kept: the backup/) });

    const ctx = await openTestInfra(fake, config);
    const all = await planDestroy(ctx, { deletePatientData: true });
    expect(all.steps.find((s) => s.id === 'backup-bucket')).toMatchObject({ action: 'delete', why: expect.stringMatching(/Object Lock retention are deleted; locked ones stay/) });
    await apply(all);
    // governance retention, and no bypass: S3 refuses the locked version, so the bucket stays
    const deletes = fake.named('DeleteObjects').filter((c) => c.input.Bucket === backup);
    expect(deletes.map((c) => [c.input.Delete.Objects, c.input.BypassGovernanceRetention])).toEqual([[[{ Key: 'patients/p1.json', VersionId: 'r1' }], undefined]]);
    expect(fake.named('DeleteBucket').map((c) => c.input.Bucket)).not.toContain(backup);
    expect(fake.state.buckets.get(backup)!.objects.get('patients/p1.json')).toHaveLength(1);
    expect(ctx.logEntries.map((e) => e.message)).toContainEqual(expect.stringMatching(/1 version under Object Lock \(governance, 400 days.*the bucket stays/));
  });

  it('status: replication health from the rule and the newest audit entry of today', async () => {
    const config = await testConfig();
    const ctx = await openTestInfra(fake, config);
    expect(await replicationCheck(ctx)).toMatchObject({ ok: false, detail: 'no data bucket' });
    await apply(await planDeploy(ctx));
    const now = new Date('2026-12-07T15:00:00Z');
    expect(await replicationCheck(ctx, now)).toEqual({ name: 'backup replication', ok: true, detail: `to ${backup} (us-east-1); no audit entry today to sample` });
    const objects = fake.state.buckets.get(data)!.objects;
    objects.set('audit/2026-12-07/20261207T140000000Z-_-aaaaaa.json', [{ body: Buffer.from('{}'), versionId: 'a1', replicationStatus: 'COMPLETED' }]);
    objects.set('audit/2026-12-07/20261207T145900000Z-_-bbbbbb.json', [{ body: Buffer.from('{}'), versionId: 'b1', replicationStatus: 'FAILED' }]);
    expect(await replicationCheck(ctx, now)).toMatchObject({ ok: false, detail: `to ${backup} (us-east-1); newest audit entry FAILED` });
    fake.state.buckets.get(data)!.settings.replication.ReplicationConfiguration.Rules[0].DeleteMarkerReplication.Status = 'Enabled';
    expect(await replicationCheck(ctx, now)).toMatchObject({ ok: false, detail: expect.stringMatching(/changed by hand/) });
  });

  it('with aws.backupBucket (another account) replicates there and does not create or configure it', async () => {
    const config = await testConfig({ aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], backupBucket: 'cofre-da-clinica' } });
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(plan.steps.map((s) => s.id)).not.toContain('backup-bucket');
    await apply(plan);
    expect(fake.named('CreateBucket').map((c) => c.input.Bucket)).not.toContain('cofre-da-clinica');
    expect(one('PutBucketReplication').ReplicationConfiguration.Rules[0].Destination).toEqual({ Bucket: 'arn:aws:s3:::cofre-da-clinica', StorageClass: 'STANDARD_IA' });
    const statements = JSON.parse(fake.named('PutRolePolicy').find((c) => c.input.RoleName === role)!.input.PolicyDocument).Statement;
    expect(statements.at(-1).Resource).toBe('arn:aws:s3:::cofre-da-clinica/*');
  });
});

describe('the backup with SSE-KMS (aws.kmsKeyId, aws.backupKmsKeyId)', () => {
  const DATA_KEY = 'arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
  const BACKUP_KEY_ID = '5678abcd-12ab-34cd-56ef-1234567890ab';
  const BACKUP_KEY = `arn:aws:kms:us-east-1:123456789012:key/${BACKUP_KEY_ID}`;
  const kmsConfig = (aws: Record<string, unknown> = {}) =>
    testConfig({ aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], kmsKeyId: DATA_KEY, backupKmsKeyId: BACKUP_KEY, ...aws } });
  const replicationRule = {
    ID: 'clinica-backup', Priority: 1, Status: 'Enabled', Filter: { Prefix: '' },
    DeleteMarkerReplication: { Status: 'Disabled' },
    SourceSelectionCriteria: { SseKmsEncryptedObjects: { Status: 'Enabled' } },
    Destination: { Bucket: `arn:aws:s3:::${backup}`, StorageClass: 'STANDARD_IA', EncryptionConfiguration: { ReplicaKmsKeyID: BACKUP_KEY } },
  };
  const roleStatements = () => JSON.parse(fake.named('PutRolePolicy').find((c) => c.input.RoleName === role)!.input.PolicyDocument).Statement;
  const decryptSource = {
    Sid: 'DecryptSourceObjects', Effect: 'Allow', Action: 'kms:Decrypt', Resource: DATA_KEY,
    Condition: {
      StringEquals: { 'kms:ViaService': 's3.sa-east-1.amazonaws.com' },
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': [`arn:aws:s3:::${data}`, `arn:aws:s3:::${data}/*`] },
    },
  };
  const encryptReplicas = {
    Sid: 'EncryptReplicas', Effect: 'Allow', Action: ['kms:Encrypt', 'kms:GenerateDataKey'], Resource: BACKUP_KEY,
    Condition: {
      StringEquals: { 'kms:ViaService': 's3.us-east-1.amazonaws.com' },
      StringLike: { 'kms:EncryptionContext:aws:s3:arn': [`arn:aws:s3:::${backup}`, `arn:aws:s3:::${backup}/*`] },
    },
  };

  it('replicates KMS-encrypted objects, re-encrypted with the backup key, which is also the backup bucket\'s default', async () => {
    const plan = await planDeploy(await openTestInfra(fake, await kmsConfig()));
    expect(plan.warnings!.filter((w) => /KMS|backup|replicat/i.test(w))).toEqual([]); // no "not replicated" warning any more
    expect(plan.steps.find((s) => s.id === 'backup-replication')!.why).toMatch(/SSE-KMS objects re-encrypted with the backup key/);
    await apply(plan);
    expect(s3Calls(backup).map((c) => Object.keys(c)[0])).toEqual([
      'CreateBucket', 'PutPublicAccessBlock', 'PutBucketEncryption', 'PutBucketTagging', 'PutBucketVersioning', 'PutObjectLockConfiguration', 'PutBucketPolicy',
    ]);
    expect(s3Calls(backup)[2]).toEqual({
      PutBucketEncryption: {
        Bucket: backup,
        ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: BACKUP_KEY }, BucketKeyEnabled: true }] },
      },
    });
    expect(s3Calls(data).filter((c) => 'PutBucketReplication' in c)).toEqual([
      { PutBucketReplication: { Bucket: data, ReplicationConfiguration: { Role: `arn:aws:iam::123456789012:role/${role}`, Rules: [replicationRule] } } },
    ]);
    // the role, statement by statement: the S3 ones as without KMS, then decrypt (source) and encrypt (replicas)
    const statements = roleStatements();
    expect(statements.map((st: any) => st.Sid)).toEqual(['ReadSourceConfiguration', 'ReadSourceVersions', 'WriteReplicas', 'DecryptSourceObjects', 'EncryptReplicas']);
    expect(statements[3]).toEqual(decryptSource);
    expect(statements[4]).toEqual(encryptReplicas);
    // the parts' roles never get the backup key: only S3 replication writes into the backup
    const parts = fake.named('PutRolePolicy').filter((c) => c.input.RoleName !== role);
    expect(parts.map((c) => c.input.PolicyDocument).join()).not.toContain(BACKUP_KEY_ID);
    fake.clear();
    const ctx = await openTestInfra(fake, await kmsConfig());
    expect(pending(await planDeploy(ctx))).toEqual([]);
    expect(await replicationCheck(ctx)).toMatchObject({ ok: true, detail: expect.stringMatching(/^to sorriso-prod-backup \(us-east-1, KMS-encrypted objects too\); /) });
  });

  it('a bare key id is the backup region\'s key of this account; a data key alias is matched by kms:ResourceAliases', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await kmsConfig({ kmsKeyId: 'alias/clinica-data', backupKmsKeyId: BACKUP_KEY_ID }))));
    expect(one('PutBucketReplication').ReplicationConfiguration.Rules[0].Destination.EncryptionConfiguration).toEqual({ ReplicaKmsKeyID: BACKUP_KEY });
    const [decrypt, encrypt] = roleStatements().slice(3);
    expect(decrypt).toEqual({
      ...decryptSource,
      Resource: 'arn:aws:kms:sa-east-1:123456789012:key/*',
      Condition: { ...decryptSource.Condition, 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/clinica-data' } },
    });
    expect(encrypt).toEqual(encryptReplicas);
  });

  it('a backup key without a data key: the backup is SSE-KMS, the role may encrypt replicas and decrypt nothing', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await kmsConfig({ kmsKeyId: undefined }))));
    expect(one('PutBucketReplication').ReplicationConfiguration.Rules).toEqual([replicationRule]);
    expect(roleStatements().slice(3)).toEqual([encryptReplicas]);
    expect(fake.named('PutBucketEncryption').map((c) => [c.input.Bucket, c.input.ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault])).toEqual([
      [data, { SSEAlgorithm: 'AES256' }],
      [backup, { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: BACKUP_KEY }],
    ]);
  });

  it('finds drift — the replica key swapped, SSE-KMS objects deselected, the backup\'s encryption back to SSE-S3 — and puts it back', async () => {
    const config = await kmsConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const rule = fake.state.buckets.get(data)!.settings.replication.ReplicationConfiguration.Rules[0];
    rule.Destination.EncryptionConfiguration.ReplicaKmsKeyID = 'arn:aws:kms:us-east-1:999999999999:key/intruder';
    fake.state.buckets.get(backup)!.settings.encryption = { ServerSideEncryptionConfiguration: { Rules: [{ ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }] } };
    fake.clear();
    let plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.drift, s.why])).toEqual([
      ['backup-bucket', 'update', true, `default encryption SSE-S3 → SSE-KMS ${BACKUP_KEY}`],
      ['backup-replication', 'update', true, expect.stringContaining('SSE-KMS objects re-encrypted with arn:aws:kms:us-east-1:999999999999:key/intruder) → ')],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => `${c.command} ${c.input.Bucket}`)).toEqual([`PutBucketEncryption ${backup}`, `PutBucketReplication ${data}`]);
    expect(one('PutBucketReplication').ReplicationConfiguration.Rules).toEqual([replicationRule]);

    delete fake.state.buckets.get(data)!.settings.replication.ReplicationConfiguration.Rules[0].SourceSelectionCriteria;
    fake.clear();
    plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => s.why)).toEqual([expect.stringMatching(/SSE-KMS objects NOT replicated\) → to sorriso-prod-backup, delete markers not replicated, SSE-KMS objects re-encrypted with/)]);
  });

  it('a stage deployed without KMS gets the key by one deploy: the bucket default and the rule change, the role gains the KMS statements', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await testConfig())));
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, await kmsConfig()));
    expect(pending(plan).map((s) => s.id)).toEqual(['data-bucket', 'backup-bucket', 'role:image-processor', 'role:reminders', 'role:server', 'role:answers', 'role:replication', 'backup-replication']);
    await apply(plan);
    expect(fake.mutating().filter((c) => c.service === 'S3').map((c) => `${c.command} ${c.input.Bucket}`)).toEqual([
      `PutBucketEncryption ${data}`, `PutBucketEncryption ${backup}`, `PutBucketReplication ${data}`,
    ]);
    expect(roleStatements().slice(3)).toEqual([decryptSource, encryptReplicas]);
  });

  it('refuses, before reading the stage, a data key without a backup key, a key of another region, and a bare id for another account\'s bucket', async () => {
    const cases: [Record<string, unknown>, RegExp, RegExp][] = [
      [{ backupKmsKeyId: undefined }, /^aws\.kmsKeyId is set but aws\.backupKmsKeyId is not: S3 copies KMS-encrypted objects to the backup only with a KMS key in us-east-1$/, /create a symmetric KMS key in us-east-1/],
      [{ backupKmsKeyId: BACKUP_KEY.replace('us-east-1', 'sa-east-1') }, /^aws\.backupKmsKeyId is a key in sa-east-1, but the backup bucket is in us-east-1/, /set aws\.backupRegion to "sa-east-1"/],
      [{ backupKmsKeyId: BACKUP_KEY_ID, backupBucket: 'cofre-da-clinica' }, /^aws\.backupKmsKeyId must be a key ARN with aws\.backupBucket/, /key's ARN/],
    ];
    for (const [aws, message, hint] of cases) {
      const ctx = await openTestInfra(fake, await kmsConfig(aws));
      fake.clear();
      const err = await rejection(planDeploy(ctx));
      expect([err.kind, err.field, err.message, err.hint]).toEqual(['config', 'aws.backupKmsKeyId', expect.stringMatching(message), expect.stringMatching(hint)]);
      expect(fake.calls).toEqual([]);
    }
    // destroy needs no backup key: a stage is never kept alive by a setting it is being removed with
    const noKey = await openTestInfra(fake, await kmsConfig({ backupKmsKeyId: undefined }));
    await expect(planDestroy(noKey)).resolves.toMatchObject({ stage: 'prod' });
    // an alias is refused by the config itself: S3 would resolve it in the writer's account
    await expect(kmsConfig({ backupKmsKeyId: 'alias/backup' })).rejects.toThrow(/backupKmsKeyId.*expected a KMS key id or key ARN/);
  });
});

const one = (command: string) => {
  const found = fake.named(command);
  expect(found, command).toHaveLength(1);
  return found[0]!.input as Record<string, any>;
};

describe("the operator's policy in docs/aws.md", () => {
  it('lets deploy set up the backup and replication, and never lets anyone bypass governance retention', async () => {
    const doc = await readFile(new URL('../../docs/aws.md', import.meta.url), 'utf8');
    const section = doc.slice(doc.indexOf("## The IAM policy the operator needs"));
    const json = /```json\n([\s\S]*?)\n```/.exec(section)![1]!;
    const statements = JSON.parse(json).Statement as { Sid: string; Effect: string; Action: string | string[]; Resource: string | string[] }[];
    const actions = statements.flatMap((s) => [s.Action].flat());
    expect(actions.filter((a) => /Bypass|ObjectRetention|ObjectLegalHold/i.test(a) || a === 's3:*' || a === '*')).toEqual([]);
    expect(actions).toEqual(expect.arrayContaining([
      's3:GetBucketObjectLockConfiguration', 's3:PutBucketObjectLockConfiguration',
      's3:GetReplicationConfiguration', 's3:PutReplicationConfiguration',
    ]));
    const pass = statements.find((s) => s.Sid === 'PassReplicationRole')!;
    expect(pass).toMatchObject({ Effect: 'Allow', Action: 'iam:PassRole', Resource: 'arn:aws:iam::ACCOUNT:role/PREFIX-*-replication' });
    // with aws.backupKmsKeyId: accept the key as the backup's default, read backup versions (restore, verify)
    const backupKey = JSON.parse(/```json\n(\{\n {2}"Sid": "BackupBucketKey"[\s\S]*?)\n```/.exec(section)![1]!);
    expect(backupKey).toEqual({ Sid: 'BackupBucketKey', Effect: 'Allow', Action: ['kms:DescribeKey', 'kms:Decrypt'], Resource: 'arn:aws:kms:BACKUP_REGION:ACCOUNT:key/BACKUP_KEY_ID' });
  });
});
