/**
 * The public site through CloudFront, by recorded call sequences with their parameters: a private site bucket
 * read only by the distribution (its ARN as AWS:SourceArn), the OAC and the security headers; a second deploy
 * makes no mutating call; drift of the distribution, the OAC and the bucket policy is repaired; destroy
 * disables, waits, deletes (resumable), and publishing invalidates only the changed paths.
 */
import { readFile } from 'node:fs/promises';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pending } from '../../src/infra/plan.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { computeOutputs } from '../../src/infra/outputs.js';
import { CACHING_OPTIMIZED, SITE_CSP, invalidationPaths } from '../../src/infra/cloudfront.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, openTestInfra, testConfig } from './helpers.js';

let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const SITE = 'sorriso-prod-site';
const cloudfront = (f: FakeAws) => f.mutating().filter((c) => c.service === 'CloudFront');
const siteS3 = (f: FakeAws) => f.mutating().filter((c) => c.service === 'S3' && c.input.Bucket === SITE && !/^(PutObject|DeleteObjects)$/.test(c.command));

async function deployed() {
  const config = await testConfig();
  await apply(await planDeploy(await openTestInfra(fake, config)));
  const [[distId]] = [...fake.state.distributions];
  return { config, distId: distId! };
}

describe('the public site through CloudFront (mocked AWS)', () => {
  it('deploys a private bucket, the OAC, the headers policy and the distribution, in that order, with exact parameters', async () => {
    const config = await testConfig();
    const ctx = await openTestInfra(fake, config);
    const plan = await planDeploy(ctx);
    const ids = plan.steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf('site-bucket'), ids.indexOf('site-bucket-policy') + 1)).toEqual(['site-bucket', 'site-content', 'site-oac', 'site-headers', 'site-distribution', 'site-bucket-policy']);
    expect(plan.steps.find((s) => s.id === 'site-distribution')!.why).toMatch(/free tier.*US\$0/);
    await apply(plan);

    const [[oacId]] = [...fake.state.oacs];
    const [[headersId]] = [...fake.state.headerPolicies];
    const [[distId, dist]] = [...fake.state.distributions];
    expect(cloudfront(fake).map((c) => c.command)).toEqual(['CreateOriginAccessControl', 'CreateResponseHeadersPolicy', 'CreateDistributionWithTags']);
    const [oac, headers, create] = cloudfront(fake);
    expect(oac!.input).toEqual({ OriginAccessControlConfig: { Name: SITE, Description: 'clinica prod: CloudFront reads the site bucket', SigningProtocol: 'sigv4', SigningBehavior: 'always', OriginAccessControlOriginType: 's3' } });
    expect(headers!.input.ResponseHeadersPolicyConfig.SecurityHeadersConfig).toEqual({
      StrictTransportSecurity: { Override: true, AccessControlMaxAgeSec: 63072000, IncludeSubdomains: false, Preload: false },
      ContentSecurityPolicy: { Override: true, ContentSecurityPolicy: SITE_CSP },
      ContentTypeOptions: { Override: true },
      ReferrerPolicy: { Override: true, ReferrerPolicy: 'strict-origin-when-cross-origin' },
      FrameOptions: { Override: true, FrameOption: 'DENY' },
    });
    const cfg = create!.input.DistributionConfigWithTags.DistributionConfig;
    expect(cfg).toMatchObject({
      CallerReference: expect.stringMatching(/^clinica-prod-\d+$/),
      Comment: `clinica prod: public site ${SITE}`,
      Enabled: true,
      Aliases: { Quantity: 0 },
      DefaultRootObject: 'index.html',
      Origins: { Quantity: 1, Items: [{ Id: 'site-bucket', DomainName: `${SITE}.s3.sa-east-1.amazonaws.com`, S3OriginConfig: { OriginAccessIdentity: '' }, OriginAccessControlId: oacId }] },
      DefaultCacheBehavior: { TargetOriginId: 'site-bucket', ViewerProtocolPolicy: 'redirect-to-https', Compress: true, CachePolicyId: CACHING_OPTIMIZED, ResponseHeadersPolicyId: headersId },
      CustomErrorResponses: { Quantity: 2, Items: [403, 404].map((ErrorCode) => ({ ErrorCode, ResponsePagePath: '/404.html', ResponseCode: '404', ErrorCachingMinTTL: 60 })) },
      ViewerCertificate: { CloudFrontDefaultCertificate: true },
    });
    expect(create!.input.DistributionConfigWithTags.Tags.Items).toEqual(expect.arrayContaining([{ Key: 'clinica:stage', Value: 'prod' }, { Key: 'clinica:component', Value: 'site' }]));

    // the bucket: all four public access blocks, no website, a policy naming only this distribution, TLS only
    expect(siteS3(fake).map((c) => c.command)).toEqual(['CreateBucket', 'PutBucketTagging', 'PutPublicAccessBlock', 'PutBucketPolicy']);
    expect(siteS3(fake)[2]!.input.PublicAccessBlockConfiguration).toEqual({ BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: true, RestrictPublicBuckets: true });
    expect(JSON.parse(siteS3(fake)[3]!.input.Policy)).toEqual({
      Version: '2012-10-17',
      Statement: [
        {
          Sid: 'CloudFrontReadsSite',
          Effect: 'Allow',
          Principal: { Service: 'cloudfront.amazonaws.com' },
          Action: 's3:GetObject',
          Resource: `arn:aws:s3:::${SITE}/*`,
          Condition: { StringEquals: { 'AWS:SourceArn': `arn:aws:cloudfront::123456789012:distribution/${distId}` } },
        },
        { Sid: 'DenyInsecureTransport', Effect: 'Deny', Principal: '*', Action: 's3:*', Resource: [`arn:aws:s3:::${SITE}`, `arn:aws:s3:::${SITE}/*`], Condition: { Bool: { 'aws:SecureTransport': 'false' } } },
      ],
    });
    // the policy is written after the distribution exists
    const order = fake.mutating().map((c) => `${c.command} ${c.input.Bucket ?? ''}`);
    expect(order.indexOf('CreateDistributionWithTags ')).toBeLessThan(order.indexOf(`PutBucketPolicy ${SITE}`));
    expect(computeOutputs(ctx, undefined).websiteUrl).toBe(`https://${dist.domainName}/`);

    // a second deploy: no mutating call at all
    fake.clear();
    const again = await planDeploy(await openTestInfra(fake, config));
    expect(pending(again)).toEqual([]);
    await apply(again);
    expect(fake.mutating()).toEqual([]);
  });

  it('repairs drift of the distribution, the OAC, the bucket policy and the site bucket (public read, website hosting)', async () => {
    const { config, distId } = await deployed();
    const dist = fake.state.distributions.get(distId)!;
    dist.config.DefaultCacheBehavior.ViewerProtocolPolicy = 'allow-all';
    const [[oacId, oac]] = [...fake.state.oacs];
    oac.config.SigningBehavior = 'never';
    const bucket = fake.state.buckets.get(SITE)!;
    bucket.settings.policy = { Policy: JSON.stringify({ Version: '2012-10-17', Statement: [{ Sid: 'PublicReadSite', Effect: 'Allow', Principal: '*', Action: 's3:GetObject', Resource: `arn:aws:s3:::${SITE}/*` }] }) };
    bucket.settings.website = { IndexDocument: { Suffix: 'index.html' }, ErrorDocument: { Key: '404.html' } };
    bucket.settings.pab = { PublicAccessBlockConfiguration: { BlockPublicAcls: true, IgnorePublicAcls: true, BlockPublicPolicy: false, RestrictPublicBuckets: false } };
    const oldEtag = dist.etag;
    fake.clear();

    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.drift])).toEqual([['site-bucket', true], ['site-oac', true], ['site-distribution', true], ['site-bucket-policy', true]]);
    expect(plan.steps.find((s) => s.id === 'site-distribution')!.why).toBe('cache behaviour changed → as clinica sets them');
    await apply(plan);
    expect(fake.mutating().map((c) => `${c.service} ${c.command}`)).toEqual([
      'S3 PutPublicAccessBlock',
      'S3 DeleteBucketWebsite',
      'CloudFront UpdateOriginAccessControl',
      'CloudFront UpdateDistribution',
      'S3 PutBucketPolicy',
    ]);
    expect(fake.named('UpdateOriginAccessControl')[0]!.input).toMatchObject({ Id: oacId, OriginAccessControlConfig: { SigningBehavior: 'always' } });
    const update = fake.named('UpdateDistribution')[0]!.input;
    expect(update).toMatchObject({ Id: distId, IfMatch: oldEtag, DistributionConfig: { DefaultCacheBehavior: { ViewerProtocolPolicy: 'redirect-to-https' }, CallerReference: dist.config.CallerReference } });

    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('destroy disables the distribution, waits for AWS, deletes it, then the headers policy and the OAC; resumable', async () => {
    const { config, distId } = await deployed();
    fake.clear();
    // Ctrl+C while waiting: the sleep is interrupted after the distribution was disabled
    const interrupted = await openTestInfra(fake, config);
    interrupted.sleep = async () => {
      throw new Error('interrupted');
    };
    const first = await planDestroy(interrupted);
    const ids = first.steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf('site-bucket-policy') === -1 ? ids.indexOf('site-distribution') : 0, ids.indexOf('site-bucket') + 1)).toEqual(['site-distribution', 'site-headers', 'site-oac', 'site-bucket']);
    expect(first.steps.find((s) => s.id === 'site-distribution')!.why).toBe('stage destroyed: disable it, wait until AWS has (minutes), then delete it');
    const stopped = await (await import('../../src/infra/plan.js')).applyPlan(first);
    expect(stopped.failed?.step.id).toBe('site-distribution');
    expect(fake.mutating().map((c) => c.command).filter((c) => /Distribution|OriginAccess|ResponseHeaders/.test(c))).toEqual(['UpdateDistribution']);
    expect(fake.named('UpdateDistribution')[0]!.input.DistributionConfig.Enabled).toBe(false);
    expect(interrupted.logEntries.map((e) => e.message)).toContainEqual(expect.stringMatching(/^waiting for CloudFront to disable the distribution/));

    // the re-run: already disabled, so it waits and deletes, then the rest in reverse order
    fake.clear();
    const ctx = await openTestInfra(fake, config);
    const again = await planDestroy(ctx);
    expect(again.steps.find((s) => s.id === 'site-distribution')!.why).toBe('stage destroyed: already disabled; delete it once AWS has deployed that');
    await apply(again);
    const cf = fake.calls.filter((c) => c.service === 'CloudFront' && !/^List/.test(c.command) && !/Config$/.test(c.command));
    expect(cf.map((c) => c.command)).toEqual(['GetDistribution', 'GetDistribution', 'DeleteDistribution', 'GetResponseHeadersPolicy', 'DeleteResponseHeadersPolicy', 'GetOriginAccessControl', 'DeleteOriginAccessControl']);
    expect(fake.named('DeleteDistribution')[0]!.input).toEqual({ Id: distId, IfMatch: expect.any(String) });
    expect(fake.state.distributions.size + fake.state.oacs.size + fake.state.headerPolicies.size + (fake.state.buckets.has(SITE) ? 1 : 0)).toBe(0);
  });

  it('a deploy that changes the site invalidates only the changed paths', async () => {
    const { distId } = await deployed();
    fake.clear();
    const changed = await testConfig({ site: { ...(await testConfig()).site!, tagline: 'Sorrisos desde 1990' } as never });
    await apply(await planDeploy(await openTestInfra(fake, changed)));
    const uploaded = fake.named('PutObject').filter((c) => c.input.Bucket === SITE).map((c) => c.input.Key as string);
    expect(uploaded.length).toBeGreaterThan(0);
    expect(fake.state.invalidations).toEqual([{ DistributionId: distId, InvalidationBatch: { CallerReference: expect.stringMatching(/^clinica-\d+$/), Paths: { Quantity: expect.any(Number), Items: invalidationPaths(uploaded) } } }]);
    expect(invalidationPaths(['index.html', 'servicos/index.html', 'assets/site.css'])).toEqual(['/', '/assets/site.css', '/index.html', '/servicos/', '/servicos/index.html']);
  });

  it("the headers policy's CSP is the one the site's pages carry, plus frame-ancestors", async () => {
    const layout = await readFile(new URL('../../templates/site/layout.html', import.meta.url), 'utf8');
    const meta = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(layout)![1]!.replace('{{styleSrc}}', "'self'");
    expect(SITE_CSP).toBe(`${meta}; frame-ancestors 'none'`);
  });
});
