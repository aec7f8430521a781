/**
 * deploy / destroy of what network.domain adds, by recorded call sequences with their parameters: the Route 53
 * zone (made, or reused), the Elastic IP kept across an instance replacement, the A record on it, 443 from the
 * clinic network only; a second deploy makes no mutating call; drift is repaired; destroy goes in reverse and
 * keeps a zone holding records clinica did not write.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { pending } from '../../src/infra/plan.js';
import { planDeploy, planDestroy } from '../../src/infra/stack.js';
import { deploy } from '../../src/commands/infra/deploy.js';
import { status } from '../../src/commands/infra/status.js';
import type { DnsLookup } from '../../src/infra/health.js';
import { fakeAws, type FakeAws } from './fake-aws.js';
import { apply, CLINIC_CIDR, fakeBundles, hosted, openTestInfra, testConfig, testUi } from './helpers.js';

const DOMAIN = 'sistema.clinicasorriso.com.br';
let fake: FakeAws;
beforeEach(() => {
  fake = fakeAws();
});
afterEach(() => fake.restore());

const https = () => testConfig({ network: { clinicCidrs: [CLINIC_CIDR], trustedProxies: [], serverPort: 8080, plainHttp: false, domain: DOMAIN } });
const TAGS = [
  { Key: 'clinica:clinic', Value: expect.any(String) },
  { Key: 'clinica:stage', Value: 'prod' },
  { Key: 'clinica:component', Value: 'server' },
];
const dnsAndAddress = (f: FakeAws) => f.mutating().filter((c) => c.service === 'Route53' || /Address/.test(c.command));

describe('deploy with network.domain (mocked AWS)', () => {
  it('makes the zone, the Elastic IP on the instance and the A record on it, with 443 from the clinic only', async () => {
    const config = await https();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(plan.plainHttp).toBe(false);
    const ids = plan.steps.map((s) => s.id);
    expect(ids.slice(ids.indexOf('security-group'))).toEqual(['security-group', 'elastic-ip', 'instance', 'eip-association', 'dns-record', 'ses-identity']);
    expect(ids.indexOf('hosted-zone')).toBe(ids.indexOf('site-content') + 1);
    expect(plan.steps.find((s) => s.id === 'hosted-zone')!.why).toMatch(/US\$0\.50\/month/);
    expect(plan.steps.find((s) => s.id === 'elastic-ip')!.why).toMatch(/US\$3\.60\/month/);
    await apply(plan);

    const calls = dnsAndAddress(fake);
    expect(calls.map((c) => c.command)).toEqual(['CreateHostedZone', 'ChangeTagsForResource', 'AllocateAddress', 'AssociateAddress', 'ChangeResourceRecordSets']);
    const [zone, tags, allocate, associate, record] = calls;
    expect(zone!.input).toEqual({ Name: DOMAIN, CallerReference: expect.stringMatching(/^clinica-prod-\d+$/), HostedZoneConfig: { Comment: "clinica prod: the staff page's name", PrivateZone: false } });
    const zoneId = [...fake.state.zones.keys()][0]!;
    expect(tags!.input).toEqual({ ResourceType: 'hostedzone', ResourceId: zoneId, AddTags: expect.arrayContaining(TAGS) });
    expect(allocate!.input).toEqual({ Domain: 'vpc', TagSpecifications: [{ ResourceType: 'elastic-ip', Tags: expect.arrayContaining([{ Key: 'Name', Value: expect.any(String) }, ...TAGS]) }] });
    const [eip] = [...fake.state.addresses.values()];
    const [instance] = [...fake.state.instances.values()];
    expect(associate!.input).toEqual({ AllocationId: eip.AllocationId, InstanceId: instance.InstanceId, AllowReassociation: true });
    expect(record!.input).toEqual({
      HostedZoneId: zoneId,
      ChangeBatch: { Comment: 'clinica prod', Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: `${DOMAIN}.`, Type: 'A', TTL: 300, ResourceRecords: [{ Value: eip.PublicIp }] } }] },
    });
    // the association comes after the instance exists, the record after the address
    const order = fake.mutating().map((c) => c.command);
    expect(order.indexOf('RunInstances')).toBeLessThan(order.indexOf('AssociateAddress'));
    expect(fake.named('CreateSecurityGroup')[0]!.input.Description).toBe('clinica backend (prod): port 443 from the clinic network only');
    // 443 from the clinic network, nothing else (no 8080)
    const group = [...fake.state.groups.values()][0];
    expect(group.IpPermissions.map((p: { FromPort: number; ToPort: number; IpRanges: { CidrIp: string }[] }) => [p.FromPort, p.ToPort, p.IpRanges.map((r) => r.CidrIp)])).toEqual([[443, 443, [CLINIC_CIDR]]]);

    // the server role: tls/ in the data bucket, and only the _acme-challenge TXT record of its domain
    const server = JSON.parse(decodeURIComponent(fake.state.roles.get('sorriso-prod-server')!.inline.get('clinica')!));
    const sid = (id: string) => server.Statement.find((st: { Sid?: string }) => st.Sid === id);
    expect(sid('ServerCertificate')).toEqual({ Sid: 'ServerCertificate', Effect: 'Allow', Action: ['s3:GetObject', 's3:PutObject'], Resource: 'arn:aws:s3:::sorriso-prod-data/tls/*' });
    expect(sid('AcmeChallengeRecord')).toEqual({
      Sid: 'AcmeChallengeRecord',
      Effect: 'Allow',
      Action: 'route53:ChangeResourceRecordSets',
      Resource: 'arn:aws:route53:::hostedzone/*',
      Condition: { 'ForAllValues:StringEquals': { 'route53:ChangeResourceRecordSetsNormalizedRecordNames': [`_acme-challenge.${DOMAIN}`], 'route53:ChangeResourceRecordSetsRecordTypes': ['TXT'] } },
    });
    expect(sid('AcmeChangeStatus')).toMatchObject({ Action: 'route53:GetChange', Resource: 'arn:aws:route53:::change/*' });
    expect(sid('ReadData').Resource).not.toContain('arn:aws:s3:::sorriso-prod-data/tls/*');

    // a second deploy: no mutating call
    fake.clear();
    const again = await planDeploy(await openTestInfra(fake, config));
    expect(pending(again)).toEqual([]);
    await apply(again);
    expect(fake.mutating()).toEqual([]);
  });

  it('reuses a zone the account already has for a parent name, and destroy keeps it', async () => {
    const config = await https();
    // a zone for the clinic's whole domain, made by hand, with its own records
    const { CreateHostedZoneCommand, Route53Client } = await import('@aws-sdk/client-route-53');
    await new Route53Client({ region: 'us-east-1' }).send(new CreateHostedZoneCommand({ Name: 'clinicasorriso.com.br', CallerReference: 'by-hand' }));
    const parent = [...fake.state.zones.keys()][0]!;
    fake.state.zones.get(parent)!.records.push({ Name: 'www.clinicasorriso.com.br.', Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: 'example.net' }] });
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(plan.steps.find((s) => s.id === 'hosted-zone')).toMatchObject({ action: 'no-change', name: 'clinicasorriso.com.br' });
    await apply(plan);
    expect(fake.named('CreateHostedZone')).toEqual([]);
    expect(fake.named('ChangeResourceRecordSets')[0]!.input.HostedZoneId).toBe(parent);

    fake.clear();
    const destroy = await planDestroy(await openTestInfra(fake, config));
    expect(destroy.steps.find((s) => s.id === 'hosted-zone')).toMatchObject({ action: 'no-change', why: 'kept: not made by clinica' });
    await apply(destroy);
    expect(fake.state.zones.get(parent)!.records.map((r) => `${r.Name} ${r.Type}`)).toEqual(['clinicasorriso.com.br. SOA', 'clinicasorriso.com.br. NS', 'www.clinicasorriso.com.br. CNAME']);
  });

  it('repairs drift: an address moved off the instance and an A record changed by hand', async () => {
    const config = await https();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    const [eip] = [...fake.state.addresses.values()];
    const [instance] = [...fake.state.instances.values()];
    delete eip.InstanceId;
    const zone = [...fake.state.zones.values()][0]!;
    zone.records.find((r) => r.Type === 'A').ResourceRecords = [{ Value: '192.0.2.1' }];
    fake.clear();
    const plan = await planDeploy(await openTestInfra(fake, config));
    expect(pending(plan).map((s) => [s.id, s.action])).toEqual([
      ['eip-association', 'create'],
      ['dns-record', 'update'],
    ]);
    expect(plan.steps.find((s) => s.id === 'dns-record')!.why).toBe(`A 192.0.2.1 → ${eip.PublicIp}`);
    await apply(plan);
    expect(fake.mutating().map((c) => [c.command, c.input.InstanceId ?? c.input.ChangeBatch?.Changes[0].ResourceRecordSet.ResourceRecords[0].Value])).toEqual([
      ['AssociateAddress', instance.InstanceId],
      ['ChangeResourceRecordSets', eip.PublicIp],
    ]);
  });

  it('destroy: A record deleted, instance terminated, Elastic IP released, then the zone clinica made', async () => {
    const config = await https();
    await apply(await planDeploy(await openTestInfra(fake, config)));
    fake.clear();
    const plan = await planDestroy(await openTestInfra(fake, config));
    const ids = plan.steps.map((s) => s.id);
    expect(ids.slice(0, 6)).toEqual(['ses-identity', 'dns-record', 'instance', 'elastic-ip', 'security-group', 'server-code']);
    // the zone goes after the public site's records it may hold
    expect(ids.indexOf('hosted-zone')).toBe(ids.indexOf('site-distribution') + 3);
    await apply(plan);
    const calls = fake.mutating().filter((c) => c.service === 'Route53' || c.service === 'EC2');
    expect(calls.map((c) => c.command)).toEqual(['ChangeResourceRecordSets', 'TerminateInstances', 'ReleaseAddress', 'DeleteSecurityGroup', 'DeleteHostedZone']);
    expect(calls[0]!.input.ChangeBatch.Changes[0].Action).toBe('DELETE');
    expect(fake.state.addresses.size + fake.state.zones.size).toBe(0);
  });
});

describe('deploy and status with network.domain (in-process, mocked AWS)', () => {
  const deps = (dns: DnsLookup) => ({ infra: { bundles: fakeBundles(), sleep: async () => {} }, fetcher: async () => ({ status: 200, body: '{"version":"v"}' }), dns });

  it('deploy prints the staff URL and the exact NS records; status checks delegation, the A record and the certificate (< 14 days fails)', async () => {
    const config = await https();
    const first = testUi();
    expect(await hosted(deploy, { config: config.configPath, yes: true }, first.ui, deps(unresolved))).toBe(0);
    const zone = [...fake.state.zones.values()][0]!;
    const [eip] = [...fake.state.addresses.values()];
    expect(first.out()).toContain(`https://${DOMAIN}/`);
    expect(first.out()).toContain(`At the registrar of ${DOMAIN} (once): its NS records must be exactly\n${zone.nameServers.map((ns) => `  ${DOMAIN}. NS ${ns}.`).join('\n')}\n`);

    // before the registrar step: delegation and A record fail, no certificate yet
    const before = testUi({ json: true });
    expect(await hosted(status, { config: config.configPath }, before.ui, deps(unresolved))).toBe(1);
    const checks = (t: ReturnType<typeof testUi>) => Object.fromEntries(JSON.parse(t.out()).checks.map((c: { name: string; ok: boolean; detail: string }) => [c.name, c]));
    expect(checks(before)['DNS delegation']).toMatchObject({ ok: false, detail: expect.stringContaining(`set at the registrar: ${[...zone.nameServers].sort().join(' ')}`) });
    expect(checks(before)['DNS A record'].ok).toBe(false);
    expect(checks(before)['HTTPS certificate']).toMatchObject({ ok: false, detail: expect.stringMatching(/^not issued yet/) });

    // delegated, resolving, and a certificate with 10 days left: only the certificate fails
    const delegated: DnsLookup = { resolveNs: async () => zone.nameServers.map((n) => `${n.toUpperCase()}.`), resolve4: async () => [eip.PublicIp] };
    const notAfter = new Date(Date.now() + 10.5 * 86_400_000).toISOString();
    const certStatus = (n: string) => fake.state.buckets.get('sorriso-prod-data')!.objects.set('tls/status.json', [{ body: Buffer.from(JSON.stringify({ domain: DOMAIN, issuer: 'R11', notAfter: n, failures: 0 })), versionId: 'v1' }]);
    certStatus(notAfter);
    const close = testUi({ json: true });
    expect(await hosted(status, { config: config.configPath }, close.ui, deps(delegated))).toBe(1);
    expect(checks(close)['DNS delegation'].ok).toBe(true);
    expect(checks(close)['DNS A record']).toMatchObject({ ok: true, detail: `${DOMAIN} → ${eip.PublicIp} (the Elastic IP)` });
    expect(checks(close)['HTTPS certificate']).toMatchObject({ ok: false, detail: `R11, expires ${notAfter.slice(0, 10)} (10 days)` });

    certStatus(new Date(Date.now() + 60.5 * 86_400_000).toISOString());
    fake.state.identities.set('lembretes@clinicasorriso.com.br', 'Success');
    const fine = testUi({ json: true });
    const code = await hosted(status, { config: config.configPath }, fine.ui, deps(delegated));
    expect(JSON.parse(fine.out()).checks.filter((c: { ok: boolean }) => c.ok === false)).toEqual([]);
    expect(JSON.parse(fine.out()).plan.steps.filter((s: { action: string }) => s.action !== "no-change")).toEqual([]);
    expect(code).toBe(0);
    expect(checks(fine)['HTTPS certificate'].ok).toBe(true);
    expect(checks(fine)['backend /health'].detail).toMatch(new RegExp(`^https://${DOMAIN}/health ok`));
  });
});

const unresolved: DnsLookup = {
  resolveNs: async () => {
    throw Object.assign(new Error('queryNs ENOTFOUND'), { code: 'ENOTFOUND' });
  },
  resolve4: async () => {
    throw Object.assign(new Error('queryA ENOTFOUND'), { code: 'ENOTFOUND' });
  },
};

describe('destroy whatever the config says now', () => {
  it('works without network.domain or plainHttp, and still releases the stage\'s Elastic IP (it is billed)', async () => {
    await apply(await planDeploy(await openTestInfra(fake, await https())));
    const bare = await testConfig({ network: { clinicCidrs: [CLINIC_CIDR], trustedProxies: [], serverPort: 8080, plainHttp: false } });
    fake.clear();
    const plan = await planDestroy(await openTestInfra(fake, bare));
    expect(plan.steps.find((s) => s.id === 'elastic-ip')!.action).toBe('delete');
    await apply(plan);
    expect(fake.named('ReleaseAddress')).toHaveLength(1);
    expect(fake.state.addresses.size).toBe(0);
  });
});
