/**
 * The staff page's name in Route 53 (only with network.domain): a public hosted zone that the clinic delegates
 * once at its registrar — the whole domain, or only the subdomain (NS records for sistema.x.com.br) — reused
 * when the account already holds a zone for the name or a parent of it; and the A record of network.domain on
 * the Elastic IP. Destroy removes the A record, and the zone only when clinica made it and it holds nothing
 * else (the instance's _acme-challenge record is removed by the instance after each validation).
 */
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { findHostedZone, fqdn } from '../aws/route53.js';
import { awsCall, type InfraContext } from './context.js';
import { foreignOwner, missingTags, toTagList } from './names.js';
import { deleteStep, keepStep, step, type Change } from './plan.js';
import { resource } from './resource.js';
import { httpsDomain } from './serving.js';
import type { ElasticIpState } from './elastic-ip.js';
import type { SiteCertificateState } from './site-domain.js';

const route53Sdk = () => import('@aws-sdk/client-route-53');
const bare = (id: string) => id.replace(/^\/hostedzone\//, '');

export interface ZoneState {
  /** the domain served (network.domain) */
  domain: string;
  id?: string;
  /** the zone's name: the domain itself when clinica makes it */
  name: string;
  nameServers: string[];
  tags: Record<string, string>;
  records: ResourceRecordSet[];
}

/** The public zone holding `domain` (the longest matching name) with its tags and records, or none (no id). */
export async function readZone(ctx: InfraContext, domain: string): Promise<ZoneState> {
  const { GetHostedZoneCommand, ListTagsForResourceCommand, ListResourceRecordSetsCommand } = await route53Sdk();
  const route53 = ctx.clients.route53;
  return awsCall(ctx, `reading the Route 53 zone of ${domain}`, async () => {
    const found = await findHostedZone(route53, domain);
    if (!found) return { domain, name: domain, nameServers: [], tags: {}, records: [] };
    const [zone, tags, records] = await Promise.all([
      route53.send(new GetHostedZoneCommand({ Id: found.id })),
      route53.send(new ListTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: found.id })),
      (async () => {
        const all: ResourceRecordSet[] = [];
        let start: { StartRecordName?: string; StartRecordType?: ResourceRecordSet['Type'] } = {};
        for (;;) {
          const page = await route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: found.id, ...start }));
          all.push(...(page.ResourceRecordSets ?? []));
          if (!page.IsTruncated) return all;
          start = { StartRecordName: page.NextRecordName, StartRecordType: page.NextRecordType };
        }
      })(),
    ]);
    const tagMap = Object.fromEntries((tags.ResourceTagSet?.Tags ?? []).map((t) => [t.Key!, t.Value ?? '']));
    return { domain, id: found.id, name: found.name, nameServers: zone.DelegationSet?.NameServers ?? [], tags: tagMap, records };
  });
}

/** Made by clinica for this stage (its tags), as opposed to a zone of the account reused as it is. */
const madeByUs = (ctx: InfraContext, z: ZoneState) => z.id !== undefined && missingTags(z.tags, ctx.tags('server')).length === 0;

/**
 * Records clinica did not write: anything but the zone's own SOA/NS, the A record, the ACME TXT record, and
 * `also` (the public site's alias and certificate validation records, as "<name><type>").
 */
export function foreignRecords(z: ZoneState, also: string[] = []): ResourceRecordSet[] {
  const own = new Set([`${fqdn(z.domain)}A`, `_acme-challenge.${fqdn(z.domain)}TXT`, ...also]);
  return z.records.filter((r) => !(r.Name === fqdn(z.name) && (r.Type === 'SOA' || r.Type === 'NS')) && !own.has(`${r.Name}${r.Type}`));
}

/** The public site's records in this zone (src/infra/site-domain.ts): its alias A/AAAA and the certificate's validation CNAME. */
const siteRecordKeys = (site: SiteCertificateState | undefined): string[] =>
  site ? [`${fqdn(site.domain)}A`, `${fqdn(site.domain)}AAAA`, ...(site.cert?.validation ? [`${fqdn(site.cert.validation.Name)}CNAME`] : [])] : [];

export const hostedZone = resource<ZoneState | undefined>({
  id: 'hosted-zone',
  read: async (ctx) => {
    const domain = httpsDomain(ctx.config);
    if (!domain) return undefined;
    const z = await readZone(ctx, domain);
    if (z.id) Object.assign(ctx.facts, { hostedZoneId: z.id, zoneName: z.name, nameServers: z.nameServers });
    return z;
  },
  plan(ctx, z) {
    if (!z) return undefined;
    const base = { id: 'hosted-zone', component: 'server' as const, kind: 'Route 53 zone' };
    if (z.id) {
      const foreign = foreignOwner(z.tags, ctx.tags('server'));
      const why = `${z.name} (${z.id}), name servers ${z.nameServers.join(' ')}${madeByUs(ctx, z) ? '' : foreign ? `; reused (${foreign})` : '; reused as it is (not clinica\'s: destroy keeps it)'}`;
      return step({ ...base, name: z.name, exists: true, changes: [], upToDateWhy: why });
    }
    const create: Change = {
      what: 'create',
      apply: () =>
        awsCall(ctx, `creating the Route 53 zone ${z.domain}`, async () => {
          const { CreateHostedZoneCommand, ChangeTagsForResourceCommand } = await route53Sdk();
          const out = await ctx.clients.route53.send(
            new CreateHostedZoneCommand({
              Name: z.domain,
              CallerReference: `clinica-${ctx.config.stage}-${Date.now()}`,
              HostedZoneConfig: { Comment: `clinica ${ctx.config.stage}: the staff page's name`, PrivateZone: false },
            }),
          );
          const id = bare(out.HostedZone!.Id!);
          ctx.facts.hostedZoneId = id;
          ctx.facts.zoneName = z.domain;
          ctx.facts.nameServers = out.DelegationSet?.NameServers ?? [];
          await ctx.clients.route53.send(new ChangeTagsForResourceCommand({ ResourceType: 'hostedzone', ResourceId: id, AddTags: toTagList(ctx.tags('server')) }));
        }),
    };
    return step({ ...base, name: z.domain, exists: false, changes: [create], createWhy: `does not exist: create it (US$0.50/month), then set its NS records at the registrar (printed after deploy)` });
  },
  destroy(ctx, z, stage) {
    if (!z?.id) return undefined;
    const base = { id: 'hosted-zone', component: 'server' as const, kind: 'Route 53 zone', name: `${z.name} (${z.id})` };
    if (!madeByUs(ctx, z)) return keepStep({ ...base, why: 'kept: not made by clinica' });
    const others = foreignRecords(z, siteRecordKeys(stage.state<SiteCertificateState | undefined>('site-certificate')));
    if (others.length) return keepStep({ ...base, why: `kept: it holds records clinica did not write (${others.map((r) => `${r.Name} ${r.Type}`).join(', ')})` });
    return deleteStep({ ...base, why: 'stage destroyed (after its A record)' }, () =>
      awsCall(ctx, `deleting the Route 53 zone ${z.name}`, async () => {
        const { DeleteHostedZoneCommand } = await route53Sdk();
        await ctx.clients.route53.send(new DeleteHostedZoneCommand({ Id: z.id }));
      }),
    );
  },
});

/** One record change in a zone (by default the staff page's). */
export async function changeRecord(ctx: InfraContext, action: 'UPSERT' | 'DELETE', set: ResourceRecordSet, zoneId = ctx.facts.hostedZoneId): Promise<void> {
  const { ChangeResourceRecordSetsCommand } = await route53Sdk();
  await ctx.clients.route53.send(
    new ChangeResourceRecordSetsCommand({ HostedZoneId: zoneId, ChangeBatch: { Comment: `clinica ${ctx.config.stage}`, Changes: [{ Action: action, ResourceRecordSet: set }] } }),
  );
}

export const aRecord = (name: string, ip: string): ResourceRecordSet => ({ Name: fqdn(name), Type: 'A', TTL: 300, ResourceRecords: [{ Value: ip }] });

/** The A record of network.domain → the Elastic IP, in the zone above. */
export const staffRecord = resource<ResourceRecordSet | undefined>({
  id: 'dns-record',
  read: async (ctx, stage) => {
    const z = await stage.state<ZoneState | undefined>('hosted-zone');
    return z?.records.find((r) => r.Name === fqdn(z.domain) && r.Type === 'A');
  },
  plan(ctx, actual, stage) {
    const z = stage.state<ZoneState | undefined>('hosted-zone');
    if (!z) return undefined;
    const eip = stage.state<ElasticIpState | undefined>('elastic-ip');
    const want = eip?.address?.PublicIp;
    const now = actual?.ResourceRecords?.map((r) => r.Value).join(',');
    const upsert: Change = {
      what: actual ? `A ${now} → ${want ?? 'the new Elastic IP'}` : 'create',
      apply: () => awsCall(ctx, `writing the A record of ${z.domain}`, () => changeRecord(ctx, 'UPSERT', aRecord(z.domain, ctx.facts.elasticIp!.publicIp))),
    };
    const same = actual && want && now === want && actual.TTL === 300;
    return step({
      id: 'dns-record',
      component: 'server',
      kind: 'DNS A record',
      name: z.domain,
      exists: Boolean(actual),
      changes: same ? [] : [upsert],
      createWhy: `does not exist: ${z.domain} → ${want ?? 'the Elastic IP'}`,
      upToDateWhy: `→ ${want}`,
    });
  },
  destroy(ctx, actual) {
    if (!actual) return undefined;
    return deleteStep({ id: 'dns-record', component: 'server', kind: 'DNS A record', name: actual.Name!.replace(/\.$/, ''), why: 'stage destroyed' }, () =>
      awsCall(ctx, `deleting the A record ${actual.Name}`, () => changeRecord(ctx, 'DELETE', actual)),
    );
  },
});
