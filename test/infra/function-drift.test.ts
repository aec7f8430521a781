import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan, pending } from '../../src/infra/plan.js';
import { planDeploy } from '../../src/infra/stack.js';
import { awsError, fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

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
});
