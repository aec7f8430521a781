/**
 * site.domain by recorded call sequences with their parameters: the ACM certificate requested in us-east-1 and
 * validated by a CNAME in the Route 53 zone, waited for, attached to the distribution (alias + sni-only,
 * TLSv1.2_2021), alias A/AAAA records to CloudFront's zone; reuse of an issued certificate; a second deploy
 * makes no mutating call; drift repaired; the wait's timeout and its resumption; destroy in reverse order.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pending } from '../../src/infra/plan.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { siteCertificateCheck } from '../../src/infra/health.js';
import { CLOUDFRONT_ZONE_ID, ISSUE_WAIT_MS } from '../../src/infra/site-domain.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, CLINIC_CIDR, fakeBundles, hosted, openTestInfra, testConfig, testUi } from './helpers.js';
import { status } from '../../src/commands/infra/status.js';
import { defaultConfigInput } from '../../src/config/load.js';
import { applyPlan } from '../../src/infra/plan.js';

const SITE = 'www.clinicasorriso.com.br';
const PARENT = 'clinicasorriso.com.br';
let fake: FakeAws;
afterEach(() => fake.restore());

const siteConfig = { ...defaultConfigInput.site, clinicRegistration: 'CRO-SP EPAO 0000', privacy: { dpoName: 'Ana Demo' }, domain: SITE };
/** plain HTTP for the staff page (no zone of clinica's): the site's name lives in the clinic's own zone */
const withSiteDomain = (network: Record<string, unknown> = {}) =>
  testConfig({ site: siteConfig, network: { clinicCidrs: [CLINIC_CIDR], trustedProxies: [], serverPort: 8080, plainHttp: true, ...network } });

/** The clinic's zone for its whole domain, made by hand (with a record of its own). */
async function handMadeZone(f: FakeAws): Promise<string> {
  const { CreateHostedZoneCommand, Route53Client } = await import('@aws-sdk/client-route-53');
  await new Route53Client({ region: 'us-east-1' }).send(new CreateHostedZoneCommand({ Name: PARENT, CallerReference: 'by-hand' }));
  const id = [...f.state.zones.keys()][0]!;
  f.state.zones.get(id)!.records.push({ Name: `mail.${PARENT}.`, Type: 'MX', TTL: 300, ResourceRecords: [{ Value: '10 mx.example.net' }] });
  f.clear();
  return id;
}

const relevant = (f: FakeAws) => f.calls.filter((c) => c.service === 'ACM' || (c.service === 'Route53' && c.command === 'ChangeResourceRecordSets') || /^(Create|Update)Distribution/.test(c.command));
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- recorded AWS requests are plain JSON
const distConfig = (c: { command: string; input: Record<string, any> }) => (c.command === 'CreateDistributionWithTags' ? c.input.DistributionConfigWithTags.DistributionConfig : c.input.DistributionConfig);

describe('site.domain: ACM certificate and alias records (mocked AWS)', () => {
  beforeEach(() => {
    fake = fakeAws();
  });

  it('requests the certificate, writes its validation CNAME, waits for ISSUED, then the distribution and the aliases', async () => {
    const zoneId = await handMadeZone(fake);
    const config = await withSiteDomain();
    const ctx = await openTestInfra(fake, config);
    const plan = await planDeploy(ctx);
    const ids = plan.steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf('site-content'), ids.indexOf('site-records') + 1)).toEqual(['site-content', 'site-certificate', 'site-oac', 'site-headers', 'site-distribution', 'site-bucket-policy', 'site-records']);
    expect(plan.steps.find((s) => s.id === 'site-certificate')).toMatchObject({ action: 'create', kind: 'ACM certificate', name: `${SITE} (us-east-1)`, why: `does not exist: request it (free), validated by a CNAME in the zone ${PARENT}` });
    await apply(plan);

    const [[certArn, cert]] = [...fake.state.certificates];
    const [[, dist]] = [...fake.state.distributions];
    const calls = relevant(fake).filter((c) => !/^List/.test(c.command));
    expect(calls.map((c) => c.command)).toEqual([
      'RequestCertificate',
      'DescribeCertificate', // no validation record named yet
      'DescribeCertificate',
      'ChangeResourceRecordSets',
      'DescribeCertificate', // ISSUED
      'CreateDistributionWithTags',
      'ChangeResourceRecordSets',
    ]);
    expect(calls[0]!.input).toEqual({
      DomainName: SITE,
      ValidationMethod: 'DNS',
      IdempotencyToken: expect.stringMatching(/^[0-9a-f]{32}$/),
      Tags: expect.arrayContaining([{ Key: 'clinica:stage', Value: 'prod' }, { Key: 'clinica:component', Value: 'site' }]),
    });
    expect(calls[3]!.input).toEqual({
      HostedZoneId: zoneId,
      ChangeBatch: { Comment: 'clinica prod', Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: cert.record.Name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: cert.record.Value }] } }] },
    });
    expect(distConfig(calls[5]!)).toMatchObject({
      Aliases: { Quantity: 1, Items: [SITE] },
      ViewerCertificate: { ACMCertificateArn: certArn, SSLSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' },
    });
    const alias = (Type: string) => ({ Action: 'UPSERT', ResourceRecordSet: { Name: `${SITE}.`, Type, AliasTarget: { HostedZoneId: CLOUDFRONT_ZONE_ID, DNSName: dist.domainName, EvaluateTargetHealth: false } } });
    expect(calls[6]!.input).toEqual({ HostedZoneId: zoneId, ChangeBatch: { Comment: 'clinica prod: the public site', Changes: [alias('A'), alias('AAAA')] } });
    // the certificate client is in us-east-1, whatever the stage's region
    expect(await ctx.clients.acm.config.region()).toBe('us-east-1');

    // a second deploy: the issued certificate is reused, nothing changes
    fake.clear();
    const again = await planDeploy(await openTestInfra(fake, config));
    expect(pending(again)).toEqual([]);
    expect(again.steps.find((s) => s.id === 'site-certificate')!.why).toBe(`ISSUED by Amazon, expires 2027-12-31, validation CNAME in the zone ${PARENT}`);
    expect(again.steps.find((s) => s.id === 'site-records')!.why).toBe(`→ ${dist.domainName}`);
    await apply(again);
    expect(fake.mutating()).toEqual([]);

    // status's check: state, expiry, days left; under 14 days fails
    const site = again.observed.siteCertificate!;
    expect(siteCertificateCheck(site, new Date('2027-12-01T00:00:00Z'))).toEqual({ name: 'site certificate', ok: true, detail: `${SITE}: ISSUED by Amazon, expires 2027-12-31 (30 days); validation CNAME ${cert.record.Name}` });
    expect(siteCertificateCheck(site, new Date('2027-12-25T00:00:00Z')).ok).toBe(false);
  });

  it('status shows the certificate (state, expiry, validation record) and where the aliases point', async () => {
    await handMadeZone(fake);
    const config = await withSiteDomain();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const [[, cert]] = [...fake.state.certificates];
    const [[, dist]] = [...fake.state.distributions];
    fake.clear();
    const t = testUi({ json: true });
    await hosted(status, { config: config.configPath }, t.ui, { infra: { bundles: fakeBundles(), sleep: async () => {} }, fetcher: async () => ({ status: 200, body: '{}' }) });
    const doc = JSON.parse(t.out());
    const check = doc.checks.find((c: { name: string }) => c.name === 'site certificate');
    expect(check).toMatchObject({ ok: true, detail: expect.stringMatching(new RegExp(`^${SITE}: ISSUED by Amazon, expires 2027-12-31 \\(\\d+ days\\); validation CNAME ${cert.record.Name.replace(/\./g, '\\.')}$`)) });
    const step = (id: string) => doc.plan.steps.find((s: { id: string }) => s.id === id);
    expect(step('site-records')).toMatchObject({ action: 'no-change', name: `${SITE} A/AAAA`, why: `→ ${dist.domainName}` });
    expect(step('site-certificate')).toMatchObject({ action: 'no-change', name: `${SITE} (us-east-1)` });
    expect(fake.mutating()).toEqual([]);
  });

  it('reuses an ISSUED certificate for the name (no request) and skips one tagged for another stage', async () => {
    await handMadeZone(fake);
    const config = await withSiteDomain();
    const record = (n: string) => ({ Name: `_${n}.${SITE}.`, Type: 'CNAME', Value: `_${n}.acm-validations.aws.` });
    fake.state.certificates.set('arn:aws:acm:us-east-1:123456789012:certificate/other-stage', {
      domain: SITE, status: 'ISSUED', tags: [{ Key: 'clinica:stage', Value: 'staging' }, { Key: 'clinica:clinic', Value: 'clinica-sorriso' }], describes: 1, record: record('x'), notAfter: new Date(Date.UTC(2028, 0, 1)),
    });
    fake.state.certificates.set('arn:aws:acm:us-east-1:123456789012:certificate/by-hand', { domain: SITE, status: 'ISSUED', tags: [], describes: 1, record: record('y'), notAfter: new Date(Date.UTC(2027, 5, 1)) });
    const plan = await planDeploy(await openTestInfra(fake, config));
    // the validation record of the certificate made by hand is not in the zone: written (ACM renews by it)
    expect(plan.steps.find((s) => s.id === 'site-certificate')).toMatchObject({ action: 'update', why: `validation record _y.${SITE}. missing (ACM needs it to validate and renew) → CNAME _y.acm-validations.aws.` });
    await apply(plan);
    expect(fake.named('RequestCertificate')).toEqual([]);
    const create = fake.named('CreateDistributionWithTags')[0]!;
    expect(distConfig(create).ViewerCertificate.ACMCertificateArn).toBe('arn:aws:acm:us-east-1:123456789012:certificate/by-hand');

    // destroy leaves a certificate clinica did not make (no tags) alone
    fake.clear();
    const destroy = await planDestroy(await openTestInfra(fake, config));
    expect(destroy.steps.find((s) => s.id === 'site-certificate')).toMatchObject({ action: 'no-change', why: expect.stringMatching(/^not ours — left alone/) });
  });

  it('repairs drift: the validation CNAME deleted, the AAAA alias pointed elsewhere, the name taken off the distribution', async () => {
    const zoneId = await handMadeZone(fake);
    const config = await withSiteDomain();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const [[certArn, cert]] = [...fake.state.certificates];
    const [[distId, dist]] = [...fake.state.distributions];
    const zone = fake.state.zones.get(zoneId)!;
    zone.records = zone.records.filter((r) => r.Type !== 'CNAME');
    zone.records.find((r) => r.Type === 'AAAA').AliasTarget.DNSName = 'elsewhere.example.net.';
    Object.assign(dist.config, { Aliases: { Quantity: 0 }, ViewerCertificate: { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: 'TLSv1' } });
    fake.clear();

    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action, s.why])).toEqual([
      ['site-certificate', 'update', `validation record ${cert.record.Name} missing (ACM needs it to validate and renew) → CNAME ${cert.record.Value}`],
      ['site-distribution', 'update', 'aliases, certificate changed → as clinica sets them'],
      ['site-records', 'update', `AAAA → the distribution ${dist.domainName}`],
    ]);
    await apply(plan);
    expect(fake.mutating().map((c) => [c.command, c.input.Id ?? c.input.HostedZoneId])).toEqual([
      ['ChangeResourceRecordSets', zoneId],
      ['UpdateDistribution', distId],
      ['ChangeResourceRecordSets', zoneId],
    ]);
    const [validation, update, aliases] = fake.mutating();
    expect(validation!.input.ChangeBatch.Changes).toEqual([{ Action: 'UPSERT', ResourceRecordSet: { Name: cert.record.Name, Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: cert.record.Value }] } }]);
    expect(update!.input.DistributionConfig).toMatchObject({ Aliases: { Quantity: 1, Items: [SITE] }, ViewerCertificate: { ACMCertificateArn: certArn, SSLSupportMethod: 'sni-only', MinimumProtocolVersion: 'TLSv1.2_2021' } });
    expect(aliases!.input.ChangeBatch.Changes).toEqual([
      { Action: 'UPSERT', ResourceRecordSet: { Name: `${SITE}.`, Type: 'AAAA', AliasTarget: { HostedZoneId: CLOUDFRONT_ZONE_ID, DNSName: dist.domainName, EvaluateTargetHealth: false } } },
    ]);
    fake.clear();
    expect(pending(await planDeploy(await openTestInfra(fake, config)))).toEqual([]);
  });

  it('destroy: aliases removed and the name detached, the distribution deleted, then the certificate and its CNAME', async () => {
    const zoneId = await handMadeZone(fake);
    const config = await withSiteDomain();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const [[certArn, cert]] = [...fake.state.certificates];
    const [[distId]] = [...fake.state.distributions];
    fake.clear();
    const plan = await planDestroy(await openTestInfra(fake, config));
    const ids = plan.steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf('site-records'))).toEqual(['site-records', 'site-distribution', 'site-headers', 'site-oac', 'site-certificate', 'site-bucket', 'backup-bucket', 'data-bucket']);
    await apply(plan);
    const calls = fake.mutating().filter((c) => c.service === 'ACM' || c.service === 'Route53' || /Distribution$/.test(c.command));
    expect(calls.map((c) => [c.command, c.input.ChangeBatch?.Changes.map((ch: { Action: string; ResourceRecordSet: { Type: string } }) => `${ch.Action} ${ch.ResourceRecordSet.Type}`).join() ?? c.input.Id ?? c.input.CertificateArn])).toEqual([
      ['ChangeResourceRecordSets', 'DELETE A'],
      ['ChangeResourceRecordSets', 'DELETE AAAA'],
      ['UpdateDistribution', distId], // the name detached
      ['UpdateDistribution', distId], // disabled
      ['DeleteDistribution', distId],
      ['DeleteCertificate', certArn],
      ['ChangeResourceRecordSets', 'DELETE CNAME'],
    ]);
    expect(calls[2]!.input.DistributionConfig).toMatchObject({ Aliases: { Quantity: 0 }, ViewerCertificate: { CloudFrontDefaultCertificate: true } });
    expect(fake.state.certificates.size).toBe(0);
    // the clinic's own zone and its own record stay
    expect(fake.state.zones.get(zoneId)!.records.map((r) => `${r.Name} ${r.Type}`)).toEqual([`${PARENT}. SOA`, `${PARENT}. NS`, `mail.${PARENT}. MX`]);
    expect(cert.record.Name).toMatch(new RegExp(`\\.${SITE}\\.$`));
  });

  it('site.domain in no zone of the account: one line naming site.domain and the fix', async () => {
    const config = await withSiteDomain();
    await expect(planDeploy(await openTestInfra(fake, config))).rejects.toThrow(`site.domain ${SITE} is in no Route 53 zone of this account, so its certificate cannot be validated`);
  });
});

describe('site.domain: validation that does not complete', () => {
  beforeEach(() => {
    fake = fakeAws({ acmValidates: false });
  });

  it('stops after the timeout with what to check; the next deploy resumes with the same certificate', async () => {
    await handMadeZone(fake);
    const config = await withSiteDomain();
    const result = await applyPlan(await planDeploy(await openTestInfra(fake, config)));
    expect(result.failed?.step.id).toBe('site-certificate');
    expect((result.failed!.error as Error).message).toBe(`the ACM certificate for ${SITE} is still pending DNS validation after ${ISSUE_WAIT_MS / 60_000} minutes`);
    expect((result.failed!.error as { hint?: string }).hint).toMatch(new RegExp(`zone ${PARENT} is delegated .* run clinica deploy again: it resumes`));
    expect(fake.named('CreateDistributionWithTags')).toEqual([]);

    fake.clear();
    const again = await planDeploy(await openTestInfra(fake, config));
    expect(again.steps.find((s) => s.id === 'site-certificate')).toMatchObject({ action: 'update', why: 'PENDING_VALIDATION: wait until ACM issues it' });
    await applyPlan(again);
    expect(fake.named('RequestCertificate')).toEqual([]);
    expect(fake.named('ChangeResourceRecordSets')).toEqual([]);
  });
});

describe('site.domain in the zone this deploy creates (network.domain is the apex)', () => {
  beforeEach(() => {
    fake = fakeAws();
  });

  it('first deploy waits for the delegation (warns), the next one requests; destroy deletes the zone with the site records', async () => {
    const config = await withSiteDomain({ plainHttp: false, domain: PARENT });
    const first = await planDeploy(await openTestInfra(fake, config));
    expect(first.steps.find((s) => s.id === 'site-certificate')).toMatchObject({ action: 'no-change', why: `waits for the zone ${PARENT} (created by this deploy) to be delegated` });
    expect(first.steps.find((s) => s.id === 'site-records')).toBeUndefined();
    expect(first.warnings).toContain(`the certificate for ${SITE} is requested on the next deploy, once the zone ${PARENT} that this deploy creates is delegated (set its NS records at the registrar)`);
    await apply(first);
    expect(fake.named('RequestCertificate')).toEqual([]);
    expect(distConfig(fake.named('CreateDistributionWithTags')[0]!).Aliases).toEqual({ Quantity: 0 });

    fake.clear();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    expect(fake.mutating().map((c) => c.command)).toEqual(['RequestCertificate', 'ChangeResourceRecordSets', 'UpdateDistribution', 'ChangeResourceRecordSets']);

    fake.clear();
    await apply(await planDestroy(await openTestInfra(fake, config)));
    expect(fake.named('DeleteHostedZone')).toHaveLength(1);
    expect(fake.state.zones.size + fake.state.certificates.size).toBe(0);
  });
});
