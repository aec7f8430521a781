/**
 * The patients' answer page on AWS: the answers Lambda (lambdas.ts, its own role in iam.ts, its log group in
 * logs.ts) behind a function URL. The URL is public by design — the signed token in each link is the key —
 * so its config is AuthType NONE, no CORS (the page posts its forms to itself; no other origin may call it)
 * and buffered responses; reserved concurrency (answers.reservedConcurrency) caps what a flood can cost.
 *
 * The function's resource policy holds exactly clinica's two statements, which AWS requires of a public
 * function URL: lambda:InvokeFunctionUrl for "*" only when the URL's auth type is NONE, and
 * lambda:InvokeFunction for "*" only through the function URL. Any other statement (added by hand: say
 * InvokeFunction for "*" without the condition, which would let anyone call it with any event) is drift,
 * removed by deploy (by the function's own step, which removes every statement its spec does not declare).
 * The URL it reads or makes goes to ctx.facts.answersUrl: the reminders function, planned
 * after this step, puts it in its environment for the links in every e-mail.
 *
 * Destroy deletes nothing here: deleting the function deletes its URL and its resource policy with it.
 */
import type { FunctionUrlConfig } from '@aws-sdk/client-lambda';
import { awsCall, type InfraContext } from './context.js';
import type { FunctionState, PolicyStatement } from './lambdas.js';
import { step, type Change, type Step } from './plan.js';
import { resource } from './resource.js';

const lambdaSdk = () => import('@aws-sdk/client-lambda');

export const ANSWERS_URL_ID = 'answers-url';
/** the statement ids of clinica's two statements in the function's resource policy */
export const URL_PERMISSION_ID = 'clinica-public-url';
export const INVOKE_PERMISSION_ID = 'clinica-public-url-invoke';

export interface AnswersUrlState {
  functionExists: boolean;
  url?: Pick<FunctionUrlConfig, 'FunctionUrl' | 'AuthType' | 'Cors' | 'InvokeMode'>;
  /** the function's resource policy statements, by id */
  statements: PolicyStatement[];
}

/** The URL and the resource policy, as the function's own step read them (its URLs and statements). */
export function answersUrlState(ctx: InfraContext, fn: FunctionState): AnswersUrlState {
  if (!fn.exists) return { functionExists: false, statements: [] };
  const url = fn.urls.find((u) => !u.qualifier);
  if (url?.url) ctx.facts.answersUrl = url.url;
  return {
    functionExists: true,
    url: url ? { FunctionUrl: url.url, AuthType: url.authType as FunctionUrlConfig['AuthType'], Cors: url.cors, InvokeMode: url.invokeMode as FunctionUrlConfig['InvokeMode'] } : undefined,
    statements: fn.statements,
  };
}

const principal = (p: unknown) => (p === '*' || (p as { AWS?: unknown })?.AWS === '*' ? '*' : JSON.stringify(p));
const action = (a: PolicyStatement['Action']) => [a].flat().join(',');

/** clinica's statement `sid` as AWS shows it after AddPermission (Principal "*" and the one condition). */
function isOurs(st: PolicyStatement | undefined, want: { action: string; condition: Record<string, Record<string, string>> }): boolean {
  return Boolean(st) && st!.Effect === 'Allow' && principal(st!.Principal) === '*' && action(st!.Action) === want.action && JSON.stringify(st!.Condition ?? {}) === JSON.stringify(want.condition);
}

export const URL_STATEMENT = { action: 'lambda:InvokeFunctionUrl', condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } } };
export const INVOKE_STATEMENT = { action: 'lambda:InvokeFunction', condition: { Bool: { 'lambda:InvokedViaFunctionUrl': 'true' } } };

/** CORS as read: absent, or an empty configuration, is "none". */
const hasCors = (cors: FunctionUrlConfig['Cors']) => Boolean(cors && Object.values(cors).some((v) => (Array.isArray(v) ? v.length : v !== undefined && v !== false)));

export async function planAnswersUrl(ctx: InfraContext, state: AnswersUrlState, functionPlanned: boolean): Promise<Step | undefined> {
  const name = ctx.names.answersFunction;
  const base = { id: ANSWERS_URL_ID, component: 'answers' as const, kind: 'Lambda function URL', name };
  // the function itself is missing and not to be made (it cannot be: its step would say): nothing to wire
  if (!state.functionExists && !functionPlanned) return undefined;
  const lambda = ctx.clients.lambda;
  const call = (what: string, fn: () => Promise<unknown>): Change => ({ what, apply: () => awsCall(ctx, `${what} (function URL of ${name})`, fn).then(() => undefined) });
  const changes: Change[] = [];
  const url = state.url;
  if (!url) {
    changes.push(
      call('create (auth NONE, no CORS)', async () => {
        const { CreateFunctionUrlConfigCommand } = await lambdaSdk();
        const out = await lambda.send(new CreateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE', InvokeMode: 'BUFFERED' }));
        ctx.facts.answersUrl = out.FunctionUrl;
      }),
    );
  } else {
    const differs: string[] = [];
    if (url.AuthType !== 'NONE') differs.push(`auth ${url.AuthType} → NONE`);
    if (hasCors(url.Cors)) differs.push('CORS → none');
    if ((url.InvokeMode ?? 'BUFFERED') !== 'BUFFERED') differs.push(`invoke mode ${url.InvokeMode} → BUFFERED`);
    if (differs.length) {
      changes.push(
        call(differs.join(', '), async () => {
          const { UpdateFunctionUrlConfigCommand } = await lambdaSdk();
          await lambda.send(new UpdateFunctionUrlConfigCommand({ FunctionName: name, AuthType: 'NONE', Cors: {}, InvokeMode: 'BUFFERED' }));
        }),
      );
    }
  }
  const byId = new Map(state.statements.map((s) => [s.Sid ?? '(no id)', s]));
  for (const [sid, want, input] of [
    [URL_PERMISSION_ID, URL_STATEMENT, { FunctionUrlAuthType: 'NONE' as const }],
    [INVOKE_PERMISSION_ID, INVOKE_STATEMENT, { InvokedViaFunctionUrl: true }],
  ] as const) {
    const have = byId.get(sid);
    if (isOurs(have, want)) continue;
    changes.push(
      call(have ? `public ${want.action} permission differs` : `allow ${want.action} for anyone (${JSON.stringify(want.condition)})`, async () => {
        const { AddPermissionCommand, RemovePermissionCommand } = await lambdaSdk();
        if (have) await lambda.send(new RemovePermissionCommand({ FunctionName: name, StatementId: sid }));
        await lambda.send(new AddPermissionCommand({ FunctionName: name, StatementId: sid, Action: want.action, Principal: '*', ...input }));
      }),
    );
  }
  const shown = ctx.facts.answersUrl ?? 'its address is known once made';
  return step({ ...base, exists: Boolean(url), changes, createWhy: `does not exist: create, public (auth NONE; the signed link is the key) — ${shown}`, upToDateWhy: `public (auth NONE, no CORS): ${shown}` });
}

// --- the resource shape ---

export const answersUrl = resource<AnswersUrlState>({
  id: ANSWERS_URL_ID,
  async read(ctx, stage) {
    const fn = await stage.state<FunctionState>('lambda:answers');
    return answersUrlState(ctx, fn);
  },
  plan: (ctx, state, stage) => planAnswersUrl(ctx, state, Boolean(stage.planned('lambda:answers')?.run)),
  // deleted with the function
  destroy: () => undefined,
});
