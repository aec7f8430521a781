/* eslint-disable @typescript-eslint/no-explicit-any -- AWS requests are plain JSON in these assertions */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClinicaError } from '../../src/errors.js';
import { applyPlan, pending } from '../../src/infra/plan.js';
import { parseEnvironmentFile } from '../../src/infra/server-code.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { awsError, fakeAws, type FakeAws } from './fake-aws.js';
import { CLINIC_CIDR, apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());


const one = (command: string, match: (input: Record<string, any>) => boolean = () => true) => {
  const found = fake.named(command).filter((c) => match(c.input));
  expect(found, command).toHaveLength(1);
  return found[0]!.input;
};

describe('clinica deploy against a fresh account (mocked AWS)', () => {
  it('creates every resource in dependency order, with the security settings', async () => {
    const config = await testConfig();
    const ctx = await openTestInfra(fake, config);
    const plan = await planDeploy(ctx);
    expect(plan.steps.map((s) => [s.id, s.action])).toEqual([
      ['data-bucket', 'create'],
      ['backup-bucket', 'create'],
      ['site-bucket', 'create'],
      ['site-content', 'create'],
      ['site-oac', 'create'],
      ['site-headers', 'create'],
      ['site-distribution', 'create'],
      ['site-bucket-policy', 'create'],
      ['role:image-processor', 'create'],
      ['role:reminders', 'create'],
      ['role:server', 'create'],
      ['role:answers', 'create'],
      ['role:replication', 'create'],
      ['instance-profile', 'create'],
      ['backup-replication', 'create'],
      ['log-group:image-processor', 'create'],
      ['log-group:answers', 'create'],
      ['log-group:reminders', 'create'],
      ['image-failures', 'create'],
      ['lambda:image-processor', 'create'],
      ['lambda:answers', 'create'],
      ['answers-url', 'create'],
      ['lambda:reminders', 'create'],
      ['image-failure-destination', 'create'],
      ['image-events', 'create'],
      ['server-code', 'create'],
      ['security-group', 'create'],
      ['instance', 'create'],
      ['ses-identity', 'create'],
    ]);
    expect(fake.mutating()).toEqual([]); // planning reads only
    await apply(plan);

    const site = 'sorriso-prod-site';
    const sitePuts = fake.mutating().filter((c) => c.command === 'PutObject' && c.input.Bucket === site);
    expect(sitePuts.map((c) => c.input.Key)).toEqual(expect.arrayContaining(['index.html', '404.html']));
    expect(sitePuts.every((c) => c.input.Metadata?.['clinica-sha256'])).toBe(true);
    expect(fake.mutating().filter((c) => !sitePuts.includes(c)).map((c) => `${c.service} ${c.command}`)).toEqual([
      // the data bucket is private and encrypted right after it is made, before anything else (even its tags)
      'S3 CreateBucket', 'S3 PutPublicAccessBlock', 'S3 PutBucketEncryption', 'S3 PutBucketTagging', 'S3 PutBucketVersioning',
      'S3 PutBucketPolicy', 'S3 PutBucketCors', 'S3 PutBucketLifecycleConfiguration',
      // the backup bucket in the second region (test/infra/backup.test.ts has its parameters)
      'S3 CreateBucket', 'S3 PutPublicAccessBlock', 'S3 PutBucketEncryption', 'S3 PutBucketTagging', 'S3 PutBucketVersioning',
      'S3 PutObjectLockConfiguration', 'S3 PutBucketPolicy',
      'S3 CreateBucket', 'S3 PutBucketTagging', 'S3 PutPublicAccessBlock',
      'CloudFront CreateOriginAccessControl', 'CloudFront CreateResponseHeadersPolicy', 'CloudFront CreateDistributionWithTags', 'S3 PutBucketPolicy',
      'IAM CreateRole', 'IAM PutRolePolicy', 'IAM CreateRole', 'IAM PutRolePolicy', 'IAM CreateRole', 'IAM PutRolePolicy', 'IAM CreateRole', 'IAM PutRolePolicy',
      'IAM CreateRole', 'IAM PutRolePolicy',
      'IAM CreateInstanceProfile', 'IAM AddRoleToInstanceProfile',
      'S3 PutBucketReplication',
      // each function's log group exists, with its retention, before the function can write to it
      'Logs CreateLogGroup', 'Logs PutRetentionPolicy', 'Logs CreateLogGroup', 'Logs PutRetentionPolicy', 'Logs CreateLogGroup', 'Logs PutRetentionPolicy',
      // where image-processor's failed events go, before the function that sends them there
      'SQS CreateQueue',
      'Lambda CreateFunction',
      // the answer page: capped concurrency, its public URL (test/infra/answers-stack.test.ts), before the reminders that link to it
      'Lambda CreateFunction', 'Lambda PutFunctionConcurrency', 'Lambda CreateFunctionUrlConfig', 'Lambda AddPermission', 'Lambda AddPermission',
      // reminders keep concurrent runs of their own: a bulk image upload cannot starve them
      'Lambda CreateFunction', 'Lambda PutFunctionConcurrency',
      'Lambda PutFunctionEventInvokeConfig',
      'Lambda AddPermission', 'S3 PutBucketNotificationConfiguration',
      'S3 PutObject', 'S3 PutObject', 'S3 PutObject',
      'EC2 CreateSecurityGroup', 'EC2 AuthorizeSecurityGroupIngress', 'EC2 RevokeSecurityGroupEgress', 'EC2 AuthorizeSecurityGroupEgress',
      'EC2 RunInstances',
      // the sender's domain with Easy DKIM (DMARC alignment), and the address so reminders go out before its DNS is done
      'SES VerifyDomainDkim', 'SES VerifyEmailIdentity',
    ]);

    const data = 'sorriso-prod-data';
    // data bucket: private, encrypted, versioned, TLS only, CORS for presigned uploads, old versions expire
    expect(one('PutPublicAccessBlock', (i) => i.Bucket === data).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true,
    });
    expect(one('PutBucketEncryption', (i) => i.Bucket === data).ServerSideEncryptionConfiguration.Rules[0].ApplyServerSideEncryptionByDefault).toEqual({ SSEAlgorithm: 'AES256' });
    expect(one('PutBucketVersioning', (i) => i.Bucket === data).VersioningConfiguration).toEqual({ Status: 'Enabled' });
    expect(JSON.parse(one('PutBucketPolicy', (i) => i.Bucket === data).Policy).Statement).toEqual([
      {
        Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*',
        Resource: [`arn:aws:s3:::${data}`, `arn:aws:s3:::${data}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
      // the audit log is write-once for everyone: only conditional creates (If-None-Match), no deletes
      {
        Sid: 'AuditCreateOnly', Effect: 'Deny', Principal: '*', Action: 's3:PutObject', Resource: `arn:aws:s3:::${data}/audit/*`,
        Condition: { Null: { 's3:if-none-match': 'true' } },
      },
      { Sid: 'AuditNoDelete', Effect: 'Deny', Principal: '*', Action: ['s3:DeleteObject', 's3:DeleteObjectVersion'], Resource: `arn:aws:s3:::${data}/audit/*` },
    ]);
    expect(one('PutBucketCors')).toEqual({
      Bucket: data,
      CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET', 'HEAD', 'PUT'], AllowedOrigins: ['*'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3000 }] },
    });
    expect(one('PutBucketLifecycleConfiguration')).toEqual({
      Bucket: data,
      LifecycleConfiguration: {
        Rules: [
          {
            ID: 'clinica-old-versions',
            Status: 'Enabled',
            Filter: { Prefix: '' },
            NoncurrentVersionExpiration: { NoncurrentDays: 90 },
            AbortIncompleteMultipartUpload: { DaysAfterInitiation: 7 },
            Expiration: { ExpiredObjectDeleteMarker: true },
          },
        ],
      },
    });
    expect(one('PutBucketTagging', (i) => i.Bucket === data).Tagging.TagSet).toEqual([
      { Key: 'clinica:clinic', Value: 'sorriso' }, { Key: 'clinica:stage', Value: 'prod' }, { Key: 'clinica:component', Value: 'data' },
    ]);
    // site bucket: private, no website endpoint; read only by its CloudFront distribution (test/infra/cloudfront.test.ts)
    expect(one('PutPublicAccessBlock', (i) => i.Bucket === site).PublicAccessBlockConfiguration).toEqual({
      BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true,
    });
    expect(JSON.parse(one('PutBucketPolicy', (i) => i.Bucket === site).Policy).Statement.map((st: { Sid: string }) => st.Sid)).toEqual(['CloudFrontReadsSite', 'DenyInsecureTransport']);
    expect(fake.named('PutBucketWebsite')).toEqual([]);

    // IAM: each role's inline policy, action by action and resource by resource (least privilege pinned)
    // the replication role's policy is checked statement by statement in test/infra/backup.test.ts
    const policies = Object.fromEntries(
      fake.named('PutRolePolicy').filter((c) => !c.input.RoleName.endsWith('-replication')).map((c) => [c.input.RoleName, JSON.parse(c.input.PolicyDocument)]),
    );
    expect(fake.named('PutRolePolicy').every((c) => c.input.PolicyName === 'clinica')).toBe(true);
    const objects = (...prefixes: string[]) => prefixes.map((p) => `arn:aws:s3:::${data}/${p}*`);
    const list = { Sid: 'ListDataBucket', Effect: 'Allow', Action: 's3:ListBucket', Resource: `arn:aws:s3:::${data}` };
    const logs = (fn: string) => ({
      Sid: 'OwnLogGroup',
      Effect: 'Allow',
      Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
      Resource: [`arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/${fn}`, `arn:aws:logs:sa-east-1:123456789012:log-group:/aws/lambda/${fn}:*`],
    });
    const write = (...prefixes: string[]) => ({ Sid: 'WriteData', Effect: 'Allow', Action: ['s3:PutObject', 's3:AbortMultipartUpload'], Resource: objects(...prefixes) });
    const everyPrefix = ['patients/', 'appointments/', 'images/', 'image-hashes/', 'image-ids/', 'claims/', 'counters/', 'index/', 'reminders/', 'audit/', 'staff/', 'settings/'];
    const signIn = ['staff-emails/', 'sessions/', 'api-tokens/']; // the server's alone
    const agenda = ['dentists/', 'chairs/', 'notices/', 'answers/']; // the server's alone: dentist records, change notices sent, patients' answers
    expect(policies).toEqual({
      'sorriso-prod-image-processor': {
        Version: '2012-10-17',
        Statement: [
          list,
          { Sid: 'ReadData', Effect: 'Allow', Action: 's3:GetObject', Resource: objects('images/', 'image-ids/', 'image-hashes/', 'patients/', 'settings/') },
          write('images/', 'image-ids/', 'image-hashes/', 'audit/'),
          { Sid: 'DeleteData', Effect: 'Allow', Action: 's3:DeleteObject', Resource: objects('images/') },
          logs('sorriso-prod-image-processor'),
          // its failed events go to its on-failure queue, and nowhere else
          { Sid: 'ReportFailures', Effect: 'Allow', Action: 'sqs:SendMessage', Resource: 'arn:aws:sqs:sa-east-1:123456789012:sorriso-prod-image-failures' },
        ],
      },
      'sorriso-prod-reminders': {
        Version: '2012-10-17',
        Statement: [
          list,
          { Sid: 'ReadData', Effect: 'Allow', Action: 's3:GetObject', Resource: objects('appointments/', 'patients/', 'index/', 'reminders/', 'staff/', 'settings/') },
          write('reminders/', 'audit/'),
          logs('sorriso-prod-reminders'),
          // identity/*: sandbox recipients are identities too; the condition pins the sender
          {
            Sid: 'SendAsClinic',
            Effect: 'Allow',
            Action: ['ses:SendEmail', 'ses:SendRawEmail'],
            Resource: 'arn:aws:ses:sa-east-1:123456789012:identity/*',
            Condition: { StringEquals: { 'ses:FromAddress': 'lembretes@clinicasorriso.com.br' } },
          },
          { Sid: 'ReadSendQuota', Effect: 'Allow', Action: 'ses:GetSendQuota', Resource: '*' },
          // the answer-link key, read to sign the link in every e-mail; made once (If-None-Match) if missing
          { Sid: 'ReadAnswerLinkKey', Effect: 'Allow', Action: 's3:GetObject', Resource: `arn:aws:s3:::${data}/keys/answer-link.json` },
          { Sid: 'MakeAnswerLinkKeyOnce', Effect: 'Allow', Action: 's3:PutObject', Resource: `arn:aws:s3:::${data}/keys/answer-link.json`, Condition: { Null: { 's3:if-none-match': 'false' } } },
        ],
      },
      'sorriso-prod-answers': expect.any(Object), // statement by statement in test/infra/answers-stack.test.ts
      'sorriso-prod-server': {
        Version: '2012-10-17',
        Statement: [
          list,
          // reads the releases under deploy/server/ but can never write there; audit/ is append-only
          // locks/ holds the per-day booking counters (appointments write them with If-Match)
          { Sid: 'ReadData', Effect: 'Allow', Action: 's3:GetObject', Resource: objects(...everyPrefix, 'health/', 'locks/', ...signIn, ...agenda, 'deploy/server/') },
          write(...everyPrefix, 'locks/', ...signIn, ...agenda),
          { Sid: 'DeleteData', Effect: 'Allow', Action: 's3:DeleteObject', Resource: objects(...everyPrefix.filter((p) => p !== 'audit/'), 'locks/', ...signIn, ...agenda) },
          { Sid: 'StartReminders', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: 'arn:aws:lambda:sa-east-1:123456789012:function:sorriso-prod-reminders' },
          {
            Sid: 'SendInvitations',
            Effect: 'Allow',
            Action: 'ses:SendRawEmail',
            Resource: 'arn:aws:ses:sa-east-1:123456789012:identity/*',
            Condition: { StringEquals: { 'ses:FromAddress': 'lembretes@clinicasorriso.com.br' } },
          },
        ],
      },
    });
    const trusts = Object.fromEntries(fake.named('CreateRole').map((c) => [c.input.RoleName, JSON.parse(c.input.AssumeRolePolicyDocument).Statement[0].Principal.Service]));
    expect(trusts).toEqual({
      'sorriso-prod-image-processor': 'lambda.amazonaws.com', 'sorriso-prod-reminders': 'lambda.amazonaws.com', 'sorriso-prod-server': 'ec2.amazonaws.com',
      'sorriso-prod-answers': 'lambda.amazonaws.com', 'sorriso-prod-replication': 's3.amazonaws.com',
    });

    // Lambda: runtime, architecture, role, settings through the environment
    const fn = one('CreateFunction', (i) => i.FunctionName === 'sorriso-prod-image-processor');
    expect(fn).toMatchObject({ Runtime: 'nodejs24.x', Architectures: ['arm64'], Handler: 'index.handler', Role: 'arn:aws:iam::123456789012:role/sorriso-prod-image-processor' });
    expect(fn.Environment.Variables).toMatchObject({ CLINICA_DATA_BUCKET: data, CLINICA_STAGE: 'prod' });
    expect(JSON.parse(fn.Environment.Variables.CLINICA_CONFIG_JSON).aws.profile).toBeUndefined();
    expect(one('AddPermission', (i) => i.FunctionName === 'sorriso-prod-image-processor')).toMatchObject({ Principal: 's3.amazonaws.com', SourceArn: `arn:aws:s3:::${data}`, SourceAccount: '123456789012', Action: 'lambda:InvokeFunction' });
    // originals only: one configuration per suffix, so the processor's own outputs never invoke it
    expect(one('PutBucketNotificationConfiguration').NotificationConfiguration.LambdaFunctionConfigurations).toEqual(
      ['jpg', 'png', 'tif', 'webp'].map((ext) => ({
        Id: `clinica-originals-${ext}`,
        LambdaFunctionArn: 'arn:aws:lambda:sa-east-1:123456789012:function:sorriso-prod-image-processor',
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'images/' }, { Name: 'suffix', Value: `original.${ext}` }] } },
      })),
    );

    // server release: the bundle, its settings (no secret), then the pointer
    const puts = fake.named('PutObject').map((c) => c.input).filter((p) => p.Bucket === data);
    expect(puts.map((p) => p.Key)).toEqual([expect.stringMatching(/^deploy\/server\/[0-9a-f]{16}\/server\.zip$/), expect.stringMatching(/server\.env$/), 'deploy/server/current']);
    const env = parseEnvironmentFile(String(puts[1]!.Body));
    expect(env).toMatchObject({ PORT: '8080', HOST: '0.0.0.0', CLINICA_DATA_BUCKET: data, AWS_REGION: 'sa-east-1', CLINICA_SERVER_MAIN: '1' });
    expect(JSON.parse(env.CLINICA_CONFIG_JSON!).clinic.name).toBe(config.clinic.name);

    // EC2: the clinic network on the server port only, HTTPS out only
    const ingress = one('AuthorizeSecurityGroupIngress').IpPermissions;
    expect(ingress).toEqual([{ IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: CLINIC_CIDR, Description: 'clinic network to the backend' }] }]);
    expect(one('RevokeSecurityGroupEgress').IpPermissions).toEqual([{ IpProtocol: '-1', IpRanges: [{ CidrIp: '0.0.0.0/0' }] }]);
    expect(one('AuthorizeSecurityGroupEgress').IpPermissions).toEqual([{ IpProtocol: 'tcp', FromPort: 443, ToPort: 443, IpRanges: [{ CidrIp: '0.0.0.0/0', Description: 'HTTPS out (packages, S3, Lambda)' }] }]);
    const run = one('RunInstances');
    expect(run).toMatchObject({
      ImageId: 'ami-0arm64',
      InstanceType: 't4g.micro',
      SubnetId: 'subnet-a',
      IamInstanceProfile: { Name: 'sorriso-prod-server' },
      MetadataOptions: { HttpTokens: 'required', HttpPutResponseHopLimit: 1 },
      BlockDeviceMappings: [{ DeviceName: '/dev/xvda', Ebs: { Encrypted: true, VolumeType: 'gp3', VolumeSize: 8, DeleteOnTermination: true } }],
      CreditSpecification: { CpuCredits: 'standard' },
    });
    // a client token: a retried RunInstances gets the first call's instance, not a second one
    expect(run.ClientToken).toMatch(/^clinica-[0-9a-f-]{36}$/);
    expect(run.KeyName).toBeUndefined();
    const userData = Buffer.from(run.UserData, 'base64').toString('utf8');
    expect(userData).toContain('CLINICA_BUCKET=sorriso-prod-data');
    expect(userData).toContain('User=clinica');
    expect(userData).not.toMatch(/\{\{|AWS_SECRET|aws_secret_access_key|CLINICA_CONFIG_JSON/);
    expect(fake.calls.find((c) => c.command === 'GetParameter')!.input.Name).toBe('/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64');
    expect(one('VerifyEmailIdentity')).toEqual({ EmailAddress: 'lembretes@clinicasorriso.com.br' });
    expect(one('VerifyDomainDkim')).toEqual({ Domain: 'clinicasorriso.com.br' });
  });

  it('a deployed sender verified as an address alone gets its domain\'s Easy DKIM; a gmail.com sender does not', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    // deployed before clinica set up DKIM: only the address identity exists
    fake.state.dkim.clear();
    fake.state.identities.set('lembretes@clinicasorriso.com.br', 'Success');
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.why])).toEqual([['ses-identity', 'set up Easy DKIM for clinicasorriso.com.br (its 3 CNAME records are printed after deploy)']]);
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['VerifyDomainDkim']);

    fake.state.dkim.clear();
    const gmail = await testConfig({ mail: { sender: 'clinica.sorriso@gmail.com' } });
    fake.state.identities.set('clinica.sorriso@gmail.com', 'Success');
    fake.clear();
    const plain = await planDeploy(await openTestInfra(fake, gmail));
    expect(pending(plain).map((s) => s.id)).not.toContain('ses-identity');
    expect(fake.named('GetIdentityDkimAttributes')).toEqual([]);
  });

  it('a second deploy with no change makes no mutating call', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan)).toEqual([]);
    expect(plan.steps.every((s) => s.action === 'no-change' && !s.drift)).toBe(true);
    await apply(plan);
    expect(fake.mutating()).toEqual([]);
  });

  it('a changed Lambda bundle updates only that function\'s code, and waits for it', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config, { reminders: 2 }));
    expect(pending(plan).map((s) => [s.id, s.action])).toEqual([['lambda:reminders', 'update']]);
    expect(pending(plan)[0]!.why).toMatch(/^code changed \(bundle [0-9a-f]{8}\)$/);
    await apply(plan);
    // the code, then the tag recording which code it is (its content hash) — nothing else
    expect(fake.mutating().map((c) => c.command)).toEqual(['UpdateFunctionCode', 'TagResource']);
    expect(fake.mutating()[0]!.input).toMatchObject({ FunctionName: 'sorriso-prod-reminders', Architectures: ['arm64'] });
    const bundle = await (await openTestInfra(fake, config, { reminders: 2 })).bundle('reminders');
    expect(fake.mutating()[1]!.input).toEqual({
      Resource: 'arn:aws:lambda:sa-east-1:123456789012:function:sorriso-prod-reminders',
      Tags: { 'clinica:clinic': 'sorriso', 'clinica:stage': 'prod', 'clinica:component': 'reminders', 'clinica:code': `${bundle.contentHash} ${bundle.sha256}` },
    });
    const after = fake.calls.slice(fake.calls.findIndex((c) => c.command === 'UpdateFunctionCode') + 1);
    expect(after.some((c) => c.command === 'GetFunction')).toBe(true); // waited for LastUpdateStatus
  });

  it('the same code zipped into other bytes (another machine, another zlib) changes nothing: no code update, no new release', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config, {}, 'a second machine'));
    expect((await (await openTestInfra(fake, config, {}, 'a second machine')).bundle('reminders')).sha256).not.toBe(fake.state.functions.get('sorriso-prod-reminders')!.config.CodeSha256);
    expect(pending(plan)).toEqual([]);
    await apply(plan);
    expect(fake.mutating()).toEqual([]);

    // and a real change made from that machine is still seen
    const changed = await planDeploy(await openTestInfra(fake, config, { server: 2 }, 'a second machine'));
    expect(pending(changed).map((s) => s.id)).toEqual(['server-code']);
  });

  it('code replaced by hand (its CodeSha256 is not the one clinica recorded) is a code change', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(fake.named('CreateFunction').map((c) => c.input.Tags['clinica:code'])).toEqual([
      expect.stringMatching(/^[0-9a-f]{64} [A-Za-z0-9+/]{43}=$/),
      expect.stringMatching(/^[0-9a-f]{64} [A-Za-z0-9+/]{43}=$/),
      expect.stringMatching(/^[0-9a-f]{64} [A-Za-z0-9+/]{43}=$/),
    ]);
    fake.state.functions.get('sorriso-prod-image-processor')!.config.CodeSha256 = 'aGFuZC1tYWRlIGNvZGUgaGFzaCBmb3IgdGhlIHRlc3Q=';
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config, {}, 'a second machine'));
    expect(pending(plan).map((s) => [s.id, s.why])).toEqual([['lambda:image-processor', expect.stringMatching(/^code changed \(bundle [0-9a-f]{8}\)$/)]]);
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['UpdateFunctionCode', 'TagResource']);
    const bundle = await (await openTestInfra(fake, config, {}, 'a second machine')).bundle('image-processor');
    expect(fake.named('TagResource')[0]!.input.Tags['clinica:code']).toBe(`${bundle.contentHash} ${bundle.sha256}`);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('a function deployed before the code tag existed, with the same zip, only gets the tag', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    delete fake.state.functions.get('sorriso-prod-reminders')!.tags['clinica:code'];
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.why])).toEqual([['lambda:reminders', "record the code's content hash (tag clinica:code)"]]);
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['TagResource']);
  });

  it('functions deployed on nodejs22.x (support ends April 2027) move to nodejs24.x with a configuration update', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    for (const fn of fake.state.functions.values()) fn.config.Runtime = 'nodejs22.x';
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.why])).toEqual([
      ['lambda:image-processor', 'runtime nodejs22.x → nodejs24.x'],
      ['lambda:answers', 'runtime nodejs22.x → nodejs24.x'],
      ['lambda:reminders', 'runtime nodejs22.x → nodejs24.x'],
    ]);
    await apply(plan);
    expect(fake.named('UpdateFunctionConfiguration').map((c) => c.input.Runtime)).toEqual(['nodejs24.x', 'nodejs24.x', 'nodejs24.x']);
  });

  it('a changed setting updates only the configuration (memory, environment)', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.functions.get('sorriso-prod-image-processor')!.config.MemorySize = 1024;
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => s.id)).toEqual(['lambda:image-processor']);
    expect(pending(plan)[0]!.why).toBe('memory 1024 → 2048 MB');
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['UpdateFunctionConfiguration']);
  });

  it('a config change reaches the Lambdas (environment) and the server (a new release), nothing else', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.clear();
    const changed = await testConfig({ clinic: { ...config.clinic, phone: '+55 11 5555-0000' } });
    const plan = await planDeploy(await openTestInfra(fake, changed));
    expect(pending(plan).map((s) => s.id)).toEqual(['site-content', 'lambda:image-processor', 'lambda:answers', 'lambda:reminders', 'server-code']);
    expect(pending(plan)[0]!.why).toMatch(/^upload \d+ changed files?$/); // the phone number is on the pages
    expect(pending(plan)[1]!.why).toBe('environment (CLINICA_CONFIG_JSON)');
    expect(pending(plan)[4]!.why).toMatch(/the instance pulls it within a minute/);
    await apply(plan);
    const calls = fake.mutating().filter((c) => c.input.Bucket !== 'sorriso-prod-site');
    // the changed pages leave CloudFront's caches (only them)
    expect(calls.map((c) => c.command)).toEqual(['CreateInvalidation', 'UpdateFunctionConfiguration', 'UpdateFunctionConfiguration', 'UpdateFunctionConfiguration', 'PutObject', 'PutObject', 'PutObject']);
  });

  it('retries CreateFunction while the new role has not reached Lambda, then succeeds', async () => {
    const config = await testConfig();
    const ctx = await openTestInfra(fake, config);
    const plan = await planDeploy(ctx);
    const notYet = () => awsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
    fake.failNext('CreateFunction', notYet(), notYet(), notYet());
    await apply(plan);
    const creates = fake.named('CreateFunction').map((c) => c.input.FunctionName);
    expect(creates).toEqual(['sorriso-prod-image-processor', 'sorriso-prod-image-processor', 'sorriso-prod-image-processor', 'sorriso-prod-image-processor', 'sorriso-prod-answers', 'sorriso-prod-reminders']);
    expect(fake.state.functions.size).toBe(3);
    expect(ctx.logEntries.filter((e) => /waiting for IAM role/.test(e.message))).toHaveLength(3);
  });

  it('gives up on IAM propagation after a bounded wait with a clear message; a re-run converges', async () => {
    const config = await testConfig();
    const plan = await planDeploy(await openTestInfra(fake, config));
    const notYet = () => awsError('InvalidParameterValueException', 'The role defined for the function cannot be assumed by Lambda.');
    fake.failNext('CreateFunction', ...Array.from({ length: 12 }, notYet));
    const result = await applyPlan(plan);
    expect(result.failed?.step.id).toBe('lambda:image-processor');
    expect(result.failed?.error).toBeInstanceOf(ClinicaError);
    expect((result.failed?.error as ClinicaError).message).toMatch(/IAM changes had not reached AWS after 88 s/);
    expect((result.failed?.error as ClinicaError).hint).toMatch(/run `clinica deploy` again/);
    expect(result.applied.map((s) => s.id)).toEqual([
      'data-bucket', 'backup-bucket', 'site-bucket', 'site-content', 'site-oac', 'site-headers', 'site-distribution', 'site-bucket-policy',
      'role:image-processor', 'role:reminders', 'role:server', 'role:answers', 'role:replication', 'instance-profile', 'backup-replication',
      'log-group:image-processor', 'log-group:answers', 'log-group:reminders', 'image-failures',
    ]);

    fake.clear();
    const rerun = await planDeploy(await openTestInfra(fake, config));
    expect(pending(rerun).map((s) => s.id)).toEqual(['lambda:image-processor', 'lambda:answers', 'answers-url', 'lambda:reminders', 'image-failure-destination', 'image-events', 'server-code', 'security-group', 'instance', 'ses-identity']);
    await apply(rerun);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('a first deploy interrupted right after the data bucket is made leaves it private and encrypted', async () => {
    const config = await testConfig();
    const plan = await planDeploy(await openTestInfra(fake, config));
    // the deploy stops at the first call after the bucket's security settings (lost network, Ctrl+C, a denied permission)
    fake.failNext('PutBucketTagging', awsError('AccessDenied', 'not allowed: s3:PutBucketTagging'));
    const result = await applyPlan(plan);
    expect([result.applied, result.failed?.step.id]).toEqual([[], 'data-bucket']);
    expect(fake.mutating().map((c) => c.command)).toEqual(['CreateBucket', 'PutPublicAccessBlock', 'PutBucketEncryption', 'PutBucketTagging']);
    const settings = fake.state.buckets.get('sorriso-prod-data')!.settings;
    expect(settings.pab.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(fake.named('PutBucketEncryption')[0]!.input.Bucket).toBe('sorriso-prod-data');
  });

  it('retries RunInstances while the instance profile has not reached EC2', async () => {
    const config = await testConfig();
    const plan = await planDeploy(await openTestInfra(fake, config));
    fake.failNext('RunInstances', awsError('InvalidParameterValue', 'Value (sorriso-prod-server) for parameter iamInstanceProfile.name is invalid. Invalid IAM Instance Profile name'));
    await apply(plan);
    expect(fake.named('RunInstances')).toHaveLength(2);
    expect(fake.state.instances.size).toBe(1);
  });

  // the backup's key (test/infra/backup.test.ts pins how replication uses it)
  const BACKUP_KEY = 'arn:aws:kms:us-east-1:123456789012:key/5678abcd-12ab-34cd-56ef-1234567890ab';

  it('uses SSE-KMS with the configured key, and lets the roles use that key only', async () => {
    const key = 'arn:aws:kms:sa-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
    const config = await testConfig({
      aws: { region: 'sa-east-1', architecture: 'x86_64', sshCidrs: ['198.51.100.7/32'], kmsKeyId: key, backupKmsKeyId: BACKUP_KEY, keyName: 'ops', corsOrigins: ['http://10.0.1.25:8080'], noncurrentVersionDays: 30 },
    });
    await apply(await planDeploy(await openTestInfra(fake, config)));
    // the configured CORS origin and version retention, exactly
    expect(one('PutBucketCors').CORSConfiguration.CORSRules).toEqual([
      { AllowedMethods: ['GET', 'HEAD', 'PUT'], AllowedOrigins: ['http://10.0.1.25:8080'], AllowedHeaders: ['*'], ExposeHeaders: ['ETag'], MaxAgeSeconds: 3000 },
    ]);
    expect(one('PutBucketLifecycleConfiguration').LifecycleConfiguration.Rules[0].NoncurrentVersionExpiration).toEqual({ NoncurrentDays: 30 });
    expect(one('PutBucketEncryption', (i) => i.Bucket === 'sorriso-prod-data').ServerSideEncryptionConfiguration.Rules[0]).toEqual({
      ApplyServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: key },
      BucketKeyEnabled: true,
    });
    // the parts' roles; the replication role reads no object content (test/infra/backup.test.ts)
    const partRoles = () => fake.named('PutRolePolicy').filter((c) => !c.input.RoleName.endsWith('-replication'));
    expect(partRoles()).toHaveLength(4);
    for (const c of partRoles()) {
      const st = JSON.parse(c.input.PolicyDocument).Statement.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
      expect(st).toEqual([{ Sid: 'UseDataKey', Effect: 'Allow', Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Resource: key }]);
    }
    // x86_64: its AMI and instance type; SSH opened to the configured CIDR only
    expect(one('RunInstances')).toMatchObject({ ImageId: 'ami-0x8664', InstanceType: 't3.micro', KeyName: 'ops' });
    expect(one('CreateFunction', (i) => i.FunctionName.endsWith('reminders')).Architectures).toEqual(['x86_64']);
    expect(one('AuthorizeSecurityGroupIngress').IpPermissions).toEqual([
      { IpProtocol: 'tcp', FromPort: 8080, ToPort: 8080, IpRanges: [{ CidrIp: CLINIC_CIDR, Description: 'clinic network to the backend' }] },
      { IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '198.51.100.7/32', Description: 'SSH (aws.sshCidrs)' }] },
    ]);
  });

  it('with a KMS alias, the roles may use the account\'s keys that carry that alias only', async () => {
    const config = await testConfig({ aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], kmsKeyId: 'alias/clinica-data', backupKmsKeyId: BACKUP_KEY } });
    await apply(await planDeploy(await openTestInfra(fake, config)));
    for (const c of fake.named('PutRolePolicy').filter((r) => !r.input.RoleName.endsWith('-replication'))) {
      const st = JSON.parse(c.input.PolicyDocument).Statement.filter((s: any) => [s.Action].flat().some((a: string) => a.startsWith('kms:')));
      expect(st).toEqual([
        {
          Sid: 'UseDataKey',
          Effect: 'Allow',
          Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
          Resource: 'arn:aws:kms:sa-east-1:123456789012:key/*',
          Condition: { 'ForAnyValue:StringEquals': { 'kms:ResourceAliases': 'alias/clinica-data' } },
        },
      ]);
    }
  });

  it('finds hand-made changes (drift) and puts them back', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const data = fake.state.buckets.get('sorriso-prod-data')!;
    data.settings.versioning = { Status: 'Suspended' };
    data.settings.pab = { PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } };
    fake.state.roles.get('sorriso-prod-server')!.attached.push('arn:aws:iam::aws:policy/AdministratorAccess');
    const [group] = [...fake.state.groups.values()];
    group.IpPermissions.push({ IpProtocol: 'tcp', FromPort: 22, ToPort: 22, IpRanges: [{ CidrIp: '0.0.0.0/0' }] });
    const [instance] = [...fake.state.instances.values()];
    instance.MetadataOptions.HttpTokens = 'optional';
    fake.clear();

    const plan = await planDeploy(await openTestInfra(fake, config));
    const drifted = pending(plan);
    expect(drifted.map((s) => s.id)).toEqual(['data-bucket', 'role:server', 'security-group', 'instance']);
    expect(drifted.every((s) => s.action === 'update' && s.drift)).toBe(true);
    expect(drifted[0]!.why).toBe('public access block BlockPublicAcls on, IgnorePublicAcls on, BlockPublicPolicy off, RestrictPublicBuckets off → all four on; versioning Suspended → Enabled');
    expect(drifted[1]!.why).toBe('detach AdministratorAccess (attached by hand)');
    expect(drifted[2]!.why).toBe('ingress: revoke tcp 22 0.0.0.0/0');
    expect(drifted[3]!.why).toBe('IMDSv1 allowed → IMDSv2 required');
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['PutPublicAccessBlock', 'PutBucketVersioning', 'DetachRolePolicy', 'RevokeSecurityGroupIngress', 'ModifyInstanceMetadataOptions']);
    expect(fake.named('ModifyInstanceMetadataOptions')[0]!.input).toEqual({ InstanceId: instance.InstanceId, HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' });
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('finds an inline policy added by hand to a stage role, and deletes it (clinica\'s own policy stays)', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const role = fake.state.roles.get('sorriso-prod-image-processor')!;
    role.inline.set('debug-s3-all', JSON.stringify({ Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 's3:*', Resource: '*' }] }));
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.drift, s.why])).toEqual([['role:image-processor', 'update', true, 'delete inline policy debug-s3-all (added by hand)']]);
    expect(one('ListRolePolicies', (i) => i.RoleName === 'sorriso-prod-image-processor')).toEqual({ RoleName: 'sorriso-prod-image-processor' });
    await apply(plan);
    expect(fake.mutating()).toEqual([{ service: 'IAM', command: 'DeleteRolePolicy', input: { RoleName: 'sorriso-prod-image-processor', PolicyName: 'debug-s3-all' } }]);
    expect([...role.inline.keys()]).toEqual(['clinica']);
  });

  it('finds a statement added by hand to the image-processor\'s resource policy (Principal "*"), and removes it', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const fn = fake.state.functions.get('sorriso-prod-image-processor')!;
    fn.policy.push({ Sid: 'anyone', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunction', Resource: fn.config.FunctionArn });
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.drift, s.why])).toEqual([
      ['lambda:image-processor', 'update', true, 'remove statement anyone (principal *) from the resource policy (added by hand)'],
    ]);
    await apply(plan);
    expect(fake.mutating()).toEqual([{ service: 'Lambda', command: 'RemovePermission', input: { FunctionName: 'sorriso-prod-image-processor', StatementId: 'anyone' } }]);
    expect(fn.policy.map((st: any) => st.Sid)).toEqual(['clinica-s3-originals']);
  });

  it('finds every metadata option changed by hand (endpoint, hop limit, tags in metadata), not only IMDSv1', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(one('RunInstances').MetadataOptions).toEqual({ HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' });
    const [instance] = [...fake.state.instances.values()];
    Object.assign(instance.MetadataOptions, { HttpEndpoint: 'disabled', HttpPutResponseHopLimit: 3, InstanceMetadataTags: 'enabled' });
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.drift, s.why])).toEqual([
      ['instance', 'update', true, 'metadata endpoint disabled → enabled, metadata hop limit 3 → 1, tags in metadata enabled → disabled'],
    ]);
    await apply(plan);
    expect(fake.mutating()).toEqual([
      { service: 'EC2', command: 'ModifyInstanceMetadataOptions', input: { InstanceId: instance.InstanceId, HttpTokens: 'required', HttpEndpoint: 'enabled', HttpPutResponseHopLimit: 1, InstanceMetadataTags: 'disabled' } },
    ]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('replaces the instance when the instance type changes; starts the new one before terminating the old', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const [old] = [...fake.state.instances.keys()];
    fake.clear();
    const bigger = await testConfig({ aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], instanceType: 't4g.small' } });
    const plan = await planDeploy(await openTestInfra(fake, bigger));
    expect(pending(plan).map((s) => s.id)).toEqual(['instance']);
    expect(pending(plan)[0]!.why).toMatch(/^replace \(type t4g.micro → t4g.small; the backend is down/);
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['RunInstances', 'TerminateInstances']);
    expect(fake.named('TerminateInstances')[0]!.input.InstanceIds).toEqual([old]);
  });

  it('refuses a bucket that belongs to another stage', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.buckets.get('sorriso-prod-data')!.settings.tags = { TagSet: [{ Key: 'clinica:stage', Value: 'staging' }] };
    await expect(planDeploy(await openTestInfra(fake, config))).rejects.toThrow(/tagged clinica:stage=staging/);
  });

  it('refuses an instance profile of the stage\'s name that belongs to another clinic, before any change (as a role is refused)', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.profiles.get('sorriso-prod-server')!.tags = [{ Key: 'clinica:clinic', Value: 'outra-clinica' }, { Key: 'clinica:stage', Value: 'prod' }];
    fake.clear();
    const err = await planDeploy(await openTestInfra(fake, config)).then(
      () => undefined,
      (e: unknown) => e as ClinicaError,
    );
    expect(err).toBeInstanceOf(ClinicaError);
    expect([err!.kind, err!.message]).toEqual(['conflict', 'IAM instance profile sorriso-prod-server is tagged clinica:clinic=outra-clinica: it belongs to another clinic or stage']);
    expect(fake.mutating()).toEqual([]);
  });

  it('adopts an untagged instance profile of the stage\'s name by tagging it, as it does an untagged role', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.profiles.get('sorriso-prod-server')!.tags = [];
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.why])).toEqual([
      ['instance-profile', 'update', 'tags clinica:clinic=sorriso, clinica:stage=prod, clinica:component=server'],
    ]);
    await apply(plan);
    expect(fake.mutating()).toEqual([
      {
        service: 'IAM',
        command: 'TagInstanceProfile',
        input: {
          InstanceProfileName: 'sorriso-prod-server',
          Tags: [{ Key: 'clinica:clinic', Value: 'sorriso' }, { Key: 'clinica:stage', Value: 'prod' }, { Key: 'clinica:component', Value: 'server' }],
        },
      },
    ]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('refuses a security group of the same name that belongs to another stage (no retagging, no revoking its rules)', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const group = [...fake.state.groups.values()][0];
    group.Tags = group.Tags.map((t: { Key: string; Value: string }) => (t.Key === 'clinica:stage' ? { ...t, Value: 'staging' } : t));
    fake.clear();
    await expect(planDeploy(await openTestInfra(fake, config))).rejects.toThrow(/security group .* is tagged clinica:stage=staging: it belongs to another clinic or stage/);
    expect(fake.mutating()).toEqual([]);
  });

  it('says clearly when the region has no default VPC', async () => {
    fake.restore();
    fake = fakeAws({ defaultVpc: false });
    await expect(planDeploy(await openTestInfra(fake, await testConfig()))).rejects.toThrow(/has no default VPC/);
  });
});

describe('the reminder sender (mail.sender) on AWS', () => {
  const refusal = async (mail: { sender?: string }) => {
    const ctx = await openTestInfra(fake, await testConfig({ mail }));
    fake.clear();
    const err = await planDeploy(ctx).then(
      () => undefined,
      (e: unknown) => e as ClinicaError,
    );
    expect(err).toBeInstanceOf(ClinicaError);
    // said before anything is read from, let alone changed in, the account
    expect(fake.calls).toEqual([]);
    return err!;
  };

  it('deploy refuses a config without one, in one line naming mail.sender (exit 2), before any AWS call', async () => {
    const err = await refusal({});
    expect([err.kind, err.exitCode, err.field, err.message]).toEqual(['config', 2, 'mail.sender', 'mail.sender is not set: reminders need an address of the clinic to be sent from']);
    expect(err.hint).toMatch(/^set "mail": \{ "sender": .* \} in clinica\.config\.json, or run `clinica init --force --sender …`$/);
  });

  it.each([
    ['Clínica Sorriso <lembretes@clinica.example>', 'lembretes@clinica.example', 'clinica.example'],
    ['lembretes@example.com', 'lembretes@example.com', 'example.com'],
    ['x@mail.clinica.test', 'x@mail.clinica.test', 'mail.clinica.test'],
  ])('deploy refuses %s: a domain reserved for examples can never send (SES would wait forever to verify it)', async (sender, address, domain) => {
    const err = await refusal({ sender });
    expect([err.kind, err.exitCode, err.field]).toEqual(['config', 2, 'mail.sender']);
    expect(err.message).toBe(`mail.sender ${address}: ${domain} is a domain reserved for examples — no mail can be sent from it`);
  });

  it('destroy needs no sender: the stage goes, and no SES identity is read or named', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await testConfig())));
    const ctx = await openTestInfra(fake, await testConfig({ mail: {} }));
    fake.clear();
    const plan = await planDestroy(ctx);
    expect(plan.steps.map((s) => s.id)).not.toContain('ses-identity');
    expect(plan.steps.find((s) => s.id === 'instance')?.action).toBe('delete');
    expect(fake.calls.filter((c) => c.service === 'SES')).toEqual([]);
  });
});
