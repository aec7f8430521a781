import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pending } from '../../src/infra/plan.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const groups = ['/aws/lambda/sorriso-prod-image-processor', '/aws/lambda/sorriso-prod-answers', '/aws/lambda/sorriso-prod-reminders'];

describe("the functions' log groups (mocked AWS)", () => {
  it('are created tagged with aws.logRetentionDays, drift-checked, and deleted only with the patient data', async () => {
    const config = await testConfig({ aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], logRetentionDays: 30 } });
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(fake.named('CreateLogGroup').map((c) => c.input)).toEqual(
      groups.map((logGroupName) => ({
        logGroupName,
        tags: { 'clinica:clinic': 'sorriso', 'clinica:stage': 'prod', 'clinica:component': logGroupName.split('sorriso-prod-')[1] },
      })),
    );
    expect(fake.named('PutRetentionPolicy').map((c) => c.input)).toEqual(groups.map((logGroupName) => ({ logGroupName, retentionInDays: 30 })));

    // retention removed by hand ("never expire"): status sees it, deploy puts it back
    delete fake.state.logGroups.get(groups[2]!)!.retentionInDays;
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    const drifted = pending(plan).filter((s) => s.id.startsWith('log-group:'));
    expect(drifted.map((s) => [s.id, s.action, s.drift, s.why])).toEqual([['log-group:reminders', 'update', true, 'retention never expire → 30 days']]);
    await apply(plan);
    expect(fake.named('PutRetentionPolicy').map((c) => c.input)).toEqual([{ logGroupName: groups[2], retentionInDays: 30 }]);

    // destroy keeps them with the patient data; --delete-patient-data deletes them
    await apply(await planDestroy(await openTestInfra(fake, config)));
    expect([...fake.state.logGroups.keys()]).toEqual(groups);
    fake.clear();
    await apply(await planDestroy(await openTestInfra(fake, config), { deletePatientData: true }));
    expect(fake.named('DeleteLogGroup').map((c) => c.input.logGroupName).sort()).toEqual([...groups].sort());
    expect(fake.state.logGroups.size).toBe(0);
  });

  it('the default retention is 90 days; a value CloudWatch Logs does not accept is refused with the list', async () => {
    const config = await testConfig();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(fake.named('PutRetentionPolicy').map((c) => c.input.retentionInDays)).toEqual([90, 90, 90]);
    await expect(testConfig({ aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], logRetentionDays: 45 } })).rejects.toThrow(/logRetentionDays.*expected one of 1, 3, 5, 7, 14, 30, 60, 90/);
  });
});
