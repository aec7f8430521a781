import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { stageActivityText } from '../../src/commands/infra/common.js';
import { pending } from '../../src/infra/plan.js';
import type { StageActivity } from '../../src/infra/resource.js';
import type { ProgressEvent } from '../../src/progress.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());


async function deployed() {
  const config = await testConfig();
  await apply(await planDeploy(await openTestInfra(fake, config)));
  // patient data and a published site
  for (const key of ['patients/p1.json', 'images/p1/i1/original.jpg', 'audit/2026-11-01/20261101T100000000Z-p1-abc.json']) {
    fake.state.buckets.get('sorriso-prod-data')!.objects.set(key, [{ body: Buffer.from('x'), versionId: 'v1' }, { body: Buffer.from('y'), versionId: 'v2' }]);
  }
  fake.state.buckets.get('sorriso-prod-site')!.objects.set('index.html', [{ body: Buffer.from('<h1>'), versionId: 'null' }]);
  fake.clear();
  return config;
}

describe('clinica destroy (mocked AWS)', () => {
  it('removes the stage in reverse order and keeps the data bucket with the patient data', async () => {
    const config = await deployed();
    const plan = await planDestroy(await openTestInfra(fake, config));
    expect(fake.mutating()).toEqual([]);
    expect(plan.steps.map((s) => [s.id, s.action])).toEqual([
      ['ses-identity', 'no-change'],
      ['instance', 'delete'],
      ['security-group', 'delete'],
      ['server-code', 'delete'],
      ['image-events', 'delete'],
      ['lambda:reminders', 'delete'],
      ['lambda:answers', 'delete'],
      ['lambda:image-processor', 'delete'],
      ['image-failures', 'delete'],
      ['log-group:reminders', 'no-change'],
      ['log-group:answers', 'no-change'],
      ['log-group:image-processor', 'no-change'],
      ['backup-replication', 'delete'],
      ['instance-profile', 'delete'],
      ['role:replication', 'delete'],
      ['role:answers', 'delete'],
      ['role:server', 'delete'],
      ['role:reminders', 'delete'],
      ['role:image-processor', 'delete'],
      ['site-distribution', 'delete'],
      ['site-headers', 'delete'],
      ['site-oac', 'delete'],
      ['site-bucket', 'delete'],
      ['backup-bucket', 'no-change'],
      ['data-bucket', 'no-change'],
    ]);
    expect(plan.steps.at(-1)!.why).toMatch(/kept: patient data/);
    await apply(plan);
    const order = fake.calls.filter((c) => !/^(Get|List|Head)/.test(c.command)).map((c) => c.command);
    // the instance is terminated and seen terminated before its security group is deleted
    const terminate = order.indexOf('TerminateInstances');
    const deleteGroup = order.indexOf('DeleteSecurityGroup');
    expect(terminate).toBeGreaterThanOrEqual(0);
    expect(order.slice(terminate + 1, deleteGroup)).toContain('DescribeInstances');
    expect(fake.mutating().map((c) => c.command)).toEqual([
      'TerminateInstances',
      'DeleteSecurityGroup',
      'DeleteObjects', // the server releases under deploy/server/
      'PutBucketNotificationConfiguration',
      'DeleteFunction',
      'DeleteFunction', // the answer page: its function URL and public permissions go with it
      'DeleteFunction',
      'DeleteQueue',
      'DeleteBucketReplication', // the data bucket stays, without the replication whose role goes
      'RemoveRoleFromInstanceProfile',
      'DeleteInstanceProfile',
      'DeleteRolePolicy',
      'DeleteRole',
      'DeleteRolePolicy',
      'DeleteRole',
      'DeleteRolePolicy',
      'DeleteRole',
      'DeleteRolePolicy',
      'DeleteRole',
      'DeleteRolePolicy',
      'DeleteRole',
      'UpdateDistribution', // disabled, deployed, then deleted (test/infra/cloudfront.test.ts)
      'DeleteDistribution',
      'DeleteResponseHeadersPolicy',
      'DeleteOriginAccessControl',
      'DeleteObjects', // emptying the site bucket
      'DeleteBucket',
    ]);
    expect(fake.named('DeleteBucket').map((c) => c.input.Bucket)).toEqual(['sorriso-prod-site']);
    expect(fake.named('DeleteObjects')[0]!.input.Delete.Objects.every((o: { Key: string }) => o.Key.startsWith('deploy/server/'))).toBe(true);
    expect(fake.named('PutBucketNotificationConfiguration')[0]!.input.NotificationConfiguration.LambdaFunctionConfigurations).toEqual([]);
    const data = fake.state.buckets.get('sorriso-prod-data')!;
    expect([...data.objects.keys()].sort()).toEqual(['audit/2026-11-01/20261101T100000000Z-p1-abc.json', 'images/p1/i1/original.jpg', 'patients/p1.json']);
    expect(fake.state.buckets.has('sorriso-prod-site')).toBe(false);
    expect(fake.state.roles.size + fake.state.profiles.size + fake.state.functions.size + fake.state.groups.size).toBe(0);

    // a second destroy has nothing left to do (SES identity and data bucket are kept)
    fake.clear();
    const again = await planDestroy(await openTestInfra(fake, config));
    expect(pending(again)).toEqual([]);
  });

  it('--delete-patient-data empties every version of the data bucket and deletes it', async () => {
    const config = await deployed();
    const events: ProgressEvent<StageActivity>[] = [];
    const plan = await planDestroy(await openTestInfra(fake, config), { deletePatientData: true, onProgress: (e) => events.push(e) });
    const last = plan.steps.at(-1)!;
    expect([last.id, last.action]).toEqual(['data-bucket', 'delete']);
    expect(plan.steps.find((s) => s.id === 'server-code')).toBeUndefined(); // goes with the bucket
    // the notification goes with the bucket: no step of its own, so the summary cannot say it was kept
    expect(plan.steps.find((s) => s.id === 'image-events')).toBeUndefined();
    await apply(plan);
    expect(fake.named('DeleteBucket').map((c) => c.input.Bucket)).toEqual(['sorriso-prod-site', 'sorriso-prod-backup', 'sorriso-prod-data']);
    const deleted = fake.named('DeleteObjects').flatMap((c) => c.input.Delete.Objects.map((o: { Key: string; VersionId?: string }) => `${o.Key}@${o.VersionId}`));
    expect(deleted).toEqual(expect.arrayContaining(['patients/p1.json@v1', 'patients/p1.json@v2', 'images/p1/i1/original.jpg@v1', 'audit/2026-11-01/20261101T100000000Z-p1-abc.json@v1']));
    // the audit log's no-delete statement goes first (it denies everyone, the operator too), then the emptying
    const calls = fake.calls.map((c) => c.command);
    expect(calls.indexOf('DeleteBucketPolicy')).toBeLessThan(calls.lastIndexOf('DeleteObjects'));
    expect(fake.named('DeleteBucketPolicy').map((c) => c.input.Bucket)).toEqual(['sorriso-prod-backup', 'sorriso-prod-data']);
    expect(fake.state.buckets.size).toBe(0);
    // the progress channel: the reading, then each bucket's versions counted as they go
    const versionsDeleted = fake.named('DeleteObjects').filter((c) => c.input.Bucket === 'sorriso-prod-data').reduce((n, c) => n + c.input.Delete.Objects.length, 0);
    const emptying = events.filter((e) => e.item?.doing === 'empty' && e.item.bucket === 'sorriso-prod-data');
    expect(events[0]).toEqual({ done: 0, item: { doing: 'read' } });
    expect(emptying.at(-1)!.done).toBe(versionsDeleted);
    expect(stageActivityText(emptying.at(-1)!)).toBe(`emptying sorriso-prod-data: ${versionsDeleted} object versions deleted`);
  });

  it('refuses, before deleting anything, when a name of the stage is tagged for another clinic or stage', async () => {
    const config = await deployed();
    // same names, someone else's resources (prefix "clinica-x" + stage "a" = prefix "clinica" + stage "x-a")
    fake.state.buckets.get('sorriso-prod-data')!.settings.tags = { TagSet: [{ Key: 'clinica:clinic', Value: 'other' }, { Key: 'clinica:stage', Value: 'prod' }] };
    await expect(planDestroy(await openTestInfra(fake, config), { deletePatientData: true })).rejects.toThrow(
      /bucket sorriso-prod-data is tagged clinica:clinic=other: it belongs to another clinic or stage — nothing was destroyed/,
    );
    fake.state.buckets.get('sorriso-prod-data')!.settings.tags = undefined;
    fake.state.buckets.get('sorriso-prod-site')!.settings.tags = { TagSet: [{ Key: 'clinica:stage', Value: 'staging' }] };
    await expect(planDestroy(await openTestInfra(fake, config))).rejects.toThrow(/bucket sorriso-prod-site is tagged clinica:stage=staging/);
    fake.state.buckets.get('sorriso-prod-site')!.settings.tags = undefined;
    const fn = [...fake.state.functions.values()][0]!;
    fn.tags['clinica:stage'] = 'staging';
    await expect(planDestroy(await openTestInfra(fake, config))).rejects.toThrow(/Lambda function .* is tagged clinica:stage=staging/);
    expect(fake.mutating()).toEqual([]);
  });

  it('leaves alone, and lists as not ours, the resources that have the stage\'s names but not its tags', async () => {
    const config = await deployed();
    // made by hand (or by another tool) under the same names: no clinica tags, or only some of them
    fake.state.buckets.get('sorriso-prod-site')!.settings.tags = { TagSet: [{ Key: 'team', Value: 'web' }] };
    fake.state.roles.get('sorriso-prod-reminders')!.tags = [{ Key: 'clinica:clinic', Value: 'sorriso' }];
    fake.state.functions.get('sorriso-prod-image-processor')!.tags = {};
    fake.state.profiles.get('sorriso-prod-server')!.tags = [];
    [...fake.state.groups.values()][0].Tags = [{ Key: 'Name', Value: 'sorriso-prod-server' }];
    const plan = await planDestroy(await openTestInfra(fake, config));
    expect(plan.steps.map((s) => [s.id, s.action, s.why])).toEqual([
      ['ses-identity', 'no-change', expect.stringMatching(/^kept: SES identities are account-wide/)],
      ['instance', 'delete', 'stage destroyed: terminate and wait'],
      ['security-group', 'no-change', 'not ours — left alone (it lacks the tags clinica:clinic=sorriso, clinica:stage=prod)'],
      ['server-code', 'delete', 'stage destroyed'],
      ['image-events', 'delete', 'stage destroyed (the data bucket stays)'],
      ['lambda:reminders', 'delete', 'stage destroyed (its CloudWatch log group stays)'],
      ['lambda:answers', 'delete', 'stage destroyed (its CloudWatch log group stays)'],
      ['lambda:image-processor', 'no-change', 'not ours — left alone (it lacks the tags clinica:clinic=sorriso, clinica:stage=prod)'],
      ['image-failures', 'delete', 'stage destroyed'],
      ['log-group:reminders', 'no-change', 'kept: logs name patients and appointments by id (--delete-patient-data deletes them)'],
      ['log-group:answers', 'no-change', 'kept: logs name patients and appointments by id (--delete-patient-data deletes them)'],
      ['log-group:image-processor', 'no-change', 'kept: logs name patients and appointments by id (--delete-patient-data deletes them)'],
      ['backup-replication', 'delete', 'stage destroyed (its role goes too)'],
      ['instance-profile', 'no-change', 'not ours — left alone (it lacks the tags clinica:clinic=sorriso, clinica:stage=prod)'],
      ['role:replication', 'delete', 'stage destroyed'],
      ['role:answers', 'delete', 'stage destroyed'],
      ['role:server', 'delete', 'stage destroyed'],
      ['role:reminders', 'no-change', 'not ours — left alone (it lacks the tags clinica:stage=prod)'],
      ['role:image-processor', 'delete', 'stage destroyed'],
      ['site-distribution', 'delete', 'stage destroyed: disable it, wait until AWS has (minutes), then delete it'],
      ['site-headers', 'delete', 'stage destroyed (after the distribution)'],
      ['site-oac', 'delete', 'stage destroyed (after the distribution)'],
      ['site-bucket', 'no-change', 'not ours — left alone (it lacks the tags clinica:clinic=sorriso, clinica:stage=prod)'],
      ['backup-bucket', 'no-change', 'kept: the backup of the patient data (--delete-patient-data deletes what Object Lock allows)'],
      ['data-bucket', 'no-change', 'kept: patient data (--delete-patient-data deletes it)'],
    ]);
    await apply(plan);
    expect(fake.named('DeleteFunction').map((c) => c.input.FunctionName)).toEqual(['sorriso-prod-reminders', 'sorriso-prod-answers']);
    expect(fake.named('DeleteRole').map((c) => c.input.RoleName)).toEqual(['sorriso-prod-replication', 'sorriso-prod-answers', 'sorriso-prod-server', 'sorriso-prod-image-processor']);
    expect(fake.named('DeleteSecurityGroup')).toEqual([]);
    expect(fake.named('DeleteInstanceProfile')).toEqual([]);
    expect(fake.named('DeleteBucket')).toEqual([]);
    expect(fake.state.buckets.get('sorriso-prod-site')!.objects.has('index.html')).toBe(true);
    expect(fake.state.roles.has('sorriso-prod-reminders')).toBe(true);
    expect(fake.state.functions.has('sorriso-prod-image-processor')).toBe(true);
  });

  it('an untagged data bucket is left alone even with --delete-patient-data: no release, notification or object is touched', async () => {
    const config = await deployed();
    fake.state.buckets.get('sorriso-prod-data')!.settings.tags = undefined;
    const plan = await planDestroy(await openTestInfra(fake, config), { deletePatientData: true });
    expect(plan.steps.find((s) => s.id === 'data-bucket')).toMatchObject({ action: 'no-change', why: 'not ours — left alone (it lacks the tags clinica:clinic=sorriso, clinica:stage=prod)' });
    expect(plan.steps.find((s) => s.id === 'server-code')).toBeUndefined();
    expect(plan.steps.find((s) => s.id === 'image-events')).toBeUndefined();
    await apply(plan);
    expect(fake.calls.filter((c) => c.input.Bucket === 'sorriso-prod-data' && !/^(Get|List|Head)/.test(c.command))).toEqual([]);
    expect([...fake.state.buckets.get('sorriso-prod-data')!.objects.keys()].filter((k) => !k.startsWith('deploy/')).sort()).toEqual(['audit/2026-11-01/20261101T100000000Z-p1-abc.json', 'images/p1/i1/original.jpg', 'patients/p1.json']);
  });

  it('an empty account has nothing to destroy', async () => {
    const plan = await planDestroy(await openTestInfra(fake, await testConfig()));
    expect(pending(plan)).toEqual([]);
    expect(plan.steps.map((s) => s.id)).toEqual(['ses-identity']);
  });
});
