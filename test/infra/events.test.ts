/* eslint-disable @typescript-eslint/no-explicit-any -- AWS requests are plain JSON in these assertions */
/**
 * The image upload notification: originals only (prefix images/ + suffix original.<ext>), one configuration
 * per suffix; a bucket still wired the old way (the bare prefix, which also fired for every derivative) is
 * rewired; what others configured on the bucket is kept as it is.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { originalKey } from '../../src/clinic/images.js';
import { IMAGE_FORMATS } from '../../src/imaging/inspect.js';
import { IMAGES_PREFIX, ORIGINAL_SUFFIXES } from '../../src/infra/events.js';
import { pending } from '../../src/infra/plan.js';
import { planDeploy } from '../../src/infra/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const fnArn = 'arn:aws:lambda:sa-east-1:123456789012:function:sorriso-prod-image-processor';
const foreignQueue = { Id: 'audit-copy', QueueArn: 'arn:aws:sqs:sa-east-1:123456789012:audit', Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'audit/' }] } } };
const foreignLambda = { Id: 'their-thumbs', LambdaFunctionArn: 'arn:aws:lambda:sa-east-1:123456789012:function:other', Events: ['s3:ObjectRemoved:*'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'exports/' }] } } };

describe('image upload notification', () => {
  it('covers exactly the keys originals are stored under, and no derivative', () => {
    const keys = IMAGE_FORMATS.map((f) => originalKey('p1', 'i1', f));
    for (const key of keys) {
      expect(key.startsWith(IMAGES_PREFIX)).toBe(true);
      expect(ORIGINAL_SUFFIXES.filter((s) => key.endsWith(s))).toHaveLength(1);
    }
    expect(ORIGINAL_SUFFIXES).toHaveLength(keys.length);
    for (const derivative of ['display.webp', 'thumb.webp', 'shared.webp', 'image.json', 'failed.json']) {
      expect(ORIGINAL_SUFFIXES.some((s) => `images/p1/i1/${derivative}`.endsWith(s))).toBe(false);
    }
  });

  it('rewires a bucket notified of every object under images/ to originals only, keeping the others\' configurations', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    // as an earlier clinica left it, with someone else's queue and function beside it
    fake.state.buckets.get('sorriso-prod-data')!.settings.notification = {
      QueueConfigurations: [foreignQueue],
      LambdaFunctionConfigurations: [
        foreignLambda,
        { Id: 'clinica-originals', LambdaFunctionArn: fnArn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'Prefix', Value: 'images/' }] } } },
      ],
    };
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.drift, s.why])).toEqual([
      ['image-events', true, 'notify sorriso-prod-image-processor of new originals only (original.jpg, original.png, original.tif, original.webp under images/), not of every object'],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => c.command)).toEqual(['PutBucketNotificationConfiguration']);
    const put = fake.mutating()[0]!.input.NotificationConfiguration;
    expect(put.QueueConfigurations).toEqual([foreignQueue]);
    expect(put.TopicConfigurations).toEqual([]);
    expect(put.LambdaFunctionConfigurations).toEqual([
      foreignLambda,
      ...['jpg', 'png', 'tif', 'webp'].map((ext) => ({
        Id: `clinica-originals-${ext}`,
        LambdaFunctionArn: fnArn,
        Events: ['s3:ObjectCreated:*'],
        Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: 'images/' }, { Name: 'suffix', Value: `original.${ext}` }] } },
      })),
    ]);

    // S3 hands the rules back as Prefix/Suffix: the next plan sees no change
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('a suffix configuration removed by hand is drift', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const n = fake.state.buckets.get('sorriso-prod-data')!.settings.notification;
    n.LambdaFunctionConfigurations = n.LambdaFunctionConfigurations.filter((c: any) => c.Id !== 'clinica-originals-tif');
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => s.id)).toEqual(['image-events']);
    await apply(plan);
    expect(fake.named('PutBucketNotificationConfiguration')[0]!.input.NotificationConfiguration.LambdaFunctionConfigurations.map((c: any) => c.Id)).toEqual([
      'clinica-originals-jpg', 'clinica-originals-png', 'clinica-originals-tif', 'clinica-originals-webp',
    ]);
  });
});
