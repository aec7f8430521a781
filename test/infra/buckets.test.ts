/**
 * S3 is eventually consistent: the calls that configure a bucket (or publish the site into it) right after
 * CreateBucket may see NoSuchBucket, and the site's public-read policy right after its public access block changed may see
 * AccessDenied. Deploy retries those (bounded), and explains a lasting denial without ever advising to turn
 * the account-wide Block Public Access off.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClinicaError } from '../../src/errors.js';
import { applyPlan, pending } from '../../src/infra/plan.js';
import { planDeploy } from '../../src/infra/stack.js';
import { buildSite } from '../../src/site/build.js';
import { awsError, fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const data = 'sorriso-prod-data';
const site = 'sorriso-prod-site';
const noSuchBucket = () => awsError('NoSuchBucket', 'The specified bucket does not exist', 404);

/** The paths the site build makes for this config (what a complete publish leaves in the bucket). */
const builtPaths = async (ctx: Awaited<ReturnType<typeof openTestInfra>>) => (await buildSite(ctx.config)).files.map((f) => f.path);

/** Applies the plan, queueing `errors` for `command` just before the step `stepId` runs. */
async function applyFailingIn(plan: Awaited<ReturnType<typeof planDeploy>>, stepId: string, command: string, ...errors: Error[]) {
  return applyPlan(plan, ({ item }) => (item?.phase === 'start' && item.step.id === stepId ? fake.failNext(command, ...errors) : undefined));
}

describe('bucket configuration while S3 settles', () => {
  it('retries a setting that sees NoSuchBucket right after CreateBucket, then goes on', async () => {
    const ctx = await openTestInfra(fake, await testConfig());
    const result = await applyFailingIn(await planDeploy(ctx), 'data-bucket', 'PutBucketTagging', noSuchBucket(), noSuchBucket());
    expect(result.failed).toBeUndefined();
    expect(fake.named('PutBucketTagging').filter((c) => c.input.Bucket === data)).toHaveLength(3);
    expect(fake.state.buckets.get(data)!.settings.tags.TagSet).toEqual([
      { Key: 'clinica:clinic', Value: 'sorriso' }, { Key: 'clinica:stage', Value: 'prod' }, { Key: 'clinica:component', Value: 'data' },
    ]);
    expect(ctx.logEntries.filter((e) => /NoSuchBucket right after a change, waiting for S3 to settle/.test(e.message))).toHaveLength(2);
  });

  it('retries the site content that sees NoSuchBucket right after the site bucket was created, then goes on', async () => {
    const ctx = await openTestInfra(fake, await testConfig());
    const plan = await planDeploy(ctx);
    let from = 0;
    const result = await applyPlan(plan, ({ item }) => {
      if (item?.phase !== 'start' || item.step.id !== 'site-content') return;
      from = fake.calls.length;
      fake.failNext('ListObjectsV2', noSuchBucket(), noSuchBucket());
    });
    expect(result.failed).toBeUndefined();
    const calls = fake.calls.slice(from, fake.calls.findIndex((c, i) => i >= from && c.input.Bucket !== site));
    const uploads = calls.filter((c) => c.command === 'PutObject');
    expect(calls.map((c) => c.command)).toEqual(['ListObjectsV2', 'ListObjectsV2', 'ListObjectsV2', ...uploads.map(() => 'PutObject')]);
    expect(calls.slice(0, 3).map((c) => c.input)).toEqual(Array(3).fill(calls[0]!.input));
    expect(calls[0]!.input).toMatchObject({ Bucket: site, Prefix: '' });
    expect(uploads.map((c) => c.input.Key)).toEqual(expect.arrayContaining(['index.html', '404.html', 'privacidade.html']));
    expect(ctx.logEntries.filter((e) => e.message.startsWith(`${site}: NoSuchBucket right after a change, waiting for S3 to settle`))).toHaveLength(2);
  });

  it('an upload that sees NoSuchBucket right after the bucket was created publishes again, and every file gets there', async () => {
    const ctx = await openTestInfra(fake, await testConfig());
    const result = await applyFailingIn(await planDeploy(ctx), 'site-content', 'PutObject', noSuchBucket());
    expect(result.failed).toBeUndefined();
    expect(fake.named('ListObjectsV2').filter((c) => c.input.Bucket === site)).toHaveLength(2);
    expect([...fake.state.buckets.get(site)!.objects.keys()].sort()).toEqual((await builtPaths(ctx)).sort());
  });

  it('gives up on a site bucket that stays NoSuchBucket after the bounded wait, in one line', async () => {
    const ctx = await openTestInfra(fake, await testConfig());
    const result = await applyFailingIn(await planDeploy(ctx), 'site-content', 'ListObjectsV2', ...Array.from({ length: 7 }, noSuchBucket));
    expect(result.failed?.step.id).toBe('site-content');
    expect(fake.named('ListObjectsV2').filter((c) => c.input.Bucket === site)).toHaveLength(7); // 1 + 6 retries, 29 s
    const err = result.failed!.error as ClinicaError;
    expect([err.kind, err.message]).toEqual(['unavailable', `publishing the site to ${site}: S3 still answered NoSuchBucket after 29 s`]);
    expect(err.hint).toBe('S3 had not settled yet — run `clinica deploy` again; it continues where it stopped');
  });

  it('does not retry the site content on a site bucket that already existed (NoSuchBucket there means it was deleted)', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.buckets.get(site)!.objects.delete('index.html');
    const ctx = await openTestInfra(fake, config);
    const plan = await planDeploy(ctx);
    expect(pending(plan).map((s) => s.id)).toEqual(['site-content']);
    fake.clear();
    const result = await applyFailingIn(plan, 'site-content', 'ListObjectsV2', noSuchBucket());
    expect(result.failed?.step.id).toBe('site-content');
    expect(fake.named('ListObjectsV2')).toHaveLength(1);
    expect((result.failed!.error as ClinicaError).message).toMatch(new RegExp(`^bucket ${site} does not exist`));
    expect(ctx.logEntries.filter((e) => /waiting for S3 to settle/.test(e.message))).toEqual([]);
  });

  it('does not retry NoSuchBucket on a bucket that already existed (it was deleted: that is not S3 settling)', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.state.buckets.get(data)!.settings.versioning = { Status: 'Suspended' };
    fake.clear();
    const result = await applyFailingIn(await planDeploy(await openTestInfra(fake, config)), 'data-bucket', 'PutBucketVersioning', noSuchBucket());
    expect(result.failed?.step.id).toBe('data-bucket');
    expect(fake.named('PutBucketVersioning')).toHaveLength(1);
  });
});
