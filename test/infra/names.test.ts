/**
 * The stage's bucket names are checked against S3's rules before any AWS call: "<prefix>-<stage>-data" can pass
 * S3's 63 characters with a long aws.bucketPrefix and stage, and some prefixes are reserved by S3.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ClinicaError } from '../../src/errors.js';
import { bucketNameProblem } from '../../src/infra/names.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const withPrefix = (bucketPrefix: string, stage = 'prod') => testConfig({ stage, aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], bucketPrefix } });

describe('bucket names', () => {
  it('a 42-character aws.bucketPrefix with a 16-character stage is a config error naming both, before any AWS call', async () => {
    const prefix = `clinica-${'a'.repeat(34)}`;
    const config = await withPrefix(prefix, 'homologacao-2026');
    const err = await openTestInfra(fake, config).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ClinicaError);
    expect((err as ClinicaError).kind).toBe('config');
    expect((err as ClinicaError).exitCode).toBe(2);
    expect((err as ClinicaError).field).toBe('aws.bucketPrefix');
    expect((err as ClinicaError).message).toBe(`the bucket name ${prefix}-homologacao-2026-data (aws.bucketPrefix "${prefix}" + stage "homologacao-2026") is 64 characters; S3 allows at most 63`);
    expect((err as ClinicaError).hint).toBe('shorten aws.bucketPrefix (42 characters) or the stage (16) by 1');
    expect(fake.calls).toEqual([]);
  });

  it('63 characters is fine', async () => {
    const prefix = `clinica-${'a'.repeat(33)}`;
    const ctx = await openTestInfra(fake, await withPrefix(prefix, 'homologacao-2026'));
    expect(ctx.names.dataBucket).toHaveLength(63);
  });

  it('a prefix S3 reserves is refused with the rule', async () => {
    const err = await openTestInfra(fake, await withPrefix('xn--sorriso')).catch((e: unknown) => e);
    expect((err as ClinicaError).message).toBe('the bucket name xn--sorriso-prod-data (aws.bucketPrefix "xn--sorriso" + stage "prod") must not start with "xn--" (reserved by S3)');
    expect((err as ClinicaError).hint).toBe('choose another aws.bucketPrefix in clinica.config.json');
    expect(fake.calls).toEqual([]);
  });

  it('S3 naming rules', () => {
    expect(bucketNameProblem('sorriso-prod-data')).toBeUndefined();
    expect(bucketNameProblem('ab')).toBe('is shorter than 3 characters');
    expect(bucketNameProblem('Sorriso-prod-data')).toMatch(/lowercase letters/);
    expect(bucketNameProblem('-sorriso-data')).toMatch(/start and end with a letter or digit/);
    expect(bucketNameProblem('192.168.5.4')).toBe('must not look like an IP address');
    expect(bucketNameProblem('sthree-prod-data')).toBe('must not start with "sthree-" (reserved by S3)');
    expect(bucketNameProblem('amzn-s3-demo-prod-data')).toBe('must not start with "amzn-s3-demo-" (reserved by S3)');
    expect(bucketNameProblem('sorriso-data-s3alias')).toBe('must not end with "-s3alias" (reserved by S3)');
  });
});
