/**
 * The Lambda functions (image-processor, reminders, the patients' answer page): runtime nodejs24.x, the configured architecture,
 * the bundle from bundle.ts, settings from runtimeEnv(config). Code is updated only when the bundle's content
 * hash differs from the one recorded on the function (CODE_TAG) — not on the zip's bytes, which differ between
 * machines; configuration only when a setting differs; each update is waited for
 * (a second update while one is in progress fails with ResourceConflictException).
 */
import type { FunctionConfiguration, FunctionUrlConfig } from '@aws-sdk/client-lambda';
import { RUNTIME_ENV, runtimeEnv } from '../config/runtime.js';
import type { ResolvedConfig } from '../config/load.js';
import { ClinicaError } from '../errors.js';
import type { BundleName } from './bundle.js';
import { awsCall, isAwsError, type InfraContext } from './context.js';
import { arn, foreignOwner, missingTags, type Component } from './names.js';
import { deleteStep, step, type Change, type Step } from './plan.js';
import { resource } from './resource.js';
import { retryIam, waitFor } from './retry.js';
import { PERMISSION_ID } from './events.js';
import { ANSWERS_URL_ID, INVOKE_PERMISSION_ID, URL_PERMISSION_ID } from './answers.js';
import { SNS_PERMISSION_ID } from './whatsapp-events.js';

const lambdaSdk = () => import('@aws-sdk/client-lambda');

export const LAMBDA_RUNTIME = 'nodejs24.x';

export const formatBytes = (n: number) => (n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MB` : `${Math.max(1, Math.round(n / 1024))} KB`);
/** Lambda's limit on the total size of a function's environment variables. */
export const LAMBDA_ENV_LIMIT = 4 * 1024;

export type FunctionKey = 'image-processor' | 'reminders' | 'answers' | 'whatsapp-events';

/**
 * The function's tag recording which code it runs: "<content hash> <CodeSha256 of the zip uploaded>". The
 * content hash (of the zip's entries, see bundle.ts) decides whether the code changed; the zip's SHA-256 ties
 * the record to the deployed code, so code replaced by hand (another CodeSha256) is seen as a change.
 */
export const CODE_TAG = 'clinica:code';
const codeTag = (contentHash: string, zipSha256: string) => `${contentHash} ${zipSha256}`;
/** The content hash the tag records for the code deployed now (undefined when the tag is about other code). */
function recordedCode(tag: string | undefined, deployedSha256: string | undefined): string | undefined {
  const [content, zipSha] = (tag ?? '').split(' ');
  return content && zipSha && zipSha === deployedSha256 ? content : undefined;
}

export interface FunctionSpec {
  key: FunctionKey;
  component: Component;
  name: string;
  role: string;
  bundle: BundleName;
  handler: string;
  memoryMb: number;
  timeoutS: number;
  description: string;
  /**
   * concurrent runs kept for this function alone (undefined: none reserved, and a reservation set by hand is
   * drift — at 0 the function never runs)
   */
  reservedConcurrency?: number;
  /**
   * the function URL the stack declares for it (deploy creates it and keeps its auth type, unless `managedBy`
   * names the resource that owns its config); undefined: none, and a URL added by hand is drift that deploy deletes
   */
  url?: { authType: 'NONE' | 'AWS_IAM'; managedBy?: string };
  /**
   * the ids (Sid) of the resource-policy statements the stack writes for this function (by whichever resource
   * owns them); any other statement — say one added by hand with Principal "*" — is drift that deploy removes
   */
  statements?: string[];
}

/** Reminders keep two runs of their own (a run and the next one overlapping it), so a bulk image upload cannot
 * take every concurrent execution of the account from them. */
export const REMINDERS_RESERVED_CONCURRENCY = 2;

/** The answer page is public: at most this many runs at once (config answers.reservedConcurrency) bound what a
 * flood of requests to its URL can cost, and keep it from taking the account's executions from the others. */
export const ANSWERS_RESERVED_CONCURRENCY = 5;

export function functionSpecs(ctx: InfraContext): FunctionSpec[] {
  const n = ctx.names;
  return [
    // sharp on a 12-MP image: 2 GB buys ~1.2 vCPU; a WebP display + thumb + watermarked copy take a few seconds
    { key: 'image-processor', component: 'image-processor', name: n.imageProcessorFunction, role: n.imageProcessorRole, bundle: 'image-processor', handler: 'index.handler', memoryMb: 2048, timeoutS: 120, description: 'clinica: derivatives of uploaded patient images', statements: [PERMISSION_ID] },
    // sending is paced by the SES rate (1/s in the sandbox); an unfinished run is resumed by the next one
    // before the reminders: its function URL (answers-url, planned right after it) goes into their environment
    { key: 'answers', component: 'answers', name: n.answersFunction, role: n.answersRole, bundle: 'answers', handler: 'index.handler', memoryMb: 256, timeoutS: 10, description: "clinica: the patients' answer page (function URL)", reservedConcurrency: ctx.config.answers?.reservedConcurrency ?? ANSWERS_RESERVED_CONCURRENCY, url: { authType: 'NONE', managedBy: ANSWERS_URL_ID }, statements: [URL_PERMISSION_ID, INVOKE_PERMISSION_ID] },
    { key: 'reminders', component: 'reminders', name: n.remindersFunction, role: n.remindersRole, bundle: 'reminders', handler: 'index.handler', memoryMb: 512, timeoutS: 600, description: 'clinica: appointment reminder e-mails', reservedConcurrency: REMINDERS_RESERVED_CONCURRENCY },
    // replies and delivery statuses from the WhatsApp account's SNS topic: a few S3 reads and writes each
    ...(ctx.config.whatsapp?.eventTopicArn
      ? [{ key: 'whatsapp-events' as const, component: 'whatsapp' as const, name: n.whatsappEventsFunction, role: n.whatsappEventsRole, bundle: 'whatsapp-events' as const, handler: 'index.handler', memoryMb: 256, timeoutS: 30, description: 'clinica: WhatsApp replies and delivery statuses', statements: [SNS_PERMISSION_ID] }]
      : []),
  ];
}

/**
 * The config the deployed parts get: without the site's content (Lambda environments are limited to 4 KB)
 * and without the aws section's deploy-only settings (profile, instance type, SSH, …), so that changing those
 * does not touch the functions or restart the server.
 */
export function deployedConfig(config: ResolvedConfig, keepSite = false): ResolvedConfig {
  const { region, bucketPrefix } = config.aws;
  return {
    ...config,
    ...(keepSite ? {} : { site: undefined }),
    aws: { region, ...(bucketPrefix ? { bucketPrefix } : {}) } as ResolvedConfig['aws'],
  };
}

/** Shown in a plan for the answer page's address while its function URL is still to be made. */
export const ANSWERS_URL_PENDING = '(the answer page\'s function URL, once made)';

/**
 * A function's environment. The reminders also get the answer page's address (CLINICA_ANSWERS_URL), for the
 * links they put in every e-mail: ctx.facts.answersUrl, known once its function URL exists (read, or made by
 * the answers-url step planned before them); until then a placeholder that the apply step replaces.
 */
export function functionEnvironment(ctx: InfraContext, key?: FunctionKey): Record<string, string> {
  const links: Record<string, string> = key === 'reminders' ? { [RUNTIME_ENV.answersUrl]: ctx.facts.answersUrl ?? ANSWERS_URL_PENDING } : {};
  const env = { ...runtimeEnv(deployedConfig(ctx.config)), ...links, NODE_OPTIONS: '--enable-source-maps' };
  const size = Object.entries(env).reduce((n, [k, v]) => n + Buffer.byteLength(k) + Buffer.byteLength(v), 0);
  if (size > LAMBDA_ENV_LIMIT) {
    throw new ClinicaError('config', `the config is too large for a Lambda environment (${size} bytes; Lambda allows ${LAMBDA_ENV_LIMIT})`, {
      hint: 'shorten long texts in clinica.config.json (watermark, clinic address) — the site section is not sent to Lambda',
    });
  }
  return env;
}

/** A statement of a function's resource policy, as GetPolicy returns it. */
export interface PolicyStatement {
  Sid?: string;
  Effect?: string;
  Principal?: unknown;
  Action?: string | string[];
  Condition?: Record<string, Record<string, string>>;
}

/** A function URL: of the function itself, or of an alias (its qualifier). */
export interface FunctionUrl {
  qualifier?: string;
  authType?: string;
  url?: string;
  cors?: FunctionUrlConfig['Cors'];
  invokeMode?: string;
}

export interface FunctionState {
  exists: boolean;
  config?: FunctionConfiguration;
  tags: Record<string, string>;
  /** the function's reserved concurrency (undefined: none) */
  reserved?: number;
  /** its resource policy's statements (none: no policy) */
  statements: PolicyStatement[];
  urls: FunctionUrl[];
}

/** "*", "s3.amazonaws.com", "arn:aws:iam::111122223333:root" — how a statement's principal reads in the plan. */
export function showPrincipal(p: unknown): string {
  if (typeof p === 'string') return p;
  if (p && typeof p === 'object') return Object.values(p as Record<string, string | string[]>).flat().join(', ');
  return '?';
}

async function readPolicy(ctx: InfraContext, name: string): Promise<PolicyStatement[]> {
  const { GetPolicyCommand } = await lambdaSdk();
  try {
    const out = await ctx.clients.lambda.send(new GetPolicyCommand({ FunctionName: name }));
    return (JSON.parse(out.Policy ?? '{}') as { Statement?: PolicyStatement[] }).Statement ?? [];
  } catch (err) {
    if (isAwsError(err, 'ResourceNotFoundException')) return [];
    throw err;
  }
}

async function readUrls(ctx: InfraContext, name: string): Promise<FunctionUrl[]> {
  const { ListFunctionUrlConfigsCommand } = await lambdaSdk();
  const urls: FunctionUrl[] = [];
  let Marker: string | undefined;
  do {
    const page = await ctx.clients.lambda.send(new ListFunctionUrlConfigsCommand({ FunctionName: name, Marker }));
    // an alias's URL has the alias as the ARN's 8th part: arn:aws:lambda:region:account:function:name:alias
    urls.push(
      ...(page.FunctionUrlConfigs ?? []).map((u) => ({ qualifier: u.FunctionArn?.split(':')[7], authType: u.AuthType, url: u.FunctionUrl, cors: u.Cors, invokeMode: u.InvokeMode })),
    );
    Marker = page.NextMarker;
  } while (Marker);
  return urls;
}

export async function readFunction(ctx: InfraContext, name: string): Promise<FunctionState> {
  const { GetFunctionCommand } = await lambdaSdk();
  return awsCall(ctx, `reading Lambda function ${name}`, async () => {
    let out;
    try {
      out = await ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: name }));
    } catch (err) {
      if (isAwsError(err, 'ResourceNotFoundException')) return { exists: false, tags: {}, statements: [], urls: [] };
      throw err;
    }
    const [statements, urls] = await Promise.all([readPolicy(ctx, name), readUrls(ctx, name)]);
    return { exists: true, config: out.Configuration, tags: out.Tags ?? {}, reserved: out.Concurrency?.ReservedConcurrentExecutions, statements, urls };
  });
}

/** Waits until the function is Active and no update is in progress; a failed update is an error. */
export async function waitForFunction(ctx: InfraContext, name: string): Promise<FunctionConfiguration> {
  const { GetFunctionCommand } = await lambdaSdk();
  return waitFor(
    async () => {
      const c = (await ctx.clients.lambda.send(new GetFunctionCommand({ FunctionName: name }))).Configuration;
      if (c?.State === 'Failed' || c?.LastUpdateStatus === 'Failed') {
        throw new ClinicaError('internal', `Lambda function ${name} failed: ${c.StateReason ?? c.LastUpdateStatusReason ?? 'no reason given'}`, { hint: 'see the function in the AWS console' });
      }
      if (c?.State === 'Pending' || c?.LastUpdateStatus === 'InProgress') return undefined;
      return c ?? {};
    },
    { what: `Lambda function ${name} to be ready`, sleep: ctx.sleep, intervalMs: 2_000, timeoutMs: 300_000 },
  );
}

const sameEnv = (a: Record<string, string> | undefined, b: Record<string, string>) => {
  const ak = Object.keys(a ?? {}).sort();
  const bk = Object.keys(b).sort();
  return ak.length === bk.length && ak.every((k, i) => k === bk[i] && a![k] === b[k]);
};

/** What the parts of a function's plan share: the SDK, the bundle, the wanted settings and how a change is made. */
interface FunctionPlanning {
  ctx: InfraContext;
  spec: FunctionSpec;
  sdk: Awaited<ReturnType<typeof lambdaSdk>>;
  bundle: Awaited<ReturnType<InfraContext['bundle']>>;
  arch: InfraContext['config']['aws']['architecture'];
  environment: Record<string, string>;
  tags: Record<string, string>;
  settings: ReturnType<typeof functionSettings>;
  /** what is sent: the environment again, for the answer page's URL that an earlier step may have just made */
  sent(): ReturnType<typeof functionSettings>;
  call(what: string, fn: () => Promise<unknown>): Change;
  /** a call retried while a new IAM role has not reached Lambda yet */
  retrying<T>(fn: () => Promise<T>): () => Promise<T>;
}

function functionSettings(ctx: InfraContext, spec: FunctionSpec, environment: Record<string, string>) {
  return {
    Role: arn.role(ctx.arns, spec.role),
    Handler: spec.handler,
    Runtime: LAMBDA_RUNTIME,
    MemorySize: spec.memoryMb,
    Timeout: spec.timeoutS,
    Description: spec.description,
    Environment: { Variables: environment },
  } as const;
}

export async function planFunction(ctx: InfraContext, spec: FunctionSpec, state: FunctionState): Promise<Step> {
  const sdk = await lambdaSdk();
  const bundle = await ctx.bundle(spec.bundle);
  const environment = functionEnvironment(ctx, spec.key);
  const tags = ctx.tags(spec.component);
  const foreign = state.exists ? foreignOwner(state.tags, tags) : undefined;
  if (foreign) throw new ClinicaError('conflict', `Lambda function ${spec.name} is tagged ${foreign}: it belongs to another clinic or stage`);
  const p: FunctionPlanning = {
    ctx,
    spec,
    sdk,
    bundle,
    arch: ctx.config.aws.architecture,
    environment,
    tags,
    settings: functionSettings(ctx, spec, environment),
    sent: () => functionSettings(ctx, spec, functionEnvironment(ctx, spec.key)),
    call: (what, fn) => ({ what, apply: () => awsCall(ctx, `${what} (Lambda ${spec.name})`, fn).then(() => undefined) }),
    retrying: (fn) => () =>
      retryIam(fn, { what: `Lambda ${spec.name}`, sleep: ctx.sleep, onRetry: (n) => ctx.log.info(`waiting for IAM role ${spec.role} to reach Lambda (attempt ${n + 1})`) }),
  };
  return state.exists ? planFunctionUpdate(p, state) : planFunctionCreation(p);
}

function planFunctionCreation(p: FunctionPlanning): Step {
  const { ctx, spec, sdk, bundle, arch } = p;
  const lambda = ctx.clients.lambda;
  const create = () =>
    lambda.send(
      new sdk.CreateFunctionCommand({
        FunctionName: spec.name,
        ...p.sent(),
        Architectures: [arch],
        Code: { ZipFile: bundle.zip },
        PackageType: 'Zip',
        Tags: { ...p.tags, [CODE_TAG]: codeTag(bundle.contentHash, bundle.sha256) },
      }),
    );
  const changes: Change[] = [p.call('create', p.retrying(create)), p.call('wait until active', () => waitForFunction(ctx, spec.name))];
  const reserve = reservation(ctx, spec, undefined);
  if (reserve) changes.push(reserve);
  changes.push(...urlChanges(ctx, spec, []));
  return step({
    id: `lambda:${spec.key}`,
    component: spec.component,
    kind: 'Lambda function',
    name: spec.name,
    exists: false,
    changes,
    createWhy: `does not exist: create (${LAMBDA_RUNTIME}, ${arch}, ${spec.memoryMb} MB, bundle ${formatBytes(bundle.size)})`,
  });
}

function planFunctionUpdate(p: FunctionPlanning, state: FunctionState): Step {
  const { ctx, spec, sdk, bundle, arch } = p;
  const lambda = ctx.clients.lambda;
  const c = state.config ?? {};
  const deployedArch = c.Architectures?.[0] ?? 'x86_64';
  // the same code zipped by another machine (another zlib) has other bytes: compare contents, not zips
  const sameCode = c.CodeSha256 === bundle.sha256 || recordedCode(state.tags[CODE_TAG], c.CodeSha256) === bundle.contentHash;
  const updateCode = !sameCode || deployedArch !== arch;
  const changes: Change[] = [];
  // "wait" changes and the code tag that goes with a code update are plumbing, not differences
  const plumbing = new Set<Change>();
  const withWait = (change: Change, waitWhat: string) => {
    const wait = p.call(waitWhat, () => waitForFunction(ctx, spec.name));
    changes.push(change, wait);
    plumbing.add(wait);
  };
  if (updateCode) {
    const why = deployedArch !== arch ? `architecture ${deployedArch} → ${arch}` : `code changed (bundle ${bundle.contentHash.slice(0, 8)})`;
    withWait(p.call(why, () => lambda.send(new sdk.UpdateFunctionCodeCommand({ FunctionName: spec.name, ZipFile: bundle.zip, Architectures: [arch] }))), 'wait for the code update');
  }
  const differs = configurationDifferences(p, c);
  if (differs.length) {
    const update = () => lambda.send(new sdk.UpdateFunctionConfigurationCommand({ FunctionName: spec.name, ...p.sent(), ...(c.Layers?.length ? { Layers: [] } : {}) }));
    withWait(p.call(differs.join(', '), p.retrying(update)), 'wait for the configuration update');
  }
  const reserve = reservation(ctx, spec, state.reserved);
  if (reserve) changes.push(reserve);
  changes.push(...urlChanges(ctx, spec, state.urls), ...statementChanges(ctx, spec, state.statements));
  const wantTags = { ...p.tags, [CODE_TAG]: codeTag(bundle.contentHash, updateCode ? bundle.sha256 : c.CodeSha256 ?? '') };
  const missing = missingTags(state.tags, wantTags);
  if (missing.length) {
    const shown = missing.filter((t) => !t.startsWith(`${CODE_TAG}=`));
    const tagging = p.call(shown.length ? `tags ${shown.join(', ')}` : `record the code's content hash (tag ${CODE_TAG})`, () =>
      lambda.send(new sdk.TagResourceCommand({ Resource: arn.function(ctx.arns, spec.name), Tags: wantTags })),
    );
    changes.push(tagging);
    if (!shown.length && updateCode) plumbing.add(tagging);
  }
  const visible = changes.filter((ch) => !plumbing.has(ch));
  const s = step({ id: `lambda:${spec.key}`, component: spec.component, kind: 'Lambda function', name: spec.name, exists: true, changes });
  return visible.length ? { ...s, why: visible.map((v) => v.what).join('; ') } : s;
}

/** How the deployed configuration differs from the wanted one, a phrase per setting. */
function configurationDifferences(p: FunctionPlanning, c: NonNullable<FunctionState['config']>): string[] {
  const { settings, environment, spec } = p;
  const differs: string[] = [];
  if (c.Role !== settings.Role) differs.push(`role → ${spec.role}`);
  if (c.Handler !== settings.Handler) differs.push(`handler ${c.Handler} → ${settings.Handler}`);
  if (c.Runtime !== settings.Runtime) differs.push(`runtime ${c.Runtime} → ${settings.Runtime}`);
  if (c.MemorySize !== settings.MemorySize) differs.push(`memory ${c.MemorySize} → ${settings.MemorySize} MB`);
  if (c.Timeout !== settings.Timeout) differs.push(`timeout ${c.Timeout} → ${settings.Timeout} s`);
  if ((c.Description ?? '') !== settings.Description) differs.push('description');
  // clinica's functions use no layer: one added by hand runs its code inside them
  if (c.Layers?.length) differs.push(`layers ${c.Layers.map((l) => l.Arn ?? '?').join(', ')} → none`);
  if (!sameEnv(c.Environment?.Variables, environment)) {
    const keys = new Set([...Object.keys(c.Environment?.Variables ?? {}), ...Object.keys(environment)]);
    differs.push(`environment (${[...keys].filter((k) => c.Environment?.Variables?.[k] !== environment[k]).join(', ')})`);
  }
  return differs;
}

/** The change that puts the function's reserved concurrency as the spec wants it, if it is not. */
function reservation(ctx: InfraContext, spec: FunctionSpec, actual: number | undefined): Change | undefined {
  const want = spec.reservedConcurrency;
  if (actual === want) return undefined;
  const shown = (n: number | undefined) => (n === undefined ? 'none' : String(n));
  return {
    what: `reserved concurrency ${shown(actual)} → ${shown(want)}`,
    apply: () =>
      awsCall(ctx, `setting the reserved concurrency of Lambda ${spec.name}`, async () => {
        const { PutFunctionConcurrencyCommand, DeleteFunctionConcurrencyCommand } = await lambdaSdk();
        if (want === undefined) return void (await ctx.clients.lambda.send(new DeleteFunctionConcurrencyCommand({ FunctionName: spec.name })));
        try {
          await ctx.clients.lambda.send(new PutFunctionConcurrencyCommand({ FunctionName: spec.name, ReservedConcurrentExecutions: want }));
        } catch (err) {
          // AWS keeps 10 executions unreserved: a new account's quota of 10 leaves nothing to reserve
          if (!isAwsError(err, 'InvalidParameterValueException') || !/Unreserved/i.test((err as Error).message)) throw err;
          throw new ClinicaError('conflict', `Lambda ${spec.name}: the account's concurrency quota leaves no room to reserve ${want} executions for it`, {
            hint: 'request a higher "Concurrent executions" quota for Lambda in Service Quotas, then run clinica deploy again',
          });
        }
      }),
  };
}

/** The function URL as the spec declares it: one added by hand (or on an alias) deleted, the declared one made or put back. */
function urlChanges(ctx: InfraContext, spec: FunctionSpec, urls: FunctionUrl[]): Change[] {
  const want = spec.url;
  const call = (what: string, fn: (sdk: Awaited<ReturnType<typeof lambdaSdk>>) => Promise<unknown>): Change => ({
    what,
    apply: () => awsCall(ctx, `${what} (Lambda ${spec.name})`, async () => void (await fn(await lambdaSdk()))),
  });
  const changes = urls
    .filter((u) => !want || u.qualifier)
    .map((u) =>
      call(`function URL ${[u.url, u.qualifier && `of ${u.qualifier}`, `(auth ${u.authType ?? '?'})`].filter(Boolean).join(' ')} → none`, (sdk) =>
        ctx.clients.lambda.send(new sdk.DeleteFunctionUrlConfigCommand({ FunctionName: spec.name, ...(u.qualifier ? { Qualifier: u.qualifier } : {}) })),
      ),
    );
  if (want && !want.managedBy) {
    const own = urls.find((u) => !u.qualifier);
    if (!own) changes.push(call(`function URL (auth ${want.authType})`, (sdk) => ctx.clients.lambda.send(new sdk.CreateFunctionUrlConfigCommand({ FunctionName: spec.name, AuthType: want.authType }))));
    else if (own.authType !== want.authType) {
      changes.push(call(`function URL auth ${own.authType ?? '?'} → ${want.authType}`, (sdk) => ctx.clients.lambda.send(new sdk.UpdateFunctionUrlConfigCommand({ FunctionName: spec.name, AuthType: want.authType }))));
    }
  }
  return changes;
}

/** Every resource-policy statement the stack does not write for this function is removed. */
function statementChanges(ctx: InfraContext, spec: FunctionSpec, statements: PolicyStatement[]): Change[] {
  const declared = new Set(spec.statements ?? []);
  return statements
    .filter((st) => !st.Sid || !declared.has(st.Sid))
    .map((st) => {
      const sid = st.Sid ?? '(no id)';
      return {
        what: `remove statement ${sid} (principal ${showPrincipal(st.Principal)}) from the resource policy (added by hand)`,
        apply: () =>
          awsCall(ctx, `removing statement ${sid} from ${spec.name}'s resource policy`, async () => {
            const { RemovePermissionCommand } = await lambdaSdk();
            try {
              await ctx.clients.lambda.send(new RemovePermissionCommand({ FunctionName: spec.name, StatementId: sid }));
            } catch (err) {
              if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
            }
          }),
      };
    });
}

export function destroyFunctionStep(ctx: InfraContext, spec: FunctionSpec, state: FunctionState): Step | undefined {
  if (!state.exists) return undefined;
  return deleteStep({ id: `lambda:${spec.key}`, component: spec.component, kind: 'Lambda function', name: spec.name, why: 'stage destroyed (its CloudWatch log group stays)' }, () =>
    awsCall(ctx, `deleting Lambda function ${spec.name}`, async () => {
      const { DeleteFunctionCommand } = await lambdaSdk();
      try {
        await ctx.clients.lambda.send(new DeleteFunctionCommand({ FunctionName: spec.name }));
      } catch (err) {
        if (!isAwsError(err, 'ResourceNotFoundException')) throw err;
      }
    }),
  );
}

// --- the resource shape ---

export const functionResource = (spec: FunctionSpec) =>
  resource({
    id: `lambda:${spec.key}`,
    read: (ctx) => readFunction(ctx, spec.name),
    plan: (ctx, state) => planFunction(ctx, spec, state),
    destroy: (ctx, state) => destroyFunctionStep(ctx, spec, state),
    owner: (_ctx, state) => ({ what: `Lambda function ${spec.name}`, tags: state.exists ? state.tags : undefined }),
  });
