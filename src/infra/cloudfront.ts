/**
 * The public site through CloudFront: the site bucket stays private and a distribution reads it with Origin
 * Access Control (SigV4-signed requests), serves it over HTTPS only (HTTP redirected), compressed, with the
 * site's 404 page and a response headers policy (HSTS, the site's CSP, nosniff, Referrer-Policy). The bucket
 * policy that lets only this distribution read is planned after it (its ARN is its AWS:SourceArn).
 *
 *   origin access control → response headers policy → distribution → site bucket policy
 *
 * Destroy goes backwards: the distribution is disabled, then deleted once AWS has deployed the disabled
 * configuration (minutes; progress is logged and a re-run resumes where Ctrl+C left it), then the headers
 * policy and the OAC, which AWS refuses to delete while a distribution uses them.
 */
import type { CloudFrontClient, DistributionConfig, OriginAccessControlConfig, ResponseHeadersPolicyConfig } from '@aws-sdk/client-cloudfront';
import { ClinicaError } from '../errors.js';
import { awsCall, type InfraContext } from './context.js';
import { arn, fromTagList, toTagList } from './names.js';
import { deleteStep, step, type Change } from './plan.js';
import { policy, samePolicy, type PolicyDocument } from './policy-document.js';
import { resource } from './resource.js';
import { policyAspect } from './s3-bucket.js';
import { tlsOnlyPolicy } from './data-bucket.js';
import { certificateComing } from './site-domain.js';

const cloudfrontSdk = () => import('@aws-sdk/client-cloudfront');

/** The CSP of templates/site/layout.html's meta tag, and frame-ancestors, which only a header can carry. */
export const SITE_CSP = "default-src 'none'; img-src 'self' data:; style-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
/** AWS's managed "CachingOptimized" cache policy: honours the Cache-Control the site's files carry. */
export const CACHING_OPTIMIZED = '658327ea-f89d-4fab-a63d-7e88639e58f6';
const ORIGIN_ID = 'site-bucket';
/** How long a distribution may take to deploy its disabled configuration before destroy gives up (re-run resumes). */
const DISABLE_WAIT_MS = 45 * 60_000;
const DISABLE_POLL_MS = 30_000;

const siteName = (ctx: InfraContext) => ctx.names.siteBucket.replace(/\./g, '-');
const distributionCommentFor = (stage: string, siteBucket: string) => `clinica ${stage}: public site ${siteBucket}`;
export const distributionComment = (ctx: InfraContext) => distributionCommentFor(ctx.config.stage, ctx.names.siteBucket);

/** Canonical JSON (keys sorted, undefined dropped) to compare what AWS returns with what clinica sends. */
function canonical(value: unknown): string {
  const norm = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(norm);
    if (v && typeof v === 'object') {
      return Object.fromEntries(Object.keys(v).sort().filter((k) => (v as Record<string, unknown>)[k] !== undefined).map((k) => [k, norm((v as Record<string, unknown>)[k])]));
    }
    return v;
  };
  return JSON.stringify(norm(value));
}

// --- origin access control ---

export function oacConfig(ctx: InfraContext): OriginAccessControlConfig {
  return {
    Name: siteName(ctx),
    Description: `clinica ${ctx.config.stage}: CloudFront reads the site bucket`,
    SigningProtocol: 'sigv4',
    SigningBehavior: 'always',
    OriginAccessControlOriginType: 's3',
  };
}

/** A CloudFront configuration object found by its name (an OAC, a response headers policy): read, put back, deleted. */
interface NamedConfig<C> {
  id: string;
  kind: string;
  want(ctx: InfraContext): C & { Name?: string };
  /** its id, ETag and configuration, or undefined when there is none of that name */
  find(cf: CloudFrontClient, name: string): Promise<{ id: string; etag?: string; config?: C } | undefined>;
  create(cf: CloudFrontClient, config: C): Promise<string>;
  update(cf: CloudFrontClient, id: string, etag: string | undefined, config: C): Promise<void>;
  /** reads the current ETag and deletes (AWS refuses while a distribution uses it: destroy deletes that first) */
  remove(cf: CloudFrontClient, id: string): Promise<void>;
  /** what differs, for the plan; undefined when nothing clinica sets does */
  drift(actual: C | undefined, want: C): string | undefined;
  remember(ctx: InfraContext, id: string): void;
  createWhy: string;
  upToDateWhy: string;
}

export interface ConfigState<C> {
  id?: string;
  etag?: string;
  config?: C;
}

function namedConfig<C>(spec: NamedConfig<C>) {
  const label = spec.kind.replace(/^CloudFront /, '');
  return resource<ConfigState<C>>({
    id: spec.id,
    read: (ctx) =>
      awsCall(ctx, `reading the CloudFront ${label}`, async () => {
        const found = await spec.find(ctx.clients.cloudfront, siteName(ctx));
        if (found) spec.remember(ctx, found.id);
        return found ?? {};
      }),
    plan(ctx, state) {
      const want = spec.want(ctx);
      const drift = state.id ? spec.drift(state.config, want) : undefined;
      const changes: Change[] = !state.id
        ? [{ what: 'create', apply: () => awsCall(ctx, `creating the CloudFront ${label}`, async () => spec.remember(ctx, await spec.create(ctx.clients.cloudfront, want))) }]
        : drift
          ? [{ what: drift, apply: () => awsCall(ctx, `updating the CloudFront ${label}`, () => spec.update(ctx.clients.cloudfront, state.id!, state.etag, want)) }]
          : [];
      return step({ id: spec.id, component: 'site', kind: spec.kind, name: state.id ? `${want.Name} (${state.id})` : want.Name!, exists: Boolean(state.id), changes, createWhy: spec.createWhy, upToDateWhy: spec.upToDateWhy });
    },
    destroy(ctx, state) {
      if (!state.id) return undefined;
      return deleteStep({ id: spec.id, component: 'site', kind: spec.kind, name: `${siteName(ctx)} (${state.id})`, why: 'stage destroyed (after the distribution)' }, () =>
        awsCall(ctx, `deleting the CloudFront ${label}`, () => spec.remove(ctx.clients.cloudfront, state.id!)),
      );
    },
  });
}

/** Reads a CloudFront list page by page (Marker → NextMarker) until a page has what is looked for. */
async function findInPages<T>(page: (marker: string | undefined) => Promise<{ found?: T; next?: string }>): Promise<T | undefined> {
  let marker: string | undefined;
  for (;;) {
    const { found, next } = await page(marker);
    if (found || !next) return found;
    marker = next;
  }
}

export const siteOac = namedConfig<OriginAccessControlConfig>({
  id: 'site-oac',
  kind: 'CloudFront origin access control',
  want: oacConfig,
  async find(cf, name) {
    const { ListOriginAccessControlsCommand, GetOriginAccessControlConfigCommand } = await cloudfrontSdk();
    const id = await findInPages(async (Marker) => {
      const list = (await cf.send(new ListOriginAccessControlsCommand({ Marker }))).OriginAccessControlList;
      return { found: list?.Items?.find((o) => o.Name === name)?.Id, next: list?.NextMarker };
    });
    if (!id) return undefined;
    const out = await cf.send(new GetOriginAccessControlConfigCommand({ Id: id }));
    return { id, etag: out.ETag, config: out.OriginAccessControlConfig };
  },
  async create(cf, config) {
    const { CreateOriginAccessControlCommand } = await cloudfrontSdk();
    return (await cf.send(new CreateOriginAccessControlCommand({ OriginAccessControlConfig: config }))).OriginAccessControl!.Id!;
  },
  async update(cf, id, etag, config) {
    const { UpdateOriginAccessControlCommand } = await cloudfrontSdk();
    await cf.send(new UpdateOriginAccessControlCommand({ Id: id, IfMatch: etag, OriginAccessControlConfig: config }));
  },
  async remove(cf, id) {
    const { DeleteOriginAccessControlCommand, GetOriginAccessControlCommand } = await cloudfrontSdk();
    const now = await cf.send(new GetOriginAccessControlCommand({ Id: id }));
    await cf.send(new DeleteOriginAccessControlCommand({ Id: id, IfMatch: now.ETag }));
  },
  drift: (actual, want) =>
    canonical(actual) === canonical(want) ? undefined : `signing ${actual?.SigningBehavior ?? '?'}/${actual?.SigningProtocol ?? '?'} → ${want.SigningBehavior}/${want.SigningProtocol}`,
  remember: (ctx, id) => void (ctx.facts.siteOacId = id),
  createWhy: 'does not exist: create it (SigV4, always sign; free)',
  upToDateWhy: 'SigV4, always signs',
});

// --- response headers policy ---

export function headersPolicyConfig(ctx: InfraContext): ResponseHeadersPolicyConfig {
  return {
    Name: siteName(ctx),
    Comment: `clinica ${ctx.config.stage}: security headers of the public site`,
    SecurityHeadersConfig: {
      StrictTransportSecurity: { Override: true, AccessControlMaxAgeSec: 63072000, IncludeSubdomains: false, Preload: false },
      ContentSecurityPolicy: { Override: true, ContentSecurityPolicy: SITE_CSP },
      ContentTypeOptions: { Override: true },
      ReferrerPolicy: { Override: true, ReferrerPolicy: 'strict-origin-when-cross-origin' },
      FrameOptions: { Override: true, FrameOption: 'DENY' },
    },
  };
}


export const siteHeaders = namedConfig<ResponseHeadersPolicyConfig>({
  id: 'site-headers',
  kind: 'CloudFront response headers policy',
  want: headersPolicyConfig,
  async find(cf, name) {
    const { ListResponseHeadersPoliciesCommand, GetResponseHeadersPolicyConfigCommand } = await cloudfrontSdk();
    const id = await findInPages(async (Marker) => {
      const list = (await cf.send(new ListResponseHeadersPoliciesCommand({ Type: 'custom', Marker }))).ResponseHeadersPolicyList;
      return { found: list?.Items?.find((p) => p.ResponseHeadersPolicy?.ResponseHeadersPolicyConfig?.Name === name)?.ResponseHeadersPolicy?.Id, next: list?.NextMarker };
    });
    if (!id) return undefined;
    const out = await cf.send(new GetResponseHeadersPolicyConfigCommand({ Id: id }));
    return { id, etag: out.ETag, config: out.ResponseHeadersPolicyConfig };
  },
  async create(cf, config) {
    const { CreateResponseHeadersPolicyCommand } = await cloudfrontSdk();
    return (await cf.send(new CreateResponseHeadersPolicyCommand({ ResponseHeadersPolicyConfig: config }))).ResponseHeadersPolicy!.Id!;
  },
  async update(cf, id, etag, config) {
    const { UpdateResponseHeadersPolicyCommand } = await cloudfrontSdk();
    await cf.send(new UpdateResponseHeadersPolicyCommand({ Id: id, IfMatch: etag, ResponseHeadersPolicyConfig: config }));
  },
  async remove(cf, id) {
    const { DeleteResponseHeadersPolicyCommand, GetResponseHeadersPolicyCommand } = await cloudfrontSdk();
    const now = await cf.send(new GetResponseHeadersPolicyCommand({ Id: id }));
    await cf.send(new DeleteResponseHeadersPolicyCommand({ Id: id, IfMatch: now.ETag }));
  },
  drift: (actual, want) =>
    canonical(actual?.SecurityHeadersConfig) === canonical(want.SecurityHeadersConfig) ? undefined : 'security headers changed by hand → HSTS, CSP, nosniff, Referrer-Policy, frame DENY',
  remember: (ctx, id) => void (ctx.facts.siteHeadersPolicyId = id),
  createWhy: 'does not exist: create it (HSTS, CSP, nosniff, Referrer-Policy; free)',
  upToDateWhy: 'HSTS, CSP, nosniff, Referrer-Policy',
});

// --- the distribution ---

/** The parts of the distribution's configuration clinica decides; the rest (CallerReference, logging…) is kept. */
export function distributionSettings(ctx: InfraContext, ids: { oac: string; headers: string; certificateArn?: string }) {
  const domain = ctx.config.site?.domain;
  const errorPage = (ErrorCode: number) => ({ ErrorCode, ResponsePagePath: '/404.html', ResponseCode: '404', ErrorCachingMinTTL: 60 });
  return {
    Comment: distributionComment(ctx),
    Enabled: true,
    // the name is served only with its own certificate (CloudFront refuses an alias on the default one)
    Aliases: domain && ids.certificateArn ? { Quantity: 1, Items: [domain] } : { Quantity: 0 },
    DefaultRootObject: 'index.html',
    Origins: {
      Quantity: 1,
      Items: [
        {
          Id: ORIGIN_ID,
          DomainName: `${ctx.names.siteBucket}.s3.${ctx.arns.region}.amazonaws.com`,
          OriginPath: '',
          CustomHeaders: { Quantity: 0 },
          S3OriginConfig: { OriginAccessIdentity: '' },
          OriginAccessControlId: ids.oac,
        },
      ],
    },
    DefaultCacheBehavior: {
      TargetOriginId: ORIGIN_ID,
      ViewerProtocolPolicy: 'redirect-to-https' as const,
      AllowedMethods: { Quantity: 2, Items: ['GET' as const, 'HEAD' as const], CachedMethods: { Quantity: 2, Items: ['GET' as const, 'HEAD' as const] } },
      Compress: true,
      CachePolicyId: CACHING_OPTIMIZED,
      ResponseHeadersPolicyId: ids.headers,
    },
    // S3 answers 403 for a missing key when the reader may not list the bucket: both are the site's 404 page
    CustomErrorResponses: { Quantity: 2, Items: [errorPage(403), errorPage(404)] },
    ViewerCertificate: ids.certificateArn
      ? { ACMCertificateArn: ids.certificateArn, SSLSupportMethod: 'sni-only' as const, MinimumProtocolVersion: 'TLSv1.2_2021' as const }
      : // AWS fixes the policy of the *.cloudfront.net certificate at TLSv1; browsers negotiate TLS 1.2+ anyway
        { CloudFrontDefaultCertificate: true, MinimumProtocolVersion: 'TLSv1' as const },
    HttpVersion: 'http2and3' as const,
    IsIPV6Enabled: true,
    PriceClass: 'PriceClass_All' as const,
  };
}

type Settings = ReturnType<typeof distributionSettings>;

/** What differs between the distribution's configuration and clinica's, by field, for the plan. */
export function distributionDrift(actual: DistributionConfig, want: Settings): string[] {
  const pick = (c: object, keys: string[]) => Object.fromEntries(keys.map((k) => [k, (c as Record<string, unknown>)[k]]));
  const behaviourKeys = ['TargetOriginId', 'ViewerProtocolPolicy', 'Compress', 'CachePolicyId', 'ResponseHeadersPolicyId'];
  const originKeys = ['Id', 'DomainName', 'OriginAccessControlId'];
  const viewerKeys = ['ACMCertificateArn', 'SSLSupportMethod', 'MinimumProtocolVersion', 'CloudFrontDefaultCertificate'];
  const checks: [string, unknown, unknown][] = [
    ['enabled', actual.Enabled, want.Enabled],
    ['aliases', actual.Aliases?.Items ?? [], want.Aliases.Items ?? []],
    ['default root object', actual.DefaultRootObject, want.DefaultRootObject],
    ['origin', (actual.Origins?.Items ?? []).map((o) => pick(o, originKeys)), want.Origins.Items.map((o) => pick(o, originKeys))],
    ['cache behaviour', pick(actual.DefaultCacheBehavior ?? {}, behaviourKeys), pick(want.DefaultCacheBehavior, behaviourKeys)],
    ['error pages', actual.CustomErrorResponses?.Items ?? [], want.CustomErrorResponses.Items],
    ['certificate', pick(actual.ViewerCertificate ?? {}, viewerKeys), pick(want.ViewerCertificate, viewerKeys)],
    ['HTTP version', actual.HttpVersion, want.HttpVersion],
    ['IPv6', actual.IsIPV6Enabled, want.IsIPV6Enabled],
    ['price class', actual.PriceClass, want.PriceClass],
  ];
  return checks.filter(([, a, w]) => canonical(a) !== canonical(w)).map(([name]) => name);
}

export interface DistributionState {
  id?: string;
  arn?: string;
  domainName?: string;
  status?: string;
  etag?: string;
  config?: DistributionConfig;
  tags?: Record<string, string>;
}

const distributionArn = (ctx: InfraContext, id: string) => `arn:${ctx.arns.partition}:cloudfront::${ctx.arns.account}:distribution/${id}`;

async function findDistribution(ctx: InfraContext): Promise<DistributionState> {
  const { GetDistributionCommand, ListTagsForResourceCommand } = await cloudfrontSdk();
  const cf = ctx.clients.cloudfront;
  const found = await siteDistributionId(cf, ctx.config.stage, ctx.names.siteBucket);
  if (!found) return {};
  const arnOf = distributionArn(ctx, found.id);
  const [got, tags] = await Promise.all([cf.send(new GetDistributionCommand({ Id: found.id })), cf.send(new ListTagsForResourceCommand({ Resource: arnOf }))]);
  const d = got.Distribution!;
  const state = { id: found.id, arn: d.ARN ?? arnOf, domainName: d.DomainName, status: d.Status, etag: got.ETag, config: d.DistributionConfig, tags: fromTagList(tags.Tags?.Items) };
  ctx.facts.distribution = { id: found.id, arn: state.arn, domainName: state.domainName ?? '' };
  return state;
}

/** Disables the distribution, waits until AWS has deployed that, and deletes it; a re-run picks up where it stopped. */
async function disableAndDelete(ctx: InfraContext, id: string): Promise<void> {
  const { GetDistributionCommand, UpdateDistributionCommand, DeleteDistributionCommand } = await cloudfrontSdk();
  const cf = ctx.clients.cloudfront;
  let got = await cf.send(new GetDistributionCommand({ Id: id }));
  if (got.Distribution?.DistributionConfig?.Enabled) {
    ctx.log.info(`disabling the CloudFront distribution ${id} (AWS takes minutes to deploy that; Ctrl+C is safe: \`clinica destroy\` resumes)`);
    await cf.send(new UpdateDistributionCommand({ Id: id, IfMatch: got.ETag, DistributionConfig: { ...got.Distribution.DistributionConfig, Enabled: false } }));
    got = await cf.send(new GetDistributionCommand({ Id: id }));
  }
  const started = Date.now();
  let waited = 0;
  while (got.Distribution?.Status !== 'Deployed') {
    if (waited >= DISABLE_WAIT_MS) {
      throw new ClinicaError('unavailable', `the CloudFront distribution ${id} is still deploying its disabled configuration after ${Math.round(waited / 60_000)} minutes`, {
        hint: 'run `clinica destroy` again later: it resumes with the deletion',
      });
    }
    ctx.log.info(`waiting for CloudFront to disable the distribution ${id} (${Math.round((Date.now() - started) / 60_000)} min so far; usually under 15)`);
    await ctx.sleep(DISABLE_POLL_MS);
    waited += DISABLE_POLL_MS;
    got = await cf.send(new GetDistributionCommand({ Id: id }));
  }
  await cf.send(new DeleteDistributionCommand({ Id: id, IfMatch: got.ETag }));
}

export const siteDistribution = resource<DistributionState>({
  id: 'site-distribution',
  read: (ctx) => awsCall(ctx, 'reading the CloudFront distribution', () => findDistribution(ctx)),
  plan(ctx, state, stage) {
    const ids = () => ({ oac: ctx.facts.siteOacId!, headers: ctx.facts.siteHeadersPolicyId!, certificateArn: ctx.facts.siteCertificateArn });
    const base = { id: 'site-distribution', component: 'site' as const, kind: 'CloudFront distribution' };
    const https = ctx.config.site?.domain ? `https://${ctx.config.site.domain}/` : state.domainName ? `https://${state.domainName}/` : 'its https://….cloudfront.net/ name';
    if (!state.id) {
      const create: Change = {
        what: 'create',
        apply: () =>
          awsCall(ctx, 'creating the CloudFront distribution', async () => {
            const { CreateDistributionWithTagsCommand } = await cloudfrontSdk();
            const out = await ctx.clients.cloudfront.send(
              new CreateDistributionWithTagsCommand({
                DistributionConfigWithTags: {
                  DistributionConfig: { CallerReference: `clinica-${ctx.config.stage}-${Date.now()}`, ...distributionSettings(ctx, ids()) },
                  Tags: { Items: toTagList(ctx.tags('site')) },
                },
              }),
            );
            const d = out.Distribution!;
            ctx.facts.distribution = { id: d.Id!, arn: d.ARN ?? distributionArn(ctx, d.Id!), domainName: d.DomainName ?? '' };
          }),
      };
      return step({ ...base, name: distributionComment(ctx), exists: false, changes: [create], createWhy: `does not exist: create it, HTTPS only at ${https} (free tier: 1 TB and 10 million requests a month; US$0 for a clinic's site)` });
    }
    // ids known only after an earlier step of this deploy created them are compared as "the ones clinica uses"
    const certificateArn = ctx.facts.siteCertificateArn ?? (certificateComing(stage) ? '(new)' : undefined);
    const want = distributionSettings(ctx, { oac: ctx.facts.siteOacId ?? '(new)', headers: ctx.facts.siteHeadersPolicyId ?? '(new)', certificateArn });
    const drift = distributionDrift(state.config!, want);
    const update: Change = {
      what: `${drift.join(', ')} changed → as clinica sets them`,
      apply: () =>
        awsCall(ctx, `updating the CloudFront distribution ${state.id}`, async () => {
          const { UpdateDistributionCommand } = await cloudfrontSdk();
          const settings = distributionSettings(ctx, ids());
          await ctx.clients.cloudfront.send(new UpdateDistributionCommand({ Id: state.id, IfMatch: state.etag, DistributionConfig: { ...state.config!, ...settings } }));
        }),
    };
    return step({ ...base, name: `${state.id} (${state.domainName})`, exists: true, changes: drift.length ? [update] : [], upToDateWhy: `HTTPS only at ${https}${state.status === 'InProgress' ? ' (AWS still deploying a change)' : ''}` });
  },
  destroy(ctx, state) {
    if (!state.id) return undefined;
    const why = state.config?.Enabled ? 'stage destroyed: disable it, wait until AWS has (minutes), then delete it' : 'stage destroyed: already disabled; delete it once AWS has deployed that';
    return deleteStep({ id: 'site-distribution', component: 'site', kind: 'CloudFront distribution', name: `${state.id} (${state.domainName})`, why }, () =>
      awsCall(ctx, `deleting the CloudFront distribution ${state.id}`, () => disableAndDelete(ctx, state.id!)),
    );
  },
  owner: (ctx, state) => ({ what: `CloudFront distribution ${state.id ?? distributionComment(ctx)}`, tags: state.id ? (state.tags ?? {}) : undefined }),
});

// --- the site bucket's policy: only this distribution reads, over TLS ---

export function siteBucketPolicy(ctx: InfraContext, distributionArnValue: string): PolicyDocument {
  const bucket = ctx.names.siteBucket;
  return policy(
    {
      Sid: 'CloudFrontReadsSite',
      Effect: 'Allow',
      Principal: { Service: 'cloudfront.amazonaws.com' },
      Action: 's3:GetObject',
      Resource: arn.objects(ctx.arns, bucket),
      Condition: { StringEquals: { 'AWS:SourceArn': distributionArnValue } },
    },
    ...tlsOnlyPolicy(ctx, bucket).Statement,
  );
}

/** After the distribution: its ARN is in the policy. Destroy leaves it to the bucket's deletion. */
export const siteBucketPolicyResource = resource<{ policy?: unknown; exists: boolean }>({
  id: 'site-bucket-policy',
  async read(ctx, stage) {
    if (stage.mode === 'destroy') return { exists: false };
    const bucket = await stage.state<{ state: { exists: boolean } }>('site-bucket');
    if (!bucket.state.exists) return { exists: false };
    const aspect = policyAspect(policy(), 'site');
    return awsCall(ctx, `reading the policy of ${ctx.names.siteBucket}`, async () => ({ exists: true, policy: await aspect.read(ctx.clients.s3, ctx.names.siteBucket) }));
  },
  plan(ctx, state) {
    const known = ctx.facts.distribution?.arn;
    const want = siteBucketPolicy(ctx, known ?? distributionArn(ctx, 'NEW'));
    const same = known !== undefined && samePolicy(state.policy, want);
    const put: Change = {
      what: state.policy === undefined ? 'none → only the distribution reads, TLS only' : 'changed by hand → only the distribution reads, TLS only',
      apply: () =>
        awsCall(ctx, `setting the policy of ${ctx.names.siteBucket}`, async () => {
          const aspect = policyAspect(siteBucketPolicy(ctx, ctx.facts.distribution!.arn), 'site');
          await aspect.apply(ctx.clients.s3, ctx.names.siteBucket);
        }),
    };
    return step({
      id: 'site-bucket-policy',
      component: 'site',
      kind: 'S3 bucket policy',
      name: ctx.names.siteBucket,
      exists: state.policy !== undefined,
      changes: same ? [] : [put],
      createWhy: 'none: only the CloudFront distribution may read (AWS:SourceArn), TLS only',
      upToDateWhy: 'only the CloudFront distribution reads, TLS only',
    });
  },
  destroy: () => undefined,
});

/** The CloudFront paths a changed site file is served at: "index.html" is also "/", "x/index.html" also "/x/". */
export function invalidationPaths(files: string[]): string[] {
  const served = (p: string) => (p === 'index.html' ? ['/', '/index.html'] : p.endsWith('/index.html') ? [`/${p.slice(0, -'index.html'.length)}`, `/${p}`] : [`/${p}`]);
  return [...new Set(files.flatMap(served))].sort();
}

/** Invalidates exactly the paths of these changed files; nothing when none changed. Returns the paths. */
export async function invalidateSite(cf: CloudFrontClient, distributionId: string, files: string[]): Promise<string[]> {
  const items = invalidationPaths(files);
  if (!items.length) return items;
  const { CreateInvalidationCommand } = await cloudfrontSdk();
  await cf.send(new CreateInvalidationCommand({ DistributionId: distributionId, InvalidationBatch: { CallerReference: `clinica-${Date.now()}`, Paths: { Quantity: items.length, Items: items } } }));
  return items;
}

/** For `clinica site publish`: the stage's distribution (found by its comment), if deploy made one. */
export async function siteDistributionId(cf: CloudFrontClient, stage: string, siteBucket: string): Promise<{ id: string; domainName?: string } | undefined> {
  const { ListDistributionsCommand } = await cloudfrontSdk();
  const comment = distributionCommentFor(stage, siteBucket);
  const found = await findInPages(async (Marker) => {
    const list = (await cf.send(new ListDistributionsCommand({ Marker }))).DistributionList;
    return { found: list?.Items?.find((d) => d.Comment === comment && d.Id), next: list?.IsTruncated ? list.NextMarker : undefined };
  });
  return found ? { id: found.Id!, domainName: found.DomainName } : undefined;
}
