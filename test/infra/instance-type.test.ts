/**
 * The instance type is checked against aws.architecture in the plan (DescribeInstanceTypes, read-only): a
 * mismatch or an unknown type is a config error (exit 2) before anything is created, and CPU credits are set
 * for burstable types only — as EC2 says, not by the type's first letter.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClinicaError } from '../../src/errors.js';
import { planDeploy } from '../../src/infra/stack.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const configWith = (architecture: 'arm64' | 'x86_64', instanceType?: string) =>
  testConfig({ aws: { region: 'sa-east-1', architecture, sshCidrs: [], ...(instanceType ? { instanceType } : {}) } });

describe('instance type vs architecture', () => {
  it('arm64 with t3.micro is a config error naming aws.instanceType and aws.architecture; nothing is created', async () => {
    const err = await planDeploy(await openTestInfra(fake, await configWith('arm64', 't3.micro'))).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect((err as ClinicaError).kind).toBe('config');
    expect((err as ClinicaError).exitCode).toBe(2);
    expect((err as ClinicaError).message).toBe('aws.instanceType t3.micro runs i386/x86_64, but aws.architecture is arm64');
    expect((err as ClinicaError).hint).toBe('set aws.instanceType to an arm64 type (e.g. t4g.micro) or aws.architecture to x86_64');
    expect(fake.named('DescribeInstanceTypes').map((c) => c.input)).toEqual([{ InstanceTypes: ['t3.micro'] }]);
    expect(fake.mutating()).toEqual([]);
  });

  it('an instance type EC2 does not know is a config error', async () => {
    const err = await planDeploy(await openTestInfra(fake, await configWith('arm64', 't4g.mcro'))).catch((e: unknown) => e);
    expect((err as ClinicaError).kind).toBe('config');
    expect((err as ClinicaError).message).toBe('aws.instanceType t4g.mcro is not an EC2 instance type offered in sa-east-1');
    expect((err as ClinicaError).hint).toBe('set aws.instanceType to an arm64 type such as t4g.micro');
  });

  it('CPU credits "standard" for a burstable type only, as EC2 describes it (trn1 starts with "t" and is not one)', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await configWith('x86_64', 'trn1.2xlarge'))));
    expect(fake.named('DescribeInstanceTypes').map((c) => c.input)).toEqual([{ InstanceTypes: ['trn1.2xlarge'] }]);
    const run = fake.named('RunInstances')[0]!.input;
    expect(run.InstanceType).toBe('trn1.2xlarge');
    expect(run.CreditSpecification).toBeUndefined();
  });

  it('a burstable default type gets CPU credits "standard"; a non-burstable arm64 type does not', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await configWith('arm64'))));
    expect(fake.named('DescribeInstanceTypes').map((c) => c.input)).toEqual([{ InstanceTypes: ['t4g.micro'] }]);
    expect(fake.named('RunInstances')[0]!.input.CreditSpecification).toEqual({ CpuCredits: 'standard' });

    fake.clear();
    await apply(await planDeploy(await openTestInfra(fake, await configWith('arm64', 'm7g.medium'))));
    const run = fake.named('RunInstances')[0]!.input;
    expect(run.InstanceType).toBe('m7g.medium');
    expect(run.CreditSpecification).toBeUndefined();
  });
});
