/**
 * The S3 parts of deploy that the local S3 server (s3rver) implements, against it over real HTTP: bucket
 * existence and creation, CORS and website hosting (each put, read back, and found equal — so the comparison
 * code agrees with a real S3 wire format), the server release upload, and emptying + deleting a bucket.
 * Bucket tags, encryption, versioning, public access block, policies and lifecycle are not implemented by
 * s3rver: they are covered by the mocked-AWS tests.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../src/aws/clients.js';
import { dataCors } from '../../src/infra/data-bucket.js';
import { SITE_WEBSITE } from '../../src/infra/site-bucket.js';
import type { InfraContext } from '../../src/infra/context.js';
import { infraNames, tagsFor } from '../../src/infra/names.js';
import { applyPlan } from '../../src/infra/plan.js';
import { bucketExists, corsAspect, createBucket, deleteBucket, websiteAspect, type Aspect } from '../../src/infra/s3-bucket.js';
import { CURRENT_KEY, planServerCode, readCurrentRelease } from '../../src/infra/server-code.js';
import { silentLog } from '../../src/log.js';
import { Store } from '../../src/store/store.js';
import { useTestStack } from '../helpers/stack.js';
import { fakeBundles } from './helpers.js';

const stack = useTestStack({ config: { stage: 'local', aws: { region: 'sa-east-1', architecture: 'arm64', sshCidrs: [], bucketPrefix: 'infra-test' } } });
let ctx: InfraContext;

beforeAll(async () => {
  const config = stack.config;
  const s3 = await s3Client(stack.target);
  // only what the S3 code paths use: the local stack has no STS, IAM, Lambda or EC2
  ctx = {
    config,
    target: stack.target,
    names: { ...infraNames(config), dataBucket: config.names.dataBucket, siteBucket: config.names.siteBucket },
    arns: { partition: 'aws', region: 'sa-east-1', account: '000000000000' },
    clients: { s3 } as InfraContext['clients'],
    log: silentLog,
    sleep: async () => {},
    facts: {},
    bundle: fakeBundles(),
    tags: (c) => tagsFor(config, c),
    where: 'the local S3',
  };
});

describe('deploy\'s S3 calls against the local S3 server', () => {
  it('finds a missing bucket, creates it, and finds it again', async () => {
    const bucket = 'infra-test-fresh';
    expect(await bucketExists(ctx, bucket)).toBe(false);
    await createBucket(ctx, bucket);
    await createBucket(ctx, bucket); // a re-run after a failure: no error
    expect(await bucketExists(ctx, bucket)).toBe(true);
  });

  it('puts CORS and website hosting, reads them back as equal', async () => {
    const bucket = 'infra-test-aspects';
    await createBucket(ctx, bucket);
    const aspects = [corsAspect(dataCors(ctx)), websiteAspect(SITE_WEBSITE)] as Aspect[];
    for (const aspect of aspects) {
      const before = await aspect.read(ctx.clients.s3, bucket);
      expect(aspect.same(before), `${aspect.name} before`).toBe(false);
      await aspect.apply(ctx.clients.s3, bucket);
      const after = await aspect.read(ctx.clients.s3, bucket);
      expect(aspect.same(after), `${aspect.name} after: ${JSON.stringify(after)}`).toBe(true);
    }
  });

  it('uploads a server release once; the next plan finds it current', async () => {
    const bucket = ctx.names.dataBucket;
    expect(await readCurrentRelease(ctx, true)).toBeUndefined();
    const first = await planServerCode(ctx, undefined);
    expect(first.action).toBe('create');
    const result = await applyPlan({ stage: 'local', region: 'sa-east-1', account: '0', steps: [first] });
    expect(result.failed).toBeUndefined();
    const store = new Store(ctx.clients.s3, bucket);
    const pointer = (await store.getBytes(CURRENT_KEY))!.toString('utf8');
    const [id, zipSha] = pointer.trim().split(' ');
    expect(await readCurrentRelease(ctx, true)).toBe(id);
    const zip = await store.getBytes(`deploy/server/${id}/server.zip`);
    expect(zip?.toString()).toBe('fake server bundle v1 (zipped by this machine)');
    expect(zipSha).toMatch(/^[0-9a-f]{64}$/);
    expect((await planServerCode(ctx, id)).action).toBe('no-change');
  });

  it('empties (every object) and deletes a bucket', async () => {
    const bucket = 'infra-test-doomed';
    await createBucket(ctx, bucket);
    const store = new Store(ctx.clients.s3, bucket);
    for (let i = 0; i < 230; i++) await store.put(`site/${String(i).padStart(3, '0')}.html`, `<p>${i}</p>`);
    const deleted = await deleteBucket(ctx.clients.s3, bucket);
    expect(deleted).toBe(230);
    expect(await bucketExists(ctx, bucket)).toBe(false);
    expect(await deleteBucket(ctx.clients.s3, bucket).catch((e: Error) => e.name)).toBe('NoSuchBucket');
  });
});
