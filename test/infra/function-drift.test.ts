import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, pending } from '../../src/infra/plan.js';
import { planDeploy } from '../../src/infra/stack.js';
import { functionResource, functionSpecs } from '../../src/infra/lambdas.js';
import { awsError, fakeAws, type FakeAws } from './fake-aws.js';
import { apply, fakeBundles, hosted, openTestInfra, testConfig, testUi } from './helpers.js';
import { status } from '../../src/commands/infra/status.js';

const statusDeps = { infra: { bundles: fakeBundles(), sleep: async () => {} }, fetcher: async () => ({ status: 200, body: '{}' }) };

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

describe("the functions' drift (mocked AWS)", () => {
  it('reserved concurrency: reminders get 2, the answer page 5; set to 0 by hand (reminders silently stop) or added to image-processor is drift, and deploy puts it back', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(fake.named('PutFunctionConcurrency').map((c) => c.input)).toEqual([
      { FunctionName: 'sorriso-prod-answers', ReservedConcurrentExecutions: 5 },
      { FunctionName: 'sorriso-prod-reminders', ReservedConcurrentExecutions: 2 },
    ]);

    fake.state.functions.get('sorriso-prod-reminders')!.reserved = 0;
    fake.state.functions.get('sorriso-prod-image-processor')!.reserved = 5;
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.drift, s.why])).toEqual([
      ['lambda:image-processor', 'update', true, 'reserved concurrency 5 → none'],
      ['lambda:reminders', 'update', true, 'reserved concurrency 0 → 2'],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => [c.command, c.input])).toEqual([
      ['DeleteFunctionConcurrency', { FunctionName: 'sorriso-prod-image-processor' }],
      ['PutFunctionConcurrency', { FunctionName: 'sorriso-prod-reminders', ReservedConcurrentExecutions: 2 }],
    ]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it("an account whose quota leaves nothing to reserve: deploy stops with the quota's name as the fix", async () => {
    const config = await testConfig();
    fake.failNext('PutFunctionConcurrency', awsError('InvalidParameterValueException', "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [10]."));
    const result = await applyPlan(await planDeploy(await openTestInfra(fake, config)));
    expect(result.failed?.step.id).toBe('lambda:answers');
    expect(result.failed?.error).toMatchObject({ message: expect.stringContaining('no room to reserve 5 executions'), hint: expect.stringContaining('Concurrent executions') });
  });

  it('a layer added by hand is drift; deploy removes it', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const layer = 'arn:aws:lambda:sa-east-1:999999999999:layer:exfil:1';
    fake.state.functions.get('sorriso-prod-reminders')!.config.Layers = [{ Arn: layer, CodeSize: 10 }];
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.drift, s.why])).toEqual([['lambda:reminders', true, `layers ${layer} → none`]]);
    await apply(plan);
    expect(fake.named('UpdateFunctionConfiguration').map((c) => [c.input.FunctionName, c.input.Layers])).toEqual([['sorriso-prod-reminders', []]]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('a function URL and a public statement added by hand to reminders are drift; deploy deletes exactly those', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const reminders = fake.state.functions.get('sorriso-prod-reminders')!;
    reminders.urls = new Map([['', { AuthType: 'NONE', FunctionUrl: 'https://abc.lambda-url.sa-east-1.on.aws/' }]]);
    reminders.policy.push({ Sid: 'FunctionURLAllowPublicAccess', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl', Resource: reminders.config.FunctionArn });
    // and a URL on an alias of image-processor
    fake.state.functions.get('sorriso-prod-image-processor')!.urls = new Map([['live', { AuthType: 'AWS_IAM', FunctionUrl: 'https://def.lambda-url.sa-east-1.on.aws/' }]]);
    fake.clear();

    // status reports it (exit 1) and changes nothing
    const seen = testUi({ json: true });
    expect(await hosted(status, { config: config.configPath }, seen.ui, statusDeps)).toBe(1);
    expect(JSON.parse(seen.out()).plan.steps.filter((s: { drift: boolean }) => s.drift).map((s: { id: string }) => s.id)).toEqual(['lambda:image-processor', 'lambda:reminders']);
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.drift, s.why])).toEqual([
      ['lambda:image-processor', true, 'function URL https://def.lambda-url.sa-east-1.on.aws/ of live (auth AWS_IAM) → none'],
      ['lambda:reminders', true, 'function URL https://abc.lambda-url.sa-east-1.on.aws/ (auth NONE) → none; remove statement FunctionURLAllowPublicAccess (principal *) from the resource policy (added by hand)'],
    ]);
    expect(fake.mutating()).toEqual([]);
    await apply(plan);
    expect(fake.mutating().map((c) => [c.command, c.input])).toEqual([
      ['DeleteFunctionUrlConfig', { FunctionName: 'sorriso-prod-image-processor', Qualifier: 'live' }],
      ['DeleteFunctionUrlConfig', { FunctionName: 'sorriso-prod-reminders' }],
      ['RemovePermission', { FunctionName: 'sorriso-prod-reminders', StatementId: 'FunctionURLAllowPublicAccess' }],
    ]);
    // image-processor's own S3 statement stays
    expect(fake.state.functions.get('sorriso-prod-image-processor')!.policy.map((st: { Sid: string }) => st.Sid)).toEqual(['clinica-s3-originals']);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('a function whose spec declares a URL and its statement: made, kept, and its auth type put back', async () => {
    const config = await testConfig();
    const ctx = await openTestInfra(fake, config);
    await apply(await planDeploy(ctx));
    const spec = { ...functionSpecs(ctx).find((f) => f.key === 'reminders')!, url: { authType: 'NONE' as const }, statements: ['PublicUrl'] };
    const r = functionResource(spec);
    const planned = async () => r.plan(ctx, await r.read(ctx, { mode: 'deploy', state: async () => undefined as never }), { state: () => undefined as never, planned: () => undefined, warn: () => {}, progress: () => {} });
    fake.clear();
    const first = await planned();
    expect(first).toMatchObject({ action: 'update', why: 'function URL (auth NONE)' });
    await first!.run!();
    expect(fake.mutating().map((c) => [c.command, c.input])).toEqual([['CreateFunctionUrlConfig', { FunctionName: 'sorriso-prod-reminders', AuthType: 'NONE' }]]);

    const fn = fake.state.functions.get('sorriso-prod-reminders')!;
    fn.policy.push({ Sid: 'PublicUrl', Effect: 'Allow', Principal: '*', Action: 'lambda:InvokeFunctionUrl' });
    fake.clear();
    expect((await planned())!.action).toBe('no-change');

    fn.urls!.get('')!.AuthType = 'AWS_IAM';
    const drifted = await planned();
    expect(drifted).toMatchObject({ action: 'update', why: 'function URL auth AWS_IAM → NONE' });
    await drifted!.run!();
    expect(fake.mutating().map((c) => [c.command, c.input])).toEqual([['UpdateFunctionUrlConfig', { FunctionName: 'sorriso-prod-reminders', AuthType: 'NONE' }]]);
  });
});

describe("the buckets' object ownership (mocked AWS)", () => {
  it('ACLs switched back on (ObjectWriter, or no ownership controls at all) is drift on both buckets; deploy enforces the owner', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    // a new bucket is BucketOwnerEnforced already: creating one puts nothing for it
    expect(fake.named('PutBucketOwnershipControls')).toEqual([]);
    fake.state.buckets.get('sorriso-prod-data')!.settings.ownership = { OwnershipControls: { Rules: [{ ObjectOwnership: 'ObjectWriter' }] } };
    delete fake.state.buckets.get('sorriso-prod-site')!.settings.ownership;
    fake.clear();

    const seen = testUi();
    expect(await hosted(status, { config: config.configPath }, seen.ui, statusDeps)).toBe(1);
    expect(seen.out()).toMatch(/S3 bucket sorriso-prod-data\s*\| drift\s*\| object ownership ObjectWriter → BucketOwnerEnforced/);
    expect(seen.out()).toMatch(/site bucket\s*\| FAIL\s*\| .*object ownership: none \(ACLs on\)/);
    expect(fake.mutating()).toEqual([]);
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.drift, s.why])).toEqual([
      ['data-bucket', true, 'object ownership ObjectWriter → BucketOwnerEnforced'],
      ['site-bucket', true, 'object ownership none (ACLs on) → BucketOwnerEnforced'],
    ]);
    await apply(plan);
    const enforced = { OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] } };
    expect(fake.mutating().map((c) => [c.command, c.input])).toEqual([
      ['PutBucketOwnershipControls', { Bucket: 'sorriso-prod-data', ...enforced }],
      ['PutBucketOwnershipControls', { Bucket: 'sorriso-prod-site', ...enforced }],
    ]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });
});
