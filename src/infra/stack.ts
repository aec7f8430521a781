/**
 * A stage's resources, listed once in dependency order and compared with the config: the plan that deploy
 * applies, deploy --dry-run prints and status checks; destroy walks the same list backwards.
 *
 *   data bucket → backup bucket (second region) → site bucket → site content → Route 53 zone → site certificate
 *   → CloudFront OAC → response headers policy → distribution → site bucket policy → site alias records → IAM roles
 *   → instance profile → replication (data → backup) → log groups → image failure queue → Lambda functions (the
 *   answer page's function URL right after its function, before the reminders that link to it) → image-processor's
 *   on-failure destination → S3 → image-processor events → WhatsApp event topic
 *   → whatsapp-events (only with whatsapp.eventTopicArn)
 *   → server release → (default VPC) → security group → Elastic IP → instance → its Elastic IP
 *   → A record → SES identity → staff invitations   (zone, Elastic IP and A record only with network.domain;
 *   the site certificate and alias records only with site.domain, in the zone that holds it — destroy removes
 *   them before that zone; invitations only for token-only accounts, once SES can send)
 */
import type { InfraContext } from './context.js';
import { dataBucket } from './data-bucket.js';
import { backupBucket, backupReplication, checkBackupKey } from './backup-bucket.js';
import { siteBucket } from './site-bucket.js';
import { siteContent } from './site-content.js';
import { siteBucketPolicyResource, siteDistribution, siteHeaders, siteOac } from './cloudfront.js';
import { siteCertificate, siteRecords, type SiteCertificateState } from './site-domain.js';
import { instanceProfile, roleResource, roleSpecs } from './iam.js';
import { functionResource, functionSpecs, type FunctionState } from './lambdas.js';
import { imageEvents } from './events.js';
import { imageFailureDestination, imageFailureQueue } from './queues.js';
import { answersUrl } from './answers.js';
import { whatsappEvents } from './whatsapp-events.js';
import { logGroupResources } from './logs.js';
import { serverCode } from './server-code.js';
import { instance, network, securityGroup, type InstanceState } from './ec2.js';
import { hostedZone, staffRecord } from './dns.js';
import { elasticIp, elasticIpAssociation } from './elastic-ip.js';
import { sesIdentity, type SesState } from './ses.js';
import { keepStep, type Plan, type Step } from './plan.js';
import type { Found, Mode, Resource, StageActivity } from './resource.js';
import type { OnProgress } from '../progress.js';
import type { BucketRead } from './s3-bucket.js';
import type { BundleName } from './bundle.js';
import { deployableSender } from '../config/mail.js';
import { serving } from './serving.js';
import { staffInvitations } from './staff-invitations.js';
import { ClinicaError } from '../errors.js';
import { TAG, foreignOwner, missingTags } from './names.js';

/** The stage, in deploy order. */
export function stackResources(ctx: InfraContext): Resource<unknown>[] {
  return [
    dataBucket,
    backupBucket,
    siteBucket,
    siteContent,
    hostedZone,
    siteCertificate,
    siteOac,
    siteHeaders,
    siteDistribution,
    siteBucketPolicyResource,
    siteRecords,
    ...roleSpecs(ctx).map(roleResource),
    instanceProfile,
    backupReplication,
    ...logGroupResources(ctx),
    imageFailureQueue,
    ...functionSpecs(ctx).flatMap((spec) => (spec.key === 'answers' ? [functionResource(spec), answersUrl] : [functionResource(spec)])),
    imageFailureDestination,
    imageEvents,
    whatsappEvents,
    serverCode,
    network,
    securityGroup,
    elasticIp,
    instance,
    elasticIpAssociation,
    staffRecord,
    sesIdentity,
    staffInvitations(),
  ] as Resource<unknown>[];
}

/** Reads every resource at once; one that needs another's state waits for that read only. */
async function readStack(ctx: InfraContext, resources: Resource<unknown>[], mode: Mode): Promise<Map<string, unknown>> {
  const reads = new Map<string, Promise<unknown>>();
  const byId = new Map(resources.map((r) => [r.id, r]));
  const stage = {
    mode,
    state<T>(id: string): Promise<T> {
      let read = reads.get(id);
      if (!read) {
        const r = byId.get(id);
        if (!r) throw new ClinicaError('internal', `no resource ${id} in the stack`);
        read = r.read(ctx, stage);
        reads.set(id, read);
      }
      return read as Promise<T>;
    },
  };
  const states = await Promise.all(resources.map((r) => stage.state(r.id)));
  return new Map(resources.map((r, i) => [r.id, states[i]]));
}

const stateOf = (states: Map<string, unknown>) => <T>(id: string) => states.get(id) as T;

/**
 * Whose a resource with one of the stage's names is, for destroy: "ours" only when it carries this clinic's and
 * this stage's tags. Tagged for another clinic or stage → the destroy stops before deleting anything (names can
 * collide: prefix "clinica-x" + stage "a" and prefix "clinica" + stage "x-a" give the same names). Without
 * those tags → someone else's (made by hand, or by another tool): listed in the plan and left alone.
 */
function ownership(ctx: InfraContext, found: [string, Found][]): Map<string, string | undefined> {
  const wanted = ctx.tags('data');
  const notOurs = new Map<string, string | undefined>();
  for (const [id, { what, tags }] of found) {
    if (!tags) continue;
    const foreign = foreignOwner(tags, wanted);
    if (foreign) {
      throw new ClinicaError('conflict', `${what} is tagged ${foreign}: it belongs to another clinic or stage — nothing was destroyed`, {
        hint: 'check aws.bucketPrefix and --stage; clinica only deletes what carries its own clinic and stage tags',
      });
    }
    const missing = missingTags(tags, { [TAG.clinic]: wanted[TAG.clinic]!, [TAG.stage]: wanted[TAG.stage]! });
    notOurs.set(id, missing.length ? `not ours — left alone (it lacks the tags ${missing.join(', ')})` : undefined);
  }
  return notOurs;
}

/** The step itself when its resource is ours; a "left alone" line in the plan when it is not. */
function ifOurs(step: Step | undefined, verdict: string | undefined): Step | undefined {
  if (!step || verdict === undefined) return step;
  return keepStep({ id: step.id, component: step.component, kind: step.kind, name: step.name, why: verdict });
}

export interface Observed {
  instances: InstanceState;
  functions: Map<string, FunctionState>;
  ses: SesState;
  data: BucketRead;
  site: BucketRead;
  /** with site.domain: its ACM certificate and zone */
  siteCertificate?: SiteCertificateState;
}

export interface DeployPlan extends Plan {
  observed: Observed;
}

/** Reads everything and builds the deploy plan. Builds the bundles (in parallel with the reads). */
export async function planDeploy(ctx: InfraContext, options: { onProgress?: OnProgress<StageActivity> } = {}): Promise<DeployPlan> {
  // the reminders' sender becomes an SES identity and the reminders role's only From: set, and not made up
  deployableSender(ctx.config);
  // with SSE-KMS the backup needs a key of its own region, or KMS-encrypted records would never reach it
  checkBackupKey(ctx.config);
  // the staff page is served over HTTPS at network.domain, or over plain HTTP only when the config says so
  const served = serving(ctx.config);
  const progress = options.onProgress ?? (() => {});
  const bundles: BundleName[] = ['image-processor', 'reminders', 'server', 'answers', ...(ctx.config.whatsapp?.eventTopicArn ? (['whatsapp-events'] as const) : [])];
  const building = Promise.all(bundles.map((b) => ctx.bundle(b)));
  building.catch(() => {}); // reported where awaited
  progress({ done: 0, item: { doing: 'read' } });
  const resources = stackResources(ctx);
  const states = await readStack(ctx, resources, 'deploy');
  progress({ done: 0, item: { doing: 'bundle' } });
  await building;
  const warnings: string[] = [];
  const steps: Step[] = [];
  const stage = { state: stateOf(states), planned: (id: string) => steps.find((s) => s.id === id), warn: (text: string) => warnings.push(text), progress };
  for (const r of resources) {
    const s = await r.plan(ctx, states.get(r.id), stage);
    if (s) steps.push(s);
  }
  return {
    stage: ctx.config.stage,
    region: ctx.arns.region,
    account: ctx.arns.account,
    steps,
    warnings,
    plainHttp: !served.https,
    observed: {
      instances: stage.state<InstanceState>(instance.id),
      functions: new Map(functionSpecs(ctx).map((f) => [f.name, stage.state<FunctionState>(`lambda:${f.key}`)])),
      ses: stage.state<SesState>(sesIdentity.id),
      data: stage.state<BucketRead>(dataBucket.id),
      site: stage.state<BucketRead>(siteBucket.id),
      siteCertificate: stage.state<SiteCertificateState | undefined>(siteCertificate.id),
    },
  };
}

export interface DestroyOptions {
  /** delete the data bucket with every patient record and image in it */
  deletePatientData?: boolean;
  /** what it is doing while it reads the stage; then, as the plan is applied, each bucket being emptied */
  onProgress?: OnProgress<StageActivity>;
}

/** The destroy plan: the deploy order reversed; the data bucket kept unless deletePatientData. */
export async function planDestroy(ctx: InfraContext, options: DestroyOptions = {}): Promise<Plan> {
  options.onProgress?.({ done: 0, item: { doing: 'read' } });
  const resources = stackResources(ctx);
  const states = await readStack(ctx, resources, 'destroy');
  const verdicts = ownership(
    ctx,
    resources.flatMap((r) => (r.owner ? [[r.id, r.owner(ctx, states.get(r.id))] as [string, Found]] : [])),
  );
  const stage = {
    state: stateOf(states),
    ours: (id: string) => verdicts.get(id) === undefined,
    deletePatientData: Boolean(options.deletePatientData),
    progress: options.onProgress,
  };
  const steps = [...resources].reverse().map((r) => ifOurs(r.destroy(ctx, states.get(r.id), stage), verdicts.get(r.id)));
  return { stage: ctx.config.stage, region: ctx.arns.region, account: ctx.arns.account, steps: steps.filter((s): s is Step => Boolean(s)) };
}
