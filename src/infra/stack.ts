/**
 * A stage's resources in dependency order, read from AWS and compared with the config: the plan that
 * deploy applies, deploy --dry-run prints, status checks, and destroy walks backwards.
 *
 *   data bucket → site bucket → site content → IAM roles → instance profile → Lambda functions → S3 → image-processor events
 *   → server release → security group → instance → SES identity
 */
import type { InfraContext } from './context.js';
import { dataBucketAspects, planDataBucket, planSiteBucket, siteBucketAspects, type BucketPlan } from './buckets.js';
import { readBucket, deleteBucket, emptyBucket } from './s3-bucket.js';
import { destroyProfileStep, destroyRoleStep, planInstanceProfile, planRole, readInstanceProfile, readRole, roleSpecs } from './iam.js';
import { destroyFunctionStep, functionSpecs, planFunction, readFunction } from './lambdas.js';
import { destroyEventsStep, planEvents, readEvents } from './events.js';
import { RELEASE_PREFIX, planServerCode, readCurrentRelease } from './server-code.js';
import {
  clinicNetworkWarning,
  destroyInstanceStep,
  destroySecurityGroupStep,
  planInstance,
  planSecurityGroup,
  readInstanceType,
  readInstances,
  readNetwork,
  readSecurityGroup,
  type InstanceState,
} from './ec2.js';
import { destroySesStep, planSes, readSes, type SesState } from './ses.js';
import { planSiteContent } from './site-content.js';
import { awsCall } from './context.js';
import { deleteStep, keepStep, type Plan, type Step } from './plan.js';
import type { BundleName } from './bundle.js';
import type { FunctionState } from './lambdas.js';
import { deployableSender } from '../config/mail.js';
import { ClinicaError } from '../errors.js';
import { TAG, foreignOwner, fromTagList, missingTags } from './names.js';

/**
 * Whose a resource with one of the stage's names is, for destroy: "ours" only when it carries this clinic's and
 * this stage's tags. Tagged for another clinic or stage → the destroy stops before deleting anything (names can
 * collide: prefix "clinica-x" + stage "a" and prefix "clinica" + stage "x-a" give the same names). Without
 * those tags → someone else's (made by hand, or by another tool): listed in the plan and left alone.
 */
interface Found {
  what: string;
  /** the resource's tags; undefined when it does not exist */
  tags?: Record<string, string>;
}

function ownership(ctx: InfraContext, found: Found[]): Map<string, string | undefined> {
  const wanted = ctx.tags('data');
  const notOurs = new Map<string, string | undefined>();
  for (const { what, tags } of found) {
    if (!tags) continue;
    const foreign = foreignOwner(tags, wanted);
    if (foreign) {
      throw new ClinicaError('conflict', `${what} is tagged ${foreign}: it belongs to another clinic or stage — nothing was destroyed`, {
        hint: 'check aws.bucketPrefix and --stage; clinica only deletes what carries its own clinic and stage tags',
      });
    }
    const missing = missingTags(tags, { [TAG.clinic]: wanted[TAG.clinic]!, [TAG.stage]: wanted[TAG.stage]! });
    notOurs.set(what, missing.length ? `not ours — left alone (it lacks the tags ${missing.join(', ')})` : undefined);
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
  data: BucketPlan;
  site: BucketPlan;
}

export interface DeployPlan extends Plan {
  observed: Observed;
}

/** What deploy and destroy both read besides the buckets: roles, instance profile, functions, network, instances, SES. */
async function readStageResources(ctx: InfraContext) {
  const roles = roleSpecs(ctx);
  const functions = functionSpecs(ctx);
  const [roleStates, profile, functionStates, network, instances, ses] = await Promise.all([
    Promise.all(roles.map((r) => readRole(ctx, r.name))),
    readInstanceProfile(ctx, ctx.names.serverInstanceProfile),
    Promise.all(functions.map((f) => readFunction(ctx, f.name))),
    readNetwork(ctx),
    readInstances(ctx),
    // destroy needs no sender; deploy has checked it has one (planDeploy)
    ctx.config.mail.sender ? readSes(ctx) : undefined,
  ]);
  return { roles, functions, roleStates, profile, functionStates, network, instances, ses };
}

/** Reads everything and builds the deploy plan. Builds the bundles (in parallel with the reads). */
export async function planDeploy(ctx: InfraContext, options: { onProgress?: (what: string) => void } = {}): Promise<DeployPlan> {
  // the reminders' sender becomes an SES identity and the reminders role's only From: set, and not made up
  deployableSender(ctx.config);
  const progress = options.onProgress ?? (() => {});
  const bundles: BundleName[] = ['image-processor', 'reminders', 'server'];
  const building = Promise.all(bundles.map((b) => ctx.bundle(b)));
  building.catch(() => {}); // reported where awaited
  progress('reading the stage from AWS');
  const [data, site, { roles, functions, roleStates, profile, functionStates, network, instances, ses }] = await Promise.all([
    planDataBucket(ctx),
    planSiteBucket(ctx),
    readStageResources(ctx),
  ]);
  ctx.facts.vpcId = network.vpcId;
  ctx.facts.subnetId = network.subnetId;
  const dataExists = data.state.exists;
  const imageFn = functionStates[functions.findIndex((f) => f.key === 'image-processor')]!;
  const [group, events, current, instanceType] = await Promise.all([
    readSecurityGroup(ctx, network.vpcId),
    readEvents(ctx, dataExists, imageFn.exists),
    readCurrentRelease(ctx, dataExists),
    readInstanceType(ctx),
  ]);
  progress('building the bundles');
  await building;
  progress('building the site');
  const content = await planSiteContent(ctx, site.state.exists);
  const steps: Step[] = [data.step, site.step, content.step];
  for (let i = 0; i < roles.length; i++) steps.push(await planRole(ctx, roles[i]!, roleStates[i]!));
  steps.push(await planInstanceProfile(ctx, profile));
  for (let i = 0; i < functions.length; i++) steps.push(await planFunction(ctx, functions[i]!, functionStates[i]!));
  steps.push(await planEvents(ctx, events));
  steps.push(await planServerCode(ctx, current));
  steps.push(await planSecurityGroup(ctx, network, group));
  steps.push(await planInstance(ctx, network, instances, instanceType));
  steps.push(planSes(ctx, ses!));
  return {
    stage: ctx.config.stage,
    region: ctx.arns.region,
    account: ctx.arns.account,
    steps,
    warnings: [clinicNetworkWarning(ctx.config), ...content.warnings].filter((w): w is string => Boolean(w)),
    observed: {
      instances,
      functions: new Map(functions.map((f, i) => [f.name, functionStates[i]!])),
      ses: ses!,
      data,
      site,
    },
  };
}

export interface DestroyOptions {
  /** delete the data bucket with every patient record and image in it */
  deletePatientData?: boolean;
  onProgress?: (what: string) => void;
  /** told how many objects were deleted so far while emptying a bucket */
  onDeleted?: (bucket: string, count: number) => void;
}

/** The destroy plan: the deploy order reversed; the data bucket kept unless deletePatientData. */
export async function planDestroy(ctx: InfraContext, options: DestroyOptions = {}): Promise<Plan> {
  options.onProgress?.('reading the stage from AWS');
  const [data, site, { roles, functions, roleStates, profile, functionStates, network, instances, ses }] = await Promise.all([
    readBucket(ctx, ctx.names.dataBucket, dataBucketAspects(ctx).filter((a) => a.name === 'tags')),
    readBucket(ctx, ctx.names.siteBucket, siteBucketAspects(ctx).filter((a) => a.name === 'tags')),
    readStageResources(ctx),
  ]);
  const imageFn = functionStates[functions.findIndex((f) => f.key === 'image-processor')]!;
  const [group, events, current] = await Promise.all([
    readSecurityGroup(ctx, network.vpcId),
    readEvents(ctx, data.exists, imageFn.exists),
    readCurrentRelease(ctx, data.exists),
  ]);
  const dataTags = data.exists ? ((data.values.get('tags') as Record<string, string> | undefined) ?? {}) : undefined;
  const siteTags = site.exists ? ((site.values.get('tags') as Record<string, string> | undefined) ?? {}) : undefined;
  const verdicts = ownership(ctx, [
    { what: `bucket ${ctx.names.dataBucket}`, tags: dataTags },
    { what: `bucket ${ctx.names.siteBucket}`, tags: siteTags },
    ...roles.map((r, i) => ({ what: `IAM role ${r.name}`, tags: roleStates[i]!.exists ? roleStates[i]!.tags : undefined })),
    { what: `instance profile ${ctx.names.serverInstanceProfile}`, tags: profile.exists ? profile.tags : undefined },
    ...functions.map((f, i) => ({ what: `Lambda function ${f.name}`, tags: functionStates[i]!.exists ? functionStates[i]!.tags : undefined })),
    { what: `security group ${ctx.names.securityGroup}`, tags: group.group ? fromTagList(group.group.Tags) : undefined },
  ]);
  const dataVerdict = verdicts.get(`bucket ${ctx.names.dataBucket}`);
  const deleteData = Boolean(options.deletePatientData);
  const steps: (Step | undefined)[] = [
    destroySesStep(ses),
    // found by this stage's tags: always ours
    destroyInstanceStep(ctx, instances),
    ifOurs(destroySecurityGroupStep(ctx, group), verdicts.get(`security group ${ctx.names.securityGroup}`)),
    // the releases and the notification live in the data bucket: only touched when that bucket is ours
    current !== undefined && data.exists && !deleteData && dataVerdict === undefined
      ? deleteStep({ id: 'server-code', component: 'server', kind: 'server release', name: `s3://${ctx.names.dataBucket}/${RELEASE_PREFIX}`, why: 'stage destroyed' }, () =>
          awsCall(ctx, 'deleting the server releases', () => emptyBucket(ctx.clients.s3, ctx.names.dataBucket, { prefix: RELEASE_PREFIX }).then(() => undefined)),
        )
      : undefined,
    dataVerdict === undefined ? destroyEventsStep(ctx, events, deleteData) : undefined,
    ...functions.map((f, i) => ifOurs(destroyFunctionStep(ctx, f, functionStates[i]!), verdicts.get(`Lambda function ${f.name}`))).reverse(),
    ifOurs(destroyProfileStep(ctx, profile), verdicts.get(`instance profile ${ctx.names.serverInstanceProfile}`)),
    ...roles.map((r, i) => ifOurs(destroyRoleStep(ctx, r, roleStates[i]!), verdicts.get(`IAM role ${r.name}`))).reverse(),
    ifOurs(
      site.exists
        ? deleteStep({ id: 'site-bucket', component: 'site', kind: 'S3 bucket', name: ctx.names.siteBucket, why: 'stage destroyed: empty it, then delete it' }, () =>
            awsCall(ctx, `deleting bucket ${ctx.names.siteBucket}`, () => deleteBucket(ctx.clients.s3, ctx.names.siteBucket, (n) => options.onDeleted?.(ctx.names.siteBucket, n)).then(() => undefined)),
          )
        : undefined,
      verdicts.get(`bucket ${ctx.names.siteBucket}`),
    ),
    ifOurs(
      data.exists
        ? deleteData
          ? deleteStep({ id: 'data-bucket', component: 'data', kind: 'S3 bucket', name: ctx.names.dataBucket, why: 'PATIENT DATA: every record, image and old version is deleted, then the bucket' }, () =>
              awsCall(ctx, `deleting bucket ${ctx.names.dataBucket}`, () => deleteBucket(ctx.clients.s3, ctx.names.dataBucket, (n) => options.onDeleted?.(ctx.names.dataBucket, n)).then(() => undefined)),
            )
          : keepStep({ id: 'data-bucket', component: 'data', kind: 'S3 bucket', name: ctx.names.dataBucket, why: 'kept: patient data (--delete-patient-data deletes it)' })
        : undefined,
      dataVerdict,
    ),
  ];
  return { stage: ctx.config.stage, region: ctx.arns.region, account: ctx.arns.account, steps: steps.filter((s): s is Step => Boolean(s)) };
}
