/**
 * The public site on the clinic's own name (site.domain): an ACM certificate in us-east-1 (the only region
 * CloudFront takes certificates from), validated by DNS in the Route 53 zone that holds the name, attached to
 * the distribution (Aliases + ViewerCertificate, in src/infra/cloudfront.ts), and alias A/AAAA records that
 * point the name at the distribution.
 *
 *   site certificate (+ its validation CNAME) → … → distribution → site alias records
 *
 * An ISSUED certificate for the name is reused on every deploy (ACM renews it while the validation CNAME
 * stays); one still pending validation is resumed. Destroy walks back: the alias records are removed and the
 * name detached from the distribution, the distribution goes, then the certificate and its validation record.
 */
import { createHash } from 'node:crypto';
import type { CertificateDetail } from '@aws-sdk/client-acm';
import type { ResourceRecordSet } from '@aws-sdk/client-route-53';
import { fqdn } from '../aws/route53.js';
import { ClinicaError } from '../errors.js';
import { awsCall, isAwsError, type InfraContext } from './context.js';
import { changeRecord, readZone, type ZoneState } from './dns.js';
import { TAG, foreignOwner, fromTagList, toTagList } from './names.js';
import { deleteStep, keepStep, step, type Change } from './plan.js';
import { resource, type StagePlan } from './resource.js';
import { waitFor } from './retry.js';
import type { DistributionState } from './cloudfront.js';

const acmSdk = () => import('@aws-sdk/client-acm');

/** The hosted zone of every CloudFront distribution, as alias targets name it. */
export const CLOUDFRONT_ZONE_ID = 'Z2FDTNDATAQYW2';
/** How long deploy waits for ACM to validate a certificate before it stops with what to check. */
export const ISSUE_WAIT_MS = 20 * 60_000;
const ISSUE_POLL_MS = 20_000;
/** ACM answers ResourceInUse for a while after the distribution that used the certificate is gone. */
const DELETE_WAIT_MS = 10 * 60_000;
const DELETE_POLL_MS = 30_000;

export interface SiteCertificate {
  arn: string;
  status: string;
  notAfter?: string;
  issuer?: string;
  /** the CNAME ACM validates (and renews) the certificate by */
  validation?: { Name: string; Value: string };
  tags: Record<string, string>;
}

export interface SiteCertificateState {
  domain: string;
  /** the public zone holding site.domain, when the account has one */
  zone?: ZoneState;
  /** the staff page's zone that this deploy creates and that will hold site.domain */
  zoneComing?: string;
  cert?: SiteCertificate;
}

/** Whether a zone of this name holds `domain`. */
const holds = (zoneName: string, domain: string) => {
  const z = zoneName.replace(/\.$/, '').toLowerCase();
  const d = domain.toLowerCase();
  return d === z || d.endsWith(`.${z}`);
};

const label = (d: string) => `${d} (us-east-1)`;

function certificateOf(detail: CertificateDetail, tags: Record<string, string>): SiteCertificate {
  const record = detail.DomainValidationOptions?.[0]?.ResourceRecord;
  return {
    arn: detail.CertificateArn!,
    status: detail.Status ?? 'UNKNOWN',
    notAfter: detail.NotAfter ? new Date(detail.NotAfter).toISOString() : undefined,
    issuer: detail.Issuer,
    validation: record?.Name && record.Value ? { Name: record.Name, Value: record.Value } : undefined,
    tags,
  };
}

async function describeCertificate(ctx: InfraContext, arn: string): Promise<CertificateDetail> {
  const { DescribeCertificateCommand } = await acmSdk();
  return (await ctx.clients.acm.send(new DescribeCertificateCommand({ CertificateArn: arn }))).Certificate ?? {};
}

/**
 * The certificate for `domain` to use: an ISSUED one (the latest expiry; this stage's first), else one pending
 * validation. Certificates tagged for another clinic or stage are never picked.
 */
export async function findCertificate(ctx: InfraContext, domain: string): Promise<SiteCertificate | undefined> {
  const { ListCertificatesCommand, ListTagsForCertificateCommand } = await acmSdk();
  const acm = ctx.clients.acm;
  const arns: string[] = [];
  let NextToken: string | undefined;
  do {
    const page = await acm.send(new ListCertificatesCommand({ CertificateStatuses: ['ISSUED', 'PENDING_VALIDATION'], NextToken }));
    arns.push(...(page.CertificateSummaryList ?? []).filter((c) => c.DomainName?.toLowerCase() === domain.toLowerCase() && c.CertificateArn).map((c) => c.CertificateArn!));
    NextToken = page.NextToken;
  } while (NextToken);
  const found = await Promise.all(
    arns.map(async (arn) => {
      const [detail, tags] = await Promise.all([describeCertificate(ctx, arn), acm.send(new ListTagsForCertificateCommand({ CertificateArn: arn }))]);
      return certificateOf(detail, fromTagList(tags.Tags));
    }),
  );
  const wanted = ctx.tags('site');
  // issued first, then this stage's own (tagged), then the one that expires last
  const rank = (c: SiteCertificate) => [c.status === 'ISSUED' ? 1 : 0, c.tags[TAG.stage] ? 1 : 0, c.notAfter ?? ''] as const;
  return found
    .filter((c) => !foreignOwner(c.tags, wanted))
    .sort((a, b) => {
      const [x, y] = [rank(a), rank(b)];
      return y[0] - x[0] || y[1] - x[1] || y[2].localeCompare(x[2]);
    })[0];
}

const validationRecord = (v: { Name: string; Value: string }): ResourceRecordSet => ({ Name: fqdn(v.Name), Type: 'CNAME', TTL: 300, ResourceRecords: [{ Value: v.Value }] });

/** The validation CNAME as the zone holds it, if it does. */
const heldValidation = (s: SiteCertificateState) => s.zone?.records.find((r) => r.Type === 'CNAME' && r.Name === fqdn(s.cert?.validation?.Name ?? '-'));

/** Waits until ACM has issued the certificate; the message says what to check when it does not. */
async function waitIssued(ctx: InfraContext, s: SiteCertificateState, arn: string): Promise<void> {
  try {
    await waitFor(
      async () => {
        const detail = await describeCertificate(ctx, arn);
        if (detail.Status === 'ISSUED') return detail;
        if (detail.Status !== 'PENDING_VALIDATION') {
          throw new ClinicaError('unavailable', `the ACM certificate for ${s.domain} is ${detail.Status}${detail.FailureReason ? ` (${detail.FailureReason})` : ''}`, {
            hint: 'delete it in the ACM console (us-east-1), then run clinica deploy again to request a new one',
          });
        }
        return undefined;
      },
      { what: `the certificate for ${s.domain}`, sleep: ctx.sleep, intervalMs: ISSUE_POLL_MS, timeoutMs: ISSUE_WAIT_MS },
    );
  } catch (err) {
    if (err instanceof ClinicaError && err.message.startsWith('timed out')) {
      const zone = s.zone?.name ?? s.zoneComing ?? 'its zone';
      throw new ClinicaError('unavailable', `the ACM certificate for ${s.domain} is still pending DNS validation after ${ISSUE_WAIT_MS / 60_000} minutes`, {
        hint: `check that the zone ${zone} is delegated to Route 53 at the registrar (clinica status shows the delegation), then run clinica deploy again: it resumes with this certificate`,
        cause: err,
      });
    }
    throw err;
  }
  ctx.facts.siteCertificateArn = arn;
}

/** Requests the certificate and waits for ACM to name its validation record (seconds). */
async function requestCertificate(ctx: InfraContext, domain: string): Promise<SiteCertificate> {
  const { RequestCertificateCommand } = await acmSdk();
  const out = await ctx.clients.acm.send(
    new RequestCertificateCommand({
      DomainName: domain,
      ValidationMethod: 'DNS',
      // a retried request within the hour returns the same certificate instead of a second one
      IdempotencyToken: createHash('sha256').update(`${ctx.config.stage} ${domain}`).digest('hex').slice(0, 32),
      Tags: toTagList(ctx.tags('site')),
    }),
  );
  const arn = out.CertificateArn!;
  return waitFor(
    async () => {
      const cert = certificateOf(await describeCertificate(ctx, arn), ctx.tags('site'));
      return cert.validation ? cert : undefined;
    },
    { what: `ACM to name the validation record of ${domain}`, sleep: ctx.sleep, intervalMs: 2_000, timeoutMs: 120_000 },
  );
}

/** With site.domain: the certificate (found or requested), its validation record, issued before the distribution uses it. */
export const siteCertificate = resource<SiteCertificateState | undefined>({
  id: 'site-certificate',
  async read(ctx, stage) {
    const domain = ctx.config.site?.domain;
    if (!domain) return undefined;
    const managed = await stage.state<ZoneState | undefined>('hosted-zone');
    return awsCall(ctx, `reading the certificate and the zone of ${domain}`, async () => {
      const [zone, cert] = await Promise.all([managed?.id && holds(managed.name, domain) ? managed : readZone(ctx, domain), findCertificate(ctx, domain)]);
      if (cert?.status === 'ISSUED') ctx.facts.siteCertificateArn = cert.arn;
      const zoneComing = !zone.id && managed && !managed.id && holds(managed.domain, domain) ? managed.domain : undefined;
      return { domain, zone: zone.id ? zone : undefined, zoneComing, cert };
    });
  },
  plan(ctx, s, stage) {
    if (!s) return undefined;
    const base = { id: 'site-certificate', component: 'site' as const, kind: 'ACM certificate', name: label(s.domain) };
    if (!s.zone) {
      if (!s.zoneComing) {
        throw new ClinicaError('config', `site.domain ${s.domain} is in no Route 53 zone of this account, so its certificate cannot be validated`, {
          field: 'site.domain',
          hint: `create a public hosted zone for the clinic's domain (e.g. ${s.domain.split('.').slice(1).join('.')}) and set its NS records at the registrar, or remove site.domain to serve the site at its *.cloudfront.net name`,
        });
      }
      stage.warn(`the certificate for ${s.domain} is requested on the next deploy, once the zone ${s.zoneComing} that this deploy creates is delegated (set its NS records at the registrar)`);
      return keepStep({ ...base, why: `waits for the zone ${s.zoneComing} (created by this deploy) to be delegated` });
    }
    const zone = s.zone;
    const writeValidation = (v: { Name: string; Value: string }) => awsCall(ctx, `writing the validation record of ${s.domain}`, () => changeRecord(ctx, 'UPSERT', validationRecord(v), zone.id));
    const cert = s.cert;
    if (!cert) {
      const create: Change = {
        what: 'request',
        apply: () =>
          awsCall(ctx, `requesting the certificate for ${s.domain}`, async () => {
            const made = await requestCertificate(ctx, s.domain);
            await writeValidation(made.validation!);
            ctx.log.info(`waiting for ACM to validate ${s.domain} (usually a few minutes; at most ${ISSUE_WAIT_MS / 60_000})`);
            await waitIssued(ctx, { ...s, cert: made }, made.arn);
          }),
      };
      return step({ ...base, exists: false, changes: [create], createWhy: `does not exist: request it (free), validated by a CNAME in the zone ${zone.name}` });
    }
    const held = heldValidation(s);
    const changes: Change[] = [];
    if (cert.validation && (!held || held.ResourceRecords?.[0]?.Value !== cert.validation.Value)) {
      changes.push({ what: `validation record ${cert.validation.Name} ${held ? 'changed' : 'missing'} (ACM needs it to validate and renew) → CNAME ${cert.validation.Value}`, apply: () => writeValidation(cert.validation!) });
    }
    if (cert.status !== 'ISSUED') {
      changes.push({ what: `${cert.status}: wait until ACM issues it`, apply: () => awsCall(ctx, `waiting for the certificate for ${s.domain}`, () => waitIssued(ctx, s, cert.arn)) });
    }
    return step({ ...base, exists: true, changes, upToDateWhy: certificateSummary(cert) + `, validation CNAME in the zone ${zone.name}` });
  },
  destroy(ctx, s) {
    if (!s?.cert) return undefined;
    const { cert } = s;
    const held = heldValidation(s);
    return deleteStep({ id: 'site-certificate', component: 'site', kind: 'ACM certificate', name: label(s.domain), why: 'stage destroyed (after the distribution): the certificate and its validation record' }, () =>
      awsCall(ctx, `deleting the certificate for ${s.domain}`, async () => {
        const { DeleteCertificateCommand } = await acmSdk();
        await waitFor(
          async () => {
            try {
              await ctx.clients.acm.send(new DeleteCertificateCommand({ CertificateArn: cert.arn }));
              return true;
            } catch (err) {
              if (isAwsError(err, 'ResourceNotFoundException')) return true;
              if (!isAwsError(err, 'ResourceInUseException')) throw err;
              ctx.log.info(`the certificate for ${s.domain} is still in use by CloudFront; trying again in ${DELETE_POLL_MS / 1000} s`);
              return undefined;
            }
          },
          { what: `CloudFront to release the certificate for ${s.domain}`, sleep: ctx.sleep, intervalMs: DELETE_POLL_MS, timeoutMs: DELETE_WAIT_MS },
        );
        if (held && s.zone) await changeRecord(ctx, 'DELETE', held, s.zone.id);
      }),
    );
  },
  owner: (_ctx, s) => ({ what: `ACM certificate ${s?.cert?.arn ?? ''}`, tags: s?.cert ? s.cert.tags : undefined }),
});

/** "ISSUED by Amazon, expires 2027-01-31" */
export const certificateSummary = (c: SiteCertificate) => `${c.status}${c.issuer ? ` by ${c.issuer}` : ''}${c.notAfter ? `, expires ${c.notAfter.slice(0, 10)}` : ''}`;

const aliasRecord = (domain: string, type: 'A' | 'AAAA', target: string): ResourceRecordSet => ({
  Name: fqdn(domain),
  Type: type,
  AliasTarget: { HostedZoneId: CLOUDFRONT_ZONE_ID, DNSName: target, EvaluateTargetHealth: false },
});

const sameName = (a: string | undefined, b: string | undefined) => (a ?? '').toLowerCase().replace(/\.$/, '') === (b ?? '').toLowerCase().replace(/\.$/, '');

/** Whether the certificate step leaves an ISSUED certificate for the distribution (now or once it has run). */
export function certificateComing(stage: Pick<StagePlan, 'planned'>): boolean {
  const planned = stage.planned('site-certificate');
  return Boolean(planned && planned.action !== 'no-change');
}

interface SiteRecordsState {
  site?: SiteCertificateState;
  records: ResourceRecordSet[];
}

/** With site.domain: A and AAAA aliases of the name to the distribution, in the zone that holds it. */
export const siteRecords = resource<SiteRecordsState>({
  id: 'site-records',
  async read(_ctx, stage) {
    const site = await stage.state<SiteCertificateState | undefined>('site-certificate');
    const name = site ? fqdn(site.domain) : '';
    return { site, records: site?.zone?.records.filter((r) => r.Name === name && (r.Type === 'A' || r.Type === 'AAAA')) ?? [] };
  },
  plan(ctx, { site, records }, stage) {
    if (!site?.zone) return undefined;
    const zone = site.zone;
    const base = { id: 'site-records', component: 'site' as const, kind: 'DNS alias records', name: `${site.domain} A/AAAA` };
    if (!ctx.facts.siteCertificateArn && !certificateComing(stage)) return keepStep({ ...base, why: 'wait for the certificate' });
    const target = ctx.facts.distribution?.domainName;
    const wrong = (['A', 'AAAA'] as const).filter((type) => {
      const r = records.find((x) => x.Type === type);
      return !r?.AliasTarget || r.AliasTarget.HostedZoneId !== CLOUDFRONT_ZONE_ID || !target || !sameName(r.AliasTarget.DNSName, target);
    });
    const upsert: Change = {
      what: records.length ? `${wrong.join(', ')} → the distribution ${target ?? ''}`.trim() : 'create',
      apply: () =>
        awsCall(ctx, `writing the alias records of ${site.domain}`, async () => {
          const { ChangeResourceRecordSetsCommand } = await import('@aws-sdk/client-route-53');
          const to = ctx.facts.distribution!.domainName;
          await ctx.clients.route53.send(
            new ChangeResourceRecordSetsCommand({
              HostedZoneId: zone.id,
              ChangeBatch: { Comment: `clinica ${ctx.config.stage}: the public site`, Changes: wrong.map((type) => ({ Action: 'UPSERT' as const, ResourceRecordSet: aliasRecord(site.domain, type, to) })) },
            }),
          );
        }),
    };
    return step({
      ...base,
      exists: records.length > 0,
      changes: wrong.length ? [upsert] : [],
      createWhy: `does not exist: ${site.domain} → the distribution ${target ?? '(new)'} (IPv4 and IPv6; alias queries are free)`,
      upToDateWhy: `→ ${target}`,
    });
  },
  destroy(ctx, { site, records }, stage) {
    const dist = stage.state<DistributionState>('site-distribution');
    if (!site?.zone || !stage.ours('site-distribution')) return undefined;
    const ours = records.filter((r) => dist.domainName && sameName(r.AliasTarget?.DNSName, dist.domainName));
    const attached = dist.config?.Aliases?.Items?.includes(site.domain) ?? false;
    if (!ours.length && !attached) return undefined;
    const zoneId = site.zone.id;
    return deleteStep({ id: 'site-records', component: 'site', kind: 'DNS alias records', name: `${site.domain} A/AAAA`, why: `stage destroyed: remove the aliases, detach ${site.domain} from the distribution` }, () =>
      awsCall(ctx, `removing the alias records of ${site.domain}`, async () => {
        for (const r of ours) await changeRecord(ctx, 'DELETE', r, zoneId);
        if (attached) await detachName(ctx, dist.id!);
      }),
    );
  },
});

/** The distribution back on its own *.cloudfront.net name and certificate (so ACM may delete the clinic's). */
async function detachName(ctx: InfraContext, id: string): Promise<void> {
  const { GetDistributionCommand, UpdateDistributionCommand } = await import('@aws-sdk/client-cloudfront');
  const cf = ctx.clients.cloudfront;
  const got = await cf.send(new GetDistributionCommand({ Id: id }));
  const config = got.Distribution!.DistributionConfig!;
  await cf.send(
    new UpdateDistributionCommand({
      Id: id,
      IfMatch: got.ETag,
      DistributionConfig: { ...config, Aliases: { Quantity: 0 }, ViewerCertificate: { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: 'TLSv1' } },
    }),
  );
}
